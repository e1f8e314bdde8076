"""JSON report of ``cratewatch inspect``: one object per crate, every signal with its location.

The shape (``schema`` = ``cratewatch-inspect/1``)::

    {"schema": ..., "tool": {...}, "fail_on": "high" | null,
     "summary": {"crates": n, "inspected": n, "not_inspected": n, "failing": n,
                 "signals": {"critical": n, ...}},
     "crates": [{"name", "version", "origin", "checksum", "build_script", "proc_macro",
                 "files", "rust_files", "max_severity", "fails",
                 "signals": [{"id", "title", "severity", "file", "line", "end_line",
                              "role", "excerpt", "why"}]}],
     "not_inspected": [{"name", "version", "reason"}]}
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from cratewatch import __version__
from cratewatch.inspect.catalog import title
from cratewatch.inspect.model import (
    Inspected,
    InspectReport,
    NotInspected,
    Outcome,
    Severity,
    Signal,
)

__all__ = ["SCHEMA", "inspect_to_json", "render_inspect_json", "report_to_json", "signal_to_json"]

SCHEMA = "cratewatch-inspect/1"


def render_inspect_json(outcomes: Sequence[Outcome], *, fail_on: Severity | None) -> str:
    """The report as indented JSON text."""
    return (
        json.dumps(inspect_to_json(outcomes, fail_on=fail_on), indent=2, ensure_ascii=False) + "\n"
    )


def inspect_to_json(outcomes: Sequence[Outcome], *, fail_on: Severity | None) -> dict[str, Any]:
    """The report as a JSON-ready dict."""
    reports = [o.report for o in outcomes if isinstance(o, Inspected)]
    skipped = [o for o in outcomes if isinstance(o, NotInspected)]
    counts = {s.value: 0 for s in reversed(Severity)}
    for report in reports:
        for signal in report.signals:
            counts[signal.severity.value] += 1
    return {
        "schema": SCHEMA,
        "tool": {"name": "cratewatch", "version": __version__},
        "fail_on": fail_on.value if fail_on is not None else None,
        "summary": {
            "crates": len(outcomes),
            "inspected": len(reports),
            "not_inspected": len(skipped),
            "failing": sum(1 for r in reports if fail_on is not None and r.reaches(fail_on)),
            "signals": counts,
        },
        "crates": [report_to_json(r, fail_on=fail_on) for r in reports],
        "not_inspected": [
            {"name": o.name, "version": o.version, "reason": o.reason} for o in skipped
        ],
    }


def report_to_json(report: InspectReport, *, fail_on: Severity | None) -> dict[str, Any]:
    """One crate's report."""
    maximum = report.max_severity
    return {
        "name": report.name,
        "version": report.version,
        "origin": report.origin,
        "checksum": report.checksum,
        "build_script": report.build_script,
        "proc_macro": report.proc_macro,
        "files": report.files,
        "rust_files": report.rust_files,
        "max_severity": maximum.value if maximum is not None else None,
        "fails": fail_on is not None and report.reaches(fail_on),
        "signals": [signal_to_json(s) for s in report.signals],
    }


def signal_to_json(signal: Signal) -> dict[str, Any]:
    """One signal."""
    return {
        "id": signal.id,
        "title": title(signal.id),
        "severity": signal.severity.value,
        "file": signal.file,
        "line": signal.line,
        "end_line": signal.end_line,
        "role": signal.role.value if signal.role is not None else None,
        "excerpt": signal.excerpt,
        "why": signal.why,
    }
