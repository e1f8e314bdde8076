"""The human audit report: rich renderables (the CLI prints them)."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text

from cratewatch.audit.model import (
    AdvisoryFinding,
    Finding,
    FindingKind,
    FindingStatus,
)
from cratewatch.audit.run import AuditRun
from cratewatch.report.audit_text import solution, summary_line
from cratewatch.report.fixplan_text import fix_step_line

__all__ = ["render_human"]

_KIND_STYLE = {
    FindingKind.VULNERABILITY: "bold red",
    FindingKind.UNSOUND: "magenta",
    FindingKind.UNMAINTAINED: "yellow",
    FindingKind.NOTICE: "cyan",
    FindingKind.YANKED: "yellow",
}

_MAX_PATHS_SHOWN = 3
_LABEL_WIDTH = 10


def render_human(run: AuditRun, *, show_tree: bool = True, quiet: bool = False) -> RenderableType:
    """The whole report: header, one block per finding, warnings and a summary line.

    With *quiet*, only findings that fail the run and the summary are shown.
    """
    report = run.report
    parts: list[RenderableType] = []
    if not quiet:
        db = run.database
        parts.append(
            Text.assemble(
                ("Advisory database ", "dim"),
                (db.source, "bold"),
                (
                    f" at {db.commit[:12]} ({db.advisory_count} advisories,"
                    f" last updated {db.last_updated:%Y-%m-%d})",
                    "dim",
                ),
            )
        )
        for item in run.inputs:
            parts.append(
                Text(f"Scanning {item.path} ({item.package_count} crate dependencies)", "dim")
            )
    failing = set(map(id, report.failing))
    shown = [f for f in report.findings if not quiet or id(f) in failing]
    for finding in shown:
        parts.append(Text(""))
        parts.append(_finding_table(finding, failing=id(finding) in failing, show_tree=show_tree))
    for rule in report.unused_ignores:
        parts.append(
            Text(f"warning: ignore {rule.id} ({rule.origin}) matched no finding", "yellow")
        )
    if run.fix_plan_requested:
        parts.append(Text(""))
        parts.append(Text("Fix plan", "bold"))
        if not run.fix_plan:
            parts.append(Text("  nothing to fix"))
        parts.extend(Text(f"  {fix_step_line(step)}") for step in run.fix_plan)
    parts.append(Text(""))
    style = "bold red" if report.failing else "bold green"
    verdict = "error" if report.failing else "ok"
    parts.append(Text.assemble((f"{verdict}: ", style), summary_line(report)))
    return Group(*parts)


def _finding_table(finding: Finding, *, failing: bool, show_tree: bool) -> Group:
    """The finding as aligned ``Label  value`` lines (no padding after the value, so the
    report copies and greps cleanly)."""
    kind_style = _KIND_STYLE[finding.kind] if finding.status is FindingStatus.REPORTED else "dim"
    label = finding.kind.value.capitalize()
    if finding.status is FindingStatus.REPORTED:
        label = ("error: " if failing else "warning: ") + label
    else:
        label = f"{label} ({finding.status.value})"
    rows: list[tuple[str, str]] = [
        ("Crate", finding.package.name),
        ("Version", str(finding.package.version)),
    ]
    if isinstance(finding, AdvisoryFinding):
        adv = finding.advisory
        aliases = f" ({', '.join(adv.aliases)})" if adv.aliases else ""
        rows += [("ID", adv.id + aliases), ("Title", adv.title), ("Date", adv.date.isoformat())]
        if adv.cvss is not None:
            rows.append(("Severity", f"{adv.cvss.base_score:.1f} ({adv.cvss.severity})"))
        if adv.url:
            rows.append(("URL", adv.url))
        elif adv.collection == "crates":
            rows.append(("URL", f"https://rustsec.org/advisories/{adv.id}"))
    rows.append(("Solution", solution(finding)))
    if finding.note:
        rows.append(("Note", finding.note))
    if show_tree and finding.paths:
        lines = [" <- ".join(reversed(path)) for path in finding.paths[:_MAX_PATHS_SHOWN]]
        more = len(finding.paths) - _MAX_PATHS_SHOWN
        if more > 0:
            lines.append(f"... and {more} more path{'s' if more > 1 else ''}")
        rows.append(("Path", "\n".join(lines)))
    lines_out = [Text(label, kind_style)]
    for key, value in rows:
        first, *rest = value.split("\n")
        lines_out.append(Text.assemble((f"{key:<{_LABEL_WIDTH}}", "bold"), first))
        lines_out.extend(Text(" " * _LABEL_WIDTH + more_line) for more_line in rest)
    return Group(*lines_out)
