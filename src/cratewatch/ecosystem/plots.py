"""The report's figures, drawn with matplotlib's Agg backend (no display needed).

This is the only module that imports matplotlib. Each function draws one figure from an
:class:`~cratewatch.ecosystem.stats.Analysis` and saves it as PNG and SVG under a directory;
it returns the file stem (``plots/<stem>.png`` / ``.svg``), or None when the data for that
figure is missing.

>>> from cratewatch.ecosystem.stats import analyse  # doctest: +SKIP
>>> draw_all(analyse(Path("crates.parquet")), Path("report/plots"))  # doctest: +SKIP
{'views': 'views', 'depths': 'depths', ...}
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib as mpl

mpl.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from cratewatch.ecosystem.stats import Analysis

__all__ = [
    "draw_all",
    "plot_correlation",
    "plot_depths",
    "plot_downloads",
    "plot_groups",
    "plot_timing",
    "plot_top_advisories",
    "plot_views",
]

_COLOR = "#3366aa"
_ACCENT = "#cc4433"
_DPI = 110


def draw_all(analysis: Analysis, out: Path) -> dict[str, str]:
    """Draw every figure the analysis supports into *out*; figure key -> file stem."""
    out.mkdir(parents=True, exist_ok=True)
    drawn: dict[str, str] = {}
    jobs: list[tuple[str, Callable[[], str | None]]] = [
        ("downloads", lambda: plot_downloads(analysis, out)),
        ("views", lambda: plot_views(analysis, out)),
        ("groups", lambda: plot_groups(analysis, out)),
        *((f"corr-{x}", lambda x=x: plot_correlation(analysis, x, out)) for x in analysis.points),
        ("top-advisories", lambda: plot_top_advisories(analysis, out)),
        ("depths", lambda: plot_depths(analysis, out)),
        ("timing", lambda: plot_timing(analysis, out)),
    ]
    for key, job in jobs:
        stem = job()
        if stem is not None:
            drawn[key] = stem
    return drawn


def _save(fig: Figure, out: Path, stem: str) -> str:
    fig.tight_layout()
    fig.savefig(out / f"{stem}.png", dpi=_DPI)
    fig.savefig(out / f"{stem}.svg")
    plt.close(fig)
    return stem


def plot_downloads(analysis: Analysis, out: Path) -> str | None:
    """Histogram of log10(downloads + 1) with the low-download cut."""
    stats = analysis.downloads
    if stats is None:
        return None
    fig, ax = plt.subplots(figsize=(7, 3.8))
    edges = np.asarray(stats.log_edges)
    ax.bar(edges[:-1], stats.counts, width=np.diff(edges), align="edge", color=_COLOR)
    cut = math.log10(analysis.options.min_downloads + 1)
    ax.axvline(cut, color=_ACCENT, linestyle="--", label=f"cut: {analysis.options.min_downloads}")
    ax.set_xlabel(f"log10({stats.column} + 1)")
    ax.set_ylabel("rows")
    ax.set_title(f"Download distribution ({stats.below_cut:,} rows under the cut)")
    ax.legend()
    return _save(fig, out, "downloads")


def plot_views(analysis: Analysis, out: Path) -> str:
    """Failed share of every view, side by side."""
    fig, ax = plt.subplots(figsize=(7, 3.8))
    labels = [v.view.label for v in analysis.views]
    values = [0.0 if math.isnan(v.failed_pct) else v.failed_pct for v in analysis.views]
    bars = ax.barh(labels[::-1], values[::-1], color=_COLOR)
    ax.bar_label(bars, fmt="%.2f%%", padding=3)
    ax.set_xlabel("failed (%)")
    ax.set_xlim(0, max([*values, 1.0]) * 1.2)
    ax.set_title(f"Rows failing each view (n = {analysis.rows:,})")
    return _save(fig, out, "views")


def plot_groups(analysis: Analysis, out: Path) -> str:
    """Failure rate and mean number of failures per popularity group, one row per view."""
    views = analysis.views
    fig, axes = plt.subplots(len(views), 2, figsize=(10, 2.6 * len(views)), squeeze=False)
    labels = list(analysis.group_labels)
    for view, (left, right) in zip(views, axes, strict=True):
        rates = [0.0 if math.isnan(g.rate) else g.rate for g in view.groups]
        means = [0.0 if math.isnan(g.mean_failures) else g.mean_failures for g in view.groups]
        bars = left.bar(labels, rates, color=_COLOR)
        left.bar_label(bars, fmt="%.1f", padding=2, fontsize=8)
        left.set_ylabel("failure rate (%)")
        left.set_ylim(0, max([*rates, 1.0]) * 1.2)
        left.set_title(view.view.label, fontsize=10, loc="left")
        bars = right.bar(labels, means, color=_ACCENT)
        right.bar_label(bars, fmt="%.2f", padding=2, fontsize=8)
        right.set_ylabel("mean failures per row")
        right.set_ylim(0, max([*means, 0.1]) * 1.2)
    for ax in axes[-1]:
        ax.set_xlabel("downloads" if len(labels) > 1 else "all rows (no download counts)")
    for ax in axes.flat:
        ax.tick_params(axis="x", labelrotation=30, labelsize=8)
    return _save(fig, out, "groups")


def plot_correlation(analysis: Analysis, x_name: str, out: Path) -> str | None:
    """Hexbin of the first view's failure count against *x_name*."""
    found = analysis.points.get(x_name)
    if found is None or len(found[0]) < 2:
        return None
    x, y = found
    fig, ax = plt.subplots(figsize=(7, 4.2))
    if x_name == "created_at":
        # x is in days since 1970; matplotlib dates count days since its epoch
        shift = (
            np.datetime64("1970-01-01") - np.datetime64(str(mpl.rcParams["date.epoch"]))
        ) / np.timedelta64(1, "D")
        xs: Any = x + float(shift)
        ax.xaxis_date()
        ax.set_xlabel("release date")
    else:
        xs = np.log10(x + 1)
        ax.set_xlabel(f"log10({x_name} + 1)")
    grid = ax.hexbin(xs, y, gridsize=40, bins="log", mincnt=1, cmap="viridis")
    fig.colorbar(grid, ax=ax, label="rows")
    ax.set_ylabel(f"findings ({analysis.views[0].view.label})")
    corr = next(
        c for c in analysis.correlations if c.x == x_name and c.view is analysis.views[0].view
    )
    ax.set_title(
        f"r={corr.pearson[0]:.3f}  rho={corr.spearman[0]:.3f}  tau={corr.kendall[0]:.3f}  "
        f"(n={corr.n:,})",
        fontsize=10,
    )
    return _save(fig, out, f"corr-{x_name}")


def plot_top_advisories(analysis: Analysis, out: Path) -> str | None:
    """The advisories reaching the most crates."""
    top = analysis.top_advisories
    if not top:
        return None
    fig, ax = plt.subplots(figsize=(8, 0.35 * len(top) + 1.2))
    labels = [f"{a.id} ({a.package}, {a.kind})" for a in top][::-1]
    bars = ax.barh(labels, [a.crates for a in top][::-1], color=_COLOR)
    ax.bar_label(bars, padding=3, fontsize=8)
    ax.set_xlabel("crates reached")
    ax.set_title("Advisories reaching the most crates")
    return _save(fig, out, "top-advisories")


def plot_depths(analysis: Analysis, out: Path) -> str | None:
    """At which depth vulnerability and unsound findings enter the tree."""
    if not analysis.depths:
        return None
    fig, ax = plt.subplots(figsize=(7, 3.8))
    depth = np.asarray([d[0] for d in analysis.depths])
    ax.bar(
        depth - 0.2, [d[1] for d in analysis.depths], width=0.4, label="vulnerability", color=_COLOR
    )
    ax.bar(depth + 0.2, [d[2] for d in analysis.depths], width=0.4, label="unsound", color=_ACCENT)
    ax.set_xlabel("depth (1 = direct dependency)")
    ax.set_ylabel("findings")
    ax.set_xticks(depth)
    ax.legend()
    ax.set_title("Depth at which findings enter")
    return _save(fig, out, "depths")


def plot_timing(analysis: Analysis, out: Path) -> str | None:
    """Vulnerability findings whose advisory was public at release, or came later."""
    timing = analysis.timing
    if timing is None or not (timing.known or timing.later):
        return None
    fig, ax = plt.subplots(figsize=(6, 2.6))
    labels = ["already published at release", "published after the release"]
    bars = ax.barh(labels, [timing.known, timing.later], color=[_ACCENT, _COLOR])
    ax.bar_label(bars, padding=3)
    ax.set_xlabel("vulnerability findings")
    ax.set_title("Was the advisory known when the version was released?")
    return _save(fig, out, "timing")
