"""``cratewatch typosquat``: names that imitate popular crates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from cratewatch.cli.dbopts import default_cache_dir, output_console
from cratewatch.cli.errors import EXIT_FINDINGS, EXIT_OK
from cratewatch.errors import CratewatchError
from cratewatch.inspect.typosquat.check import DEFAULT_MIN_SCORE, check_names, new_names
from cratewatch.inspect.typosquat.match import DEFAULT_TOP, Matcher
from cratewatch.inspect.typosquat.popularity import (
    Popularity,
    load_popularity,
    reverse_dependencies,
)
from cratewatch.registry.index import Index, open_index
from cratewatch.report.typosquat import print_typosquat_human, render_typosquat_json

__all__ = ["typosquat"]

_EPILOG = """\b
Popularity comes from --popularity: a CSV of `name,downloads` rows, or the crates.io
database dump (its crates.csv, or the dump directory; created_at also dates new crates).
Without it, popularity is the number of crates in --index that depend on each crate
(reverse dependencies), and the report says so.

\b
Evidence per candidate: the target crate, how the name differs (separator, dropped
separator, homoglyph, affix such as -rs/rust-/-sys/-cli, reordered words, edit distance),
both popularity counts and their gap, and first-publication dates where known.

\b
--scan --since DATE checks every crate first published since DATE. Dates come from the
db-dump's created_at or from the git history of --index (one commit per publish); an
index whose history is a squashed snapshot (like the 2020 bundle) cannot date anything,
and the command says so.

\b
Exit status: 0 no suspect, 1 at least one name scores --min-score or more, 2 bad input.

\b
Examples:
  cratewatch typosquat rustdecimal --index ~/crates.io-index
  cratewatch typosquat --scan --since 2024-05-01 --index ~/crates.io-index --popularity db-dump/
"""


@click.command(epilog=_EPILOG)
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option(
    "--index",
    metavar="SRC",
    default=None,
    help="Index to compute reverse dependencies from (without --popularity) and whose git "
    "history dates new crates: git clone, .bundle or directory.",
)
@click.option(
    "--popularity",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    metavar="CSV|DBDUMP",
    help="Download counts: a name,downloads CSV, or the crates.io db-dump (crates.csv or its "
    "directory).",
)
@click.option(
    "--scan",
    is_flag=True,
    help="Check every crate first published since --since instead of named crates.",
)
@click.option(
    "--since",
    type=click.DateTime(formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    default=None,
    help="With --scan: the date (UTC) from which new crates are checked.",
)
@click.option(
    "--top",
    type=click.IntRange(min=1),
    default=DEFAULT_TOP,
    show_default=True,
    help="How many of the most popular crates are compared with.",
)
@click.option(
    "--min-score",
    type=click.FloatRange(0.0, 1.0),
    default=DEFAULT_MIN_SCORE,
    show_default=True,
    help="Lowest suspicion score reported (scores fall when the name is itself popular or "
    "older than its target).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["human", "json"]),
    default="human",
    show_default=True,
    help="human (text) or json.",
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where .bundle clones and reverse-dependency counts are cached. "
    "Default: $CRATEWATCH_CACHE_DIR, else ~/.cache/cratewatch.",
)
@click.pass_context
def typosquat(
    ctx: click.Context,
    *,
    names: tuple[str, ...],
    index: str | None,
    popularity: Path | None,
    scan: bool,
    since: dt.datetime | None,
    top: int,
    min_score: float,
    output_format: str,
    cache_dir: Path | None,
) -> None:
    """Find crate names that imitate popular crates (typosquatting).

    Compares NAMEs (or, with --scan, every crate published since --since) with the most
    popular crates and ranks the look-alikes with their evidence.
    """
    if scan == bool(names):
        raise click.UsageError("give NAMEs to check, or --scan --since DATE (not both)")
    if scan and since is None:
        raise click.UsageError("--scan needs --since DATE")
    cache = cache_dir if cache_dir is not None else default_cache_dir()
    opened: Index | None = None
    notes: list[str] = []
    try:
        if index is not None:
            opened = open_index(index, cache_dir=cache / "index", offline=True)
        counts = _popularity(popularity, opened, cache, notes)
        repo = _git_repo(opened)
        matcher = Matcher(counts, top=top)
        seen: dict[str, dt.datetime] = {}
        if scan:
            assert since is not None
            found = new_names(since.replace(tzinfo=dt.UTC), popularity=counts, index_repo=repo)
            notes.append(f"{len(found.names)} crates first published since {since:%Y-%m-%d} "
                         f"(dates from {found.dates_from})")  # fmt: skip
            checked_names = [name for name, _ in found.names]
            seen = dict(found.names)
            repo = None  # new crates carry their dates; target dates would cost a git log each
        else:
            checked_names = list(names)
        suspects = check_names(
            checked_names, matcher, min_score=min_score, seen=seen, index_repo=repo
        )
    finally:
        if opened is not None:
            opened.close()
    if output_format == "json":
        click.echo(
            render_typosquat_json(
                suspects, popularity=counts, checked=len(checked_names), notes=notes
            ),
            nl=False,
        )
    else:
        print_typosquat_human(
            output_console(), suspects, popularity=counts, checked=len(checked_names), notes=notes
        )
    ctx.exit(EXIT_FINDINGS if suspects else EXIT_OK)


def _popularity(
    path: Path | None, index: Index | None, cache: Path, notes: list[str]
) -> Popularity:
    if path is not None:
        return load_popularity(path)
    if index is None:
        raise CratewatchError(
            "typosquat needs --popularity (download counts) or --index (to count reverse "
            "dependencies)"
        )
    notes.append(
        "no --popularity given: popularity is the number of crates depending on each crate "
        f"in {index.source} (reverse dependencies), not downloads"
    )
    return reverse_dependencies(index, cache_dir=cache)


def _git_repo(index: Index | None) -> Path | None:
    from cratewatch.registry.gitindex import GitIndex  # noqa: PLC0415 (pygit2 is slow to load)

    return Path(index.source) if isinstance(index, GitIndex) else None
