"""The crate graph without cargo: Cargo.lock plus the manifest of every package.

Workspace members and path dependencies are read from the workspace; registry and git
packages from wherever a :class:`~.crate_sources.SourceLocator` finds their sources. Features
are then resolved the way cargo unifies them: the members' requested features, each active
dependency's ``features`` and ``default-features``, ``dep:x``, ``x/f`` and weak ``x?/f``
values, and the implicit feature of an optional dependency. An optional dependency becomes an
edge only once an enabled feature activates it; a dev-dependency only for workspace members.
A package whose sources are nowhere to be found keeps the lockfile's edges (every one, as
normal) and is marked :class:`~.graph.ManifestMissing`.

>>> graph_from_lockfile  # doctest: +ELLIPSIS
<function graph_from_lockfile at ...>
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cratewatch.lockfile import Lockfile, Package, load_lockfile
from cratewatch.manifest import (
    BuildScriptPath,
    Dependency,
    DetectBuildScript,
    InvalidManifest,
    Manifest,
    WorkspaceInherited,
    load_manifest,
    resolve_workspace_inheritance,
    workspace_members,
)
from cratewatch.policy.crate_sources import SourceFound, SourceLocator
from cratewatch.policy.graph import (
    CrateGraph,
    DeclaredDependency,
    DepKind,
    Edge,
    Krate,
    ManifestFound,
    ManifestMissing,
    ManifestState,
)
from cratewatch.semver import Version
from cratewatch.source_id import SourceId

__all__ = ["FeatureRequest", "graph_from_lockfile"]

_MAX_PATH_PACKAGES = 10_000


@dataclass(frozen=True, slots=True, kw_only=True)
class FeatureRequest:
    """The features asked for the workspace members (as cargo's flags)."""

    features: tuple[str, ...] = ()
    """Features to enable: ``feat`` on every member declaring it, or ``member/feat``."""
    all_features: bool = False
    """Enable every feature of every member."""
    no_default_features: bool = False
    """Do not enable the members' ``default`` feature."""


@dataclass(slots=True)
class _Local:
    manifest: Manifest
    path: Path
    member: bool


def graph_from_lockfile(
    workspace_root: Path,
    locator: SourceLocator,
    *,
    request: FeatureRequest | None = None,
    lockfile: Lockfile | None = None,
) -> CrateGraph:
    """Build the graph of the workspace at *workspace_root* from its Cargo.lock."""
    lock = lockfile if lockfile is not None else load_lockfile(workspace_root / "Cargo.lock")
    locals_ = _local_packages(workspace_root)
    return _Builder(lock, locals_, locator, request or FeatureRequest()).build()


def _local_packages(root: Path) -> dict[tuple[str, str], _Local]:
    """Workspace members and path dependencies, by (name, version)."""
    root_manifest = load_manifest(root / "Cargo.toml")
    found: dict[tuple[str, str], _Local] = {}
    queue: deque[tuple[Path, bool]] = deque((d, True) for d in workspace_members(root))
    seen: set[Path] = set()
    real_root = root.resolve()
    while queue and len(seen) < _MAX_PATH_PACKAGES:
        directory, member = queue.popleft()
        real = directory.resolve()
        if real in seen:
            continue
        seen.add(real)
        path = directory / "Cargo.toml"
        manifest = load_manifest(path)
        if not manifest.workspace_resolved and root_manifest.workspace is not None:
            manifest = resolve_workspace_inheritance(manifest, root_manifest)
        if manifest.package is None:
            continue
        version = manifest.package.version
        key = (manifest.package.name, str(version) if isinstance(version, Version) else "0.0.0")
        found.setdefault(key, _Local(manifest=manifest, path=path, member=member))
        for dep in manifest.dependencies:
            if dep.path is not None:
                target = Path(os.path.normpath(directory / dep.path))
                if (target / "Cargo.toml").is_file():
                    inside = target.resolve().is_relative_to(real_root)
                    queue.append((target, member and inside))
    return found


class _Builder:
    def __init__(
        self,
        lock: Lockfile,
        locals_: Mapping[tuple[str, str], _Local],
        locator: SourceLocator,
        request: FeatureRequest,
    ) -> None:
        self.lock = lock
        self.request = request
        self.packages = lock.packages
        self.index = {pkg.id: i for i, pkg in enumerate(self.packages)}
        self.manifests: list[Manifest | None] = []
        self.states: list[ManifestState] = []
        self.members: list[bool] = []
        for pkg in self.packages:
            manifest, state, member = self._load(pkg, locals_, locator)
            self.manifests.append(manifest)
            self.states.append(state)
            self.members.append(member)
        count = len(self.packages)
        self.enabled: list[set[str]] = [set() for _ in range(count)]
        self.visited: list[bool] = [False] * count
        self.connected: list[set[int]] = [set() for _ in range(count)]
        self.children: list[dict[int, int | None]] = [{} for _ in range(count)]
        self.weak: list[dict[str, set[str]]] = [{} for _ in range(count)]
        self.edges: dict[tuple[int, int], list[tuple[DepKind, str | None]]] = {}

    def _load(
        self, pkg: Package, locals_: Mapping[tuple[str, str], _Local], locator: SourceLocator
    ) -> tuple[Manifest | None, ManifestState, bool]:
        if pkg.source is None:
            local = locals_.get((pkg.name, str(pkg.version)))
            if local is None:
                return (
                    None,
                    ManifestMissing(reason="path package not found in the workspace"),
                    False,
                )
            return local.manifest, ManifestFound(path=local.path), local.member
        found = locator.locate(pkg)
        if not isinstance(found, SourceFound):
            return None, ManifestMissing(reason=found.reason), False
        try:
            manifest = load_manifest(found.manifest)
        except (InvalidManifest, OSError) as e:
            return None, ManifestMissing(reason=f"{found.manifest}: {e}"), False
        return manifest, ManifestFound(path=found.manifest), False

    # --- feature resolution ---------------------------------------------------------------

    def build(self) -> CrateGraph:
        roots = [i for i, member in enumerate(self.members) if member]
        if not roots:
            roots = [i for i, pkg in enumerate(self.packages) if pkg.source is None]
        for root in roots:
            self._visit(root)
            for feature in self._root_features(root):
                self._feature(root, feature)
        kept = [i for i, visited in enumerate(self.visited) if visited]
        position = {old: new for new, old in enumerate(kept)}
        krates = [self._krate(i) for i in kept]
        edges = [
            Edge(parent=position[p], child=position[c], kinds=tuple(k))
            for (p, c), k in self.edges.items()
        ]
        return CrateGraph(
            krates=krates, edges=edges, roots=[position[r] for r in roots], lockfile=self.lock.path
        )

    def _root_features(self, root: int) -> list[str]:
        manifest = self.manifests[root]
        if manifest is None or manifest.package is None:
            return []
        declared = set(manifest.features) | _implicit_features(manifest)
        if self.request.all_features:
            return sorted(declared)
        wanted = [] if self.request.no_default_features else ["default"]
        for feature in self.request.features:
            owner, slash, name = feature.partition("/")
            if slash and owner == manifest.package.name:
                wanted.append(name)
            elif not slash and feature in declared:
                wanted.append(feature)
        return wanted

    def _visit(self, i: int) -> None:
        if self.visited[i]:
            return
        self.visited[i] = True
        manifest = self.manifests[i]
        if manifest is None:
            for child in self.lock.dependencies(self.packages[i]):
                j = self.index[child.id]
                self._edge(i, j, (DepKind.NORMAL, None))
                self._visit(j)
            return
        for n, dep in enumerate(manifest.dependencies):
            if not dep.optional and self._kind_included(i, dep):
                self._connect(i, n)

    def _kind_included(self, i: int, dep: Dependency) -> bool:
        return dep.kind is not DepKind.DEV or self.members[i]

    def _feature(self, i: int, feature: str) -> None:
        manifest = self.manifests[i]
        if manifest is None or feature in self.enabled[i]:
            return
        if feature in manifest.features:
            self.enabled[i].add(feature)
            for value in manifest.features[feature]:
                self._value(i, value)
        elif feature in _implicit_features(manifest):
            self.enabled[i].add(feature)
            self._activate(i, feature)

    def _value(self, i: int, value: str) -> None:
        if value.startswith("dep:"):
            self._activate(i, value[4:])
            return
        dep_name, slash, feature = value.partition("/")
        if not slash:
            self._feature(i, value)
            return
        if dep_name.endswith("?"):
            dep_name = dep_name[:-1]
            self.weak[i].setdefault(dep_name, set()).add(feature)
            for child in self._children_named(i, dep_name):
                self._feature(child, feature)
            return
        self._activate(i, dep_name)
        manifest = self.manifests[i]
        if manifest is not None and dep_name in _implicit_features(manifest):
            self.enabled[i].add(dep_name)
        for child in self._children_named(i, dep_name):
            self._feature(child, feature)

    def _activate(self, i: int, dep_name: str) -> None:
        manifest = self.manifests[i]
        if manifest is None:
            return
        for n, dep in enumerate(manifest.dependencies):
            if dep.name == dep_name and self._kind_included(i, dep):
                self._connect(i, n)

    def _children_named(self, i: int, dep_name: str) -> list[int]:
        manifest = self.manifests[i]
        if manifest is None:
            return []
        return [
            child
            for n, child in self.children[i].items()
            if child is not None and manifest.dependencies[n].name == dep_name
        ]

    def _connect(self, i: int, n: int) -> None:
        if n in self.connected[i]:
            return
        self.connected[i].add(n)
        manifest = self.manifests[i]
        assert manifest is not None
        dep = manifest.dependencies[n]
        child = self._match(i, dep)
        self.children[i][n] = child
        if child is None:
            return
        self._edge(i, child, (dep.kind, dep.target))
        self._visit(child)
        if dep.default_features:
            self._feature(child, "default")
        for feature in dep.features:
            if "/" in feature:
                self._value(child, feature)
            else:
                self._feature(child, feature)
        for feature in self.weak[i].get(dep.name, ()):
            self._feature(child, feature)

    def _edge(self, parent: int, child: int, kind: tuple[DepKind, str | None]) -> None:
        kinds = self.edges.setdefault((parent, child), [])
        if kind not in kinds:
            kinds.append(kind)

    def _match(self, i: int, dep: Dependency) -> int | None:
        """The locked package *dep* of package *i* resolved to."""
        candidates = [p for p in self.lock.dependencies(self.packages[i]) if p.name == dep.package]
        if len(candidates) > 1:
            candidates = [p for p in candidates if _source_fits(p.source, dep)] or candidates
        if len(candidates) > 1:
            req = dep.effective_req
            candidates = [p for p in candidates if req.matches(p.version)] or candidates
        if not candidates:
            return None
        best = max(candidates, key=lambda p: p.version)
        return self.index[best.id]

    # --- results --------------------------------------------------------------------------

    def _krate(self, i: int) -> Krate:
        pkg = self.packages[i]
        manifest = self.manifests[i]
        state = self.states[i]
        if manifest is None or manifest.package is None:
            return Krate(
                name=pkg.name,
                version=pkg.version,
                source=pkg.source,
                manifest=state,
                workspace_member=self.members[i],
                lock_line=pkg.line,
                checksum=pkg.checksum,
            )
        meta = manifest.package
        root = Path(manifest.path).parent
        build_script = None
        match meta.build:
            case BuildScriptPath(path=script):
                build_script = root / script
            case DetectBuildScript() if (root / "build.rs").is_file():
                build_script = root / "build.rs"
            case _:
                pass
        return Krate(
            name=pkg.name,
            version=pkg.version,
            source=pkg.source,
            manifest=state,
            license=_plain(meta.license),
            license_file=_plain(meta.license_file),
            publish=_publish(meta.publish),
            features={
                **manifest.features,
                **{name: (f"dep:{name}",) for name in _implicit_features(manifest)},
            },
            enabled_features=frozenset(self.enabled[i]),
            dependencies=tuple(_declared(d) for d in manifest.dependencies),
            build_script=build_script,
            proc_macro=manifest.lib is not None and manifest.lib.proc_macro,
            workspace_member=self.members[i],
            lock_line=pkg.line,
            checksum=pkg.checksum,
        )


def _implicit_features(manifest: Manifest) -> frozenset[str]:
    """The implicit feature of each optional dependency no ``dep:`` value names."""
    named = {v[4:] for values in manifest.features.values() for v in values if v.startswith("dep:")}
    return frozenset(
        d.name
        for d in manifest.dependencies
        if d.optional and d.name not in named and d.name not in manifest.features
    )


def _source_fits(source: SourceId | None, dep: Dependency) -> bool:
    if dep.path is not None:
        return source is None
    if dep.git is not None:
        return source is not None and source.is_git and _same_url(source.url, dep.git)
    if source is None or not source.is_registry:
        return False
    return source.is_crates_io == (dep.registry is None)


def _same_url(a: str, b: str) -> bool:
    def norm(url: str) -> str:
        return url.rstrip("/").removesuffix(".git").lower()

    return norm(a) == norm(b)


def _plain(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _publish(value: object) -> bool | tuple[str, ...] | None:
    if isinstance(value, WorkspaceInherited) or value is None or value is True:
        return None
    if value is False:
        return False
    if isinstance(value, tuple):
        return tuple(str(v) for v in value) or False
    return None


def _declared(dep: Dependency) -> DeclaredDependency:
    return DeclaredDependency(
        name=dep.name,
        package=dep.package,
        req="*" if dep.req is None else str(dep.req),
        kind=dep.kind,
        target=dep.target,
        optional=dep.optional,
        path=dep.path,
        git=dep.git,
        registry=dep.registry,
    )
