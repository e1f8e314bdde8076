"""The ecosystem report: Markdown and HTML with the figures, and a methods section.

:func:`write_report` analyses a dataset (:func:`cratewatch.ecosystem.stats.analyse`), draws
the figures (:mod:`cratewatch.ecosystem.plots`) and writes ``report.md`` (PNG figures),
``report.html`` (SVG figures, self-contained apart from them), ``summary.json`` (the headline
numbers) and ``plots/`` into a directory. The sections follow the study being reproduced
(its numbers are shown next to ours), then go further; whatever the data cannot support
(downloads, dates) is said plainly instead of being left out silently.

>>> report = write_report(Path("crates.parquet"), Path("report"))  # doctest: +SKIP
>>> report.markdown  # doctest: +SKIP
PosixPath('report/report.md')
"""

from __future__ import annotations

import datetime
import html
import json
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt

from cratewatch.ecosystem.job import DatasetError
from cratewatch.ecosystem.stats import VIEWS, Analysis, Correlation, Options, analyse

__all__ = ["STUDY", "STUDY_CRATES", "Report", "render_markdown", "write_report"]

STUDY_CRATES = 186_287
"""Crates the study kept (at least 50 downloads)."""
STUDY = {
    "vuln_unsound": 29.459,
    "vulnerability": 23.729,
    "unsound": 20.379,
    "notice": 0.012,
    "unmaintained_yanked": 38.127,
}
"""The study's failed percentages per view (``cargo deny check`` on every crate)."""

_CSS = """
body { font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto;
       padding: 0 1rem; line-height: 1.5; color: #1a1a1a; }
table { border-collapse: collapse; margin: 1rem 0; font-size: 0.92rem; }
th, td { border: 1px solid #bbb; padding: 0.25rem 0.6rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { background: #eef2f8; }
img { max-width: 100%; height: auto; }
code { background: #f2f2f2; padding: 0 0.2rem; }
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    """The files written."""

    markdown: Path
    """``report.md``."""
    html: Path
    """``report.html``."""
    summary: Path
    """``summary.json``."""
    plots: tuple[Path, ...]
    """Every figure file."""
    analysis: Analysis
    """What the report shows."""


def write_report(dataset: Path, out: Path, options: Options | None = None) -> Report:
    """Analyse *dataset* and write the report into the directory *out*."""
    analysis = analyse(dataset, options)
    from cratewatch.ecosystem.plots import draw_all  # noqa: PLC0415 (matplotlib is slow)

    plots_dir = out / "plots"
    try:
        out.mkdir(parents=True, exist_ok=True)
        figures = draw_all(analysis, plots_dir)
        markdown = out / "report.md"
        _write(markdown, render_markdown(analysis, figures, ext="png"))
        page = out / "report.html"
        _write(page, _html(analysis, render_markdown(analysis, figures, ext="svg")))
        summary = out / "summary.json"
        _write(summary, json.dumps(_summary(analysis), indent=2) + "\n")
    except OSError as e:
        raise DatasetError(f"{out}: cannot write the report: {e}") from e
    files = tuple(
        plots_dir / f"{stem}.{ext}" for stem in figures.values() for ext in ("png", "svg")
    )
    return Report(markdown=markdown, html=page, summary=summary, plots=files, analysis=analysis)


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def _summary(analysis: Analysis) -> dict[str, Any]:
    return {
        "dataset": str(analysis.dataset),
        "rows": analysis.rows,
        "filters": [
            {"description": f.description, "before": f.before, "after": f.after}
            for f in analysis.filters
        ],
        "views": {
            v.view.key: {
                "label": v.view.label,
                "total": v.total,
                "passed": v.passed,
                "failed": v.failed,
                "failed_pct": _num(v.failed_pct),
            }
            for v in analysis.views
        },
        "correlations": [
            {
                "x": c.x,
                "view": c.view.key,
                "n": c.n,
                "pearson": [_num(v) for v in c.pearson],
                "spearman": [_num(v) for v in c.spearman],
                "kendall": [_num(v) for v in c.kendall],
            }
            for c in analysis.correlations
        ],
        "notes": list(analysis.notes),
    }


def _num(value: float) -> float | None:
    return None if math.isnan(value) else value


# ---------------------------------------------------------------- Markdown


def _cell(value: object) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def _pct(value: float) -> str:
    return "n/a" if math.isnan(value) else f"{value:.3f}%"


def _p(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    return "< 1e-300" if value == 0 else f"{value:.2e}"


def _stat(pair: tuple[float, float]) -> str:
    r, p = pair
    return "n/a" if math.isnan(r) else f"{r:.3f} (p {_p(p)})"


def _table(header: list[str], rows: Sequence[Sequence[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines.extend("| " + " | ".join(_cell(c) for c in row) + " |" for row in rows)
    return [*lines, ""]


def _figure(figures: dict[str, str], key: str, alt: str, ext: str) -> list[str]:
    stem = figures.get(key)
    if stem is None:
        return []
    return [f"![{alt}](plots/{stem}.{ext})", ""]


def render_markdown(analysis: Analysis, figures: dict[str, str], *, ext: str = "png") -> str:
    """The report as Markdown; figures are linked as ``plots/<stem>.<ext>``."""
    a = analysis
    meta = a.metadata
    lines = ["# crates.io ecosystem audit", ""]
    first = a.views[0]
    mode = "every published version" if a.all_versions else "the latest version of each crate"
    lines += [
        f"{a.rows:,} rows ({mode}) of the index were resolved and checked against the RustSec "
        f"advisory database. **{_pct(first.failed_pct)}** have at least one vulnerability or "
        f"unsound advisory in their dependency tree.",
        "",
    ]
    for note in a.notes:
        lines += [f"> {note}", ""]
    lines += ["## Headline", ""]
    lines += _table(
        ["View", "Total", "Passed", "Failed", "Passed %", "Failed %", "Study failed %"],
        [
            [
                v.view.label,
                f"{v.total:,}",
                f"{v.passed:,}",
                f"{v.failed:,}",
                _pct(v.passed_pct),
                _pct(v.failed_pct),
                _pct(STUDY[v.view.key]),
            ]
            for v in a.views
        ],
    )
    lines += [
        f"The study ran `cargo deny check` on the latest version of {STUDY_CRATES:,} crates "
        "with at least 50 downloads, with the advisory database of its day. Differences are "
        "expected from the snapshots (index and advisory database dates) and from what is "
        "resolved and counted (see Methods); the matching rules are cargo-deny's.",
        "",
    ]
    lines += _figure(figures, "views", "failed share per view", ext)
    lines += _filters_section(a)
    lines += _downloads_section(a, figures, ext)
    lines += _views_section(a, figures, ext)
    lines += _correlation_section(a, figures, ext)
    lines += _beyond_section(a, figures, ext)
    lines += _methods_section(a, meta)
    return "\n".join(lines).rstrip() + "\n"


def _filters_section(a: Analysis) -> list[str]:
    lines = ["## Data and filters", ""]
    lines += _table(
        ["Filter", "Before", "After", "Removed"],
        [
            [f.description, f"{f.before:,}", f"{f.after:,}", f"{f.before - f.after:,}"]
            for f in a.filters
        ],
    )
    return lines


def _downloads_section(a: Analysis, figures: dict[str, str], ext: str) -> list[str]:
    lines = ["## Downloads and popularity groups", ""]
    d = a.downloads
    if d is None:
        lines += [
            "The dataset has no download counts, so the download distribution cannot be shown, "
            f"the low-download cut (< {a.options.min_downloads}) is not applied, and every "
            'row is in one group, "all".',
            "",
        ]
        return lines
    lines += [
        f"Downloads from `{d.column}` (median {d.median:,.0f}). The cut at "
        f"{a.options.min_downloads} downloads removes **{d.below_cut:,}** rows.",
        "",
    ]
    lines += _figure(figures, "downloads", "log-download histogram", ext)
    header = ["Group (downloads)", "Rows"] + [v.view.label + " failed %" for v in a.views]
    rows: list[list[str]] = []
    for i, label in enumerate(a.group_labels):
        rows.append(
            [label, f"{a.views[0].groups[i].total:,}"] + [_pct(v.groups[i].rate) for v in a.views]
        )
    lines += _table(header, rows)
    return lines


def _views_section(a: Analysis, figures: dict[str, str], ext: str) -> list[str]:
    lines = ["## Advisory views", ""]
    for v in a.views:
        lines += [f"### {v.view.label}", ""]
        lines += _table(
            ["", "Count", "%"],
            [
                ["Total", f"{v.total:,}", "100%"],
                ["Passed", f"{v.passed:,}", _pct(v.passed_pct)],
                ["Failed", f"{v.failed:,}", _pct(v.failed_pct)],
            ],
        )
        lines += _table(
            ["Group", "Rows", "Failed", "Failure rate", "Mean failures", "Mean among failing"],
            [
                [
                    g.label,
                    f"{g.total:,}",
                    f"{g.failed:,}",
                    _pct(g.rate),
                    "n/a" if math.isnan(g.mean_failures) else f"{g.mean_failures:.3f}",
                    "n/a"
                    if math.isnan(g.mean_failures_failing)
                    else f"{g.mean_failures_failing:.3f}",
                ]
                for g in v.groups
            ],
        )
    lines += _figure(figures, "groups", "failure rate and mean failures per group", ext)
    return lines


def _correlation_section(a: Analysis, figures: dict[str, str], ext: str) -> list[str]:
    lines = ["## Correlations", ""]
    names = {"created_at": "release date (days)", "all_deps": "dependency-tree size (all_deps)"}
    if not a.has_dates:
        lines += [
            "Release dates are missing, so the correlation with release recency is not "
            "computed; the correlation with the dependency-tree size is.",
            "",
        ]
    rows: list[list[object]] = []
    for c in a.correlations:
        rows.append(_corr_row(c, names))
    lines += _table(
        ["Variable", "Failures of", "n", "Pearson r", "Spearman rho", "Kendall tau-b"], rows
    )
    for x in a.points:
        lines += _figure(figures, f"corr-{x}", f"failures against {names.get(x, x)}", ext)
    return lines


def _corr_row(c: Correlation, names: dict[str, str]) -> list[object]:
    return [
        names.get(c.x, c.x),
        c.view.label,
        f"{c.n:,}",
        _stat(c.pearson),
        _stat(c.spearman),
        _stat(c.kendall),
    ]


def _beyond_section(a: Analysis, figures: dict[str, str], ext: str) -> list[str]:
    lines = ["## Beyond the study", ""]
    lines += ["### Propagation", ""]
    p = a.propagation
    if p is None:
        lines += [
            "This dataset has one row per crate; the share of versions affected only through "
            "their dependencies needs an every-version dataset (`--all-versions`).",
            "",
        ]
    else:
        share = 100 * p.affected / p.versions if p.versions else math.nan
        lines += _table(
            ["Versions", "Count", "% of versions"],
            [
                ["analysed", f"{p.versions:,}", "100%"],
                [
                    "with a vulnerability/unsound finding in their tree",
                    f"{p.affected:,}",
                    _pct(share),
                ],
                [
                    "... only deeper than a direct dependency",
                    f"{p.transitive_only:,}",
                    _pct(100 * p.transitive_only / p.versions if p.versions else math.nan),
                ],
                [
                    "... only through dev-dependencies",
                    f"{p.dev_only:,}",
                    _pct(100 * p.dev_only / p.versions if p.versions else math.nan),
                ],
                [
                    "whose own crate version has an advisory",
                    f"{p.self_affected:,}",
                    _pct(100 * p.self_affected / p.versions if p.versions else math.nan),
                ],
            ],
        )
    lines += ["### Advisories reaching the most crates", ""]
    lines += _table(
        ["Advisory", "Kind", "Crate", "Crates", "Rows", "Direct", "Dev only", "Main intermediates"],
        [
            [
                t.id,
                t.kind,
                t.package,
                f"{t.crates:,}",
                f"{t.rows:,}",
                f"{t.direct:,}",
                f"{t.dev_only:,}",
                ", ".join(f"{name} ({n:,})" for name, n in t.top_parents[:3]) or "-",
            ]
            for t in a.top_advisories
        ],
    )
    lines += _figure(figures, "top-advisories", "advisories reaching the most crates", ext)
    lines += [
        "### Upgrades that would clean the most",
        "",
        "Intermediate crates (never the audited crate itself) that directly depend on a "
        "package with a vulnerability or unsound advisory, by the rows in which they do: "
        "a release of these that moves off the affected versions removes those findings "
        "(where no other path leads to the same package).",
        "",
    ]
    lines += _table(
        ["Intermediate crate", "Rows", "Crates", "Advisories"],
        [
            [t.parent, f"{t.rows:,}", f"{t.crates:,}", ", ".join(t.advisories)]
            for t in a.top_parents
        ],
    )
    lines += ["### Depth of vulnerable dependencies", ""]
    lines += _table(
        ["Depth", "Vulnerability findings", "Unsound findings"],
        [[d, f"{v:,}", f"{u:,}"] for d, v, u in a.depths],
    )
    lines += _figure(figures, "depths", "depth distribution", ext)
    lines += ["### Was the advisory already published at release?", ""]
    t = a.timing
    if t is None:
        lines += [
            "Release dates are missing, so advisory dates cannot be compared with release dates.",
            "",
        ]
    else:
        known = t.known + t.later
        lines += [
            f"Of {known:,} vulnerability findings in rows with a release date, **{t.known:,}** "
            f"({_pct(100 * t.known / known if known else math.nan)}) were in versions released "
            "on or after the advisory's date: the problem was public when the version was "
            f"published. {t.unknown:,} findings are in rows without a date.",
            "",
        ]
        lines += _figure(figures, "timing", "advisory timing", ext)
    return lines


def _methods_section(a: Analysis, meta: dict[str, Any]) -> list[str]:
    index = meta.get("index") or {}
    db = meta.get("advisory_db") or {}
    pop = meta.get("popularity")
    views = "; ".join(f"{v.label} = {' + '.join(v.columns)} > 0" for v in VIEWS)
    lines = ["## Methods", ""]
    items = [
        f"Dataset: `{a.dataset}` ({meta.get('rows', 'unknown')} rows, "
        f"{meta.get('mode', 'unknown mode')}, schema {meta.get('schema_version', '?')}).",
        f"Index snapshot: `{index.get('source', 'unknown')}` at commit "
        f"`{index.get('commit') or 'n/a'}`"
        + (f", committed {index['commit_time']}" if index.get("commit_time") else "")
        + (
            f"; snapshot of {index['date']} (as stated with --index-date: the index itself "
            "has no dates)"
            if index.get("date")
            else "; the index carries no publication dates, so its snapshot date is only the "
            "commit's"
        )
        + ".",
        f"Advisory database: `{db.get('source', 'unknown')}` at commit "
        f"`{db.get('commit') or 'n/a'}` (last commit {db.get('last_commit_time') or 'unknown'});"
        f" {meta.get('advisories_counted', '?')} advisories counted"
        + (
            f", only those dated on or before {meta['advisories_until']}"
            if meta.get("advisories_until")
            else ""
        )
        + ".",
        (
            f"Popularity: `{pop.get('source')}` ({pop.get('kind')}, snapshot "
            f"{pop.get('snapshot') or 'unknown'})."
            if pop
            else "Popularity: none (no download counts or release dates)."
        ),
        f"Resolution: {meta.get('resolution_rules', 'unknown')}",
        "Counting: a finding is one advisory affecting one package of the resolved tree "
        "(the audited crate itself excluded); `a_yanked` counts yanked packages in the tree, "
        "which a fresh resolution never selects, so it is 0 unless the index changed. "
        f"Views: {views}.",
        "Filters, in order: "
        + "; ".join(f"{f.description} ({f.before:,} -> {f.after:,})" for f in a.filters)
        + ".",
        f"Popularity groups: lower bounds {', '.join(f'{b:,}' for b in a.options.bins)} "
        f"(downloads column: {a.downloads.column if a.downloads else 'none'}); low-download "
        f"cut: {a.options.min_downloads}.",
        "Correlations: Pearson, Spearman and Kendall tau-b from scipy.stats, two-sided "
        "p-values; release dates as days since 1970-01-01.",
        f"Built with {meta.get('executor', 'unknown')} in {meta.get('seconds', '?')} s on "
        f"{meta.get('created', 'unknown date')}; report written "
        f"{datetime.datetime.now(datetime.UTC).isoformat(timespec='seconds')}.",
    ]
    lines += [f"- {item}" for item in items]
    return [*lines, ""]


# ---------------------------------------------------------------- HTML


def _html(analysis: Analysis, markdown: str) -> str:
    body = (
        MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
        .enable("table")
        .render(markdown)
    )
    title = html.escape(f"crates.io ecosystem audit: {analysis.dataset.name}")
    return (
        '<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n{body}</body>\n</html>\n"
    )
