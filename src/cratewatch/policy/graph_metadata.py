"""The crate graph from ``cargo metadata --format-version 1`` output.

:func:`run_cargo_metadata` runs cargo (the caller passes the environment; this module reads
none); :func:`graph_from_metadata` turns the JSON into a :class:`~.graph.CrateGraph`. Edges
come from ``resolve.nodes[].deps[].dep_kinds``, so an optional dependency appears only when a
feature enabled it, and each edge keeps its kinds and platforms for :func:`~.graph.prune`.
The JSON is untrusted: a bad field raises :class:`InvalidMetadata` naming its dotted path.

>>> doc = {"packages": [{"id": "a", "name": "a", "version": "0.1.0", "source": None,
...         "dependencies": [], "targets": [], "features": {},
...         "manifest_path": "/w/Cargo.toml"}],
...        "workspace_members": ["a"], "resolve": {"nodes": [{"id": "a", "deps": []}]}}
>>> [k.id for k in graph_from_metadata(doc).krates]
['a 0.1.0']
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cratewatch._toml import Fields, dotted
from cratewatch.errors import ParseError, SourceError
from cratewatch.lockfile import MAX_LOCKFILE_BYTES, Lockfile
from cratewatch.policy.graph import (
    CrateGraph,
    DeclaredDependency,
    DepKind,
    Edge,
    Krate,
    ManifestFound,
)
from cratewatch.semver import InvalidVersion, Version
from cratewatch.source_id import InvalidSourceId, SourceId

__all__ = [
    "MAX_METADATA_BYTES",
    "CargoMetadataFailed",
    "InvalidMetadata",
    "MetadataOptions",
    "graph_from_metadata",
    "load_metadata",
    "run_cargo_metadata",
]

MAX_METADATA_BYTES = 512 * 1024 * 1024
"""The largest metadata document read (large workspaces produce tens of MB)."""


class InvalidMetadata(ParseError):
    """A ``cargo metadata`` document is malformed."""


class CargoMetadataFailed(SourceError):
    """``cargo metadata`` could not be run or failed."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MetadataOptions:
    """Flags passed through to ``cargo metadata``."""

    features: tuple[str, ...] = ()
    """``--features``."""
    all_features: bool = False
    """``--all-features``."""
    no_default_features: bool = False
    """``--no-default-features``."""
    offline: bool = False
    """``--offline``."""
    locked: bool = False
    """``--locked``."""
    frozen: bool = False
    """``--frozen``."""

    def arguments(self) -> list[str]:
        """The command-line flags."""
        args = []
        if self.features:
            args += ["--features", ",".join(self.features)]
        for flag, on in (
            ("--all-features", self.all_features),
            ("--no-default-features", self.no_default_features),
            ("--offline", self.offline),
            ("--locked", self.locked),
            ("--frozen", self.frozen),
        ):
            if on:
                args.append(flag)
        return args


def run_cargo_metadata(
    cargo: str | Path,
    manifest_path: Path,
    options: MetadataOptions,
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = 600.0,
) -> dict[str, Any]:
    """Run ``cargo metadata --format-version 1`` for *manifest_path* and parse its output.

    cargo runs in the manifest's directory, so the project's ``.cargo/config.toml`` applies.
    """
    command = [
        str(cargo),
        "metadata",
        "--format-version",
        "1",
        "--manifest-path",
        str(manifest_path),
        *options.arguments(),
    ]
    try:
        done = subprocess.run(
            command,
            cwd=manifest_path.parent,
            capture_output=True,
            timeout=timeout,
            env=dict(env) if env is not None else None,
            check=False,
        )
    except FileNotFoundError as e:
        raise CargoMetadataFailed(
            f"{cargo}: not found; install cargo or pass --metadata-path / --no-cargo"
        ) from e
    except subprocess.TimeoutExpired as e:
        raise CargoMetadataFailed(f"cargo metadata did not finish in {timeout:g}s") from e
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = " / ".join(line.strip() for line in lines[-4:]) or f"exit {done.returncode}"
        raise CargoMetadataFailed(f"{manifest_path}: cargo metadata failed: {detail}")
    return _decode(done.stdout, "cargo metadata")


def load_metadata(path: Path) -> dict[str, Any]:
    """Read a pre-generated metadata JSON file (``--metadata-path``)."""
    try:
        with path.open("rb") as stream:
            data = stream.read(MAX_METADATA_BYTES + 1)
    except OSError as e:
        raise SourceError(f"{path}: cannot read the metadata: {e.strerror or e}") from e
    if len(data) > MAX_METADATA_BYTES:
        raise InvalidMetadata(f"{path}: larger than {MAX_METADATA_BYTES >> 20} MiB")
    return _decode(data, str(path))


def _decode(data: bytes, name: str) -> dict[str, Any]:
    try:
        doc = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise InvalidMetadata(f"{name}: not JSON: {e}") from e
    if not isinstance(doc, dict):
        raise InvalidMetadata(f"{name}: expected a JSON object")
    return doc


def graph_from_metadata(
    doc: Mapping[str, Any], *, lockfile: Lockfile | None = None, name: str = "cargo metadata"
) -> CrateGraph:
    """Build the graph of a metadata document. With *lockfile* (read from the workspace root
    when ``None`` and present), crates get their Cargo.lock line and checksum."""
    return _Builder(doc, name, lockfile).build()


class _Builder:
    def __init__(self, doc: Mapping[str, Any], name: str, lockfile: Lockfile | None) -> None:
        self.doc = doc
        self.f = Fields(name, InvalidMetadata)
        self.lock_path: str | None = None
        self.lock_entries: dict[tuple[str, str, str | None], tuple[int, str | None]] = {}
        if lockfile is not None:
            self.lock_path = lockfile.path
            for package in lockfile.packages:
                source = None if package.source is None else package.source.to_url()
                self.lock_entries[(package.name, str(package.version), source)] = (
                    package.line,
                    package.checksum,
                )
        self.ids: dict[str, int] = {}

    def build(self) -> CrateGraph:
        f = self.f
        root = self.doc.get("workspace_root")
        if self.lock_path is None and isinstance(root, str):
            path = Path(root) / "Cargo.lock"
            if path.is_file():
                self.lock_path = str(path)
                self.lock_entries = scan_lock_entries(path)
        members = set(f.strings(self.doc, "workspace_members", ""))
        resolve = f.table(self.doc, "resolve", "")
        if resolve is None:
            f.fail("resolve", "missing (was cargo metadata run with --no-deps?)")
        nodes = {}
        for i, node in enumerate(f.array(resolve, "nodes", "resolve")):
            where = dotted("resolve", "nodes", i)
            table = f.as_table(node, where)
            nodes[f.string(table, "id", where)] = (where, table)
        krates: list[Krate] = []
        for i, package in enumerate(f.array(self.doc, "packages", "")):
            where = dotted("packages", i)
            table = f.as_table(package, where)
            package_id = f.string(table, "id", where)
            node = nodes.get(package_id)
            features = () if node is None else f.strings(node[1], "features", node[0])
            self.ids[package_id] = len(krates)
            krates.append(self._krate(table, where, package_id in members, features))
        edges: list[Edge] = []
        for package_id, (where, node) in nodes.items():
            if package_id not in self.ids:
                f.fail(dotted(where, "id"), f"{package_id!r} is not in packages")
            edges.extend(self._edges(self.ids[package_id], node, where))
        roots = [self.ids[m] for m in members if m in self.ids]
        return CrateGraph(krates=krates, edges=edges, roots=roots, lockfile=self.lock_path)

    def _krate(
        self, table: dict[str, Any], where: str, member: bool, features: Sequence[str]
    ) -> Krate:
        f = self.f
        name = f.string(table, "name", where)
        version = _version(f, f.string(table, "version", where), dotted(where, "version"))
        source_text = f.opt_string(table, "source", where)
        source = None
        if source_text is not None:
            try:
                source = SourceId.parse(source_text)
            except InvalidSourceId as e:
                f.fail(dotted(where, "source"), str(e))
        manifest = Path(f.string(table, "manifest_path", where))
        build_script = None
        proc_macro = False
        for j, target in enumerate(f.array(table, "targets", where)):
            twhere = dotted(where, "targets", j)
            ttable = f.as_table(target, twhere)
            kinds = f.strings(ttable, "kind", twhere)
            if "custom-build" in kinds:
                build_script = Path(f.string(ttable, "src_path", twhere))
            if "proc-macro" in kinds:
                proc_macro = True
        declared = {
            key: f.strings({"v": value}, "v", dotted(where, "features", key))
            for key, value in (f.table(table, "features", where) or {}).items()
        }
        line, checksum = self._lock_entry(name, version, source)
        return Krate(
            name=name,
            version=version,
            source=source,
            manifest=ManifestFound(path=manifest),
            license=f.opt_string(table, "license", where),
            license_file=f.opt_string(table, "license_file", where),
            publish=self._publish(table, where),
            features=declared,
            enabled_features=frozenset(features),
            dependencies=tuple(
                self._declared(dep, dotted(where, "dependencies", j))
                for j, dep in enumerate(f.array(table, "dependencies", where))
            ),
            build_script=build_script,
            proc_macro=proc_macro,
            workspace_member=member,
            lock_line=line,
            checksum=checksum,
        )

    def _publish(self, table: dict[str, Any], where: str) -> bool | tuple[str, ...] | None:
        value = table.get("publish")
        if value is None:
            return None
        registries = self.f.as_strings(value, dotted(where, "publish"))
        return registries or False

    def _declared(self, dep: object, where: str) -> DeclaredDependency:
        f = self.f
        table = f.as_table(dep, where)
        package = f.string(table, "name", where)
        source = f.opt_string(table, "source", where)
        kind_text = f.opt_string(table, "kind", where)
        git = None
        registry = f.opt_string(table, "registry", where)
        if source is not None and source.startswith("git+"):
            git = source.removeprefix("git+").partition("?")[0].partition("#")[0]
        return DeclaredDependency(
            name=f.opt_string(table, "rename", where) or package,
            package=package,
            req=f.opt_string(table, "req", where) or "*",
            kind=_kind(f, kind_text, dotted(where, "kind")),
            target=f.opt_string(table, "target", where),
            optional=bool(f.opt_bool(table, "optional", where)),
            path=f.opt_string(table, "path", where),
            git=git,
            registry=registry,
        )

    def _edges(self, parent: int, node: dict[str, Any], where: str) -> list[Edge]:
        f = self.f
        edges = []
        deps = node.get("deps")
        if deps is None:  # cargo older than 1.41 has no dep_kinds
            for j, child in enumerate(f.strings(node, "dependencies", where)):
                edges.append(self._edge(parent, child, ((DepKind.NORMAL, None),), f"{where}[{j}]"))
            return edges
        for j, dep in enumerate(f.as_array(deps, dotted(where, "deps"))):
            dwhere = dotted(where, "deps", j)
            table = f.as_table(dep, dwhere)
            kinds = []
            for k, kind in enumerate(f.array(table, "dep_kinds", dwhere)):
                kwhere = dotted(dwhere, "dep_kinds", k)
                ktable = f.as_table(kind, kwhere)
                kinds.append(
                    (
                        _kind(f, f.opt_string(ktable, "kind", kwhere), dotted(kwhere, "kind")),
                        f.opt_string(ktable, "target", kwhere),
                    )
                )
            if not kinds:
                kinds.append((DepKind.NORMAL, None))
            edges.append(self._edge(parent, f.string(table, "pkg", dwhere), tuple(kinds), dwhere))
        return edges

    def _edge(
        self, parent: int, child: str, kinds: tuple[tuple[DepKind, str | None], ...], where: str
    ) -> Edge:
        if child not in self.ids:
            self.f.fail(where, f"{child!r} is not in packages")
        return Edge(parent=parent, child=self.ids[child], kinds=kinds)

    def _lock_entry(
        self, name: str, version: Version, source: SourceId | None
    ) -> tuple[int | None, str | None]:
        found = self.lock_entries.get(
            (name, str(version), None if source is None else source.to_url())
        )
        return (None, None) if found is None else found


def scan_lock_entries(path: Path) -> dict[tuple[str, str, str | None], tuple[int, str | None]]:
    """``(name, version, source)`` -> ``(line, checksum)`` of each ``[[package]]`` of a
    Cargo.lock, from a scan of its lines (cargo writes them one key per line; a file that is
    not readable or not in that shape simply gives fewer entries)."""
    try:
        with path.open("rb") as stream:
            text = stream.read(MAX_LOCKFILE_BYTES).decode("utf-8", "replace")
    except OSError:
        return {}
    found: dict[tuple[str, str, str | None], tuple[int, str | None]] = {}
    entry: dict[str, str] | None = None
    line_no = 0

    def flush() -> None:
        if entry is not None and "name" in entry and "version" in entry:
            source = entry.get("source")
            key = (entry["name"], entry["version"], _canonical_source(source))
            found.setdefault(key, (line_no, entry.get("checksum")))

    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("["):
            flush()
            entry, line_no = ({}, number) if line.strip() == "[[package]]" else (None, 0)
            continue
        if entry is None or "=" not in line:
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if value.startswith('"') and value.endswith('"') and len(value) >= 2:
            entry[key.strip()] = value[1:-1]
    flush()
    return found


def _canonical_source(text: str | None) -> str | None:
    if text is None:
        return None
    try:
        return SourceId.parse(text).to_url()
    except InvalidSourceId:
        return text


def _version(f: Fields, text: str, where: str) -> Version:
    try:
        return Version.parse(text)
    except InvalidVersion as e:
        f.fail(where, f"{text!r} is not a valid version: {e.reason}")


def _kind(f: Fields, text: str | None, where: str) -> DepKind:
    if text is None:
        return DepKind.NORMAL
    if text == "dev":
        return DepKind.DEV
    if text == "build":
        return DepKind.BUILD
    if text != "normal":
        f.fail(where, f"unknown dependency kind {text!r}")
    return DepKind.NORMAL
