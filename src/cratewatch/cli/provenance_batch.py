"""``cratewatch provenance batch`` and ``cratewatch provenance site``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from cratewatch.cli.dbopts import default_cache_dir
from cratewatch.errors import RegistryError
from cratewatch.provenance.model import Status
from cratewatch.provenance.repo import CLONE_TIMEOUT
from cratewatch.registry.index import CRATES_IO_SPARSE, open_index

__all__ = ["batch", "site"]

_BATCH_EPILOG = """\b
--crates FILE lists one NAME (its latest version, or every version with --all-versions)
or NAME@VERSION per line; # starts a comment.

\b
--top N ranks crates by the downloads in --popularity (a name,downloads CSV or a
crates.io db-dump); without it, by how many crates of the index depend on each one.

\b
Results are stored as they finish in OUT.staging.sqlite and merged into OUT (Parquet,
one row per version, the full JSON result in result_json) at the end. Running the same
command again skips every version already stored, so an interrupted run resumes.

\b
Examples:
  cratewatch provenance batch --top 1000 --out top.parquet --popularity downloads.csv
  cratewatch provenance batch --crates list.txt --all-versions --out all.parquet
  cratewatch provenance batch --top 100 --out r.parquet --scheduler tcp://10.0.0.5:8786
"""


@click.command(epilog=_BATCH_EPILOG)
@click.option(
    "--crates",
    "crates_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="File of crates to check (see below).",
)
@click.option(
    "--top", type=click.IntRange(min=1), default=None, help="Check the N most popular crates."
)
@click.option(
    "--all-versions", is_flag=True, help="Check every published version, not just the latest."
)
@click.option(
    "--index",
    metavar="SRC",
    default=CRATES_IO_SPARSE,
    show_default=True,
    help="Index giving versions, checksums and the download URL: sparse URL, git index "
    "clone, .bundle or directory. --top without --popularity needs one that can list crates.",
)
@click.option(
    "--popularity",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    help="Downloads per crate for --top: a name,downloads CSV or a crates.io db-dump.",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The results file (Parquet). Existing results are kept and skipped.",
)
@click.option(
    "--threads",
    type=click.IntRange(min=1, max=256),
    default=4,
    show_default=True,
    help="Versions checked at once on this machine.",
)
@click.option(
    "--scheduler",
    metavar="tcp://HOST:PORT",
    default=None,
    help="Run the checks on this Dask cluster instead of local threads; its workers must "
    "share --cache-dir.",
)
@click.option(
    "--retry",
    "retry",
    type=click.Choice([s.value for s in Status]),
    multiple=True,
    help="Check again the versions stored with this status (e.g. repository-unreachable). "
    "Repeatable.",
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where .crate files, index data and repository clones are cached. "
    "Default: $CRATEWATCH_CACHE_DIR, else ~/.cache/cratewatch.",
)
@click.option("--offline", is_flag=True, help="Never use the network; use the caches only.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=CLONE_TIMEOUT,
    show_default=True,
    help="Seconds a clone or fetch may take before the repository counts as unreachable.",
)
@click.option(
    "--url-rewrite",
    "url_rewrites",
    metavar="FROM=TO",
    multiple=True,
    help="Rewrite repository URLs starting with FROM to start with TO. Repeatable.",
)
def batch(
    *,
    crates_file: Path | None,
    top: int | None,
    all_versions: bool,
    index: str,
    popularity: Path | None,
    out: Path,
    threads: int,
    scheduler: str | None,
    retry: tuple[str, ...],
    cache_dir: Path | None,
    offline: bool,
    timeout: float,
    url_rewrites: tuple[str, ...],
) -> None:
    """Check many crate versions into a Parquet file (resumable, threads or Dask)."""
    from cratewatch.cli.provenance import parse_rewrites  # noqa: PLC0415 (avoids a cycle)
    from cratewatch.provenance.batch import (  # noqa: PLC0415 (pyarrow is slow to import)
        BatchConfig,
        plan_from_file,
        plan_from_names,
        row_schema,
        run_batch,
    )
    from cratewatch.provenance.store import ResultStore  # noqa: PLC0415

    if (crates_file is None) == (top is None):
        raise click.UsageError("give exactly one of --crates FILE and --top N")
    err = Console(stderr=True, highlight=False, soft_wrap=True)
    cache = cache_dir if cache_dir is not None else default_cache_dir()
    rewrites = parse_rewrites(url_rewrites)
    with open_index(index, cache_dir=cache / "index", offline=offline) as opened:
        if crates_file is not None:
            plan = plan_from_file(crates_file, opened, all_versions=all_versions)
        else:
            assert top is not None
            names = _top_names(opened, top, popularity, cache, err)
            plan = plan_from_names(((n, None) for n in names), opened, all_versions=all_versions)
        dl = opened.config().dl
    for skipped in plan.skipped:
        err.print(f"[yellow]skipped[/] {skipped}")
    config = BatchConfig(
        cache_dir=cache, dl=dl, offline=offline, clone_timeout=timeout, url_rewrites=rewrites
    )
    store = ResultStore(out, row_schema())
    columns = (
        TextColumn("[bold]provenance"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[last]}"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=err, transient=False) as progress:
        task = progress.add_task("check", total=len(plan.items), last="")

        def started(todo: int, skipped: int) -> None:
            progress.update(task, total=todo)
            if skipped:
                progress.console.print(f"{skipped} version(s) already checked, skipped")

        def finished(row: dict[str, Any]) -> None:
            progress.update(
                task, advance=1, last=f"{row['name']} {row['version']}: {row['status']}"
            )

        try:
            summary = run_batch(
                plan.items,
                config=config,
                store=store,
                threads=threads,
                scheduler=scheduler,
                retry=frozenset(retry),
                on_start=started,
                on_result=finished,
            )
        except KeyboardInterrupt:
            kept = store.staged()
            store.close()
            err.print(f"interrupted: {kept} result(s) kept in {store.staging}; run again to resume")
            raise
    table = Table(title=f"{out}: {summary.total} versions", show_edge=False)
    table.add_column("status")
    table.add_column("versions", justify="right")
    for status in Status:
        if summary.counts.get(status.value):
            table.add_row(status.value, str(summary.counts[status.value]))
    Console(highlight=False).print(table)
    click.echo(f"checked {summary.checked}, skipped {summary.skipped} already in {out}")


def _top_names(
    index: Any, top: int, popularity: Path | None, cache: Path, err: Console
) -> list[str]:
    from cratewatch.inspect.typosquat.popularity import (  # noqa: PLC0415
        load_popularity,
        reverse_dependencies,
    )

    if popularity is not None:
        ranking = load_popularity(popularity)
    else:
        err.print(
            "no --popularity given: ranking crates by reverse-dependency counts from the "
            f"index {index.source} (how many crates depend on each one)"
        )
        try:
            ranking = reverse_dependencies(index, cache_dir=cache)
        except RegistryError as e:
            raise RegistryError(
                f"{e}; --top needs --popularity CSV (name,downloads) or an index that can "
                "list its crates (a git clone, .bundle or directory)"
            ) from e
    return ranking.ranked(top)


@click.command()
@click.argument(
    "results", type=click.Path(exists=True, dir_okay=False, path_type=Path), metavar="RESULTS"
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Directory to write the site into (created; files of earlier builds are replaced).",
)
@click.option(
    "--title",
    default="Crate provenance",
    show_default=True,
    help="Title shown on every page.",
)
def site(*, results: Path, out: Path, title: str) -> None:
    """Build a static report site from batch RESULTS (a Parquet file).

    An overview with counts per status and the trend over release history, a filterable
    table of crates, and a page per crate version whose file list and diffs are fetched
    from a per-crate JSON file when it opens. Serve the directory with any static file
    server (e.g. `python -m http.server -d DIR`); browsers do not let pages opened as
    file:// fetch the data files.
    """
    from cratewatch.provenance.site import build_site  # noqa: PLC0415

    summary = build_site(results, out, title=title)
    click.echo(
        f"wrote {out}: {summary.crates} crates, {summary.versions} versions"
        + (f", {summary.skipped_rows} unusable rows left out" if summary.skipped_rows else "")
    )
