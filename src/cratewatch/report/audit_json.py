"""The JSON audit report: a versioned, documented schema (``schemas/audit-report.schema.json``)."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

from cratewatch import __version__
from cratewatch.audit.model import (
    AdvisoryFinding,
    AuditSettings,
    Finding,
    YankedCheck,
    YankedChecked,
    YankedFinding,
    YankedNotRequested,
    YankedUnavailable,
)
from cratewatch.audit.run import AuditRun
from cratewatch.report.fixplan_text import fix_step_json

__all__ = ["SCHEMA_VERSION", "audit_to_json", "load_schema", "render_json"]

SCHEMA_VERSION = "1.0"
"""Bumped in the minor part for added fields, in the major part for anything else."""


def load_schema() -> dict[str, Any]:
    """The JSON Schema the report follows (shipped inside the package)."""
    text = resources.files("cratewatch.report").joinpath("schemas/audit-report.schema.json")
    loaded: dict[str, Any] = json.loads(text.read_text("utf-8"))
    return loaded


def render_json(run: AuditRun) -> str:
    """The report as pretty-printed JSON text with a trailing newline."""
    return json.dumps(audit_to_json(run), indent=2, ensure_ascii=False) + "\n"


def audit_to_json(run: AuditRun) -> dict[str, Any]:
    """The report as a JSON-ready dict."""
    report = run.report
    total = sum(i.package_count for i in run.inputs)
    single = run.inputs[0] if len(run.inputs) == 1 else None
    document: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "cratewatch", "version": __version__},
        "database": {
            "source": run.database.source,
            "commit": run.database.commit,
            "last_updated": run.database.last_updated.isoformat(),
            "advisory_count": run.database.advisory_count,
        },
        "lockfile": {
            "path": single.path if single else None,
            "package_count": total,
        },
        "inputs": [
            {"path": i.path, "kind": i.kind.value, "package_count": i.package_count}
            for i in run.inputs
        ],
        "settings": _settings(report.settings),
        "yanked_check": _yanked_check(report.yanked_check),
        "summary": {
            "reported": report.counts(),
            "failing": len(report.failing),
            "total_findings": len(report.findings),
        },
        "unused_ignores": [
            {"id": r.id, "reason": r.reason, "origin": r.origin} for r in report.unused_ignores
        ],
        "findings": [_finding(f) for f in report.findings],
    }
    if run.fix_plan_requested:
        document["fix_plan"] = [fix_step_json(step) for step in run.fix_plan]
    return document


def _settings(settings: AuditSettings) -> dict[str, Any]:
    return {
        "deny": sorted(k.value for k in settings.deny),
        "informational": sorted(k.value for k in settings.informational),
        "ignore": [
            {
                "id": r.id,
                "reason": r.reason,
                "until": r.until.isoformat() if r.until else None,
                "origin": r.origin,
            }
            for r in settings.ignore
        ],
        "target_os": sorted(settings.target_os),
        "target_arch": sorted(settings.target_arch),
        "severity_threshold": settings.severity_threshold.name.lower(),
    }


def _yanked_check(check: YankedCheck) -> dict[str, Any]:
    match check:
        case YankedChecked():
            return {"status": "checked", "reason": None}
        case YankedUnavailable(reason=reason):
            return {"status": "unavailable", "reason": reason}
        case YankedNotRequested():
            return {"status": "not-requested", "reason": None}


def _finding(finding: Finding) -> dict[str, Any]:
    package = finding.package
    base: dict[str, Any] = {
        "id": finding.id,
        "kind": finding.kind.value,
        "package": {
            "name": package.name,
            "version": str(package.version),
            "source": package.source,
        },
        "input": package.origin,
        "status": finding.status.value,
        "note": finding.note,
        "paths": [list(p) for p in finding.paths],
    }
    match finding:
        case AdvisoryFinding(advisory=adv):
            cvss = adv.cvss
            base |= {
                "aliases": list(adv.aliases),
                "title": adv.title,
                "date": adv.date.isoformat(),
                "url": adv.url,
                "categories": list(adv.categories),
                "severity": (
                    {"cvss": cvss.vector, "score": cvss.base_score, "rating": cvss.severity}
                    if cvss
                    else None
                ),
                "patched": [str(r) for r in adv.patched],
                "unaffected": [str(r) for r in adv.unaffected],
                "affected_ranges": [str(r) for r in adv.ranges],
            }
        case YankedFinding():
            base |= {
                "aliases": [],
                "title": f"{package.name} {package.version} is yanked from its registry",
                "date": None,
                "url": None,
                "categories": [],
                "severity": None,
                "patched": [],
                "unaffected": [],
                "affected_ranges": [],
            }
    return base
