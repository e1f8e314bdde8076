"""The neutral component graph every SBOM format is written from.

A :class:`ComponentGraph` is what cratewatch knows about a project's packages, independent of
CycloneDX or SPDX: each :class:`Component` (name, version, source, purl, checksum, licence,
authors, links, how it is used) and the :class:`DependencyEdge` between them, grown from the
:attr:`~ComponentGraph.roots` (the workspace members). :mod:`.graph` builds it from a Cargo.lock
or a crate graph; :mod:`.cyclonedx` and :mod:`.spdx` write it.

>>> app = Component(ref="path+app@0.1.0", name="app", version="0.1.0", purl="pkg:cargo/app@0.1.0",
...                 source=None, usage=Usage.REQUIRED, workspace_member=True)
>>> g = ComponentGraph(name="app", components=(app,), edges=(), roots=(app.ref,),
...                    input_digest="0" * 64, origin="Cargo.lock", method=GraphMethod.LOCKFILE)
>>> [c.name for c in g.members], g.subgraph(app.ref).name
(['app'], 'app')
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum
from types import MappingProxyType

from cratewatch.semver import InvalidVersion, Version
from cratewatch.source_id import SourceId

__all__ = [
    "Component",
    "ComponentGraph",
    "DependencyEdge",
    "EdgeKind",
    "GraphMethod",
    "LicenseInfo",
    "Usage",
]


class Usage(StrEnum):
    """How a package takes part in the build (CycloneDX ``scope``, SPDX relationship type)."""

    REQUIRED = "required"
    """Reached from a workspace member through normal dependencies: it ships."""
    BUILD = "build"
    """Only reached through build-dependencies: it runs while building, it does not ship."""
    DEV = "dev"
    """Only reached through the members' dev-dependencies (tests, benchmarks, examples)."""
    OPTIONAL = "optional"
    """In Cargo.lock but not built with the selected features and target."""
    UNKNOWN = "unknown"
    """Lockfile-only graph: Cargo.lock does not say which dependencies are built."""


class EdgeKind(StrEnum):
    """The kind of a dependency edge."""

    NORMAL = "normal"
    """A ``[dependencies]`` entry."""
    BUILD = "build"
    """A ``[build-dependencies]`` entry."""
    DEV = "dev"
    """A ``[dev-dependencies]`` entry."""
    LOCKED = "locked"
    """An edge Cargo.lock records, of an unknown kind (lockfile-only graph)."""


class GraphMethod(StrEnum):
    """Where the graph came from."""

    LOCKFILE = "lockfile"
    """Cargo.lock alone: every package, edges of unknown kind."""
    CARGO_METADATA = "cargo-metadata"
    """``cargo metadata`` for the selected features and target."""
    MANIFESTS = "lockfile-and-manifests"
    """Cargo.lock plus the manifests of every package, features resolved like cargo."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LicenseInfo:
    """A package's licence as its manifest declares it."""

    expression: str | None = None
    """The ``license`` field as a valid SPDX expression (``/`` read as ``OR``); ``None`` when
    absent or not a valid SPDX expression."""
    raw: str | None = None
    """The ``license`` field exactly as written."""
    license_file: str | None = None
    """The ``license-file`` path, relative to the package root."""
    concluded: str | None = None
    """A licence detected from the package's files (SPDX expression), when a detector ran."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Component:
    """One package of the graph."""

    ref: str
    """Unique id in the graph (the CycloneDX ``bom-ref``): the purl for registry and git
    packages, ``path+NAME@VERSION`` for local ones."""
    name: str
    """The crate name."""
    version: str
    """The exact version."""
    purl: str
    """``pkg:cargo/NAME@VERSION``, with ``repository_url`` (other registries) or ``vcs_url``
    (git) qualifiers."""
    source: SourceId | None
    """Where cargo gets it; ``None`` for workspace members and path dependencies."""
    usage: Usage
    """How it takes part in the build."""
    workspace_member: bool = False
    """Whether it is a member of the workspace."""
    sha256: str | None = None
    """The ``.crate`` SHA-256 from Cargo.lock (registry packages)."""
    license: LicenseInfo = field(default_factory=LicenseInfo)
    """Declared (and, when detected, concluded) licence."""
    authors: tuple[str, ...] = ()
    """The manifest's ``authors`` (``Name <email>``)."""
    description: str | None = None
    """The manifest's ``description``."""
    repository: str | None = None
    """The manifest's ``repository`` URL."""
    homepage: str | None = None
    """The manifest's ``homepage`` URL."""
    documentation: str | None = None
    """The manifest's ``documentation`` URL."""
    metadata_origin: str = ""
    """Where the manifest metadata came from, or why there is none."""

    @property
    def download_url(self) -> str | None:
        """Where the package's sources can be downloaded: the crates.io download URL, or
        ``git+URL@COMMIT`` for git packages; ``None`` for local and other-registry ones."""
        source = self.source
        if source is None:
            return None
        if source.is_crates_io:
            return f"https://crates.io/api/v1/crates/{self.name}/{self.version}/download"
        if source.is_git and source.precise:
            return f"git+{source.url}@{source.precise}"
        return None


@dataclass(frozen=True, slots=True, kw_only=True)
class DependencyEdge:
    """``parent`` depends on ``child``."""

    parent: str
    """The dependent's :attr:`Component.ref`."""
    child: str
    """The dependency's :attr:`Component.ref`."""
    kinds: frozenset[EdgeKind]
    """How the parent declares it (several when it is both, e.g. normal and dev)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ComponentGraph:
    """Components, their dependency edges and the roots, sorted for deterministic output."""

    name: str
    """What the document describes: the root package, or the workspace directory's name."""
    components: tuple[Component, ...]
    """Every component, sorted by name, version and ref."""
    edges: tuple[DependencyEdge, ...]
    """Every edge, sorted by parent then child."""
    roots: tuple[str, ...]
    """Refs of the components the graph grows from (the workspace members)."""
    input_digest: str
    """SHA-256 of the inputs (Cargo.lock bytes and the graph options): seeds reproducible
    serial numbers and namespaces."""
    origin: str
    """The input as the user named it (a Cargo.lock path or a project directory)."""
    method: GraphMethod
    """How the graph was built."""
    version: str | None = None
    """The described package's version (single-root graphs)."""
    _by_ref: MappingProxyType[str, Component] = field(
        init=False, repr=False, compare=False, default_factory=lambda: MappingProxyType({})
    )

    def __post_init__(self) -> None:
        by_ref = {c.ref: c for c in self.components}
        if len(by_ref) != len(self.components):
            raise ValueError("two components share a ref")
        missing = [r for e in self.edges for r in (e.parent, e.child) if r not in by_ref]
        missing += [r for r in self.roots if r not in by_ref]
        if missing:
            raise ValueError(f"refs without a component: {sorted(set(missing))[:3]}")
        object.__setattr__(self, "components", tuple(sorted(self.components, key=_order)))
        object.__setattr__(
            self, "edges", tuple(sorted(self.edges, key=lambda e: (e.parent, e.child)))
        )
        object.__setattr__(self, "roots", tuple(sorted(set(self.roots))))
        object.__setattr__(self, "_by_ref", MappingProxyType(by_ref))

    def get(self, ref: str) -> Component:
        """The component with this ref (``KeyError`` when absent)."""
        return self._by_ref[ref]

    @property
    def members(self) -> tuple[Component, ...]:
        """The root components."""
        return tuple(self._by_ref[r] for r in self.roots)

    def dependencies_of(self, ref: str) -> tuple[DependencyEdge, ...]:
        """The edges out of the component *ref*."""
        return tuple(e for e in self.edges if e.parent == ref)

    def subgraph(self, root: str) -> ComponentGraph:
        """The part of the graph reachable from the root *root* (a per-member document)."""
        children: dict[str, list[str]] = {}
        for edge in self.edges:
            children.setdefault(edge.parent, []).append(edge.child)
        seen = {root}
        stack = [root]
        while stack:
            for child in children.get(stack.pop(), ()):
                if child not in seen:
                    seen.add(child)
                    stack.append(child)
        member = self.get(root)
        return replace(
            self,
            name=member.name,
            version=member.version,
            components=tuple(c for c in self.components if c.ref in seen),
            edges=tuple(e for e in self.edges if e.parent in seen and e.child in seen),
            roots=(root,),
        )

    def find(self, name: str, version: str, source: str | None) -> Component | None:
        """The component with this name, version and source id text (``None``: local)."""
        for component in self.components:
            if component.name != name or component.version != version:
                continue
            theirs = None if component.source is None else component.source
            if source is None and theirs is None:
                return component
            if (
                source is not None
                and theirs is not None
                and theirs.same_source(SourceId.parse(source))
            ):
                return component
        return None


def _order(component: Component) -> tuple[str, tuple[int, int, int, str], str]:
    try:
        v = Version.parse(component.version)
        key = (v.major, v.minor, v.patch, component.version)
    except InvalidVersion:
        key = (-1, -1, -1, component.version)
    return (component.name, key, component.ref)
