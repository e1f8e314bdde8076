"""Human-readable (rich) report of ``cratewatch inspect``."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from cratewatch.inspect.model import Inspected, NotInspected, Outcome, Severity, Signal

__all__ = ["print_inspect_human"]

_STYLES = {
    Severity.CRITICAL: "bold white on red",
    Severity.HIGH: "bold red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


def print_inspect_human(
    console: Console,
    outcomes: Sequence[Outcome],
    *,
    show: Severity,
    fail_on: Severity | None,
) -> None:
    """Print each crate with its signals at or above *show*, then a summary line."""
    failing: list[str] = []
    for outcome in outcomes:
        if isinstance(outcome, NotInspected):
            console.print(
                f"[bold]{escape(outcome.name)} {escape(outcome.version)}[/]: "
                f"[yellow]not inspected[/] ({escape(outcome.reason)})"
            )
            continue
        report = outcome.report
        shown = [s for s in report.signals if s.severity >= show]
        maximum = report.max_severity
        header = Text(f"{report.name} {report.version}", style="bold")
        header.append(f"  {report.origin}", style="dim")
        if maximum is not None:
            header.append("  max ")
            header.append(maximum.value, style=_STYLES[maximum])
        console.print(header)
        if fail_on is not None and report.reaches(fail_on):
            failing.append(f"{report.name} {report.version}")
        if not shown:
            console.print(f"  no signals at {show.value} or above", style="dim")
        for signal in shown:
            _print_signal(console, signal)
        hidden = len(report.signals) - len(shown)
        if hidden:
            console.print(f"  ({hidden} below {show.value} not shown)", style="dim")
    inspected = sum(1 for o in outcomes if isinstance(o, Inspected))
    summary = f"{inspected} crate{'s' if inspected != 1 else ''} inspected"
    skipped = len(outcomes) - inspected
    if skipped:
        summary += f", {skipped} not inspected"
    if fail_on is not None:
        summary += f"; {len(failing)} at {fail_on.value} or above"
        if failing:
            summary += ": " + ", ".join(failing)
    console.print(summary, style="bold red" if failing else "bold")


def _print_signal(console: Console, signal: Signal) -> None:
    line = Text("  ")
    line.append(f"{signal.severity.value.upper():8}", style=_STYLES[signal.severity])
    line.append(f" {signal.id}", style="bold")
    where = f"{signal.file}:{signal.line}" if signal.line else signal.file
    line.append(f"  {where}")
    if signal.role is not None:
        line.append(f"  [{signal.role.value}]", style="dim")
    console.print(line)
    console.print(Text(f"      {signal.why}"))
    for excerpt_line in signal.excerpt.splitlines()[:4]:
        console.print(Text(f"      │ {excerpt_line}", style="dim"))
