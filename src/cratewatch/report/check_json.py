"""``cratewatch check --format json``: one JSON object per line, diagnostics then a summary.

Each diagnostic line is ``{"type": "diagnostic", "check", "code", "severity", "message",
"crates", "labels", "notes", "inclusion"}``: ``code`` is from the documented list
(``cratewatch check --list-codes``), ``crates`` are ``{name, version, source}``, ``labels``
``{file, line, column, text, message, primary}`` and ``inclusion`` the dependents tree of each
crate (``name@version`` -> lines). The last line is ``{"type": "summary", "checks": {check:
{errors, warnings, notes, helps, failed}}, "exit_status": N}``.
"""

from __future__ import annotations

import json
from typing import Any

from cratewatch.policy.diagnostics import Diagnostic
from cratewatch.policy.runner import CheckReport

__all__ = ["diagnostic_json", "render_json", "summary_json"]


def render_json(report: CheckReport, *, inclusion: bool = True) -> str:
    """The report as JSON lines."""
    lines = [
        json.dumps(diagnostic_json(report, d, inclusion=inclusion), ensure_ascii=False)
        for d in report.diagnostics
    ]
    lines.append(json.dumps(summary_json(report), ensure_ascii=False))
    return "\n".join(lines) + "\n"


def diagnostic_json(
    report: CheckReport, diag: Diagnostic, *, inclusion: bool = True
) -> dict[str, Any]:
    """One diagnostic as a JSON object."""
    trees: dict[str, list[str]] = {}
    if inclusion:
        for crate in diag.crates:
            index = _index(report, crate.name, crate.version, crate.source)
            if index is not None:
                trees[f"{crate.name}@{crate.version}"] = list(report.graph.inclusion_tree(index))
    return {
        "type": "diagnostic",
        "check": None if diag.check is None else diag.check.value,
        "code": diag.code,
        "severity": diag.severity.value,
        "message": diag.message,
        "crates": [{"name": c.name, "version": c.version, "source": c.source} for c in diag.crates],
        "labels": [
            {
                "file": label.file,
                "line": label.line,
                "column": label.column,
                "text": label.text,
                "message": label.message,
                "primary": label.primary,
            }
            for label in diag.labels
        ],
        "notes": list(diag.notes),
        "inclusion": trees,
    }


def summary_json(report: CheckReport) -> dict[str, Any]:
    """The summary object."""
    return {"type": "summary", "checks": report.summary(), "exit_status": report.exit_status}


def _index(report: CheckReport, name: str, version: str, source: str | None) -> int | None:
    for i in report.graph.by_name(name):
        krate = report.graph.krates[i]
        krate_source = None if krate.source is None else krate.source.to_url()
        if str(krate.version) == version and krate_source == source:
            return i
    return None
