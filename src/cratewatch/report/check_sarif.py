"""``cratewatch check --format sarif``: a SARIF 2.1.0 log, one rule per diagnostic code.

Results are the errors and warnings (notes and helps are context, not findings); each points
at its primary label's file, line and column, and names the crates in its message.
"""

from __future__ import annotations

import json
from typing import Any

from cratewatch.policy.diagnostics import CODES, Diagnostic, Severity
from cratewatch.policy.runner import CheckReport
from cratewatch.report._sarif import SARIF_SCHEMA, sarif_log

__all__ = ["SARIF_SCHEMA", "check_to_sarif", "render_sarif"]

_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning"}


def render_sarif(report: CheckReport) -> str:
    """The report as SARIF JSON text."""
    return json.dumps(check_to_sarif(report), indent=2, ensure_ascii=False) + "\n"


def check_to_sarif(report: CheckReport) -> dict[str, Any]:
    """The report as a SARIF 2.1.0 log with one run."""
    shown = [d for d in report.diagnostics if d.severity in _LEVELS]
    codes = sorted({d.code for d in shown})
    rule_index = {code: n for n, code in enumerate(codes)}
    rules = [
        {
            "id": code,
            "name": "".join(part.capitalize() for part in code.split("-")),
            "shortDescription": {"text": CODES[code].description},
            "properties": {"tags": _tags(code)},
        }
        for code in codes
    ]
    return sarif_log(
        tool="cratewatch",
        information_uri="https://embarkstudios.github.io/cargo-deny/",
        rules=rules,
        results=[_result(d, rule_index[d.code]) for d in shown],
    )


def _tags(code: str) -> list[str]:
    check = CODES[code].check
    return ["supply-chain", "cargo-deny", *([] if check is None else [check.value])]


def _result(diag: Diagnostic, index: int) -> dict[str, Any]:
    crates = ", ".join(f"{c.name} {c.version}" for c in diag.crates)
    text = diag.message + (f" ({crates})" if crates else "")
    result: dict[str, Any] = {
        "ruleId": diag.code,
        "ruleIndex": index,
        "level": _LEVELS[diag.severity],
        "message": {"text": text},
    }
    primary = next((label for label in diag.labels if label.primary), None)
    if primary is not None:
        result["locations"] = [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": primary.file},
                    "region": {"startLine": primary.line, "startColumn": primary.column},
                },
                **({"message": {"text": primary.message}} if primary.message else {}),
            }
        ]
    fingerprint = ":".join([diag.code, *(f"{c.name}@{c.version}" for c in diag.crates)])
    result["partialFingerprints"] = {"cratewatch/v1": fingerprint}
    return result
