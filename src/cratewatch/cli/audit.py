"""``cratewatch audit``: Cargo.lock files or binaries against the RustSec advisory database."""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import replace
from enum import StrEnum
from pathlib import Path
from typing import assert_never

import click
from rich.console import Console

from cratewatch.audit.built import BuildSelection
from cratewatch.audit.config import AuditConfig, load_audit_config
from cratewatch.audit.engine import PathsOf, audit_packages
from cratewatch.audit.fixplan import FixStep
from cratewatch.audit.inputs import PackageSet
from cratewatch.audit.model import (
    AuditedPackage,
    AuditReport,
    AuditSettings,
    FindingKind,
    IgnoreRule,
    Severity,
    YankedCheck,
    YankedNotRequested,
    YankedUnavailable,
)
from cratewatch.audit.run import AuditRun, DatabaseSummary
from cratewatch.audit.targets import triple_os_arch
from cratewatch.audit.yanked import check_yanked
from cratewatch.cli.audit_inputs import Loaded, collect_inputs
from cratewatch.cli.dbopts import (
    DbOptions,
    database_options,
    echo_warnings,
    open_database,
    output_console,
)
from cratewatch.cli.errors import EXIT_FINDINGS, EXIT_OK
from cratewatch.registry.index import CRATES_IO_SPARSE
from cratewatch.report.audit_human import render_human
from cratewatch.report.audit_json import render_json
from cratewatch.report.audit_markdown import render_markdown
from cratewatch.report.audit_sarif import render_sarif

__all__ = ["audit"]

DEFAULT_INDEX = CRATES_IO_SPARSE
_MAX_STDIN_BYTES = 64 << 20
_RECURSIVE_SKIP = frozenset({"target", ".git", "node_modules", "vendor"})


class OutputFormat(StrEnum):
    """Report formats."""

    HUMAN = "human"
    JSON = "json"
    SARIF = "sarif"
    MARKDOWN = "markdown"


_KIND_NAMES = {
    "unsound": (FindingKind.UNSOUND,),
    "unmaintained": (FindingKind.UNMAINTAINED,),
    "notice": (FindingKind.NOTICE,),
    "yanked": (FindingKind.YANKED,),
    "warnings": (
        FindingKind.UNSOUND,
        FindingKind.UNMAINTAINED,
        FindingKind.NOTICE,
        FindingKind.YANKED,
    ),
}

_EPILOG = """\b
Exit status:
  0  nothing that fails the run was found
  1  findings that fail: vulnerabilities always; unsound, unmaintained,
     notice and yanked when named with --deny
  2  bad input or usage (unreadable Cargo.lock, unknown option, ...)
  3  the advisory database could not be loaded (or is stale with --stale fail)

\b
Examples:
  cratewatch audit                       # ./Cargo.lock
  cratewatch audit path/to/project --format json --output audit.json
  cratewatch audit --recursive monorepo/ --deny unmaintained
  cratewatch audit --bin target/release/app
"""


@click.command(epilog=_EPILOG)
@click.argument("path", required=False, metavar="[PATH]")
@click.option(
    "--recursive",
    "recursive",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    metavar="DIR",
    help="Audit every Cargo.lock under DIR (skipping target/, .git/, vendor/) in one report.",
)
@click.option(
    "--bin",
    "binaries",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    metavar="FILE",
    help="Audit a Rust binary built with `cargo auditable` (ELF, PE, Mach-O, WASM). Repeatable.",
)
@click.option(
    "--generate-lockfile",
    is_flag=True,
    help="If PATH has a Cargo.toml but no Cargo.lock, run `cargo generate-lockfile` first.",
)
@database_options()
@click.option(
    "--index",
    metavar="SRC",
    default=DEFAULT_INDEX,
    show_default=True,
    help="crates.io index for the yanked check: sparse URL, git index clone or directory.",
)
@click.option(
    "--no-yanked",
    is_flag=True,
    help="Skip the yanked check (it needs the index; offline it is skipped with a warning).",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="cargo-audit style audit.toml. Default: PROJECT/.cargo/audit.toml if present.",
)
@click.option(
    "--ignore",
    "ignores",
    multiple=True,
    metavar="ID",
    help="Ignore an advisory by id or alias (repeatable). Config files add reasons/expiry.",
)
@click.option(
    "--deny",
    "deny",
    multiple=True,
    type=click.Choice(sorted(_KIND_NAMES)),
    help="Also fail on these kinds (repeatable); `warnings` means all of them.",
)
@click.option(
    "--features",
    "features",
    multiple=True,
    metavar="LIST",
    help=(
        "Features of the build to audit (comma-separated, repeatable). With any of --features, "
        "--all-features, --no-default-features or --target, cargo metadata computes which "
        "packages are built; findings in the others are marked not-built and do not fail."
    ),
)
@click.option("--all-features", is_flag=True, help="Audit the build with every feature on.")
@click.option(
    "--no-default-features", is_flag=True, help="Audit the build without default features."
)
@click.option(
    "--target",
    "target",
    metavar="TRIPLE",
    help="Audit the build for this target triple (also sets --target-os/--target-arch).",
)
@click.option("--target-os", multiple=True, metavar="OS", help="Only advisories for this OS.")
@click.option(
    "--target-arch", multiple=True, metavar="ARCH", help="Only advisories for this CPU arch."
)
@click.option(
    "--severity-threshold",
    type=click.Choice([s.name.lower() for s in Severity]),
    help="Vulnerabilities whose CVSS rating is below this do not fail (shown as below-threshold).",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice([f.value for f in OutputFormat]),
    default=OutputFormat.HUMAN.value,
    show_default=True,
    help="Report format.",
)
@click.option(
    "--output",
    "-o",
    "output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the report to FILE instead of stdout.",
)
@click.option("--quiet", "-q", is_flag=True, help="Only show findings that fail the run.")
@click.option("--no-tree", is_flag=True, help="Do not show dependency paths.")
@click.option(
    "--fix-plan",
    is_flag=True,
    help=(
        "For each vulnerable package, print the smallest fixed version every dependent accepts "
        "as a `cargo update -p NAME@VERSION --precise FIXED` line, or say which dependent "
        "blocks the upgrade (needs the index)."
    ),
)
def audit(
    *,
    path: str | None,
    recursive: Path | None,
    binaries: tuple[Path, ...],
    generate_lockfile: bool,
    db_options: DbOptions,
    index: str,
    no_yanked: bool,
    config_path: Path | None,
    ignores: tuple[str, ...],
    deny: tuple[str, ...],
    target_os: tuple[str, ...],
    target_arch: tuple[str, ...],
    severity_threshold: str | None,
    output_format: str,
    output: Path | None,
    quiet: bool,
    no_tree: bool,
    fix_plan: bool,
    features: tuple[str, ...],
    all_features: bool,
    no_default_features: bool,
    target: str | None,
) -> None:
    """Audit a Rust project's dependencies against the RustSec advisory database.

    PATH is a Cargo.lock file, a project directory containing one, or `-` for a Cargo.lock
    on stdin (default: the current directory). Every crates.io package is matched against
    vulnerability, unsound, unmaintained and notice advisories, and checked for yanked
    versions.
    """
    inputs = collect_inputs(path, recursive, binaries, generate_lockfile=generate_lockfile)
    config = _load_config(config_path, path)
    selection = BuildSelection(
        features=tuple(f for item in features for f in item.split(",") if f),
        all_features=all_features,
        no_default_features=no_default_features,
        target=target,
    )
    if target and not target_os and not target_arch:
        target_os, target_arch = triple_os_arch(target)
    settings = _settings(
        config,
        ignores=ignores,
        deny=deny,
        target_os=target_os,
        target_arch=target_arch,
        severity_threshold=severity_threshold,
    )
    if not selection.is_default:
        from cratewatch.cli.audit_extras import not_built  # noqa: PLC0415 (lazy: rare option)

        settings = replace(settings, not_built=not_built(inputs, selection))
    opened = open_database(db_options)
    echo_warnings(opened.warnings)
    database = opened.database
    sets = [loaded.packages for loaded in inputs]
    all_packages = tuple(p for s in sets for p in s.packages)
    yanked: YankedCheck = YankedNotRequested()
    if not no_yanked and config.yanked_enabled is not False:
        yanked = check_yanked(
            index,
            all_packages,
            cache_dir=db_options.cache_dir,
            offline=not db_options.fetch,
        )
    if isinstance(yanked, YankedUnavailable):
        echo_warnings((f"yanked check skipped: {yanked.reason}",))
    report = audit_packages(
        all_packages,
        database,
        settings,
        paths=_paths_dispatch(sets),
        yanked_check=yanked,
    )
    info = database.info
    run = AuditRun(
        inputs=tuple(loaded.item for loaded in inputs),
        database=DatabaseSummary(
            source=info.source,
            commit=info.commit or "0" * 40,
            last_updated=info.last_commit_time or dt.datetime.fromtimestamp(0, dt.UTC),
            advisory_count=len(database.advisories),
        ),
        report=report,
        fix_plan=_plan(inputs, report, index, db_options) if fix_plan else (),
        fix_plan_requested=fix_plan,
    )
    _emit(
        run,
        OutputFormat(output_format),
        output,
        quiet=quiet or bool(config.quiet),
        tree=not no_tree and config.show_tree is not False,
    )
    sys.exit(EXIT_FINDINGS if report.failing else EXIT_OK)


def _plan(
    inputs: list[Loaded], report: AuditReport, index: str, db_options: DbOptions
) -> tuple[FixStep, ...]:
    from cratewatch.cli.audit_extras import fix_plan  # noqa: PLC0415 (lazy: loads the index code)

    return fix_plan(inputs, report, index, db_options)


def _emit(
    run: AuditRun, fmt: OutputFormat, output: Path | None, *, quiet: bool, tree: bool
) -> None:
    match fmt:
        case OutputFormat.HUMAN:
            renderable = render_human(run, show_tree=tree, quiet=quiet)
            if output is None:
                output_console().print(renderable)
                return
            with output.open("w", encoding="utf-8") as f:
                Console(file=f, width=120, no_color=True, highlight=False).print(renderable)
            return
        case OutputFormat.JSON:
            text = render_json(run)
        case OutputFormat.SARIF:
            text = render_sarif(run)
        case OutputFormat.MARKDOWN:
            text = render_markdown(run)
        case _:
            assert_never(fmt)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")


def _paths_dispatch(sets: list[PackageSet]) -> PathsOf:
    owner: dict[AuditedPackage, PackageSet] = {}
    for package_set in sets:
        for package in package_set.packages:
            owner.setdefault(package, package_set)

    def paths(package: AuditedPackage) -> tuple[tuple[str, ...], ...]:
        return owner[package].paths(package)

    return paths


def _load_config(config_path: Path | None, path: str | None) -> AuditConfig:
    if config_path is not None:
        return load_audit_config(config_path)
    if path and path != "-":
        base = Path(path)
        project = base if base.is_dir() else base.parent
    else:
        project = Path(".")
    candidate = project / ".cargo" / "audit.toml"
    return load_audit_config(candidate) if candidate.is_file() else AuditConfig()


def _settings(
    config: AuditConfig,
    *,
    ignores: tuple[str, ...],
    deny: tuple[str, ...],
    target_os: tuple[str, ...],
    target_arch: tuple[str, ...],
    severity_threshold: str | None,
) -> AuditSettings:
    denied = set(config.deny)
    for name in deny:
        denied.update(_KIND_NAMES[name])
    denied.add(FindingKind.VULNERABILITY)
    defaults = AuditSettings()
    return AuditSettings(
        ignore=config.ignore + tuple(IgnoreRule(id=i, origin="--ignore") for i in ignores),
        deny=frozenset(denied),
        informational=(
            config.informational | {FindingKind.YANKED}
            if config.informational is not None
            else defaults.informational
        ),
        target_os=frozenset(target_os) or config.target_os,
        target_arch=frozenset(target_arch) or config.target_arch,
        severity_threshold=(
            Severity.parse(severity_threshold)
            if severity_threshold
            else config.severity_threshold or Severity.NONE
        ),
    )
