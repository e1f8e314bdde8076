"""The resolver's entry point: roots in, Cargo.lock package sets out.

A root ``NAME@VERSION`` is resolved the way ``cargo generate-lockfile`` resolves an empty
package whose only dependency is ``NAME = { version = "=VERSION", features = [...],
default-features = ... }``: the package set returned is the lock file's, minus that empty
package. With ``include_dev`` the root's dev-dependencies are added to the empty package
(Cargo would resolve them if the root were a workspace member).

>>> from cratewatch.registry.model import IndexEntry
>>> line = IndexEntry(name="a", vers="1.0.0", deps=(), features={}, yanked=False,
...                   links=None, rust_version=None, cksum="", schema=1)
>>> resolver = Resolver(lambda name: (line,) if name == "a" else ())
>>> [str(p) for p in resolver.resolve(RootRequest(name="a", version="1.0.0")).packages]
['a@1.0.0']
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from cratewatch.registry.index import CrateNotFound, Index
from cratewatch.registry.model import DepKind, IndexDependency, IndexEntry
from cratewatch.registry.paths import InvalidCrateName
from cratewatch.resolver.candidates import CandidateSource, VersionLookup
from cratewatch.resolver.core import Outcome, Solver, Unsolvable
from cratewatch.resolver.features import Expander
from cratewatch.resolver.model import PackageId, Resolution, Resolved, RootRequest, Unresolved
from cratewatch.resolver.platform import Target
from cratewatch.resolver.summary import Dep, InvalidSummary, Summary, build_summary
from cratewatch.semver import InvalidVersion, Version

__all__ = ["ROOT_NAME", "Resolver"]

ROOT_NAME = " root"
"""Name of the synthetic package depending on the root (no crate can be named so)."""


class Resolver:
    """Resolves roots against one index; everything learnt is reused for the next root."""

    __slots__ = ("_expander", "_source", "_target")

    def __init__(self, lookup: VersionLookup, *, target: Target | None = None) -> None:
        """``lookup(name)`` returns the index lines of a crate (``()`` if there is none).

        Without ``target`` the answer is the lock file's package set, which holds the
        dependencies of every platform. With ``target`` the versions stay the lock file's, but
        only packages reachable from the root through dependencies that apply to that target
        are kept (what ``cargo tree --target`` shows, features unified as in the lock file).
        """
        self._source = CandidateSource(lookup)
        self._expander = Expander(self._source)
        self._target = target

    @classmethod
    def from_index(cls, index: Index, *, target: Target | None = None) -> Resolver:
        """A resolver over a :class:`~cratewatch.registry.index.Index` backend.

        A crate the index does not have (or a name crates.io would refuse) has no versions;
        other index errors (network, malformed files) propagate.
        """

        def lookup(name: str) -> tuple[IndexEntry, ...]:
            try:
                return index.versions(name)
            except (CrateNotFound, InvalidCrateName):
                return ()

        return cls(lookup, target=target)

    @property
    def source(self) -> CandidateSource:
        """The memoised view of the index (summaries and candidate lists)."""
        return self._source

    def resolve(self, request: RootRequest) -> Resolution:
        """Resolve one root; failures come back as :class:`Unresolved`, never raised."""
        try:
            version = Version.parse(request.version)
        except InvalidVersion as e:
            return Unresolved(request=request, reason=e.args[0].splitlines()[0])
        root = self._root_summary(request, version)
        if isinstance(root, str):
            return Unresolved(request=request, reason=root)
        try:
            outcome = Solver(self._source, self._expander).solve(root)
        except Unsolvable as e:
            return Unresolved(request=request, reason=e.reason)
        kept = outcome.packages
        if self._target is not None:
            kept = _reachable(outcome, root, self._target)
        ordered = sorted(kept, key=_sort_key)
        features = outcome.features
        dependencies, dev = _edges(outcome, root, set(kept))
        return Resolved(
            request=request,
            root=PackageId(name=request.name, version=version),
            packages=tuple(s.package_id for s in ordered),
            features={s.package_id: features[s] for s in ordered if s in features},
            dependencies=dependencies,
            dev_dependencies=dev,
        )

    def _root_summary(self, request: RootRequest, version: Version) -> Summary | str:
        published = self._source.crate(request.name).summary(version)
        if not isinstance(published, Summary):
            published = None
        features = request.features
        if request.all_features and published is not None:
            features = tuple(sorted(published.features))
        deps = [
            IndexDependency(
                name=request.name,
                package=request.name,
                req=f"={version}",
                kind=DepKind.NORMAL,
                target=None,
                optional=False,
                default_features=request.default_features,
                features=features,
                registry=None,
            )
        ]
        if request.include_dev and published is not None:
            dev = [d.source for d in published.deps if d.kind is DepKind.DEV]
            # the order Cargo reads them from a manifest: untargeted tables, then by target
            dev.sort(key=lambda d: (d.target is not None, d.target or "", d.name))
            deps.extend(dev)
        entry = IndexEntry(
            name=ROOT_NAME,
            vers="0.0.0",
            deps=tuple(deps),
            features={},
            yanked=False,
            links=None,
            rust_version=None,
            cksum="",
            schema=1,
        )
        built = build_summary(entry, self._source.interner)
        if isinstance(built, InvalidSummary):
            return f"{request.describe()}: {built.reason}"
        return built


def _sort_key(summary: Summary) -> tuple[str, Version]:
    return (summary.name, summary.version)


def _edges(
    outcome: Outcome, root: Summary, kept: set[Summary]
) -> tuple[Mapping[PackageId, tuple[PackageId, ...]], tuple[PackageId, ...]]:
    """Lock-file edges between kept packages, and the root's dev-dependency targets.

    The synthetic root depends on the real root and on the real root's dev-dependencies.
    The edge map is built on first use (most callers only want the package set).
    """
    dev = [
        child.package_id
        for child, edges in outcome.parents.items()
        if child in kept and any(d.kind is DepKind.DEV for d in edges.get(root, ()))
    ]
    return _LazyEdges(outcome.parents, root, kept), tuple(dev)


class _LazyEdges(Mapping[PackageId, tuple[PackageId, ...]]):
    """package -> what its normal and build dependencies resolved to, computed when read."""

    __slots__ = ("_built", "_kept", "_parents", "_root")

    def __init__(
        self, parents: dict[Summary, dict[Summary, list[Dep]]], root: Summary, kept: set[Summary]
    ) -> None:
        self._parents = parents
        self._root = root
        self._kept = kept
        self._built: dict[PackageId, tuple[PackageId, ...]] | None = None

    def _map(self) -> dict[PackageId, tuple[PackageId, ...]]:
        built = self._built
        if built is None:
            children: dict[PackageId, list[PackageId]] = {}
            kept, root = self._kept, self._root
            for child, edges in self._parents.items():
                if child not in kept:
                    continue
                child_id = child.package_id
                for parent in edges:
                    if parent is not root and parent in kept:
                        children.setdefault(parent.package_id, []).append(child_id)
            built = self._built = {p: tuple(c) for p, c in children.items()}
        return built

    def __getitem__(self, key: PackageId) -> tuple[PackageId, ...]:
        return self._map()[key]

    def __iter__(self) -> Iterator[PackageId]:
        return iter(self._map())

    def __len__(self) -> int:
        return len(self._map())

    def __repr__(self) -> str:
        return repr(self._map())


def _reachable(outcome: Outcome, root: Summary, target: Target) -> tuple[Summary, ...]:
    """Packages reachable from ``root`` through dependencies that apply to ``target``."""
    children: dict[Summary, list[Summary]] = {}
    for child, edges in outcome.parents.items():
        for parent, deps in edges.items():
            if any(d.platform is None or d.platform.matches(target) for d in deps):
                children.setdefault(parent, []).append(child)
    seen = {root}
    todo = [root]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return tuple(s for s in outcome.packages if s in seen)
