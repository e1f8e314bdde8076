"""``cratewatch sbom``: CycloneDX / SPDX documents of a Rust project, and ``sbom diff``."""

from __future__ import annotations

import datetime as dt
import json
import os
import sys
import tempfile
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any, assert_never

import click
from rich.markup import escape

from cratewatch.audit.config import AuditConfig, load_audit_config
from cratewatch.audit.engine import audit_packages
from cratewatch.audit.inputs import from_lockfile
from cratewatch.audit.model import AuditSettings, IgnoreRule, YankedNotRequested
from cratewatch.cli.dbopts import (
    DbOptions,
    database_options,
    echo_warnings,
    open_database,
    output_console,
)
from cratewatch.cli.errors import EXIT_FINDINGS, EXIT_OK
from cratewatch.cli.projectgraph import (
    GraphOptions,
    ProjectInputError,
    default_cargo_home,
    graph_target,
    load_crate_graph,
)
from cratewatch.lockfile import Lockfile, load_lockfile
from cratewatch.policy.graph import prune
from cratewatch.sbom.cyclonedx import (
    CYCLONEDX_VERSIONS,
    CycloneDxEncoding,
    DocumentSettings,
    render_cyclonedx,
    render_vex,
)
from cratewatch.sbom.diff import diff_json, diff_sboms, load_sbom
from cratewatch.sbom.graph import (
    MetadataLookup,
    dev_only,
    graph_from_crates,
    graph_from_lockfile,
    input_digest,
)
from cratewatch.sbom.model import ComponentGraph, Usage
from cratewatch.sbom.spdx import SPDX_VERSIONS, SpdxEncoding, render_spdx
from cratewatch.sbom.vex import VexStatement, statements_from_report

__all__ = ["sbom"]


class SbomFormat(StrEnum):
    """Document formats."""

    CYCLONEDX_JSON = "cyclonedx-json"
    CYCLONEDX_XML = "cyclonedx-xml"
    SPDX_JSON = "spdx-json"
    SPDX_TAG_VALUE = "spdx-tag-value"

    @property
    def extension(self) -> str:
        """The file name suffix used for per-member documents."""
        match self:
            case SbomFormat.CYCLONEDX_JSON:
                return ".cdx.json"
            case SbomFormat.CYCLONEDX_XML:
                return ".cdx.xml"
            case SbomFormat.SPDX_JSON:
                return ".spdx.json"
            case SbomFormat.SPDX_TAG_VALUE:
                return ".spdx"
            case _:
                assert_never(self)

    @property
    def is_cyclonedx(self) -> bool:
        """Whether it is a CycloneDX format."""
        return self in (SbomFormat.CYCLONEDX_JSON, SbomFormat.CYCLONEDX_XML)


class SbomInputError(ProjectInputError):
    """The SBOM input or options are unusable."""


class _DefaultGroup(click.Group):
    """``cratewatch sbom ARGS`` runs ``sbom create ARGS`` unless ARGS name a subcommand."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("-h", "--help")):
            args = ["create", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_DefaultGroup)
def sbom() -> None:
    """Software bills of materials: `cratewatch sbom [PATH]` writes one (see `sbom create
    --help`), `cratewatch sbom diff OLD NEW` compares two for a release review."""


_CREATE_EPILOG = """\b
Examples:
  cratewatch sbom                                   # ./ as CycloneDX 1.6 JSON on stdout
  cratewatch sbom path/to/Cargo.lock --format spdx-json -o app.spdx.json
  cratewatch sbom --format cyclonedx-xml --spec-version 1.5 --reproducible
  cratewatch sbom --per-member --output sboms/      # one document per workspace member
  cratewatch sbom --with-vulnerabilities            # embed RustSec findings (VEX)
  cratewatch sbom --vex-only -o app.vex.json        # only the vulnerabilities
"""


@sbom.command(epilog=_CREATE_EPILOG)
@click.argument("path", required=False, default=".", metavar="[PATH]")
@click.option(
    "--format",
    "output_format",
    type=click.Choice([f.value for f in SbomFormat]),
    default=SbomFormat.CYCLONEDX_JSON.value,
    show_default=True,
    help="Document format.",
)
@click.option(
    "--spec-version",
    metavar="VERSION",
    help=(
        f"Spec version: CycloneDX {', '.join(CYCLONEDX_VERSIONS)} (default "
        f"{CYCLONEDX_VERSIONS[-1]}), SPDX {', '.join(SPDX_VERSIONS)}."
    ),
)
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path),
    help="Write to FILE (a directory with --per-member or several --member) instead of stdout.",
)
@click.option(
    "--per-member",
    is_flag=True,
    help="One document per workspace member (its own dependency tree), into --output DIR.",
)
@click.option(
    "--member",
    "members",
    multiple=True,
    metavar="NAME",
    help="Only this workspace member's tree (repeatable: one document each, into --output DIR).",
)
@click.option(
    "--features",
    multiple=True,
    metavar="LIST",
    help="Features to enable on the members (comma-separated, repeatable; `member/feat` ok).",
)
@click.option("--all-features", is_flag=True, help="Enable every feature of the members.")
@click.option("--no-default-features", is_flag=True, help="Do not enable default features.")
@click.option(
    "--target",
    "targets",
    multiple=True,
    metavar="TRIPLE",
    help=(
        "Only dependencies built for this target (repeatable; cfg values from `rustc --print "
        "cfg`). Lockfile packages not built are listed with scope `optional`."
    ),
)
@click.option("--exclude-dev", is_flag=True, help="Leave the members' dev-dependencies out.")
@click.option(
    "--no-cargo",
    is_flag=True,
    help=(
        "Do not run `cargo metadata`: build the graph from Cargo.lock and the packages' "
        "manifests (cargo's registry cache, vendor directories, git checkouts)."
    ),
)
@click.option(
    "--cargo-home",
    type=click.Path(file_okay=False, path_type=Path),
    help="cargo's home for the registry cache (manifest metadata). Default: $CARGO_HOME, ~/.cargo.",
)
@click.option(
    "--vendor-dir",
    "vendor_dirs",
    multiple=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A `cargo vendor` directory to read dependency manifests from (repeatable).",
)
@click.option(
    "--with-vulnerabilities",
    is_flag=True,
    help=(
        "Audit the packages against the RustSec database and embed the findings: CycloneDX "
        "`vulnerabilities` (VEX analysis for ignored and not-built findings), SPDX security "
        "references."
    ),
)
@click.option(
    "--vex-only",
    is_flag=True,
    help="Write a standalone CycloneDX VEX document: only the vulnerabilities, by component ref.",
)
@click.option(
    "--ignore",
    "ignores",
    multiple=True,
    metavar="ID",
    help="Treat this advisory as ignored (repeatable); reasons come from the audit config.",
)
@click.option(
    "--audit-config",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=(
        "cargo-audit style audit.toml for ignores and their reasons (a reason starting with a "
        "CycloneDX justification, e.g. `code_not_reachable: ...`, makes the finding "
        "not_affected). Default: PROJECT/.cargo/audit.toml if present."
    ),
)
@click.option(
    "--reproducible",
    is_flag=True,
    help=(
        "Deterministic output: timestamp from $SOURCE_DATE_EPOCH (else 1970-01-01) and a serial "
        "number derived from a hash of the inputs."
    ),
)
@database_options()
def create(
    *,
    path: str,
    output_format: str,
    spec_version: str | None,
    output: Path | None,
    per_member: bool,
    members: tuple[str, ...],
    features: tuple[str, ...],
    all_features: bool,
    no_default_features: bool,
    targets: tuple[str, ...],
    exclude_dev: bool,
    no_cargo: bool,
    cargo_home: Path | None,
    vendor_dirs: tuple[Path, ...],
    with_vulnerabilities: bool,
    vex_only: bool,
    ignores: tuple[str, ...],
    audit_config: Path | None,
    reproducible: bool,
    db_options: DbOptions,
) -> None:
    """Write an SBOM of a Rust project.

    PATH is a project directory or its Cargo.toml (the graph of the selected features and
    target, from `cargo metadata` when cargo is available), or a Cargo.lock file
    (lockfile-only mode: every package it lists, the packages without a source as roots).
    """
    fmt = SbomFormat(output_format)
    version = _spec_version(fmt, spec_version)
    if vex_only and not fmt.is_cyclonedx:
        raise SbomInputError("--vex-only writes CycloneDX: use --format cyclonedx-json or -xml")
    options = GraphOptions(
        features=tuple(f for item in features for f in item.split(",") if f),
        all_features=all_features,
        no_default_features=no_default_features,
        no_cargo=no_cargo,
        cargo_home=cargo_home or default_cargo_home(),
        vendor_dirs=vendor_dirs,
    )
    loaded = _load(Path(path), options, targets=targets, exclude_dev=exclude_dev)
    graph = loaded.graph
    statements: tuple[VexStatement, ...] = ()
    if with_vulnerabilities or vex_only:
        statements = _vulnerabilities(loaded, db_options, ignores, audit_config)
    documents = _documents(graph, per_member=per_member, members=members)
    if len(documents) > 1 and (output is None or output.is_file()):
        raise SbomInputError("several documents need --output DIR (a directory)")
    now = dt.datetime.now(dt.UTC)
    for document in documents:
        settings = (
            DocumentSettings.reproducible(document, timestamp=_epoch())
            if reproducible
            else DocumentSettings.fresh(now)
        )
        own = _statements_for(document, statements)
        text = _render(document, fmt, version, settings, own, vex_only=vex_only)
        if output is None:
            click.echo(text, nl=False)
        elif len(documents) > 1:
            output.mkdir(parents=True, exist_ok=True)
            _write_atomic(output / f"{document.name}{fmt.extension}", text)
        else:
            _write_atomic(output, text)
    sys.exit(EXIT_OK)


# --- graph ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Loaded:
    graph: ComponentGraph
    lock: Lockfile
    project: Path | None


def _load(
    path: Path, options: GraphOptions, *, targets: tuple[str, ...], exclude_dev: bool
) -> _Loaded:
    locator = options.locator()
    if path.is_file() and path.name != "Cargo.toml":
        lock = load_lockfile(path)
        root = path.parent if (path.parent / "Cargo.toml").is_file() else None
        digest = input_digest(path.read_bytes(), {"mode": "lockfile"})
        graph = graph_from_lockfile(
            lock,
            metadata=MetadataLookup(workspace_root=root, locator=locator),
            input_digest=digest,
            origin=str(path),
        )
        return _Loaded(graph, lock, None)
    project = path.parent if path.name == "Cargo.toml" else path
    if not (project / "Cargo.toml").is_file():
        raise SbomInputError(f"{path}: no Cargo.toml here (pass a project or a Cargo.lock)")
    lockfile = project / "Cargo.lock"
    if not lockfile.is_file():
        raise SbomInputError(f"{project}: no Cargo.lock; run `cargo generate-lockfile` there first")
    lock = load_lockfile(lockfile)
    crates, method = load_crate_graph(project, lock, options)
    omit = dev_only(crates) if exclude_dev else frozenset()
    crates = prune(crates, targets=[graph_target(t) for t in targets], exclude_dev=exclude_dev)
    digest = input_digest(
        lockfile.read_bytes(),
        {
            "features": sorted(options.features),
            "all_features": options.all_features,
            "no_default_features": options.no_default_features,
            "targets": sorted(targets),
            "exclude_dev": exclude_dev,
            "method": method.value,
        },
    )
    graph = graph_from_crates(
        crates,
        lock=lock,
        metadata=MetadataLookup(workspace_root=project, locator=locator),
        input_digest=digest,
        origin=str(path),
        method=method,
        omit=omit,
    )
    return _Loaded(graph, lock, project)


def _documents(
    graph: ComponentGraph, *, per_member: bool, members: tuple[str, ...]
) -> list[ComponentGraph]:
    if members:
        chosen = []
        for name in members:
            matches = [c.ref for c in graph.members if c.name == name]
            if not matches:
                known = ", ".join(sorted(c.name for c in graph.members)) or "none"
                raise SbomInputError(f"--member {name}: not a workspace member (members: {known})")
            chosen += matches
        return [graph.subgraph(ref) for ref in chosen]
    if per_member:
        return [graph.subgraph(ref) for ref in graph.roots]
    return [graph]


# --- vulnerabilities --------------------------------------------------------------------------


def _vulnerabilities(
    loaded: _Loaded, db_options: DbOptions, ignores: tuple[str, ...], config_path: Path | None
) -> tuple[VexStatement, ...]:
    config = _audit_config(config_path, loaded.project)
    not_built = frozenset(
        (c.name, c.version) for c in loaded.graph.components if c.usage is Usage.OPTIONAL
    )
    defaults = AuditSettings()
    settings = AuditSettings(
        ignore=config.ignore + tuple(IgnoreRule(id=i, origin="--ignore") for i in ignores),
        informational=config.informational or defaults.informational,
        not_built=not_built,
    )
    opened = open_database(db_options)
    echo_warnings(opened.warnings)
    packages = from_lockfile(loaded.lock)
    report = audit_packages(
        packages.packages,
        opened.database,
        settings,
        paths=packages.paths,
        yanked_check=YankedNotRequested(),
    )
    return statements_from_report(report, loaded.graph)


def _audit_config(config_path: Path | None, project: Path | None) -> AuditConfig:
    if config_path is not None:
        return load_audit_config(config_path)
    if project is not None and (project / ".cargo" / "audit.toml").is_file():
        return load_audit_config(project / ".cargo" / "audit.toml")
    return AuditConfig()


def _statements_for(
    graph: ComponentGraph, statements: tuple[VexStatement, ...]
) -> tuple[VexStatement, ...]:
    refs = {c.ref for c in graph.components}
    kept = []
    for statement in statements:
        affects = tuple(a for a in statement.affects if a[0] in refs)
        if affects:
            kept.append(statement if affects == statement.affects else _with(statement, affects))
    return tuple(kept)


def _with(statement: VexStatement, affects: tuple[tuple[str, str], ...]) -> VexStatement:
    return replace(statement, affects=affects)


# --- output -----------------------------------------------------------------------------------


def _spec_version(fmt: SbomFormat, given: str | None) -> str:
    choices = CYCLONEDX_VERSIONS if fmt.is_cyclonedx else SPDX_VERSIONS
    if given is None:
        return choices[-1]
    if given not in choices:
        raise SbomInputError(f"--spec-version {given}: {fmt.value} supports {', '.join(choices)}")
    return given


def _render(
    graph: ComponentGraph,
    fmt: SbomFormat,
    version: str,
    settings: DocumentSettings,
    statements: tuple[VexStatement, ...],
    *,
    vex_only: bool,
) -> str:
    match fmt:
        case SbomFormat.CYCLONEDX_JSON | SbomFormat.CYCLONEDX_XML:
            encoding = (
                CycloneDxEncoding.JSON
                if fmt is SbomFormat.CYCLONEDX_JSON
                else CycloneDxEncoding.XML
            )
            if vex_only:
                return render_vex(
                    graph, statements, encoding=encoding, spec_version=version, settings=settings
                )
            return render_cyclonedx(
                graph,
                encoding=encoding,
                spec_version=version,
                settings=settings,
                vulnerabilities=statements,
            )
        case SbomFormat.SPDX_JSON | SbomFormat.SPDX_TAG_VALUE:
            encoding_spdx = (
                SpdxEncoding.JSON if fmt is SbomFormat.SPDX_JSON else SpdxEncoding.TAG_VALUE
            )
            return render_spdx(
                graph,
                encoding=encoding_spdx,
                settings=settings,
                spec_version=version,
                vulnerabilities=statements,
            )
        case _:
            assert_never(fmt)


def _epoch() -> dt.datetime:
    raw = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    try:
        seconds = int(raw) if raw else 0
    except ValueError as e:
        raise SbomInputError(f"SOURCE_DATE_EPOCH={raw!r} is not a number of seconds") from e
    return dt.datetime.fromtimestamp(seconds, dt.UTC)


def _write_atomic(path: Path, text: str) -> None:
    directory = path.parent if str(path.parent) else Path(".")
    try:
        fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temp, path)
    except OSError as e:
        raise SbomInputError(f"{path}: cannot write: {e.strerror or e}") from e


# --- diff -------------------------------------------------------------------------------------


class DiffFormat(StrEnum):
    """``sbom diff`` report formats."""

    HUMAN = "human"
    JSON = "json"


@sbom.command()
@click.argument("old", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("new", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "output_format",
    type=click.Choice([f.value for f in DiffFormat]),
    default=DiffFormat.HUMAN.value,
    show_default=True,
    help="Report format.",
)
@click.option(
    "--fail-on-new-vulnerabilities",
    is_flag=True,
    help="Exit 1 when NEW has vulnerabilities OLD did not have.",
)
def diff(*, old: Path, new: Path, output_format: str, fail_on_new_vulnerabilities: bool) -> None:
    """Compare two SBOMs (CycloneDX or SPDX JSON): components added, removed and changed,
    vulnerabilities new and resolved. For release reviews."""
    result = diff_sboms(load_sbom(old), load_sbom(new))
    match DiffFormat(output_format):
        case DiffFormat.JSON:
            click.echo(json.dumps(diff_json(result), indent=2))
        case DiffFormat.HUMAN:
            _print_diff(diff_json(result))
    failing = fail_on_new_vulnerabilities and bool(result.new_vulnerabilities)
    sys.exit(EXIT_FINDINGS if failing else EXIT_OK)


def _print_diff(report: dict[str, Any]) -> None:
    console = output_console()
    empty = True
    for key, title in (
        ("added", "Added"),
        ("removed", "Removed"),
        ("changed", "Changed"),
        ("new_vulnerabilities", "New vulnerabilities"),
        ("resolved_vulnerabilities", "Resolved vulnerabilities"),
    ):
        items: list[dict[str, str]] = report[key]
        if not items:
            continue
        empty = False
        console.print(f"[bold]{title}[/bold] ({len(items)})")
        for item in items:
            console.print(escape(_diff_line(key, item)))
    if empty:
        console.print("No differences.")


def _diff_line(key: str, item: dict[str, str]) -> str:
    if key == "added":
        return f"+ {item['name']} {item['version']}"
    if key == "removed":
        return f"- {item['name']} {item['version']}"
    if key == "changed":
        return f"~ {item['name']} {item['old_version']} -> {item['new_version']}"
    mark = "!" if key == "new_vulnerabilities" else "fixed:"
    return f"{mark} {item['id']} in {item['name']} {item['version']}"
