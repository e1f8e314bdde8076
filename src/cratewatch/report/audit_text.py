"""Words shared by the human and Markdown audit reports."""

from __future__ import annotations

from cratewatch.audit.model import AdvisoryFinding, AuditReport, Finding, FindingKind

__all__ = ["solution", "summary_line"]


def solution(finding: Finding) -> str:
    """What the user can do: ``Upgrade to >=1.2.3`` or ``No fixed upgrade is available``."""
    if isinstance(finding, AdvisoryFinding):
        patched = finding.advisory.patched
        if patched:
            return "Upgrade to " + " OR ".join(str(r) for r in patched)
        return "No fixed upgrade is available"
    return "Update to a version that is not yanked (cargo update -p NAME)"


def summary_line(report: AuditReport) -> str:
    """``2 vulnerabilities, 1 unmaintained found in 75 packages (1 ignored)``."""
    counts = report.counts()
    names = {
        FindingKind.VULNERABILITY: ("vulnerability", "vulnerabilities"),
        FindingKind.UNSOUND: ("unsound", "unsound"),
        FindingKind.UNMAINTAINED: ("unmaintained", "unmaintained"),
        FindingKind.NOTICE: ("notice", "notices"),
        FindingKind.YANKED: ("yanked", "yanked"),
    }
    parts = []
    for kind, (one, many) in names.items():
        n = counts[kind.value]
        if n:
            parts.append(f"{n} {one if n == 1 else many}")
    found = ", ".join(parts) if parts else "no advisories"
    not_reported = len(report.findings) - sum(counts.values())
    tail = f" ({not_reported} not reported: ignored, below threshold or not built)"
    return f"{found} found in {report.package_count} packages" + (tail if not_reported else "")
