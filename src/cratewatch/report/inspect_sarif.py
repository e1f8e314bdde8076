"""SARIF 2.1.0 report of ``cratewatch inspect`` for code-scanning tools: one rule per signal id.

Locations are ``NAME-VERSION/PATH`` with the signal's lines; ``security-severity`` maps the
severity onto GitHub's scale (critical 9.5, high 8.0, medium 5.5, low 3.0, info 1.0).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, assert_never

from cratewatch.inspect.catalog import title
from cratewatch.inspect.model import Inspected, InspectReport, Outcome, Severity, Signal
from cratewatch.report._sarif import SARIF_SCHEMA, sarif_log

__all__ = ["SARIF_SCHEMA", "inspect_to_sarif", "render_inspect_sarif"]


def render_inspect_sarif(outcomes: Sequence[Outcome]) -> str:
    """The report as SARIF JSON text."""
    return json.dumps(inspect_to_sarif(outcomes), indent=2, ensure_ascii=False) + "\n"


def inspect_to_sarif(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """The report as a SARIF 2.1.0 log with one run."""
    rules: list[dict[str, Any]] = []
    rule_index: dict[str, int] = {}
    results: list[dict[str, Any]] = []
    for outcome in outcomes:
        if not isinstance(outcome, Inspected):
            continue
        report = outcome.report
        for signal in report.signals:
            if signal.id not in rule_index:
                rule_index[signal.id] = len(rules)
                rules.append(_rule(signal.id))
            results.append(_result(report, signal, rule_index[signal.id]))
    return sarif_log(
        tool="cratewatch-inspect",
        information_uri="https://github.com/rust-secure-code",
        rules=rules,
        results=results,
    )


def _rule(signal_id: str) -> dict[str, Any]:
    return {
        "id": signal_id,
        "name": signal_id.replace(".", "/"),
        "shortDescription": {"text": title(signal_id)},
        "properties": {"tags": ["security", "supply-chain", signal_id.split(".", 1)[0]]},
    }


def _result(report: InspectReport, signal: Signal, index: int) -> dict[str, Any]:
    location: dict[str, Any] = {
        "physicalLocation": {
            "artifactLocation": {"uri": f"{report.name}-{report.version}/{signal.file}"},
        }
    }
    if signal.line > 0:
        location["physicalLocation"]["region"] = {
            "startLine": signal.line,
            "endLine": max(signal.end_line, signal.line),
            "snippet": {"text": signal.excerpt},
        }
    return {
        "ruleId": signal.id,
        "ruleIndex": index,
        "level": _level(signal.severity),
        "message": {"text": f"{report.name} {report.version}: {signal.why}"},
        "locations": [location],
        "properties": {
            "severity": signal.severity.value,
            "security-severity": _security_severity(signal.severity),
        },
        "partialFingerprints": {"cratewatch/v1": _fingerprint(report, signal)},
    }


def _fingerprint(report: InspectReport, signal: Signal) -> str:
    return f"{signal.id}:{report.name}@{report.version}:{signal.file}:{signal.line}"


def _level(severity: Severity) -> str:
    match severity:
        case Severity.CRITICAL | Severity.HIGH:
            return "error"
        case Severity.MEDIUM:
            return "warning"
        case Severity.LOW | Severity.INFO:
            return "note"
        case _:
            assert_never(severity)


def _security_severity(severity: Severity) -> str:
    match severity:
        case Severity.CRITICAL:
            return "9.5"
        case Severity.HIGH:
            return "8.0"
        case Severity.MEDIUM:
            return "5.5"
        case Severity.LOW:
            return "3.0"
        case Severity.INFO:
            return "1.0"
        case _:
            assert_never(severity)
