"""``cratewatch vet check|suggest|certify``: cargo-vet compatible supply-chain audits."""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar, assert_never

import click
from rich.markup import escape

from cratewatch.cli.dbopts import default_cache_dir, output_console
from cratewatch.cli.errors import EXIT_FINDINGS, EXIT_OK
from cratewatch.cli.projectgraph import (
    GraphOptions,
    ProjectInputError,
    default_cargo_home,
    load_crate_graph,
)
from cratewatch.lockfile import load_lockfile
from cratewatch.policy.graph import CrateGraph
from cratewatch.registry.crates import STATIC_CRATES_IO, CrateFetcher
from cratewatch.vet.certify import certify as certify_entry
from cratewatch.vet.check import (
    VetReport,
    VetStatus,
    crate_graph_from_lockfile,
    report_json,
    vet_check,
)
from cratewatch.vet.files import AUDITS_TOML, IMPORTS_LOCK, StoreFile, load_store, write_atomic
from cratewatch.vet.imports import DEFAULT_TIMEOUT, fetch_imports
from cratewatch.vet.model import Store
from cratewatch.vet.render import render_imports_lock
from cratewatch.vet.suggest import DiffStat, FetchedCrateFiles, Suggestion, suggest_audits

__all__ = ["vet"]

_R = TypeVar("_R")
_GIT_TIMEOUT = 10.0


class ReportFormat(StrEnum):
    """Report formats."""

    HUMAN = "human"
    JSON = "json"


_format_option = click.option(
    "--format",
    "output_format",
    type=click.Choice([f.value for f in ReportFormat]),
    default=ReportFormat.HUMAN.value,
    show_default=True,
    help="Report format.",
)
"""``--format`` of the commands that print a report."""


@click.group()
def vet() -> None:
    """Supply-chain audits with cargo-vet's files (supply-chain/config.toml, audits.toml,
    imports.lock): check that every crates.io dependency is audited for the criteria it
    needs, suggest the cheapest audits, record audits you made."""


def _project_options(command: Callable[..., _R]) -> Callable[..., _R]:
    """PATH and the options that locate the store and build the graph."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> _R:
        options = GraphOptions(
            all_features=True,
            no_cargo=kwargs.pop("no_cargo"),
            cargo_home=kwargs.pop("cargo_home") or default_cargo_home(),
            vendor_dirs=kwargs.pop("vendor_dirs"),
        )
        project = _load(Path(kwargs.pop("path")), kwargs.pop("store"), options)
        return command(*args, project=project, **kwargs)

    decorators = [
        click.argument("path", required=False, default=".", metavar="[PATH]"),
        click.option(
            "--store",
            type=click.Path(file_okay=False, path_type=Path),
            help="The cargo-vet store. Default: PROJECT/supply-chain.",
        ),
        click.option(
            "--no-cargo",
            is_flag=True,
            help="Build the graph from Cargo.lock and manifests instead of `cargo metadata`.",
        ),
        click.option(
            "--cargo-home",
            type=click.Path(file_okay=False, path_type=Path),
            help="cargo's home (registry cache) for --no-cargo. Default: $CARGO_HOME, ~/.cargo.",
        ),
        click.option(
            "--vendor-dir",
            "vendor_dirs",
            multiple=True,
            type=click.Path(exists=True, file_okay=False, path_type=Path),
            help="A `cargo vendor` directory holding dependency manifests (repeatable).",
        ),
    ]
    decorated: Callable[..., _R] = wrapper
    for decorator in reversed(decorators):
        decorated = decorator(decorated)
    return decorated


@dataclass(frozen=True, slots=True)
class _Project:
    graph: CrateGraph
    store_dir: Path


def _load(path: Path, store: Path | None, options: GraphOptions) -> _Project:
    if path.is_file() and path.name != "Cargo.toml":
        graph = crate_graph_from_lockfile(load_lockfile(path))
        return _Project(graph, store or path.parent / "supply-chain")
    project = path.parent if path.name == "Cargo.toml" else path
    lockfile = project / "Cargo.lock"
    if not lockfile.is_file():
        raise ProjectInputError(
            f"{project}: no Cargo.lock; run `cargo generate-lockfile` there first"
        )
    lock = load_lockfile(lockfile)
    if (project / "Cargo.toml").is_file():
        graph, _method = load_crate_graph(project, lock, options)
    else:
        graph = crate_graph_from_lockfile(lock)
    return _Project(graph, store or project / "supply-chain")


# --- check ------------------------------------------------------------------------------------


@vet.command()
@_project_options
@click.option(
    "--update-imports",
    is_flag=True,
    help=(
        "Fetch the audits files config.toml imports (URLs or paths) and rewrite imports.lock "
        "before checking. Without it the imports.lock cache is used as is."
    ),
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=1),
    default=DEFAULT_TIMEOUT,
    show_default=True,
    help="Seconds allowed per network read when fetching imports.",
)
@_format_option
def check(*, project: _Project, update_imports: bool, timeout: float, output_format: str) -> None:
    """Check that every third-party (crates.io) package has audits establishing the
    criteria its dependents require: full audits and deltas, own or imported, trusted
    publishers, exemptions. Exit 1 when one does not, or when a violation contradicts an
    audit.

    PATH is a project directory (its graph with every feature, as cargo-vet uses) or a
    Cargo.lock (every package, every edge a normal dependency).
    """
    store = _store(project, update_imports=update_imports, timeout=timeout)
    report = vet_check(project.graph, store)
    match ReportFormat(output_format):
        case ReportFormat.JSON:
            click.echo(json.dumps(report_json(report), indent=2))
        case ReportFormat.HUMAN:
            _print_report(report)
    sys.exit(EXIT_OK if report.ok else EXIT_FINDINGS)


def _store(project: _Project, *, update_imports: bool, timeout: float) -> Store:
    store = load_store(project.store_dir)
    if not update_imports:
        return store
    crates = {k.name for k in project.graph.krates}
    lock = fetch_imports(
        store.config,
        store=project.store_dir,
        previous=store.imports,
        crates=crates,
        timeout=timeout,
    )
    text = render_imports_lock(lock)
    path = project.store_dir / IMPORTS_LOCK
    if not path.is_file() or StoreFile.read(path).text != text:
        write_atomic(path, text)
    return load_store(project.store_dir)


def _print_report(report: VetReport) -> None:
    console = output_console()
    for conflict in report.conflicts:
        console.print(
            escape(
                f"violation conflict: {conflict.crate}: violation {conflict.violation} "
                f"({conflict.violation_origin}) contradicts {conflict.audit.describe()} "
                f"for {', '.join(conflict.criteria)}"
            )
        )
    for result in report.failures:
        if result.status is VetStatus.VIOLATION:
            detail = f"violates {', '.join(result.violations)}"
        else:
            detail = f"missing {', '.join(result.missing)}"
        console.print(
            escape(
                f"{result.name}:{result.version} {detail} (requires {', '.join(result.required)})"
            )
        )
    vetted = report.count(VetStatus.VETTED)
    exempted = report.count(VetStatus.EXEMPTED)
    if report.ok:
        console.print(
            f"Vetting succeeded ({vetted} fully audited, {exempted} exempted, "
            f"{report.first_party} first-party)"
        )
    else:
        console.print(
            f"Vetting failed: {len(report.failures)} unvetted, "
            f"{len(report.conflicts)} violation conflicts "
            "(run `cratewatch vet suggest` for the audits to do)"
        )


# --- suggest ----------------------------------------------------------------------------------


@vet.command()
@_project_options
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where downloaded .crate files are cached. Default: cratewatch's cache directory.",
)
@click.option(
    "--offline", is_flag=True, help="Use cached .crate files only (sizes may be unknown)."
)
@click.option(
    "--dl",
    metavar="TEMPLATE",
    default=STATIC_CRATES_IO,
    show_default=True,
    help="Download URL template of .crate files (the index's `dl` value).",
)
@_format_option
def suggest(
    *,
    project: _Project,
    cache_dir: Path | None,
    offline: bool,
    dl: str,
    output_format: str,
) -> None:
    """For each package that is not vetted (exemptions marked `suggest = true` set aside), the
    cheapest audit that would vet it: a delta from a version already audited, else a full
    audit, sized in lines of changed source from the two .crate files; smallest first."""
    store = load_store(project.store_dir)
    with CrateFetcher(cache_dir or default_cache_dir(), dl=dl, offline=offline) as fetcher:
        found = suggest_audits(project.graph, store, FetchedCrateFiles(fetcher))
    match ReportFormat(output_format):
        case ReportFormat.JSON:
            click.echo(json.dumps([_suggestion_json(s) for s in found], indent=2))
        case ReportFormat.HUMAN:
            _print_suggestions(found)
        case _:
            assert_never(ReportFormat(output_format))
    sys.exit(EXIT_OK)


def _suggestion_json(suggestion: Suggestion) -> dict[str, Any]:
    size = suggestion.size
    return {
        "name": suggestion.name,
        "version": str(suggestion.version),
        "from": None if suggestion.from_version is None else str(suggestion.from_version),
        "criteria": list(suggestion.criteria),
        "lines": size.count if isinstance(size, DiffStat) else None,
        "files_changed": size.files_changed if isinstance(size, DiffStat) else None,
        "size_unknown": None if isinstance(size, DiffStat) else size.reason,
        "command": suggestion.command,
    }


def _print_suggestions(found: tuple[Suggestion, ...]) -> None:
    console = output_console()
    if not found:
        console.print("Nothing to suggest: every package is vetted.")
        return
    total = 0
    for suggestion in found:
        size = suggestion.size
        if isinstance(size, DiffStat):
            total += size.count
            note = f"{size.count} lines ({size.files_changed} files)"
        else:
            note = f"size unknown: {size.reason}"
        console.print(escape(f"{suggestion.command}  # {note}"))
    console.print(f"{len(found)} audits, {total} lines to review")


# --- certify ----------------------------------------------------------------------------------


@vet.command()
@click.argument("name")
@click.argument("version")
@click.option("--delta", "delta_from", metavar="FROM", help="Record a delta audit FROM -> VERSION.")
@click.option(
    "--criteria",
    multiple=True,
    metavar="NAME",
    help="Criteria certified (repeatable). Default: config.toml's default-criteria.",
)
@click.option(
    "--who",
    multiple=True,
    metavar="'NAME <EMAIL>'",
    help="The auditor (repeatable). Default: git's user.name and user.email.",
)
@click.option("--notes", help="Free-form notes stored with the audit.")
@click.option(
    "--store",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=Path("supply-chain"),
    show_default=True,
    help="The cargo-vet store.",
)
def certify(
    *,
    name: str,
    version: str,
    delta_from: str | None,
    criteria: tuple[str, ...],
    who: tuple[str, ...],
    notes: str | None,
    store: Path,
) -> None:
    """Record an audit of NAME VERSION in audits.toml (keeping the file's formatting and
    comments)."""
    loaded = load_store(store)
    path = store / AUDITS_TOML
    current = StoreFile.read(path)
    updated = certify_entry(
        current.text,
        crate=name,
        version=version,
        delta_from=delta_from,
        criteria=criteria or (loaded.config.default_criteria,),
        who=who or (_git_identity(),),
        notes=notes,
        path=str(path),
    )
    write_atomic(path, updated)
    span = version if delta_from is None else f"{delta_from} -> {version}"
    click.echo(f"Recorded the audit of {name} {span} in {path}")
    sys.exit(EXIT_OK)


def _git_identity() -> str:
    git = shutil.which("git")
    values = []
    for key in ("user.name", "user.email"):
        value = ""
        if git is not None:
            try:
                done = subprocess.run(
                    [git, "config", "--get", key],
                    capture_output=True,
                    text=True,
                    timeout=_GIT_TIMEOUT,
                    check=False,
                )
                value = done.stdout.strip()
            except subprocess.TimeoutExpired:
                value = ""
        values.append(value)
    name, email = values
    if not name:
        raise ProjectInputError("no auditor: pass --who 'Name <email>' or set git's user.name")
    return f"{name} <{email}>" if email else name
