"""The study's analysis of an ecosystem dataset, and the questions it left open.

:func:`analyse` reads a dataset file (see :mod:`cratewatch.ecosystem.dataset`) and returns an
:class:`Analysis`: the filters applied (unresolvable rows, the low-download cut), the
log-download distribution, popularity groups, for each advisory *view* a Total / Passed /
Failed table with the failure rate and mean failures per group, rank correlations (Pearson,
Spearman, Kendall with p-values, :mod:`scipy.stats`) of the failure count with release date
and dependency-tree size, and beyond the study: which advisories reach the most crates and
through which intermediate crates, the depth at which findings enter, whether advisories
were already public when each version was released, and (every-version datasets) how many
versions are affected only through propagation.

Aggregations over findings run in DuckDB on the Parquet file; correlations on NumPy arrays.

>>> analysis = analyse(Path("crates.parquet"))  # doctest: +SKIP
>>> analysis.views[0].failed_pct  # doctest: +SKIP
29.459
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from cratewatch.ecosystem.job import DatasetError, read_metadata

__all__ = [
    "DEFAULT_BINS",
    "DEFAULT_MIN_DOWNLOADS",
    "VIEWS",
    "AdvisoryReach",
    "Analysis",
    "Correlation",
    "DownloadStats",
    "Filter",
    "GroupResult",
    "Options",
    "ParentReach",
    "Propagation",
    "Timing",
    "View",
    "ViewResult",
    "analyse",
    "bin_labels",
]

DEFAULT_MIN_DOWNLOADS = 50
"""The study's cut: crates with fewer downloads are left out."""
DEFAULT_BINS = (0, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000)
"""Lower bounds of the popularity groups (the last group is open-ended)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class View:
    """One way of failing: the sum of some finding-count columns is positive."""

    key: str
    """Short identifier (file names, anchors)."""
    label: str
    """Human label."""
    columns: tuple[str, ...]
    """Count columns summed."""


VIEWS = (
    View(key="vuln_unsound", label="vulnerability OR unsound",
         columns=("a_vulnerability", "a_unsound")),
    View(key="vulnerability", label="vulnerability", columns=("a_vulnerability",)),
    View(key="unsound", label="unsound", columns=("a_unsound",)),
    View(key="notice", label="notice", columns=("a_notice",)),
    View(key="unmaintained_yanked", label="unmaintained OR yanked",
         columns=("a_unmaintained", "a_yanked")),
)  # fmt: skip
"""The study's five views, in its order."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Options:
    """Analysis settings."""

    min_downloads: int = DEFAULT_MIN_DOWNLOADS
    """Rows with fewer downloads are left out (when downloads are known)."""
    bins: tuple[int, ...] = DEFAULT_BINS
    """Lower bounds of the popularity groups, increasing, starting at 0."""
    downloads_column: str | None = None
    """``crate_downloads`` or ``downloads``; default: crate totals for a latest-version
    dataset, per-version downloads for an every-version dataset."""
    top: int = 15
    """Rows in the "most reaching" tables."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Filter:
    """One filter applied, with the rows before and after."""

    description: str
    """What was removed and why."""
    before: int
    """Rows before."""
    after: int
    """Rows after."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DownloadStats:
    """The download distribution (only when downloads are known)."""

    column: str
    """The column used."""
    log_edges: tuple[float, ...]
    """Histogram bin edges of log10(downloads + 1)."""
    counts: tuple[int, ...]
    """Rows per histogram bin (before the cut)."""
    below_cut: int
    """Rows under the minimum (removed)."""
    median: float
    """Median downloads before the cut."""


@dataclass(frozen=True, slots=True, kw_only=True)
class GroupResult:
    """One popularity group under one view."""

    label: str
    """E.g. ``1k-10k``."""
    total: int
    """Rows in the group."""
    failed: int
    """Rows with at least one finding of the view."""
    rate: float
    """failed / total, in percent (nan for an empty group)."""
    mean_failures: float
    """Mean number of findings per row of the group."""
    mean_failures_failing: float
    """Mean number of findings per failing row."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ViewResult:
    """Total / Passed / Failed for one view, overall and per group."""

    view: View
    """The view."""
    total: int
    """Rows analysed."""
    failed: int
    """Rows with at least one finding."""
    groups: tuple[GroupResult, ...]
    """Per popularity group (one group "all" without downloads)."""

    @property
    def passed(self) -> int:
        """Rows without findings."""
        return self.total - self.failed

    @property
    def failed_pct(self) -> float:
        """Failed rows in percent of all (3 decimals, nan when empty)."""
        return round(100 * self.failed / self.total, 3) if self.total else math.nan

    @property
    def passed_pct(self) -> float:
        """Passed rows in percent of all (3 decimals, nan when empty)."""
        return round(100 * self.passed / self.total, 3) if self.total else math.nan


@dataclass(frozen=True, slots=True, kw_only=True)
class Correlation:
    """Correlation of a view's failure count with one variable."""

    x: str
    """The variable (``created_at`` in days since 1970, or ``all_deps``)."""
    view: View
    """The failure count correlated."""
    n: int
    """Rows with both values."""
    pearson: tuple[float, float]
    """(r, p-value)."""
    spearman: tuple[float, float]
    """(rho, p-value)."""
    kendall: tuple[float, float]
    """(tau-b, p-value)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AdvisoryReach:
    """How far one advisory reaches."""

    id: str
    """Advisory id."""
    kind: str
    """Its kind."""
    package: str
    """The affected crate."""
    crates: int
    """Distinct root crates with a finding of it."""
    rows: int
    """Rows (versions) with a finding of it."""
    direct: int
    """Rows where it enters as a direct dependency."""
    dev_only: int
    """Rows where only dev-dependencies lead to it."""
    top_parents: tuple[tuple[str, int], ...]
    """Intermediate crates (name@version, not the root) pulling it in, by rows."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ParentReach:
    """An intermediate crate whose upgrade would remove findings from many rows."""

    parent: str
    """name@version of the crate depending on the affected package."""
    rows: int
    """Rows where it pulls in a vulnerability or unsound package."""
    crates: int
    """Distinct root crates among them."""
    advisories: tuple[str, ...]
    """The advisories it pulls in."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Timing:
    """Was the advisory already public when the version was released?"""

    known: int
    """Vulnerability findings in versions released on or after the advisory's date."""
    later: int
    """Findings whose advisory came after the release."""
    unknown: int
    """Findings in rows without a release date."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Propagation:
    """Every-version datasets: how versions come to be affected (vulnerability OR unsound)."""

    versions: int
    """Versions analysed."""
    affected: int
    """Versions with a finding in their tree."""
    transitive_only: int
    """Of those, versions where every finding is deeper than a direct dependency."""
    dev_only: int
    """Of those, versions where only dev-dependencies lead to findings."""
    self_affected: int
    """Versions whose own crate version has an advisory (not counted as a finding)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Analysis:
    """Everything the report shows."""

    dataset: Path
    """The file analysed."""
    metadata: dict[str, Any]
    """The run description stored in the dataset."""
    options: Options
    """The settings used."""
    all_versions: bool
    """Every-version dataset."""
    filters: tuple[Filter, ...]
    """Filters applied, in order."""
    rows: int
    """Rows analysed after the filters."""
    downloads: DownloadStats | None
    """None when the dataset has no downloads."""
    has_dates: bool
    """Whether release dates are known."""
    group_labels: tuple[str, ...]
    """Popularity groups (``("all",)`` without downloads)."""
    views: tuple[ViewResult, ...]
    """One per :data:`VIEWS` entry."""
    correlations: tuple[Correlation, ...]
    """Failure counts against release date (if known) and tree size."""
    top_advisories: tuple[AdvisoryReach, ...]
    """Advisories reaching the most root crates."""
    top_parents: tuple[ParentReach, ...]
    """Intermediate crates pulling vulnerability/unsound findings into the most rows."""
    depths: tuple[tuple[int, int, int], ...]
    """(depth, vulnerability findings, unsound findings)."""
    timing: Timing | None
    """None without release dates."""
    propagation: Propagation | None
    """Every-version datasets only."""
    notes: tuple[str, ...] = field(default=())
    """Plain sentences about missing data."""
    points: dict[str, tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]] = field(
        default_factory=dict, repr=False, compare=False
    )
    """x name -> (x values, failure counts of the first view), for scatter plots."""


def bin_labels(bins: Sequence[int]) -> tuple[str, ...]:
    """Labels of popularity groups.

    >>> bin_labels((0, 100, 1_000, 1_000_000))
    ('0-100', '100-1k', '1k-1M', '1M+')
    """
    labels = []
    for i, low in enumerate(bins):
        if i + 1 < len(bins):
            labels.append(f"{_short(low)}-{_short(bins[i + 1])}")
        else:
            labels.append(f"{_short(low)}+")
    return tuple(labels)


def _short(value: int) -> str:
    for size, suffix in ((1_000_000_000, "G"), (1_000_000, "M"), (1_000, "k")):
        if value >= size and value % size == 0:
            return f"{value // size}{suffix}"
    return str(value)


def analyse(path: Path, options: Options | None = None) -> Analysis:
    """Analyse the dataset at *path*. Raises :class:`~cratewatch.ecosystem.job.DatasetError`."""
    opts = options or Options()
    if list(opts.bins) != sorted(set(opts.bins)) or not opts.bins or opts.bins[0] != 0:
        raise DatasetError(f"bins {opts.bins}: expected increasing lower bounds starting at 0")
    meta = read_metadata(path)
    con = duckdb.connect()
    try:
        return _Analyser(con, path, meta, opts).run()
    except duckdb.Error as e:
        raise DatasetError(f"{path}: cannot analyse: {e}") from e
    finally:
        con.close()


class _Analyser:
    def __init__(
        self, con: duckdb.DuckDBPyConnection, path: Path, meta: dict[str, Any], opts: Options
    ) -> None:
        self.con = con
        self.path = path
        self.meta = meta
        self.opts = opts
        self.notes: list[str] = []

    def scalar(self, sql: str, params: Sequence[object] = ()) -> Any:
        row = self.con.execute(sql, list(params)).fetchone()
        return None if row is None else row[0]

    def run(self) -> Analysis:
        con, opts = self.con, self.opts
        literal = "'" + str(self.path).replace("'", "''") + "'"
        con.execute(f"CREATE VIEW raw AS SELECT * FROM read_parquet({literal})")
        columns = {r[0] for r in con.execute("DESCRIBE raw").fetchall()}
        missing = {"name", "version", "resolve_error", "all_deps", "advisories", "created_at"}
        missing -= columns
        if missing:
            raise DatasetError(f"{self.path}: not an ecosystem dataset (no {sorted(missing)})")
        all_versions = bool(self.meta.get("all_versions"))
        filters: list[Filter] = []
        total = int(self.scalar("SELECT count(*) FROM raw"))
        yanked_roots = int(
            self.scalar("SELECT count(*) FROM raw WHERE resolve_error IS NOT NULL AND yanked")
        )
        if yanked_roots:
            filters.append(
                Filter(
                    description=(
                        "yanked versions are left out (every version of the crate is yanked)"
                        if not all_versions
                        else "yanked versions are left out"
                    )
                    + ": Cargo refuses to select them, so they have no tree as a dependency",
                    before=total,
                    after=total - yanked_roots,
                )
            )
        con.execute("CREATE TEMP TABLE d AS SELECT * FROM raw WHERE resolve_error IS NULL")
        resolved = int(self.scalar("SELECT count(*) FROM d"))
        filters.append(
            Filter(
                description="rows whose tree cannot be resolved (cargo would fail; see "
                "resolve_error) are left out",
                before=total - yanked_roots,
                after=resolved,
            )
        )
        column = opts.downloads_column or ("downloads" if all_versions else "crate_downloads")
        downloads = self._downloads(column, columns, filters)
        has_dates = bool(self.scalar("SELECT count(created_at) FROM d"))
        if not has_dates:
            self.notes.append(
                "The dataset has no release dates (created_at): the correlation with release "
                "recency and the advisory-timing analysis are left out."
            )
        labels = bin_labels(opts.bins) if downloads is not None else ("all",)
        group_expr = self._group_expr(column) if downloads is not None else "0"
        con.execute(f"CREATE VIEW g AS SELECT *, {group_expr} AS grp FROM d")
        rows = int(self.scalar("SELECT count(*) FROM g"))
        views = tuple(self._view(view, labels) for view in VIEWS)
        points: dict[str, tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]] = {}
        correlations = self._correlations(has_dates, points)
        return Analysis(
            dataset=self.path,
            metadata=self.meta,
            options=opts,
            all_versions=all_versions,
            filters=tuple(filters),
            rows=rows,
            downloads=downloads,
            has_dates=has_dates,
            group_labels=labels,
            views=views,
            correlations=correlations,
            top_advisories=self._top_advisories(),
            top_parents=self._top_parents(),
            depths=self._depths(),
            timing=self._timing() if has_dates else None,
            propagation=self._propagation() if all_versions else None,
            notes=tuple(self.notes),
            points=points,
        )

    # ------------------------------------------------------------ downloads and groups

    def _downloads(
        self, column: str, columns: set[str], filters: list[Filter]
    ) -> DownloadStats | None:
        if column not in ("downloads", "crate_downloads"):
            raise DatasetError(
                f"downloads column {column!r}: expected downloads or crate_downloads"
            )
        known = int(self.scalar(f"SELECT count({column}) FROM d")) if column in columns else 0
        if not known:
            self.notes.append(
                f"The dataset has no download counts ({column} is empty): the low-download cut "
                'is not applied and every crate forms one popularity group ("all").'
            )
            return None
        before = int(self.scalar("SELECT count(*) FROM d"))
        if known < before:
            self.con.execute(f"DELETE FROM d WHERE {column} IS NULL")
            filters.append(
                Filter(
                    description=f"rows without a download count ({column}) are left out",
                    before=before,
                    after=known,
                )
            )
        values = np.asarray(
            [r[0] for r in self.con.execute(f"SELECT {column} FROM d").fetchall()], dtype=float
        )
        logs = np.log10(values + 1)
        counts, edges = np.histogram(logs, bins=max(10, min(60, int(logs.max() * 6) + 1)))
        cut = self.opts.min_downloads
        below = int((values < cut).sum())
        self.con.execute(f"DELETE FROM d WHERE {column} < ?", [cut])
        filters.append(
            Filter(
                description=f"rows with fewer than {cut} downloads ({column}) are left out",
                before=known,
                after=known - below,
            )
        )
        return DownloadStats(
            column=column,
            log_edges=tuple(float(e) for e in edges),
            counts=tuple(int(c) for c in counts),
            below_cut=below,
            median=float(np.median(values)),
        )

    def _group_expr(self, column: str) -> str:
        bins = self.opts.bins
        cases = " ".join(
            f"WHEN {column} >= {low} THEN {i}" for i, low in reversed(list(enumerate(bins)))
        )
        return f"CASE {cases} ELSE 0 END"

    def _view(self, view: View, labels: tuple[str, ...]) -> ViewResult:
        count = " + ".join(f"coalesce({c}, 0)" for c in view.columns)
        rows = self.con.execute(
            f"SELECT grp, count(*), count_if(({count}) > 0), avg({count}), "
            f"avg(CASE WHEN ({count}) > 0 THEN {count} END) FROM g GROUP BY grp"
        ).fetchall()
        by_group = {int(r[0]): r for r in rows}
        groups = []
        for i, label in enumerate(labels):
            found = by_group.get(i)
            total = int(found[1]) if found else 0
            failed = int(found[2]) if found else 0
            groups.append(
                GroupResult(
                    label=label,
                    total=total,
                    failed=failed,
                    rate=100 * failed / total if total else math.nan,
                    mean_failures=float(found[3]) if found and found[3] is not None else math.nan,
                    mean_failures_failing=(
                        float(found[4]) if found and found[4] is not None else math.nan
                    ),
                )
            )
        return ViewResult(
            view=view,
            total=sum(g.total for g in groups),
            failed=sum(g.failed for g in groups),
            groups=tuple(groups),
        )

    # ------------------------------------------------------------ correlations

    def _correlations(
        self, has_dates: bool, points: dict[str, tuple[np.ndarray[Any, Any], np.ndarray[Any, Any]]]
    ) -> tuple[Correlation, ...]:
        from scipy import stats as sps  # noqa: PLC0415 (slow to import; the CLI loads this module)

        out = []
        xs = [("all_deps", "all_deps")]
        if has_dates:
            xs.insert(0, ("created_at", "epoch(created_at) / 86400.0"))
        for name, expr in xs:
            for view in VIEWS:
                count = " + ".join(f"coalesce({c}, 0)" for c in view.columns)
                data = self.con.execute(
                    f"SELECT {expr}, {count} FROM g WHERE {expr} IS NOT NULL"
                ).fetchnumpy()
                values = list(data.values())
                x = np.asarray(values[0], dtype=float)
                y = np.asarray(values[1], dtype=float)
                if view is VIEWS[0]:
                    points[name] = (x, y)
                out.append(
                    Correlation(
                        x=name,
                        view=view,
                        n=len(x),
                        pearson=_test(sps.pearsonr, x, y),
                        spearman=_test(sps.spearmanr, x, y),
                        kendall=_test(sps.kendalltau, x, y),
                    )
                )
        return tuple(out)

    # ------------------------------------------------------------ beyond the study

    def _findings(self, kinds: Sequence[str]) -> str:
        listed = ", ".join(f"'{k}'" for k in kinds)
        return (
            "(SELECT g.name AS root, g.version AS root_version, g.created_at AS created, f.* "
            f"FROM g, unnest(g.advisories) AS u(f) WHERE f.kind IN ({listed}))"
        )

    def _top_advisories(self) -> tuple[AdvisoryReach, ...]:
        found = self._findings(("vulnerability", "unsound", "notice", "unmaintained"))
        self.con.execute(f"CREATE TEMP TABLE f AS SELECT * FROM {found}")
        rows = self.con.execute(
            "SELECT id, any_value(kind), any_value(package), count(DISTINCT root), "
            "count(DISTINCT (root, root_version)), "
            "count(DISTINCT (root, root_version)) FILTER (WHERE depth = 1), "
            "count(DISTINCT (root, root_version)) FILTER (WHERE dev_only) "
            "FROM f GROUP BY id ORDER BY 4 DESC, 1 LIMIT ?",
            [self.opts.top],
        ).fetchall()
        out = []
        for r in rows:
            parents = self.con.execute(
                "SELECT p, count(DISTINCT (root, root_version)) AS n FROM "
                "(SELECT root, root_version, unnest(parents) AS p FROM f WHERE id = ?) "
                "WHERE p <> root || '@' || root_version GROUP BY p ORDER BY n DESC, p LIMIT 5",
                [r[0]],
            ).fetchall()
            out.append(
                AdvisoryReach(
                    id=r[0],
                    kind=r[1],
                    package=r[2],
                    crates=int(r[3]),
                    rows=int(r[4]),
                    direct=int(r[5]),
                    dev_only=int(r[6]),
                    top_parents=tuple((str(p), int(n)) for p, n in parents),
                )
            )
        return tuple(out)

    def _top_parents(self) -> tuple[ParentReach, ...]:
        rows = self.con.execute(
            "SELECT p, count(DISTINCT (root, root_version)) AS n, count(DISTINCT root), "
            "list(DISTINCT id ORDER BY id) FROM "
            "(SELECT root, root_version, id, unnest(parents) AS p FROM f "
            " WHERE kind IN ('vulnerability', 'unsound')) "
            "WHERE p <> root || '@' || root_version GROUP BY p ORDER BY n DESC, p LIMIT ?",
            [self.opts.top],
        ).fetchall()
        return tuple(
            ParentReach(parent=str(r[0]), rows=int(r[1]), crates=int(r[2]), advisories=tuple(r[3]))
            for r in rows
        )

    def _depths(self) -> tuple[tuple[int, int, int], ...]:
        rows = self.con.execute(
            "SELECT depth, count_if(kind = 'vulnerability'), count_if(kind = 'unsound') "
            "FROM f GROUP BY depth ORDER BY depth"
        ).fetchall()
        return tuple((int(r[0]), int(r[1]), int(r[2])) for r in rows if r[1] or r[2])

    def _timing(self) -> Timing:
        row = self.con.execute(
            "SELECT count_if(created IS NOT NULL AND date <= CAST(created AS DATE)), "
            "count_if(created IS NOT NULL AND date > CAST(created AS DATE)), "
            "count_if(created IS NULL) FROM f WHERE kind = 'vulnerability'"
        ).fetchone()
        assert row is not None
        return Timing(known=int(row[0]), later=int(row[1]), unknown=int(row[2]))

    def _propagation(self) -> Propagation:
        row = self.con.execute(
            "SELECT count(*), "
            "count_if(n > 0), "
            "count_if(n > 0 AND direct = 0), "
            "count_if(n > 0 AND n = devonly), "
            "count_if(len(self_advisories) > 0) FROM "
            "(SELECT self_advisories, "
            " len(list_filter(advisories, lambda x: x.kind IN ('vulnerability', 'unsound'))) AS n, "
            " len(list_filter(advisories, lambda x: x.kind IN ('vulnerability', 'unsound') "
            "     AND x.depth = 1)) AS direct, "
            " len(list_filter(advisories, lambda x: x.kind IN ('vulnerability', 'unsound') "
            "     AND x.dev_only)) AS devonly FROM g)"
        ).fetchone()
        assert row is not None
        return Propagation(
            versions=int(row[0]),
            affected=int(row[1]),
            transitive_only=int(row[2]),
            dev_only=int(row[3]),
            self_affected=int(row[4]),
        )


def _test(fn: Any, x: np.ndarray[Any, Any], y: np.ndarray[Any, Any]) -> tuple[float, float]:
    """(statistic, p-value), nan when undefined (fewer than 3 points or a constant column)."""
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return (math.nan, math.nan)
    result = fn(x, y)
    return (float(result[0]), float(result[1]))
