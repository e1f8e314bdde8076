"""``cratewatch check``: deny.toml policy enforcement, a drop-in for ``cargo deny check``.

::

    cratewatch check [OPTIONS] [advisories|bans|licenses|sources|all ...]
    cratewatch check init [DIR]
    cratewatch check list [--by license|crate]
    cratewatch check --list-codes

The exit status is the bitset of failed checks, as cargo-deny's: advisories 1, bans 2,
licenses 4, sources 8. Anything that keeps the checks from running (a bad option, a bad
config, an unreadable lockfile, no advisory database) exits 16, so it never reads as a check
failure.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, NoReturn, TypeVar

import click
from rich.table import Table

from cratewatch.cli.check_inputs import (
    GraphInputs,
    build_graph,
    graph_targets,
    load_databases,
    project_dir,
    read_config,
    yank_lookup,
)
from cratewatch.cli.dbopts import echo_warnings, output_console
from cratewatch.errors import CratewatchError
from cratewatch.policy.config import TEMPLATE, PolicyConfig
from cratewatch.policy.diagnostics import CODES, Check, LintLevel, Severity
from cratewatch.policy.graph import CrateGraph, GraphTarget
from cratewatch.policy.graph_metadata import MetadataOptions
from cratewatch.policy.license_gather import Licensed, gather_license
from cratewatch.policy.licenses import checked_crates
from cratewatch.policy.runner import ALL_CHECKS, apply_graph_config, run_checks
from cratewatch.report.check_human import render_human
from cratewatch.report.check_json import render_json
from cratewatch.report.check_sarif import render_sarif

__all__ = ["EXIT_CHECK_ERROR", "check"]

EXIT_CHECK_ERROR = 16
"""Exit status when the checks could not run (never a check's bit)."""

_F = TypeVar("_F", bound=Callable[..., Any])
_CHECK_NAMES = {
    "advisories": (Check.ADVISORIES,),
    "bans": (Check.BANS,),
    "ban": (Check.BANS,),
    "licenses": (Check.LICENSES,),
    "license": (Check.LICENSES,),
    "sources": (Check.SOURCES,),
    "all": ALL_CHECKS,
}


def _fail(message: str) -> NoReturn:
    click.echo(f"cratewatch: error: {message}", err=True)
    sys.exit(EXIT_CHECK_ERROR)


def _guarded(command: _F) -> _F:
    """Turn a :class:`CratewatchError` into one line on stderr and exit 16."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except CratewatchError as e:
            _fail(str(e))

    return wrapper  # type: ignore[return-value]


class _Exit16:
    """Usage errors of these commands exit 16 instead of click's 2 (the bans bit)."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)  # type: ignore[misc, no-any-return]
        except click.UsageError as e:
            e.exit_code = EXIT_CHECK_ERROR  # type: ignore[misc]  # per-instance override
            raise


class _CheckCommand(_Exit16, click.Command):
    pass


class _CheckGroup(_Exit16, click.Group):
    """``check init`` and ``check list`` are subcommands; anything else runs the checks."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("-h", "--help")):
            args = ["run", *args]
        return super().parse_args(ctx, args)


@click.group(
    cls=_CheckGroup,
    invoke_without_command=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
def check() -> None:
    """Check the crate graph against a deny.toml policy (cargo-deny compatible).

    `cratewatch check [advisories|bans|licenses|sources|all ...]` runs the checks (all by
    default; see `cratewatch check run --help` for every option). `cratewatch check init`
    writes a commented deny.toml; `cratewatch check list` lists the license of every crate.

    Exit status: the bitset of failed checks (advisories 1, bans 2, licenses 4, sources 8);
    16 when the checks could not run (bad usage, bad config, unreadable input).
    """


@dataclass(frozen=True, slots=True, kw_only=True)
class _GraphSelection:
    """The options that choose the config and the crate graph (``check run``, ``check list``)."""

    manifest_path: Path
    """``--manifest-path``."""
    config_path: Path | None
    """``--config``."""
    metadata_path: Path | None
    """``--metadata-path``."""
    no_cargo: bool
    """``--no-cargo``."""
    vendor_dirs: tuple[Path, ...]
    """``--vendor``."""
    no_download: bool
    """``--no-download``."""
    offline: bool
    """``--offline``."""
    locked: bool
    """``--locked``."""
    frozen: bool
    """``--frozen``."""
    features: tuple[str, ...]
    """``--features`` as given (comma or space separated groups)."""
    all_features: bool
    """``--all-features``."""
    no_default_features: bool
    """``--no-default-features``."""
    targets: tuple[str, ...]
    """``--target``."""
    exclude_dev: bool
    """``--exclude-dev``."""
    exclude: tuple[str, ...]
    """``--exclude``."""

    def config(self) -> tuple[PolicyConfig, str | None]:
        """The policy config, and a note when the defaults are used."""
        return read_config(self.config_path, project_dir(self.manifest_path))

    def inputs(self) -> GraphInputs:
        """How to build the crate graph."""
        return GraphInputs(
            manifest_path=self.manifest_path,
            metadata_path=self.metadata_path,
            use_cargo=not self.no_cargo,
            options=MetadataOptions(
                features=tuple(
                    f for group in self.features for f in group.replace(",", " ").split()
                ),
                all_features=self.all_features,
                no_default_features=self.no_default_features,
                offline=self.offline or self.frozen,
                locked=self.locked,
                frozen=self.frozen,
            ),
            vendor_dirs=self.vendor_dirs,
            download=not self.no_download,
        )

    def wanted_targets(self, config: PolicyConfig) -> list[tuple[str, tuple[str, ...]]]:
        """``--target`` when given (no features), else ``[graph] targets``."""
        if self.targets:
            return [(t, ()) for t in self.targets]
        return [(t.triple, t.features) for t in config.graph.targets]

    def apply(
        self, graph: CrateGraph, config: PolicyConfig, targets: Sequence[GraphTarget]
    ) -> CrateGraph:
        """*graph* cut down to *targets* and without the excluded crates."""
        return apply_graph_config(
            graph, config, targets=targets, exclude_dev=self.exclude_dev, exclude=self.exclude
        )


def _graph_options(command: _F) -> _F:
    """Add the graph options; *command* gets them as one ``selection`` argument."""

    @functools.wraps(command)
    def wrapper(**kwargs: Any) -> Any:
        chosen = {f.name: kwargs.pop(f.name) for f in fields(_GraphSelection)}
        return command(selection=_GraphSelection(**chosen), **kwargs)

    options = [
        click.option(
            "--manifest-path",
            type=click.Path(dir_okay=False, path_type=Path),
            default=Path("Cargo.toml"),
            show_default=True,
            help="The Cargo.toml of the workspace (or package) to check.",
        ),
        click.option(
            "--config",
            "-c",
            "config_path",
            type=click.Path(dir_okay=False, path_type=Path),
            help="The policy file. Default: deny.toml, .deny.toml or .cargo/deny.toml next to "
            "the manifest; the built-in defaults when there is none.",
        ),
        click.option(
            "--metadata-path",
            type=click.Path(dir_okay=False, exists=True, path_type=Path),
            help="Read the crate graph from this `cargo metadata --format-version 1` JSON "
            "instead of running cargo.",
        ),
        click.option(
            "--no-cargo",
            is_flag=True,
            help="Do not run cargo: build the graph from Cargo.lock and the manifests found in "
            "vendor directories, the cargo registry cache, git checkouts or downloaded .crate "
            "files (verified against Cargo.lock checksums). Also used when cargo is missing.",
        ),
        click.option(
            "--vendor",
            "vendor_dirs",
            multiple=True,
            type=click.Path(file_okay=False, path_type=Path),
            help="A `cargo vendor` directory to find crate sources in (with --no-cargo); "
            "./vendor is used when present. Repeatable.",
        ),
        click.option(
            "--no-download",
            is_flag=True,
            help="With --no-cargo, never download .crate files of crates whose sources are not "
            "found (their licenses and features are then unknown).",
        ),
        click.option("--offline", is_flag=True, help="Passed to cargo; no network use at all."),
        click.option(
            "--locked", is_flag=True, help="Passed to cargo: Cargo.lock must be up to date."
        ),
        click.option("--frozen", is_flag=True, help="Passed to cargo: --locked and --offline."),
        click.option(
            "--features",
            multiple=True,
            help="Features of the workspace members to enable (comma or space separated; "
            "repeatable); added to [graph] features.",
        ),
        click.option("--all-features", is_flag=True, help="Enable every feature of the members."),
        click.option(
            "--no-default-features",
            is_flag=True,
            help="Do not enable the members' default feature.",
        ),
        click.option(
            "--target",
            "targets",
            multiple=True,
            metavar="TRIPLE",
            help="Only keep dependencies used on this target (repeatable); replaces [graph] "
            "targets. cfg() conditions are evaluated with `rustc --print cfg`.",
        ),
        click.option(
            "--exclude-dev",
            is_flag=True,
            help="Leave every dev-dependency out of the graph ([graph] exclude-dev).",
        ),
        click.option(
            "--exclude",
            multiple=True,
            metavar="CRATE",
            help="Leave this workspace crate (and what only it uses) out of the graph; repeatable.",
        ),
    ]
    decorated: Any = wrapper
    for option in reversed(options):
        decorated = option(decorated)
    return decorated  # type: ignore[no-any-return]


@check.command("run", cls=_CheckCommand, context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("which", nargs=-1, metavar="[advisories|bans|licenses|sources|all]...")
@_graph_options
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["human", "json", "sarif"]),
    default="human",
    show_default=True,
    help="human: diagnostics with source lines and inclusion graphs (stdout); json: one object "
    "per diagnostic and a summary object (see --list-codes); sarif: SARIF 2.1.0.",
)
@click.option(
    "--verbose",
    "-v",
    is_flag=True,
    help="Human output: also show notes and helps (accepted licenses, allowed sources...).",
)
@click.option(
    "--hide-inclusion-graph",
    is_flag=True,
    help="Do not show why each crate is in the graph.",
)
@click.option(
    "--db",
    "databases",
    multiple=True,
    metavar="SRC",
    help="Advisory database (git URL, checkout directory or bundle); repeatable. Default: "
    "[advisories] db-urls, else $CRATEWATCH_ADVISORY_DB or the default database.",
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Cache for database clones, the crate index and downloaded crates.",
)
@click.option(
    "--no-fetch",
    is_flag=True,
    help="Do not fetch the advisory database; use the cached copy (maximum-db-staleness applies).",
)
@click.option(
    "--index",
    metavar="SPEC",
    help="Index to ask about yanked versions (sparse+URL, git URL or directory). Default: "
    "the crates.io sparse index.",
)
@click.option(
    "--list-codes",
    is_flag=True,
    help="Print the diagnostic codes (check, code, meaning) and exit; as JSON with --format json.",
)
@_guarded
def run(
    *,
    which: tuple[str, ...],
    selection: _GraphSelection,
    output_format: str,
    verbose: bool,
    hide_inclusion_graph: bool,
    databases: tuple[str, ...],
    cache_dir: Path | None,
    no_fetch: bool,
    index: str | None,
    list_codes: bool,
) -> None:
    """Run the checks (all of them when none is named)."""
    if list_codes:
        _print_codes(output_format)
        return
    checks = _checks(which)
    config, note = selection.config()
    warnings = [note] if note else []
    graph, more = build_graph(selection.inputs(), config)
    warnings += more
    resolved_targets, more = graph_targets(selection.wanted_targets(config))
    warnings += more
    graph = selection.apply(graph, config, resolved_targets)
    dbs = []
    yanked = None
    if Check.ADVISORIES in checks:
        dbs = load_databases(
            databases, config, cache_dir=cache_dir, fetch=not (no_fetch or selection.offline)
        )
        checking = config.advisories.yanked is not LintLevel.ALLOW
        if checking and not config.advisories.disable_yank_checking:
            yanked = yank_lookup(graph, index=index, offline=selection.offline or selection.frozen)
    echo_warnings(tuple(warnings))
    report = run_checks(graph, config, checks, databases=dbs, yanked=yanked)
    if output_format == "json":
        sys.stdout.write(render_json(report, inclusion=not hide_inclusion_graph))
    elif output_format == "sarif":
        sys.stdout.write(render_sarif(report))
    else:
        output_console().print(
            render_human(
                report,
                minimum=Severity.HELP if verbose else Severity.WARNING,
                inclusion=not hide_inclusion_graph,
            )
        )
    sys.exit(report.exit_status)


def _checks(which: tuple[str, ...]) -> tuple[Check, ...]:
    if not which:
        return ALL_CHECKS
    chosen: list[Check] = []
    for name in which:
        found = _CHECK_NAMES.get(name)
        if found is None:
            raise CratewatchError(
                f"unknown check {name!r} (choose from advisories, bans, licenses, sources, all)"
            )
        chosen.extend(found)
    return tuple(dict.fromkeys(chosen))


def _print_codes(output_format: str) -> None:
    rows = sorted(CODES.items(), key=lambda item: (item[1].check or "", item[0]))
    if output_format == "json":
        click.echo(
            json.dumps(
                [
                    {
                        "code": code,
                        "check": None if info.check is None else info.check.value,
                        "description": info.description,
                        "cratewatch_only": info.cratewatch_only,
                    }
                    for code, info in rows
                ],
                indent=2,
            )
        )
        return
    table = Table(title="cratewatch check diagnostic codes", title_justify="left")
    table.add_column("check")
    table.add_column("code")
    table.add_column("meaning")
    for code, info in rows:
        extra = " (cratewatch only)" if info.cratewatch_only else ""
        table.add_row(info.check.value if info.check else "config", code, info.description + extra)
    output_console().print(table)


@check.command("init", cls=_CheckCommand)
@click.argument(
    "directory",
    required=False,
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
)
@click.option("--force", is_flag=True, help="Overwrite an existing deny.toml.")
@_guarded
def init(directory: Path, force: bool) -> None:
    """Write a commented deny.toml (every option with its default) to DIRECTORY."""
    target = directory / "deny.toml"
    if target.exists() and not force:
        raise CratewatchError(f"{target}: already exists (pass --force to overwrite it)")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        target.write_text(TEMPLATE, encoding="utf-8")
    except OSError as e:
        raise CratewatchError(f"{target}: cannot write: {e.strerror or e}") from e
    click.echo(f"wrote {target}")


@check.command("list", cls=_CheckCommand)
@_graph_options
@click.option(
    "--by",
    type=click.Choice(["license", "crate"]),
    default="license",
    show_default=True,
    help="license: each license with the crates under it; crate: each crate with its "
    "license expression.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["human", "json"]),
    default="human",
    show_default=True,
    help="human: a table; json: one JSON document.",
)
@_guarded
def list_licenses(
    *,
    selection: _GraphSelection,
    by: str,
    output_format: str,
) -> None:
    """List the license of every crate the licenses check looks at."""
    config, note = selection.config()
    graph, warnings = build_graph(selection.inputs(), config)
    resolved, more = graph_targets(selection.wanted_targets(config))
    echo_warnings(tuple(([note] if note else []) + warnings + more))
    graph = selection.apply(graph, config, resolved)
    per_crate: dict[str, list[str]] = {}
    for i in sorted(checked_crates(graph, config)):
        krate = graph.krates[i]
        gathered = gather_license(krate, config.licenses)
        key = f"{krate.name} {krate.version}"
        if isinstance(gathered, Licensed):
            per_crate[key] = sorted({str(r) for r in gathered.expression.requirements})
        else:
            per_crate[key] = ["(unlicensed)"]
    if by == "crate":
        rows = dict(per_crate)
    else:
        rows = {}
        for crate, licenses in per_crate.items():
            for license_id in licenses:
                rows.setdefault(license_id, []).append(crate)
        rows = dict(sorted(rows.items()))
    if output_format == "json":
        click.echo(json.dumps(rows, indent=2))
        return
    table = Table(title=f"licenses by {by}", title_justify="left")
    table.add_column("license" if by == "license" else "crate")
    table.add_column("crates" if by == "license" else "licenses")
    for key, values in rows.items():
        table.add_row(key, ", ".join(values))
    output_console().print(table)
