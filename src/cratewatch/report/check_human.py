"""``cratewatch check --format human``: codespan-style diagnostics as rich renderables.

Each diagnostic shows ``severity[code]: message``, every label with the source line it points
at (Cargo.lock, deny.toml, a crate's Cargo.toml) and a caret under the text, its notes, and
the inclusion graph of its crates (what depends on them, up to the workspace). The last line
sums up each check: ``advisories ok, bans FAILED, ...``.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from rich.console import RenderableType
from rich.text import Text

from cratewatch.policy.diagnostics import Diagnostic, Label, Severity
from cratewatch.policy.runner import CheckReport

__all__ = ["render_human", "summary_line"]

_STYLES = {
    Severity.ERROR: "bold red",
    Severity.WARNING: "bold yellow",
    Severity.NOTE: "bold cyan",
    Severity.HELP: "bold green",
}
_ORDER = (Severity.ERROR, Severity.WARNING, Severity.NOTE, Severity.HELP)
_MAX_LINE = 200


def render_human(
    report: CheckReport,
    *,
    minimum: Severity = Severity.WARNING,
    inclusion: bool = True,
) -> RenderableType:
    """The report; diagnostics below *minimum* (by default notes and helps) are left out."""
    floor = _ORDER.index(minimum)
    sources = _Sources()
    parts = [
        _diagnostic(report, diag, sources, inclusion=inclusion)
        for diag in report.diagnostics
        if _ORDER.index(diag.severity) <= floor
    ]
    parts.append(summary_line(report))
    return Text("\n\n").join(parts)


def summary_line(report: CheckReport) -> Text:
    """``advisories ok, bans FAILED, licenses ok, sources ok``."""
    text = Text()
    for n, check in enumerate(report.checks):
        if n:
            text.append(", ")
        failed = check in report.failed
        text.append(f"{check.value} ")
        text.append("FAILED" if failed else "ok", style="bold red" if failed else "bold green")
    return text


def _diagnostic(
    report: CheckReport, diag: Diagnostic, sources: _Sources, *, inclusion: bool
) -> Text:
    style = _STYLES[diag.severity]
    lines: list[Text] = [
        Text.assemble((f"{diag.severity.value}[{diag.code}]", style), ": ", (diag.message, "bold"))
    ]
    by_file: dict[str, list[Label]] = {}
    for label in diag.labels:
        by_file.setdefault(label.file, []).append(label)
    for file, file_labels in by_file.items():
        lines.extend(_snippet(file, file_labels, sources, style))
    gutter = " " * 2
    for note in diag.notes:
        first, *rest = note.splitlines() or [""]
        lines.append(Text.assemble((f"{gutter}= ", "bold blue"), first))
        lines.extend(Text(f"{gutter}  {line}") for line in rest)
    if inclusion:
        for crate in diag.crates:
            for i in report.graph.by_name(crate.name):
                krate = report.graph.krates[i]
                krate_source = None if krate.source is None else krate.source.to_url()
                if str(krate.version) != crate.version or krate_source != crate.source:
                    continue
                tree = report.graph.inclusion_tree(i)
                lines.append(Text.assemble((f"{gutter}= ", "bold blue"), tree[0]))
                lines.extend(Text(f"{gutter}  {line}", "dim") for line in tree[1:])
    return Text("\n").join(lines)


def _snippet(file: str, labels: list[Label], sources: _Sources, style: str) -> Iterable[Text]:
    first = min(labels, key=lambda label: (label.line, label.column))
    width = len(str(max(label.line for label in labels)))
    pad = " " * width
    yield Text.assemble((f"{pad} ┌─ ", "blue"), f"{file}:{first.line}:{first.column}")
    yield Text(f"{pad} │", "blue")
    for line_no in sorted({label.line for label in labels}):
        source = sources.line(file, line_no)
        on_line = sorted((lb for lb in labels if lb.line == line_no), key=lambda lb: lb.column)
        if source is None:
            for label in on_line:
                yield Text.assemble(
                    (f"{pad} │ ", "blue"), (label.text, "bold"), f"  {label.message}"
                )
            continue
        yield Text.assemble((f"{line_no:>{width}} │ ", "blue"), source[:_MAX_LINE])
        for label in on_line:
            length = max(1, min(len(label.text), len(source) - label.column + 1))
            marker = ("^" if label.primary else "-") * length
            label_style = style if label.primary else "blue"
            yield Text.assemble(
                (f"{pad} │ ", "blue"),
                " " * (label.column - 1),
                (marker, label_style),
                (f" {label.message}" if label.message else "", label_style),
            )
    yield Text(f"{pad} │", "blue")


class _Sources:
    """File lines, read once per file."""

    def __init__(self) -> None:
        self._files: dict[str, list[str] | None] = {}

    def line(self, file: str, number: int) -> str | None:
        if file not in self._files:
            try:
                self._files[file] = Path(file).read_text(encoding="utf-8").splitlines()
            except (OSError, UnicodeDecodeError):
                self._files[file] = None
        lines = self._files[file]
        if lines is None or not 0 < number <= len(lines):
            return None
        return lines[number - 1]
