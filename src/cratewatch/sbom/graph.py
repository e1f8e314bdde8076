"""Building the :class:`~.model.ComponentGraph` from a Cargo.lock or a project's crate graph.

Two inputs:

* :func:`graph_from_lockfile` (lockfile-only mode): every package of Cargo.lock, the edges it
  records (of unknown kind), the packages without a source as roots.
* :func:`graph_from_crates` (project mode): the :class:`~cratewatch.policy.graph.CrateGraph` of
  ``cargo metadata`` or of Cargo.lock plus manifests for the selected features and target
  (edges keep their normal/build/dev kinds, so each component's :class:`~.model.Usage` is
  known); the lockfile packages that selection does not build are added as ``optional``.

Manifest metadata (licence, authors, description, links) comes from a :class:`MetadataLookup`:
the workspace's own manifests, and for dependencies whatever unpacked copy a
:class:`~cratewatch.policy.crate_sources.SourceLocator` finds (cargo's registry cache
``$CARGO_HOME/registry/src/*/NAME-VERSION``, a vendor directory, a git checkout).

>>> from cratewatch.lockfile import parse_lockfile
>>> lock = parse_lockfile('version = 4\\n[[package]]\\nname = "app"\\nversion = "0.1.0"\\n'
...                       'dependencies = ["itoa"]\\n[[package]]\\nname = "itoa"\\n'
...                       'version = "1.0.11"\\n'
...                       'source = "registry+https://github.com/rust-lang/crates.io-index"\\n')
>>> g = graph_from_lockfile(lock, metadata=MetadataLookup(), input_digest="0" * 64)
>>> [(c.ref, c.usage.value) for c in g.components]
[('path+app@0.1.0', 'unknown'), ('pkg:cargo/itoa@1.0.11', 'unknown')]
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from packageurl import PackageURL

from cratewatch.errors import CratewatchError
from cratewatch.lockfile import Lockfile, Package
from cratewatch.manifest import (
    Manifest,
    WorkspaceInherited,
    load_manifest,
    resolve_workspace_inheritance,
    workspace_members,
)
from cratewatch.policy.crate_sources import SourceFound, SourceLocator
from cratewatch.policy.graph import CrateGraph, DepKind, Krate, ManifestFound
from cratewatch.sbom.licenses import conclude_license, spdx_expression
from cratewatch.sbom.model import (
    Component,
    ComponentGraph,
    DependencyEdge,
    EdgeKind,
    GraphMethod,
    LicenseInfo,
    Usage,
)
from cratewatch.semver import Version
from cratewatch.source_id import SourceId

__all__ = [
    "MetadataLookup",
    "component_ref",
    "dev_only",
    "graph_from_crates",
    "graph_from_lockfile",
    "input_digest",
    "package_purl",
]

_KIND_OF = {
    DepKind.NORMAL: EdgeKind.NORMAL,
    DepKind.BUILD: EdgeKind.BUILD,
    DepKind.DEV: EdgeKind.DEV,
}


def package_purl(name: str, version: str, source: SourceId | None) -> str:
    """The package URL of a cargo package.

    >>> from cratewatch.source_id import SourceId
    >>> package_purl("itoa", "1.0.11", None)
    'pkg:cargo/itoa@1.0.11'
    >>> package_purl("x", "0.1.0", SourceId.parse("git+https://github.com/o/x?rev=v1#0a1b"))
    'pkg:cargo/x@0.1.0?vcs_url=git%2Bhttps://github.com/o/x%400a1b'
    >>> package_purl("y", "2.0.0", SourceId.parse("sparse+https://my.registry/index/"))
    'pkg:cargo/y@2.0.0?repository_url=sparse%2Bhttps://my.registry/index/'
    """
    qualifiers: dict[str, str] = {}
    if source is not None and not source.is_crates_io:
        if source.is_git:
            commit = f"@{source.precise}" if source.precise else ""
            qualifiers["vcs_url"] = f"git+{source.url}{commit}"
        elif source.is_registry:
            qualifiers["repository_url"] = f"{source.kind.value}+{source.url}"
    purl = PackageURL(type="cargo", name=name, version=version, qualifiers=qualifiers or None)
    return purl.to_string()


def component_ref(name: str, version: str, source: SourceId | None) -> str:
    """The unique ref of a package: its purl, or ``path+NAME@VERSION`` for local packages
    (whose purl would look like the crates.io package of the same name)."""
    if source is None or source.is_path:
        return f"path+{name}@{version}"
    return package_purl(name, version, source)


def input_digest(lockfile: bytes, options: Mapping[str, object]) -> str:
    """SHA-256 over the Cargo.lock bytes and the options that shape the graph."""
    digest = hashlib.sha256(lockfile)
    digest.update(json.dumps(dict(options), sort_keys=True, default=str).encode())
    return digest.hexdigest()


@dataclass(frozen=True, slots=True, kw_only=True)
class _Meta:
    license: LicenseInfo
    authors: tuple[str, ...] = ()
    description: str | None = None
    repository: str | None = None
    homepage: str | None = None
    documentation: str | None = None
    origin: str = ""


class MetadataLookup:
    """Finds the manifest metadata of packages (see the module docstring).

    *workspace_root* is the directory of the workspace's root Cargo.toml (its members' manifests
    are read with workspace inheritance resolved); *locator* finds dependencies' sources; with
    *detect_licenses* a package whose sources are found gets a concluded licence from its
    licence files (:mod:`.licenses`).
    """

    def __init__(
        self,
        *,
        workspace_root: Path | None = None,
        locator: SourceLocator | None = None,
        detect_licenses: bool = True,
    ) -> None:
        self.workspace_root = workspace_root
        """The workspace root directory, when known."""
        self.locator = locator
        """Finds unpacked dependency sources; ``None``: dependencies get no metadata."""
        self.detect_licenses = detect_licenses
        """Whether to conclude licences from the packages' licence files."""
        self._root_manifest: Manifest | None = None
        self._local: dict[tuple[str, str], Path] | None = None

    def for_package(self, package: Package) -> _Meta:
        """Metadata of a Cargo.lock package."""
        if package.source is None:
            path = self._local_manifests().get((package.name, str(package.version)))
            if path is None:
                return _Meta(license=LicenseInfo(), origin="local package not found in workspace")
            return self._read(path, "workspace manifest")
        if self.locator is None:
            return _Meta(license=LicenseInfo(), origin="no source lookup configured")
        found = self.locator.locate(package)
        if not isinstance(found, SourceFound):
            return _Meta(license=LicenseInfo(), origin=found.reason)
        return self._read(found.manifest, found.origin)

    def for_krate(self, krate: Krate) -> _Meta:
        """Metadata of a crate-graph crate (its manifest path is usually known)."""
        if isinstance(krate.manifest, ManifestFound):
            origin = "workspace manifest" if krate.source is None else "package manifest"
            return self._read(krate.manifest.path, origin)
        return _Meta(license=LicenseInfo(raw=krate.license), origin=krate.manifest.reason)

    # --- internals --------------------------------------------------------------------------

    def _local_manifests(self) -> dict[tuple[str, str], Path]:
        if self._local is not None:
            return self._local
        found: dict[tuple[str, str], Path] = {}
        root = self.workspace_root
        if root is not None and (root / "Cargo.toml").is_file():
            try:
                directories = workspace_members(root)
            except (CratewatchError, OSError):
                directories = [root]
            for directory in directories:
                try:
                    manifest = self._resolved(load_manifest(directory / "Cargo.toml"))
                except (CratewatchError, OSError):
                    continue
                meta = manifest.package
                if meta is not None and isinstance(meta.version, Version):
                    found.setdefault((meta.name, str(meta.version)), directory / "Cargo.toml")
        self._local = found
        return found

    def _resolved(self, manifest: Manifest) -> Manifest:
        if manifest.workspace_resolved or self.workspace_root is None:
            return manifest
        if self._root_manifest is None:
            self._root_manifest = load_manifest(self.workspace_root / "Cargo.toml")
        return resolve_workspace_inheritance(manifest, self._root_manifest)

    def _read(self, path: Path, origin: str) -> _Meta:
        try:
            manifest = self._resolved(load_manifest(path))
        except (CratewatchError, OSError) as e:
            return _Meta(license=LicenseInfo(), origin=f"{path}: {e}")
        meta = manifest.package
        if meta is None:
            return _Meta(license=LicenseInfo(), origin=f"{path}: no [package]")
        raw = _text(meta.license)
        expression = spdx_expression(raw)
        license_file = _text(meta.license_file)
        authors = meta.authors if isinstance(meta.authors, tuple) else ()
        concluded = (
            conclude_license(path.parent, declared=expression, license_file=license_file)
            if self.detect_licenses
            else None
        )
        return _Meta(
            license=LicenseInfo(
                expression=expression, raw=raw, license_file=license_file, concluded=concluded
            ),
            authors=tuple(a for a in authors if a.strip()),
            description=_text(meta.description),
            repository=_url(meta.repository),
            homepage=_url(meta.homepage),
            documentation=_url(meta.documentation),
            origin=origin,
        )


def _text(value: object) -> str | None:
    if isinstance(value, WorkspaceInherited) or not isinstance(value, str):
        return None
    return value.strip() or None


def _url(value: object) -> str | None:
    text = _text(value)
    return text if text is not None and text.startswith(("https://", "http://")) else None


def _component(
    name: str,
    version: Version,
    source: SourceId | None,
    *,
    usage: Usage,
    member: bool,
    checksum: str | None,
    meta: _Meta,
) -> Component:
    text = str(version)
    return Component(
        ref=component_ref(name, text, source),
        name=name,
        version=text,
        purl=package_purl(name, text, source),
        source=source,
        usage=usage,
        workspace_member=member,
        sha256=checksum,
        license=meta.license,
        authors=meta.authors,
        description=meta.description,
        repository=meta.repository,
        homepage=meta.homepage,
        documentation=meta.documentation,
        metadata_origin=meta.origin,
    )


def graph_from_lockfile(
    lock: Lockfile, *, metadata: MetadataLookup, input_digest: str, origin: str | None = None
) -> ComponentGraph:
    """Every package of *lock*, its recorded edges, the local packages as roots."""
    roots = lock.roots
    root_ids = {p.id for p in roots}
    components = [
        _component(
            p.name,
            p.version,
            p.source,
            usage=Usage.UNKNOWN,
            member=p.id in root_ids and p.source is None,
            checksum=p.checksum,
            meta=metadata.for_package(p),
        )
        for p in lock.packages
    ]
    ref_of = {p.id: c.ref for p, c in zip(lock.packages, components, strict=True)}
    edges = [
        DependencyEdge(parent=ref_of[p.id], child=ref_of[d.id], kinds=frozenset({EdgeKind.LOCKED}))
        for p in lock.packages
        for d in lock.dependencies(p)
    ]
    return ComponentGraph(
        name=_name(roots[0].name if len(roots) == 1 else None, metadata, lock.path),
        version=str(roots[0].version) if len(roots) == 1 else None,
        components=tuple(components),
        edges=tuple(edges),
        roots=tuple(ref_of[p.id] for p in roots),
        input_digest=input_digest,
        origin=origin if origin is not None else lock.path,
        method=GraphMethod.LOCKFILE,
    )


def graph_from_crates(
    crates: CrateGraph,
    *,
    lock: Lockfile | None,
    metadata: MetadataLookup,
    input_digest: str,
    origin: str,
    method: GraphMethod,
    omit: frozenset[tuple[str, str]] = frozenset(),
) -> ComponentGraph:
    """The components of a crate graph, plus the packages of *lock* it leaves out (optional),
    except those named in *omit* as ``(name, version)`` (e.g. dev-only ones under
    ``--exclude-dev``)."""
    usage = _usages(crates)
    components: list[Component] = []
    for i, krate in enumerate(crates.krates):
        components.append(
            _component(
                krate.name,
                krate.version,
                krate.source,
                usage=usage[i],
                member=krate.workspace_member,
                checksum=krate.checksum or _checksum(lock, krate),
                meta=metadata.for_krate(krate),
            )
        )
    edges = [
        DependencyEdge(
            parent=components[e.parent].ref,
            child=components[e.child].ref,
            kinds=frozenset(_KIND_OF[kind] for kind, _ in e.kinds),
        )
        for e in crates.edges
    ]
    if lock is not None:
        components, edges = _add_unbuilt(lock, components, edges, metadata, omit)
    roots = [crates.krates[r] for r in crates.roots]
    single = roots[0] if len(roots) == 1 else None
    return ComponentGraph(
        name=_name(single.name if single else None, metadata, origin),
        version=str(single.version) if single else None,
        components=tuple(components),
        edges=tuple(edges),
        roots=tuple(components[r].ref for r in crates.roots),
        input_digest=input_digest,
        origin=origin,
        method=method,
    )


def dev_only(crates: CrateGraph) -> frozenset[tuple[str, str]]:
    """``(name, version)`` of the crates only the members' dev-dependencies bring in."""
    usage = _usages(crates)
    return frozenset(
        (k.name, str(k.version))
        for k, u in zip(crates.krates, usage, strict=True)
        if u is Usage.DEV
    )


def _usages(crates: CrateGraph) -> list[Usage]:
    """Required through normal edges, build through normal+build, dev for the rest."""
    usage = [Usage.DEV] * len(crates.krates)
    for kinds, label in (
        (frozenset({DepKind.NORMAL, DepKind.BUILD}), Usage.BUILD),
        (frozenset({DepKind.NORMAL}), Usage.REQUIRED),
    ):
        for i in crates.reachable(kinds):
            usage[i] = label
    for r in crates.roots:
        usage[r] = Usage.REQUIRED
    return usage


def _checksum(lock: Lockfile | None, krate: Krate) -> str | None:
    if lock is None:
        return None
    for package in lock.find(krate.name, krate.version):
        if _same(package.source, krate.source):
            return package.checksum
    return None


def _same(a: SourceId | None, b: SourceId | None) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return a.same_source(b)


def _add_unbuilt(
    lock: Lockfile,
    components: list[Component],
    edges: list[DependencyEdge],
    metadata: MetadataLookup,
    omit: frozenset[tuple[str, str]],
) -> tuple[list[Component], list[DependencyEdge]]:
    """Add the Cargo.lock packages the crate graph does not build, as optional components
    reached through the edges Cargo.lock records into them."""
    by_key: dict[tuple[str, str], list[Component]] = {}
    for component in components:
        by_key.setdefault((component.name, component.version), []).append(component)

    def existing(package: Package) -> Component | None:
        for component in by_key.get((package.name, str(package.version)), ()):
            if _same(component.source, package.source):
                return component
        return None

    ref_of: dict[Package, str] = {}
    added: list[Component] = []
    for package in lock.packages:
        found = existing(package)
        if found is not None:
            ref_of[package] = found.ref
            continue
        if (package.name, str(package.version)) in omit:
            continue
        component = _component(
            package.name,
            package.version,
            package.source,
            usage=Usage.OPTIONAL,
            member=False,
            checksum=package.checksum,
            meta=metadata.for_package(package),
        )
        ref_of[package] = component.ref
        added.append(component)
    added_refs = {c.ref for c in added}
    new_edges = [
        DependencyEdge(parent=ref_of[p], child=ref_of[d], kinds=frozenset({EdgeKind.LOCKED}))
        for p in lock.packages
        if p in ref_of
        for d in lock.dependencies(p)
        if ref_of.get(d) in added_refs
    ]
    return components + added, edges + new_edges


def _name(single: str | None, metadata: MetadataLookup, origin: str) -> str:
    if single is not None:
        return single
    if metadata.workspace_root is not None:
        return metadata.workspace_root.resolve().name or "workspace"
    return Path(origin).resolve().parent.name or "workspace"
