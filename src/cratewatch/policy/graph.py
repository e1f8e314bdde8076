"""The crate graph the policy checks run on: crates, the edges between them, the roots.

A :class:`CrateGraph` comes from ``cargo metadata`` (:mod:`.graph_metadata`) or from Cargo.lock
plus the manifests of every package (:mod:`.graph_lock`); both give crates with their enabled
features and edges that only exist where a feature activated an optional dependency.
:func:`prune` then applies the ``[graph]`` options as cargo-deny does: an edge whose every
``(kind, target)`` is filtered out (a dev edge under ``exclude-dev``, a target-specific edge for
none of the ``targets``) disappears, excluded crates stop being roots, and whatever is no
longer reachable from a root leaves the graph.

>>> from cratewatch.semver import Version
>>> app = Krate(name="app", version=Version.parse("0.1.0"), source=None, workspace_member=True)
>>> leaf = Krate(name="leaf", version=Version.parse("1.0.0"), source=None)
>>> dev = Edge(parent=0, child=1, kinds=((DepKind.DEV, None),))
>>> g = CrateGraph(krates=(app, leaf), edges=(dev,), roots=(0,))
>>> [k.name for k in prune(g, exclude_dev=True).krates]
['app']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

from cratewatch.registry.model import DepKind
from cratewatch.resolver.platform import InvalidPlatform, Platform, Target, parse_platform
from cratewatch.semver import Version, VersionReq
from cratewatch.source_id import SourceId

__all__ = [
    "CrateGraph",
    "DeclaredDependency",
    "DepKind",
    "Edge",
    "GraphTarget",
    "Krate",
    "ManifestFound",
    "ManifestMissing",
    "ManifestState",
    "prune",
]


def _empty_features() -> Mapping[str, tuple[str, ...]]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True, kw_only=True)
class DeclaredDependency:
    """A dependency as a crate's manifest declares it (for wildcard checks and labels)."""

    name: str
    """The manifest key (the renamed name when ``package = ...`` is used)."""
    package: str
    """The real crate name."""
    req: str
    """The version requirement text; ``*`` when none is written (a path or git dependency)."""
    kind: DepKind
    """Normal, build or dev."""
    target: str | None = None
    """The ``[target.X]`` platform; ``None``: every target."""
    optional: bool = False
    """Whether only a feature enables it."""
    path: str | None = None
    """The path of a path dependency."""
    git: str | None = None
    """The git URL of a git dependency."""
    registry: str | None = None
    """The registry (name or index URL) of an alternative-registry dependency."""

    @property
    def is_wildcard(self) -> bool:
        """Whether the requirement matches every version (``*``)."""
        return self.req.strip() == "*"

    @property
    def is_registry(self) -> bool:
        """Whether it comes from a registry (neither a path nor a git dependency)."""
        return self.path is None and self.git is None


@dataclass(frozen=True, slots=True, kw_only=True)
class ManifestFound:
    """The crate's Cargo.toml was read."""

    path: Path
    """The manifest file; its directory is the crate's source root."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ManifestMissing:
    """The crate's manifest could not be found (lockfile-only graph)."""

    reason: str
    """Why (not in the registry cache, download disabled, ...)."""


ManifestState = ManifestFound | ManifestMissing
"""Whether a crate's manifest and sources are available."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Krate:
    """One package of the graph."""

    name: str
    """Crate name."""
    version: Version
    """Exact version."""
    source: SourceId | None
    """Where it comes from; ``None`` for workspace members and path dependencies."""
    manifest: ManifestState = ManifestMissing(reason="not known")
    """Its Cargo.toml, when available."""
    license: str | None = None
    """The manifest's ``license`` expression, as written."""
    license_file: str | None = None
    """The manifest's ``license-file``, relative to the crate root."""
    publish: bool | tuple[str, ...] | None = None
    """``publish``: ``False``, the registries allowed, or ``None`` (anywhere)."""
    features: Mapping[str, tuple[str, ...]] = field(default_factory=_empty_features)
    """The features the crate declares."""
    enabled_features: frozenset[str] = frozenset()
    """The features enabled in this build."""
    dependencies: tuple[DeclaredDependency, ...] = ()
    """Its declared dependencies (all kinds)."""
    build_script: Path | None = None
    """Its build script, when it has one."""
    proc_macro: bool = False
    """Whether it is a procedural macro (runs in the compiler)."""
    workspace_member: bool = False
    """Whether it is a member of the workspace."""
    lock_line: int | None = None
    """The line of its ``[[package]]`` entry in Cargo.lock."""
    checksum: str | None = None
    """The ``.crate`` SHA-256 Cargo.lock records."""

    @property
    def id(self) -> str:
        """``name version (source)``, unique in a graph."""
        text = f"{self.name} {self.version}"
        return text if self.source is None else f"{text} ({self.source.to_url()})"

    @property
    def root(self) -> Path | None:
        """The directory of its sources, when known."""
        return self.manifest.path.parent if isinstance(self.manifest, ManifestFound) else None

    @property
    def executes_at_build_time(self) -> bool:
        """Whether it runs code during the build (a build script or a proc-macro)."""
        return self.build_script is not None or self.proc_macro

    def is_private(self, private_registries: Iterable[str] = ()) -> bool:
        """cargo-deny's notion of private: ``publish = false``, or publishable only to the
        given private registries (by name or URL)."""
        if self.publish is False:
            return True
        if isinstance(self.publish, tuple):
            allowed = set(private_registries)
            return all(registry in allowed for registry in self.publish)
        return False

    def __str__(self) -> str:
        return f"{self.name} {self.version}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Edge:
    """A dependency edge; ``kinds`` lists each ``(kind, target)`` the parent declares it as."""

    parent: int
    """Index of the dependent crate."""
    child: int
    """Index of the dependency."""
    kinds: tuple[tuple[DepKind, str | None], ...]
    """How the parent depends on it: kind and platform (``None``: every platform)."""

    @property
    def kind_set(self) -> frozenset[DepKind]:
        """The dependency kinds of the edge."""
        return frozenset(kind for kind, _ in self.kinds)


@dataclass(frozen=True, slots=True, kw_only=True)
class GraphTarget:
    """A platform the project builds for (``[graph] targets``)."""

    triple: str
    """The target triple."""
    cfgs: frozenset[tuple[str, str | None]] | None = None
    """Its cfg values (from ``rustc --print cfg``); ``None`` when unknown, in which case only
    ``[target.<triple>]`` dependencies match it, as in cargo-deny."""
    features: tuple[str, ...] = ()
    """``target_feature`` values promised for it."""

    def matches(self, platform: Platform) -> bool:
        """Whether a dependency on *platform* applies to this target."""
        if platform.cfg is None:
            return platform.name == self.triple
        if self.cfgs is None:
            return False
        cfgs = self.cfgs | {("target_feature", f) for f in self.features}
        return platform.matches(Target(name=self.triple, cfgs=cfgs))


class CrateGraph:
    """Crates sorted by name and version, the edges between them and the root crates."""

    __slots__ = ("_by_id", "_by_name", "_deps", "_rdeps", "edges", "krates", "lockfile", "roots")

    def __init__(
        self,
        *,
        krates: Sequence[Krate],
        edges: Iterable[Edge],
        roots: Iterable[int],
        lockfile: str | None = None,
    ) -> None:
        order = sorted(range(len(krates)), key=lambda i: _sort_key(krates[i]))
        position = {old: new for new, old in enumerate(order)}
        self.krates: tuple[Krate, ...] = tuple(krates[i] for i in order)
        """Every crate, sorted by name, version and source."""
        merged: dict[tuple[int, int], list[tuple[DepKind, str | None]]] = {}
        for edge in edges:
            key = (position[edge.parent], position[edge.child])
            kinds = merged.setdefault(key, [])
            kinds.extend(k for k in edge.kinds if k not in kinds)
        self.edges: tuple[Edge, ...] = tuple(
            Edge(parent=p, child=c, kinds=tuple(kinds)) for (p, c), kinds in sorted(merged.items())
        )
        """Every edge, parent-major."""
        self.roots: tuple[int, ...] = tuple(sorted(position[r] for r in set(roots)))
        """The crates the graph grows from (workspace members not excluded)."""
        self.lockfile = lockfile
        """The Cargo.lock labels point into, when there is one."""
        deps: list[list[Edge]] = [[] for _ in self.krates]
        rdeps: list[list[Edge]] = [[] for _ in self.krates]
        for edge in self.edges:
            deps[edge.parent].append(edge)
            rdeps[edge.child].append(edge)
        self._deps = tuple(tuple(d) for d in deps)
        self._rdeps = tuple(tuple(r) for r in rdeps)
        by_name: dict[str, list[int]] = {}
        for i, krate in enumerate(self.krates):
            by_name.setdefault(krate.name, []).append(i)
        self._by_name = {name: tuple(ix) for name, ix in by_name.items()}
        self._by_id = {krate.id: i for i, krate in enumerate(self.krates)}

    def __len__(self) -> int:
        return len(self.krates)

    def index(self, krate_id: str) -> int:
        """The position of the crate with this :attr:`Krate.id` (``KeyError`` if absent)."""
        return self._by_id[krate_id]

    def by_name(self, name: str) -> tuple[int, ...]:
        """Positions of the crates called *name*, lowest version first."""
        return self._by_name.get(name, ())

    def matching(self, name: str, req: VersionReq | None) -> tuple[int, ...]:
        """Positions of the crates called *name* whose version matches *req* (any when
        ``None``); pre-releases match a requirement only as cargo-deny's ``semver`` does."""
        return tuple(
            i for i in self.by_name(name) if req is None or req.matches(self.krates[i].version)
        )

    def dependencies(self, i: int) -> tuple[Edge, ...]:
        """Edges from crate *i* to what it depends on."""
        return self._deps[i]

    def dependents(self, i: int) -> tuple[Edge, ...]:
        """Edges into crate *i* from what depends on it."""
        return self._rdeps[i]

    def reachable(self, kinds: frozenset[DepKind]) -> frozenset[int]:
        """Crates reachable from a root through edges of the given kinds only."""
        seen = set(self.roots)
        stack = list(self.roots)
        while stack:
            for edge in self._deps[stack.pop()]:
                if edge.child not in seen and edge.kind_set & kinds:
                    seen.add(edge.child)
                    stack.append(edge.child)
        return frozenset(seen)

    def is_direct_workspace_dependency(self, i: int) -> bool:
        """Whether a workspace member depends on crate *i* directly."""
        return any(self.krates[e.parent].workspace_member for e in self._rdeps[i])

    def inclusion_tree(self, i: int, *, limit: int = 40) -> tuple[str, ...]:
        """Lines showing why crate *i* is in the graph: it, then each dependent indented
        under it, up to the roots (a crate already shown is not expanded again)."""
        lines: list[str] = []
        shown: set[int] = set()

        def walk(node: int, prefix: str, label: str) -> None:
            if len(lines) >= limit:
                return
            krate = self.krates[node]
            lines.append(f"{prefix}{krate.name} v{krate.version}{label}")
            if node in shown:
                return
            shown.add(node)
            parents = self._rdeps[node]
            child_prefix = prefix.replace("├── ", "│   ").replace("└── ", "    ")
            for n, edge in enumerate(parents):
                last = n == len(parents) - 1
                kinds = sorted(k.value for k in edge.kind_set if k is not DepKind.NORMAL)
                walk(
                    edge.parent,
                    child_prefix + ("└── " if last else "├── "),
                    f" ({', '.join(kinds)})" if kinds else "",
                )

        walk(i, "", "")
        if len(lines) >= limit:
            lines.append("... (more dependents not shown)")
        return tuple(lines)


def _sort_key(krate: Krate) -> tuple[str, Version, str]:
    return (krate.name, krate.version, "" if krate.source is None else krate.source.to_url())


def prune(
    graph: CrateGraph,
    *,
    targets: Sequence[GraphTarget] = (),
    exclude: Iterable[int] = (),
    exclude_dev: bool = False,
    exclude_unpublished: bool = False,
) -> CrateGraph:
    """Apply the ``[graph]`` options: drop filtered edges, excluded roots and what is no longer
    reachable (see the module docstring). *exclude* are crate positions in *graph*."""
    excluded = frozenset(exclude)
    roots = [
        r
        for r in graph.roots
        if r not in excluded and not (exclude_unpublished and graph.krates[r].publish is False)
    ]
    platforms: dict[str, Platform | None] = {}
    kept: list[Edge] = []
    for edge in graph.edges:
        if edge.child in excluded:
            continue
        kinds = tuple(
            (kind, target)
            for kind, target in edge.kinds
            if not (exclude_dev and kind is DepKind.DEV)
            and _target_applies(target, targets, platforms)
        )
        if kinds:
            kept.append(Edge(parent=edge.parent, child=edge.child, kinds=kinds))
    children: dict[int, list[int]] = {}
    for edge in kept:
        children.setdefault(edge.parent, []).append(edge.child)
    seen = set(roots)
    stack = list(roots)
    while stack:
        for child in children.get(stack.pop(), ()):
            if child not in seen:
                seen.add(child)
                stack.append(child)
    order = sorted(seen)
    position = {old: new for new, old in enumerate(order)}
    return CrateGraph(
        krates=[graph.krates[i] for i in order],
        edges=[
            Edge(parent=position[e.parent], child=position[e.child], kinds=e.kinds)
            for e in kept
            if e.parent in position and e.child in position
        ],
        roots=[position[r] for r in roots],
        lockfile=graph.lockfile,
    )


def _target_applies(
    target: str | None, targets: Sequence[GraphTarget], cache: dict[str, Platform | None]
) -> bool:
    if target is None or not targets:
        return True
    if target not in cache:
        try:
            cache[target] = parse_platform(target)
        except InvalidPlatform:
            cache[target] = None
    platform = cache[target]
    return platform is not None and any(t.matches(platform) for t in targets)


def with_features(krate: Krate, enabled: Iterable[str]) -> Krate:
    """A copy of *krate* with these features enabled."""
    return replace(krate, enabled_features=frozenset(enabled))
