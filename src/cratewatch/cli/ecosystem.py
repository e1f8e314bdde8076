"""``cratewatch ecosystem``: audit every crate of an index, query the results, report on them."""

from __future__ import annotations

import csv
import datetime
import io
import json
import random
from collections.abc import Callable
from pathlib import Path

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from cratewatch.cli.dbopts import (
    DbOptions,
    database_options,
    echo_warnings,
    open_database,
    output_console,
)
from cratewatch.ecosystem.catalog import CATALOG_FILE, QueryResult, run_query, store_dataset
from cratewatch.ecosystem.executor import DaskExecutor, Executor, LocalExecutor
from cratewatch.ecosystem.job import DatasetSummary, build_dataset
from cratewatch.ecosystem.job import Progress as JobProgress
from cratewatch.ecosystem.popularity import Popularity, load_popularity
from cratewatch.ecosystem.stats import DEFAULT_BINS, DEFAULT_MIN_DOWNLOADS, Options
from cratewatch.errors import CratewatchError, RegistryError
from cratewatch.registry.index import open_index

__all__ = ["ecosystem"]

_DATASET_EPILOG = """\b
One row per crate (its latest non-yanked version), or per published version with
--all-versions: name, version, yanked, latest, downloads, crate_downloads, created_at,
direct_deps, all_deps (the resolved tree, the root's dev-dependencies included, as
cargo-deny sees it), all_deps_no_dev, a_vulnerability, a_unsound, a_notice,
a_unmaintained, a_yanked (findings per kind in the tree, the root itself excluded),
self_advisories, advisories (id, kind, package, version, depth, dev_only, parents,
date of each finding) and resolve_error (null, or why cargo would fail).

\b
Parts are written to OUT.parts/ as they finish; running the same command again after
an interruption skips finished parts. The result is also stored in the DuckDB catalog
(table crates, or versions with --all-versions) for `cratewatch ecosystem query`.

\b
Examples:
  cratewatch ecosystem dataset --index crates-io-index.bundle --out crates.parquet
  cratewatch ecosystem dataset --index ~/index.git --all-versions --workers 8 \\
      --popularity db-dump.tar.gz --out versions.parquet
  cratewatch ecosystem dataset --index /shared/index.git --scheduler tcp://10.0.0.5:8786 \\
      --out crates.parquet
"""


@click.group()
def ecosystem() -> None:
    """Audit the whole crates.io ecosystem: build the dataset, query it, report on it."""


@ecosystem.command(epilog=_DATASET_EPILOG)
@click.option(
    "--index",
    "index_spec",
    metavar="SRC",
    required=True,
    help=(
        "The index to audit: a git repository, a .bundle file (cloned into the cache) or a "
        "directory laid out like the index. It must be able to list its crates, and workers "
        "of a --scheduler cluster must see it at the same path."
    ),
)
@database_options()
@click.option(
    "--popularity",
    metavar="SRC",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=(
        "Downloads and release dates: crates.io's db-dump.tar.gz (read streaming, never "
        "extracted) or a CSV with columns name,downloads and optionally version,created_at. "
        "Without it those columns are empty."
    ),
)
@click.option(
    "--all-versions",
    is_flag=True,
    help="One row per published version (yanked ones included) instead of per crate.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Local worker processes (default: the CPUs available). Ignored with --scheduler.",
)
@click.option(
    "--scheduler",
    metavar="tcp://HOST:PORT",
    help=(
        "Run the partitions on this Dask cluster instead of local processes (start workers "
        "with one thread each: `dask worker ADDRESS --nthreads 1 --nworkers N`)."
    ),
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The dataset file to write (Parquet).",
)
@click.option(
    "--catalog",
    type=click.Path(dir_okay=False, path_type=Path),
    help="DuckDB catalog to store the dataset in. Default: CACHE_DIR/catalog.duckdb.",
)
@click.option("--no-catalog", is_flag=True, help="Do not store the dataset in the catalog.")
@click.option(
    "--table",
    metavar="NAME",
    help="Catalog table name. Default: crates, or versions with --all-versions.",
)
@click.option(
    "--sample",
    type=click.FloatRange(min=0.0, max=1.0, min_open=True),
    help="Audit only this fraction of the crates (a seeded random sample, see --seed).",
)
@click.option("--seed", type=int, default=2020, show_default=True, help="Seed for --sample.")
@click.option(
    "--partition-size",
    type=click.IntRange(min=1),
    help=(
        "Crates per partition (the unit of work and of resuming). Default: 1/240 of the "
        "crates (1/960 with --all-versions)."
    ),
)
@click.option(
    "--advisories-until",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="Count only advisories dated on or before this day (YYYY-MM-DD), e.g. the index's.",
)
@click.option(
    "--recycle-after",
    type=click.IntRange(min=1),
    metavar="N",
    help=(
        "Let each worker forget what it learnt from the index after N partitions: bounds "
        "memory on indexes too large for every worker to learn whole, at some CPU cost."
    ),
)
@click.option(
    "--index-date",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="The day the index snapshot was taken (YYYY-MM-DD), for the report's methods section.",
)
@click.option(
    "--fresh", is_flag=True, help="Discard finished parts of an earlier run and start over."
)
def dataset(
    *,
    index_spec: str,
    db_options: DbOptions,
    popularity: Path | None,
    all_versions: bool,
    workers: int | None,
    scheduler: str | None,
    out: Path,
    catalog: Path | None,
    no_catalog: bool,
    table: str | None,
    sample: float | None,
    seed: int,
    partition_size: int | None,
    advisories_until: datetime.datetime | None,
    recycle_after: int | None,
    index_date: datetime.datetime | None,
    fresh: bool,
) -> None:
    """Resolve and audit every crate of an index into a Parquet dataset."""
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    opened = open_database(db_options)
    echo_warnings(opened.warnings)
    with open_index(index_spec, cache_dir=db_options.cache_dir) as index:
        try:
            names = sorted(index.names())
        except RegistryError as e:
            raise CratewatchError(
                f"--index {index_spec}: the index cannot list its crates (use a git clone, a "
                "bundle or a directory, not the sparse index)"
            ) from e
        if sample is not None:
            names = sorted(random.Random(seed).sample(names, max(1, round(len(names) * sample))))
        pop = _popularity(popularity, set(names), err)
        executor: Executor = (
            DaskExecutor(scheduler) if scheduler else LocalExecutor(workers=workers)
        )
        with executor:
            err.print(
                f"auditing {len(names)} crates ({'every version' if all_versions else 'latest'})"
                f" of {index.source} on {executor.description}"
            )
            until = advisories_until.date() if advisories_until else None

            def run(on_progress: Callable[[JobProgress], None]) -> DatasetSummary:
                return build_dataset(
                    index=index,
                    database=opened.database,
                    executor=executor,
                    out=out,
                    all_versions=all_versions,
                    popularity=pop,
                    names=names,
                    partition_size=partition_size,
                    advisories_until=until,
                    index_date=index_date.date() if index_date else None,
                    recycle_after=recycle_after,
                    fresh=fresh,
                    on_progress=on_progress,
                )

            summary = _with_progress(err, run, out)
    err.print(
        f"{summary.path}: {summary.rows} rows for {summary.crates} crates in "
        f"{summary.seconds:.1f} s ({summary.reused} of {summary.partitions} partitions reused)"
    )
    if not no_catalog:
        path = catalog or db_options.cache_dir / CATALOG_FILE
        stored = store_dataset(path, out, table=table)
        err.print(f"{path}: stored as table {stored.table} (and view {stored.table}_findings)")


def _popularity(path: Path | None, names: set[str], err: Console) -> Popularity | None:
    if path is None:
        return None
    err.print(f"reading popularity from {path}")
    pop = load_popularity(path, names=names.__contains__)
    err.print(f"{path}: {len(pop.crates)} crates, {len(pop.versions)} versions")
    return pop


def _with_progress(
    err: Console, run: Callable[[Callable[[JobProgress], None]], DatasetSummary], out: Path
) -> DatasetSummary:
    columns = (
        TextColumn("[bold]ecosystem"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("crates"),
        TaskProgressColumn(),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    # no refresh thread: the local pool forks worker processes
    with Progress(*columns, console=err, auto_refresh=False, transient=False) as progress:
        task = progress.add_task("dataset", total=None, rate="")
        first: list[int] = []

        def update(state: JobProgress) -> None:
            if not first:
                first.append(state.crates_done)
                if state.reused:
                    progress.console.print(
                        f"{state.reused} partition(s) finished by an earlier run, reused"
                    )
            elapsed = progress.tasks[0].elapsed or 0.0
            done_now = state.crates_done - first[0]
            rate = f"{done_now / elapsed:,.0f} crates/s" if elapsed > 0 and done_now else ""
            progress.update(task, total=state.crates_total, completed=state.crates_done, rate=rate)
            progress.refresh()

        try:
            return run(update)
        except KeyboardInterrupt:
            progress.console.print(
                f"interrupted: finished partitions are kept in {out}.parts; run the same "
                "command again to resume"
            )
            raise


@ecosystem.command()
@click.argument("sql")
@click.option(
    "--catalog",
    type=click.Path(dir_okay=False, path_type=Path),
    help="DuckDB catalog to query. Default: $CRATEWATCH_CACHE_DIR or ~/.cache/cratewatch, "
    "then catalog.duckdb.",
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="cratewatch's cache directory (where the default catalog lives).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["table", "json", "csv"]),
    default="table",
    show_default=True,
    help="table: a rich table; json: a list of objects; csv: a header then rows.",
)
@click.option(
    "--max-rows",
    type=click.IntRange(min=1),
    default=100_000,
    show_default=True,
    help="Keep at most this many rows of the answer.",
)
def query(
    *,
    sql: str,
    catalog: Path | None,
    cache_dir: Path | None,
    output_format: str,
    max_rows: int,
) -> None:
    """Run SQL on the catalog (read-only): tables crates/versions, views *_findings, runs.

    \b
    Examples:
      cratewatch ecosystem query "SELECT count(*) FROM crates WHERE a_vulnerability > 0"
      cratewatch ecosystem query --format csv \\
        "SELECT id, count(DISTINCT root_name) AS crates FROM crates_findings GROUP BY id"
    """
    from cratewatch.cli.dbopts import default_cache_dir  # noqa: PLC0415

    path = catalog or (cache_dir or default_cache_dir()) / CATALOG_FILE
    result = run_query(path, sql, max_rows=max_rows)
    if output_format == "json":
        rows = [dict(zip(result.columns, row, strict=True)) for row in result.rows]
        click.echo(json.dumps(rows, indent=2, default=_json_default))
    elif output_format == "csv":
        click.echo(_csv(result), nl=False)
    else:
        _print_table(result)
    if result.truncated:
        click.echo(f"cratewatch: warning: only the first {max_rows} rows are shown", err=True)


def _json_default(value: object) -> object:
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value, default=_json_default)
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    return str(value)


def _csv(result: QueryResult) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(result.columns)
    for row in result.rows:
        writer.writerow([_cell(v) for v in row])
    return buffer.getvalue()


def _print_table(result: QueryResult) -> None:
    table = Table(show_edge=False)
    for column in result.columns:
        table.add_column(column, overflow="fold")
    for row in result.rows:
        table.add_row(*(_cell(v) for v in row))
    output_console().print(table)
    click.echo(f"{len(result.rows)} row(s)", err=True)


def _bins(_ctx: click.Context, _param: click.Parameter, text: str) -> tuple[int, ...]:
    try:
        bins = tuple(int(part.replace("_", "")) for part in text.split(",") if part.strip())
    except ValueError as e:
        raise click.BadParameter(f"{text!r}: expected integers separated by commas") from e
    if not bins or bins[0] != 0 or list(bins) != sorted(set(bins)):
        raise click.BadParameter(f"{text!r}: expected increasing lower bounds starting at 0")
    return bins


@ecosystem.command()
@click.argument("data", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Directory for report.md, report.html, summary.json and plots/ (PNG and SVG).",
)
@click.option(
    "--min-downloads",
    type=click.IntRange(min=0),
    default=DEFAULT_MIN_DOWNLOADS,
    show_default=True,
    help="Leave out rows with fewer downloads (the study's cut; only with download counts).",
)
@click.option(
    "--bins",
    default=",".join(str(b) for b in DEFAULT_BINS),
    show_default=True,
    callback=_bins,
    help="Lower bounds of the popularity groups (downloads), increasing, starting at 0.",
)
@click.option(
    "--downloads-column",
    type=click.Choice(["crate_downloads", "downloads"]),
    help=(
        "Downloads used for the cut and the groups: the crate's total or the version's. "
        "Default: crate totals for a latest-version dataset, else per version."
    ),
)
@click.option(
    "--top",
    type=click.IntRange(min=1, max=1000),
    default=15,
    show_default=True,
    help="Rows in the 'reaching the most crates' tables.",
)
def report(
    *,
    data: Path,
    out: Path,
    min_downloads: int,
    bins: tuple[int, ...],
    downloads_column: str | None,
    top: int,
) -> None:
    """Write the analysis of a dataset (DATA.parquet) as Markdown and HTML with plots."""
    from cratewatch.ecosystem.report import write_report  # noqa: PLC0415 (matplotlib)

    options = Options(
        min_downloads=min_downloads,
        bins=bins,
        downloads_column=downloads_column,
        top=top,
    )
    written = write_report(data, out, options)
    analysis = written.analysis
    table = Table(title=f"{data}: {analysis.rows:,} rows analysed", show_edge=False)
    for column in ("view", "total", "passed", "failed", "failed %"):
        table.add_column(column, justify="left" if column == "view" else "right")
    for view in analysis.views:
        table.add_row(
            view.view.label,
            f"{view.total:,}",
            f"{view.passed:,}",
            f"{view.failed:,}",
            f"{view.failed_pct:.3f}",
        )
    output_console().print(table)
    for note in analysis.notes:
        click.echo(f"note: {note}")
    click.echo(f"wrote {written.markdown}, {written.html} and {len(written.plots)} plot files")
