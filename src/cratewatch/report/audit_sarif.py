"""SARIF 2.1.0 audit report for GitHub code scanning: one rule per advisory."""

from __future__ import annotations

import json
from typing import Any

from cratewatch.audit.model import AdvisoryFinding, Finding, FindingStatus, YankedFinding
from cratewatch.audit.run import AuditRun
from cratewatch.report._sarif import SARIF_SCHEMA, sarif_log

__all__ = ["SARIF_SCHEMA", "audit_to_sarif", "render_sarif"]


def render_sarif(run: AuditRun) -> str:
    """The report as SARIF JSON text."""
    return json.dumps(audit_to_sarif(run), indent=2, ensure_ascii=False) + "\n"


def audit_to_sarif(run: AuditRun) -> dict[str, Any]:
    """The report as a SARIF 2.1.0 log with one run.

    ``security-severity`` carries the CVSS base score, which GitHub maps to its
    critical/high/medium/low levels; locations point at the package's line in Cargo.lock.
    """
    deny = run.report.settings.deny
    rules: list[dict[str, Any]] = []
    rule_index: dict[str, int] = {}
    results: list[dict[str, Any]] = []
    for finding in run.report.findings:
        if finding.id not in rule_index:
            rule_index[finding.id] = len(rules)
            rules.append(_rule(finding))
        result: dict[str, Any] = {
            "ruleId": finding.id,
            "ruleIndex": rule_index[finding.id],
            "level": _level(finding, deny),
            "message": {"text": _message(finding)},
            "locations": [_location(finding)],
            "partialFingerprints": {
                "cratewatch/v1": f"{finding.id}:{finding.package.name}@{finding.package.version}"
            },
        }
        if finding.status is not FindingStatus.REPORTED:
            result["suppressions"] = [
                {"kind": "external", "status": "accepted", "justification": finding.note}
            ]
        results.append(result)
    return sarif_log(
        tool="cratewatch",
        information_uri="https://rustsec.org/",
        rules=rules,
        results=results,
    )


def _rule(finding: Finding) -> dict[str, Any]:
    match finding:
        case AdvisoryFinding(advisory=adv):
            properties: dict[str, Any] = {"tags": ["security", finding.kind.value, *adv.categories]}
            if adv.cvss is not None:
                properties["security-severity"] = f"{adv.cvss.base_score:.1f}"
            help_text = adv.description.strip() or adv.title
            return {
                "id": adv.id,
                "name": adv.id.replace("-", ""),
                "shortDescription": {"text": adv.title},
                "fullDescription": {"text": help_text},
                "helpUri": adv.url or f"https://rustsec.org/advisories/{adv.id}.html",
                "help": {"text": help_text, "markdown": help_text},
                "properties": properties,
            }
        case YankedFinding():
            text = "The crate version is yanked from its registry."
            return {
                "id": finding.id,
                "name": "YankedCrate",
                "shortDescription": {"text": text},
                "fullDescription": {"text": text},
                "properties": {"tags": ["supply-chain", "yanked"]},
            }


def _level(finding: Finding, deny: frozenset[Any]) -> str:
    if finding.status is not FindingStatus.REPORTED:
        return "note"
    if finding.kind.value == "vulnerability" or finding.kind in deny:
        return "error"
    return "warning"


def _message(finding: Finding) -> str:
    package = f"{finding.package.name} {finding.package.version}"
    match finding:
        case AdvisoryFinding(advisory=adv):
            fix = (
                "upgrade to " + " or ".join(str(r) for r in adv.patched)
                if adv.patched
                else "no fixed upgrade is available"
            )
            return f"{package}: {adv.id} {adv.title} ({fix})"
        case YankedFinding():
            return f"{package} is yanked from its registry"


def _location(finding: Finding) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": {"uri": finding.package.origin or "Cargo.lock"}}
    if finding.package.line is not None:
        physical["region"] = {"startLine": finding.package.line}
    return {"physicalLocation": physical}
