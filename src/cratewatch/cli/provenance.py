"""``cratewatch provenance``: does a published crate match its repository?

``cratewatch provenance CRATE`` checks one crate (``check`` is the default subcommand);
``provenance batch`` checks many into a Parquet file and ``provenance site`` turns that file
into a static report site.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import assert_never

import click

from cratewatch.cli.dbopts import default_cache_dir, output_console, write_report
from cratewatch.cli.errors import EXIT_FINDINGS, EXIT_OK
from cratewatch.errors import CratewatchError, RegistryError
from cratewatch.inspect.source import (
    CrateSource,
    InvalidCrateInput,
    from_crate_file,
    from_directory,
    from_registry,
)
from cratewatch.inspect.targets import parse_spec
from cratewatch.provenance.check import check_provenance
from cratewatch.provenance.model import ProvenanceResult, Status
from cratewatch.provenance.repo import CLONE_TIMEOUT, RepoCache, location_from_user
from cratewatch.registry.crates import CrateFetcher
from cratewatch.registry.index import CRATES_IO_SPARSE, open_index
from cratewatch.registry.paths import validate_crate_name

__all__ = ["EXIT_UNVERIFIED", "exit_code", "parse_rewrites", "provenance"]

EXIT_UNVERIFIED = 4
"""Exit status when the crate could not be verified (no VCS info, repository unreachable...)."""


class OutputFormat(StrEnum):
    """Report formats."""

    HUMAN = "human"
    JSON = "json"


class _DefaultToCheck(click.Group):
    """A group whose first argument, when it is not a subcommand, is a CRATE for ``check``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["check", *args]
        return super().parse_args(ctx, args)


_GROUP_EPILOG = """\b
Examples:
  cratewatch provenance serde@1.0.200
  cratewatch provenance target/package/foo-0.1.0.crate --repo . --format json
  cratewatch provenance batch --top 100 --out results.parquet
  cratewatch provenance site results.parquet --out site/
"""


@click.group(cls=_DefaultToCheck, epilog=_GROUP_EPILOG)
def provenance() -> None:
    """Does a published crate match its repository?

    Compares every file of a .crate with the repository at the commit cargo recorded in
    .cargo_vcs_info.json, reading git objects directly (no checkout, no rebuild). A crate
    that ships code which is not in its repository shows up as a mismatch with diffs.
    `cratewatch provenance CRATE` is short for `cratewatch provenance check CRATE`.
    """


_CHECK_EPILOG = """\b
CRATE is one of:
  path/to/name-1.2.3.crate   a .crate archive (read in memory, never unpacked)
  path/to/dir                an unpacked crate (symbolic links are never followed)
  name@1.2.3                 downloaded from the registry of --index, checked against
                             the index checksum and cached under --cache-dir

\b
Statuses: match, symlink-caveat (a match, but a file holds a link's target path),
mismatch, dirty, revision-not-found, no-vcs-info, no-repository,
repository-unreachable, submodule-missing, not-found-in-repository, error.

\b
Exit status:
  0  match or symlink-caveat
  1  mismatch or dirty: the crate holds content that is not in the repository
  2  bad input (no such crate, hostile archive, registry unreachable, ...)
  4  the crate could not be verified (any other status)
"""


@provenance.command(epilog=_CHECK_EPILOG)
@click.argument("crate", metavar="CRATE")
@click.option(
    "--repo",
    metavar="PATH|URL",
    default=None,
    help="Compare with this repository instead of the manifest's package.repository: a "
    "local repository (read in place) or a git URL (cloned into the cache).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice([f.value for f in OutputFormat]),
    default=OutputFormat.HUMAN.value,
    show_default=True,
    help="human (text with diffs) or json (versioned, see provenance-result.schema.json).",
)
@click.option(
    "--diff/--no-diff",
    default=True,
    show_default=True,
    help="Show unified diffs of differing files in the human format.",
)
@click.option(
    "--index",
    metavar="SRC",
    default=CRATES_IO_SPARSE,
    show_default=True,
    help="Index giving the checksum and download URL for NAME@VERSION: sparse URL, git "
    "index clone, .bundle or directory.",
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where downloaded .crate files, index data and repository clones are cached. "
    "Default: $CRATEWATCH_CACHE_DIR, else ~/.cache/cratewatch.",
)
@click.option(
    "--offline",
    is_flag=True,
    help="Never use the network: crates, index data and repositories must be cached.",
)
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
    help="Rewrite repository URLs starting with FROM to start with TO (like git's "
    "insteadOf), e.g. to use a mirror. Repeatable.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the report to this file instead of stdout.",
)
@click.pass_context
def check(
    ctx: click.Context,
    *,
    crate: str,
    repo: str | None,
    output_format: str,
    diff: bool,
    index: str,
    cache_dir: Path | None,
    offline: bool,
    timeout: float,
    url_rewrites: tuple[str, ...],
    output: Path | None,
) -> None:
    """Check that one crate's files are in its repository at the recorded commit."""
    cache = cache_dir if cache_dir is not None else default_cache_dir()
    rewrites = parse_rewrites(url_rewrites)
    location = location_from_user(repo) if repo is not None else None
    source = _load(crate, index=index, cache=cache, offline=offline)
    repos = RepoCache(cache, offline=offline, clone_timeout=timeout, fetch_timeout=timeout)
    result = check_provenance(source, cache=repos, repository=location, url_rewrites=rewrites)
    _emit(result, OutputFormat(output_format), output, diff=diff)
    ctx.exit(exit_code(result.status))


def exit_code(status: Status) -> int:
    """The exit status for a verdict (see the ``check`` epilog)."""
    if status.verified:
        return EXIT_OK
    if status in (Status.MISMATCH, Status.DIRTY):
        return EXIT_FINDINGS
    return EXIT_UNVERIFIED


def parse_rewrites(values: tuple[str, ...]) -> tuple[tuple[str, str], ...]:
    """``FROM=TO`` options as pairs; raises :class:`click.BadParameter` on a bad one."""
    pairs: list[tuple[str, str]] = []
    for value in values:
        prefix, sep, replacement = value.partition("=")
        if not sep or not prefix or not replacement:
            raise click.BadParameter(f"{value!r}: expected FROM=TO", param_hint="--url-rewrite")
        pairs.append((prefix, replacement))
    return tuple(pairs)


def _load(spec: str, *, index: str, cache: Path, offline: bool) -> CrateSource:
    path = Path(spec)
    if path.is_dir():
        return from_directory(path)
    if path.is_file():
        return from_crate_file(path)
    parsed = parse_spec(spec)
    if parsed is None:
        raise InvalidCrateInput(
            f"{spec}: no such file or directory, and not NAME@VERSION (e.g. serde@1.0.200)"
        )
    name, version = parsed
    validate_crate_name(name)
    with open_index(index, cache_dir=cache / "index", offline=offline) as opened:
        entry = next((e for e in opened.versions(name) if e.vers == version), None)
        if entry is None:
            raise RegistryError(f"{name}@{version}: no such version in {opened.source}")
        dl = opened.config().dl
    with CrateFetcher(cache, dl=dl, offline=offline) as fetcher:
        return from_registry(fetcher, entry.name, entry.vers, checksum=entry.cksum)


def _emit(
    result: ProvenanceResult, output_format: OutputFormat, output: Path | None, *, diff: bool
) -> None:
    from cratewatch.provenance.report import print_human, render_json  # noqa: PLC0415

    match output_format:
        case OutputFormat.HUMAN:
            if output is None:
                print_human(output_console(), result, diffs=diff)
                return
            from rich.console import Console  # noqa: PLC0415

            try:
                with output.open("w", encoding="utf-8") as handle:
                    console = Console(file=handle, no_color=True, width=120, soft_wrap=True)
                    print_human(console, result, diffs=diff)
            except OSError as e:
                raise CratewatchError(f"{output}: cannot write the report: {e.strerror}") from e
            return
        case OutputFormat.JSON:
            text = render_json(result)
        case _:
            assert_never(output_format)
    write_report(text, output)


def _register() -> None:
    from cratewatch.cli.provenance_batch import batch, site  # noqa: PLC0415

    provenance.add_command(batch)
    provenance.add_command(site)


_register()
