"""``cratewatch inspect``: what build scripts and proc-macros would do, without running them."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import assert_never

import click

from cratewatch.cli.dbopts import default_cache_dir, output_console, write_report
from cratewatch.cli.errors import EXIT_FINDINGS, EXIT_OK
from cratewatch.inspect.model import Inspected, Outcome, Severity
from cratewatch.inspect.targets import inspect_lockfile, inspect_spec
from cratewatch.lockfile import load_lockfile
from cratewatch.registry.crates import STATIC_CRATES_IO, CrateFetcher
from cratewatch.registry.index import CRATES_IO_SPARSE, Index, open_index
from cratewatch.report.inspect_human import print_inspect_human
from cratewatch.report.inspect_json import render_inspect_json
from cratewatch.report.inspect_sarif import render_inspect_sarif

__all__ = ["inspect"]

_SEVERITIES = [s.value for s in Severity]


class OutputFormat(StrEnum):
    """Report formats."""

    HUMAN = "human"
    JSON = "json"
    SARIF = "sarif"


_EPILOG = """\b
CRATE is one of:
  path/to/name-1.2.3.crate   a .crate archive (read in memory, never unpacked)
  path/to/dir                an unpacked crate (symbolic links are never followed)
  name@1.2.3                 downloaded from the registry of --index, checked against
                             the index checksum and cached under --cache-dir

\b
Nothing is ever compiled or executed: Rust files are parsed with tree-sitter.

\b
Severities: info < low < medium < high < critical. Probing rustc, compiling C with
cc, pkg-config, git rev-parse and reading TARGET/OUT_DIR/CARGO_* stay at info/low;
network access from a build script is high; secrets plus network is critical.

\b
Exit status:
  0  no signal reaches --fail-on
  1  a signal reaches --fail-on
  2  bad input (no such crate, unreadable lockfile, registry unreachable, ...)

\b
Examples:
  cratewatch inspect suspicious-0.1.0.crate
  cratewatch inspect serde_derive@1.0.200 --format json
  cratewatch inspect --lockfile Cargo.lock --fail-on critical --format sarif -o inspect.sarif
"""


@click.command(epilog=_EPILOG)
@click.argument("crates", nargs=-1, metavar="[CRATE]...")
@click.option(
    "--lockfile",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    metavar="PATH",
    help="Inspect every registry dependency of this Cargo.lock: from $CARGO_HOME's cache when "
    "present (checked against the lockfile checksum), else downloaded from crates.io.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice([f.value for f in OutputFormat]),
    default=OutputFormat.HUMAN.value,
    show_default=True,
    help="human (coloured text), json (machine-readable) or sarif (code scanning).",
)
@click.option(
    "--fail-on",
    type=click.Choice([*_SEVERITIES, "never"]),
    default=Severity.HIGH.value,
    show_default=True,
    help="Exit 1 when any signal has this severity or a higher one; `never` always exits 0.",
)
@click.option(
    "--show",
    type=click.Choice(_SEVERITIES),
    default=Severity.LOW.value,
    show_default=True,
    help="Lowest severity printed by the human format (json and sarif include every signal).",
)
@click.option(
    "--index",
    metavar="SRC",
    default=CRATES_IO_SPARSE,
    show_default=True,
    help="Index giving checksums and the download URL for NAME@VERSION: sparse URL, git "
    "index clone, .bundle or directory.",
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where downloaded .crate files (and index data) are cached. "
    "Default: $CRATEWATCH_CACHE_DIR, else ~/.cache/cratewatch.",
)
@click.option(
    "--offline",
    is_flag=True,
    help="Never use the network: .crate files and index data must already be cached.",
)
@click.option(
    "--cargo-home",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Cargo home whose registry cache --lockfile reads first. Default: $CARGO_HOME, "
    "else ~/.cargo.",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Write the report to this file instead of stdout.",
)
@click.pass_context
def inspect(
    ctx: click.Context,
    *,
    crates: tuple[str, ...],
    lockfile: Path | None,
    output_format: str,
    fail_on: str,
    show: str,
    index: str,
    cache_dir: Path | None,
    offline: bool,
    cargo_home: Path | None,
    output: Path | None,
) -> None:
    """Find risky or malicious behaviour in crates before they are built.

    Looks at build scripts and procedural macros (which run on your machine at build time)
    for network access, process spawning, secret-looking environment variables, access to
    credentials, obfuscated payloads and shipped binaries, and reports each signal with its
    severity, file and lines, the code and why it matters.
    """
    if not crates and lockfile is None:
        raise click.UsageError("name at least one CRATE or give --lockfile")
    cache = cache_dir if cache_dir is not None else default_cache_dir()
    home = cargo_home if cargo_home is not None else _cargo_home()
    threshold = None if fail_on == "never" else Severity(fail_on)
    opened: list[Index] = []
    fetchers: list[CrateFetcher] = []

    def open_registry() -> Index:
        if not opened:
            opened.append(open_index(index, cache_dir=cache / "index", offline=offline))
        return opened[0]

    def fetcher_for(dl: Callable[[], str]) -> Callable[[], CrateFetcher]:
        @functools.cache
        def make() -> CrateFetcher:
            made = CrateFetcher(cache, dl=dl(), offline=offline)
            fetchers.append(made)
            return made

        return make

    outcomes: list[Outcome] = []
    try:
        registry_fetcher = fetcher_for(lambda: open_registry().config().dl)
        for spec in crates:
            outcomes.append(inspect_spec(spec, fetcher=registry_fetcher, index=open_registry))
        if lockfile is not None:
            lock = load_lockfile(lockfile)
            crates_io = fetcher_for(lambda: STATIC_CRATES_IO)
            outcomes.extend(inspect_lockfile(lock, cargo_home=home, fetcher=crates_io))
    finally:
        for made in fetchers:
            made.close()
        for index_handle in opened:
            index_handle.close()
    _emit(outcomes, OutputFormat(output_format), output, show=Severity(show), fail_on=threshold)
    failing = threshold is not None and any(
        isinstance(o, Inspected) and o.report.reaches(threshold) for o in outcomes
    )
    ctx.exit(EXIT_FINDINGS if failing else EXIT_OK)


def _cargo_home() -> Path:
    configured = os.environ.get("CARGO_HOME")
    return Path(configured).expanduser() if configured else Path.home() / ".cargo"


def _emit(
    outcomes: list[Outcome],
    output_format: OutputFormat,
    output: Path | None,
    *,
    show: Severity,
    fail_on: Severity | None,
) -> None:
    match output_format:
        case OutputFormat.HUMAN:
            if output is None:
                print_inspect_human(output_console(), outcomes, show=show, fail_on=fail_on)
                return
            from rich.console import Console  # noqa: PLC0415

            with output.open("w", encoding="utf-8") as handle:
                console = Console(file=handle, no_color=True, width=120, soft_wrap=True)
                print_inspect_human(console, outcomes, show=show, fail_on=fail_on)
            return
        case OutputFormat.JSON:
            text = render_inspect_json(outcomes, fail_on=fail_on)
        case OutputFormat.SARIF:
            text = render_inspect_sarif(outcomes)
        case _:
            assert_never(output_format)
    write_report(text, output)
