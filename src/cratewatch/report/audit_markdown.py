"""The Markdown audit report (for pull-request comments and job summaries)."""

from __future__ import annotations

from cratewatch.audit.model import AdvisoryFinding, Finding, FindingStatus
from cratewatch.audit.run import AuditRun
from cratewatch.report.audit_text import solution, summary_line
from cratewatch.report.fixplan_text import fix_step_line

__all__ = ["render_markdown"]


def render_markdown(run: AuditRun) -> str:
    """A heading, a summary, a table of reported findings and a section of the others."""
    report = run.report
    db = run.database
    lines = [
        "# cratewatch audit",
        "",
        f"**{summary_line(report)}** (database {db.source} at `{db.commit[:12]}`,"
        f" {db.advisory_count} advisories, last updated {db.last_updated:%Y-%m-%d}).",
        "",
    ]
    reported = [f for f in report.findings if f.status is FindingStatus.REPORTED]
    others = [f for f in report.findings if f.status is not FindingStatus.REPORTED]
    if reported:
        lines += _table(reported)
    if others:
        lines += ["", "## Not reported", ""]
        lines += _table(others, with_note=True)
    if report.unused_ignores:
        lines += ["", "## Unused ignores", ""]
        lines += [f"- `{r.id}` ({_cell(r.origin)})" for r in report.unused_ignores]
    if run.fix_plan_requested:
        lines += ["", "## Fix plan", ""]
        lines += [f"- `{fix_step_line(step)}`" for step in run.fix_plan] or ["Nothing to fix."]
    return "\n".join(lines) + "\n"


def _table(findings: list[Finding], *, with_note: bool = False) -> list[str]:
    head = "| Crate | Version | Kind | Advisory | Severity | Solution |"
    rule = "|---|---|---|---|---|---|"
    if with_note:
        head, rule = head + " Note |", rule + "---|"
    rows = [head, rule]
    for f in findings:
        advisory, severity = "", ""
        if isinstance(f, AdvisoryFinding):
            adv = f.advisory
            link = adv.url or f"https://rustsec.org/advisories/{adv.id}"
            advisory = f"[{adv.id}]({link}) {_cell(adv.title)}"
            if adv.cvss is not None:
                severity = f"{adv.cvss.base_score:.1f} {adv.cvss.severity}"
        row = (
            f"| {f.package.name} | {f.package.version} | {f.kind.value} | {advisory} |"
            f" {severity} | {_cell(solution(f))} |"
        )
        if with_note:
            row += f" {_cell(f.note)} |"
        rows.append(row)
    return rows


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
