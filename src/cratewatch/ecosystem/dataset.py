"""One dataset row per published version: its resolved tree and the advisories found in it.

A row answers what ``cargo deny check advisories`` would report when run inside the crate's
source (the study this reproduces downloaded each crate and ran cargo-deny in it):

* the version is resolved with the :mod:`cratewatch.resolver` as a dependency ``NAME =
  "=VERSION"`` with its dev-dependencies added (a crate's own dev-dependencies are part of
  the graph cargo-deny checks);
* every package of the resolved tree except the root itself (cargo-deny sees the root as a
  path package, which advisories never match) is matched against the advisories that apply to
  crates.io packages and are not withdrawn, using the advisory's own rule
  (:meth:`~cratewatch.advisories.model.Advisory.affects`);
* per kind (vulnerability, unsound, notice, unmaintained) the row counts the findings
  (advisory x package), and lists each with the depth at which it enters (1 = a direct
  dependency), the packages that pull it in and whether only dev-dependencies lead to it.

A :class:`Session` holds one resolver per worker, so everything learnt from the index (and
which advisories affect which package) is reused from root to root.

>>> from cratewatch.registry.model import IndexEntry
>>> line = IndexEntry(name="a", vers="1.0.0", deps=(), features={}, yanked=False,
...                   links=None, rust_version=None, cksum="", schema=1)
>>> session = Session(lambda name: (line,) if name == "a" else (), AdvisoryMatcher(()))
>>> table = session.partition(["a"], all_versions=False)
>>> table.column("all_deps").to_pylist(), table.column("resolve_error").to_pylist()
([0], [None])
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from cratewatch.advisories.model import Advisory, AdvisoryKind, Collection
from cratewatch.audit.engine import CRATES_IO, registry_key
from cratewatch.registry.model import IndexEntry
from cratewatch.resolver import PackageId, Resolved, Resolver, RootRequest
from cratewatch.resolver.summary import Summary
from cratewatch.semver import InvalidVersion, Version

__all__ = [
    "COUNT_COLUMNS",
    "KINDS",
    "ROW_SCHEMA",
    "SCHEMA_VERSION",
    "AdvisoryMatcher",
    "Session",
    "choose_latest",
]

SCHEMA_VERSION = 1
"""Bumped whenever the meaning or layout of a row changes (invalidates resumable parts)."""

KINDS: tuple[tuple[AdvisoryKind, str], ...] = (
    (AdvisoryKind.VULNERABILITY, "vulnerability"),
    (AdvisoryKind.UNSOUND, "unsound"),
    (AdvisoryKind.NOTICE, "notice"),
    (AdvisoryKind.UNMAINTAINED, "unmaintained"),
)
"""The advisory kinds counted, with their column suffix (``a_<suffix>``)."""

COUNT_COLUMNS = (
    "a_vulnerability",
    "a_unsound",
    "a_notice",
    "a_unmaintained",
    "a_yanked",
)
"""Per-kind finding counts of a row (``a_yanked``: yanked packages in the tree)."""

FINDING = pa.struct(
    [
        ("id", pa.string()),
        ("kind", pa.string()),
        ("package", pa.string()),
        ("version", pa.string()),
        ("depth", pa.int32()),
        ("dev_only", pa.bool_()),
        ("parents", pa.list_(pa.string())),
        ("date", pa.date32()),
    ]
)
"""One finding: advisory, affected package, depth, the packages depending on it directly."""

ROW_SCHEMA = pa.schema(
    [
        ("name", pa.string()),
        ("version", pa.string()),
        ("yanked", pa.bool_()),
        ("latest", pa.bool_()),
        ("direct_deps", pa.int32()),
        ("all_deps", pa.int32()),
        ("all_deps_no_dev", pa.int32()),
        *((column, pa.int32()) for column in COUNT_COLUMNS),
        ("self_advisories", pa.list_(pa.string())),
        ("advisories", pa.list_(FINDING)),
        ("resolve_error", pa.string()),
    ]
)
"""Columns a worker produces (popularity columns are joined when the dataset is assembled)."""

_KIND_NAMES = dict(KINDS)


class AdvisoryMatcher:
    """The advisories that can match a crates.io package, by crate, with a memo per version.

    Kept: advisories of the ``crates`` collection whose source is crates.io, not withdrawn,
    of a counted kind (see :data:`KINDS`) and, with *until*, dated on or before that day.
    """

    __slots__ = ("_by_package", "_memo", "until")

    def __init__(
        self, advisories: Iterable[Advisory], *, until: datetime.date | None = None
    ) -> None:
        by_package: dict[str, list[Advisory]] = {}
        for advisory in advisories:
            if (
                advisory.withdrawn is not None
                or advisory.collection is not Collection.CRATES
                or advisory.kind not in _KIND_NAMES
                or (advisory.source and registry_key(advisory.source) != CRATES_IO)
                or (until is not None and advisory.date > until)
            ):
                continue
            by_package.setdefault(advisory.package, []).append(advisory)
        self._by_package = {name: tuple(found) for name, found in by_package.items()}
        self._memo: dict[int, tuple[PackageId, tuple[Advisory, ...]]] = {}
        self.until = until
        """The cut-off date applied, if any."""

    def __len__(self) -> int:
        return sum(len(found) for found in self._by_package.values())

    def __getstate__(self) -> tuple[dict[str, tuple[Advisory, ...]], datetime.date | None]:
        return self._by_package, self.until

    def __setstate__(
        self, state: tuple[dict[str, tuple[Advisory, ...]], datetime.date | None]
    ) -> None:
        self._by_package, self.until = state
        self._memo = {}

    def names(self) -> frozenset[str]:
        """Crates with at least one kept advisory."""
        return frozenset(self._by_package)

    def matching(self, package: PackageId) -> tuple[Advisory, ...]:
        """The kept advisories affecting *package* (memoised by identity: the resolver makes
        one :class:`PackageId` per published version and keeps it)."""
        found = self._memo.get(id(package))
        if found is None or found[0] is not package:
            candidates = self._by_package.get(package.name, ())
            found = (package, tuple(a for a in candidates if a.affects(package.version)))
            self._memo[id(package)] = found
        return found[1]


def choose_latest(entries: Sequence[IndexEntry]) -> IndexEntry | None:
    """The version crates.io shows by default: the highest non-yanked release, else the
    highest non-yanked pre-release, else the highest yanked version (None if no line parses).

    >>> def line(vers, yanked=False):
    ...     return IndexEntry(name="a", vers=vers, deps=(), features={}, yanked=yanked,
    ...                       links=None, rust_version=None, cksum="", schema=1)
    >>> choose_latest([line("1.0.0"), line("2.0.0", yanked=True), line("1.1.0-rc.1")]).vers
    '1.0.0'
    """
    best: tuple[int, Version, IndexEntry] | None = None
    for entry in entries:
        try:
            version = Version.parse(entry.vers)
        except InvalidVersion:
            continue
        rank = 0 if entry.yanked else (1 if version.is_prerelease else 2)
        if best is None or (rank, version) > best[:2]:
            best = (rank, version, entry)
    return None if best is None else best[2]


@dataclass(slots=True)
class _Columns:
    values: dict[str, list[Any]] = field(
        default_factory=lambda: {name: [] for name in ROW_SCHEMA.names}
    )

    def add(self, **row: Any) -> None:
        for name, column in self.values.items():
            column.append(row.get(name))

    def table(self) -> pa.Table:
        return pa.table(self.values, schema=ROW_SCHEMA)


class Session:
    """One worker's view of an index: a resolver and an advisory matcher reused across roots.

    *lookup* returns the index lines of a crate name (any case; ``()`` when there is none),
    e.g. a wrapped :meth:`~cratewatch.registry.index.Index.versions`.
    """

    __slots__ = ("_advised", "_lookup", "_pending", "_yanked", "matcher", "resolver")

    def __init__(
        self, lookup: Callable[[str], Sequence[IndexEntry]], matcher: AdvisoryMatcher
    ) -> None:
        self._lookup = lookup
        self._pending: dict[str, Sequence[IndexEntry]] = {}
        self._yanked: dict[int, tuple[PackageId, bool]] = {}
        self._advised = matcher.names()
        self.resolver = Resolver(self._serve)
        """The memoised resolver (shared by every root this session resolves)."""
        self.matcher = matcher
        """The advisories (with their per-package memo)."""

    def _serve(self, name: str) -> Sequence[IndexEntry]:
        # index lines already read to choose a crate's roots are not read twice
        pending = self._pending.pop(name, None)
        return pending if pending is not None else self._lookup(name)

    def _is_yanked(self, package: PackageId) -> bool:
        found = self._yanked.get(id(package))
        if found is None or found[0] is not package:
            summary = self.resolver.source.crate(package.name).summary(package.version)
            found = (package, isinstance(summary, Summary) and summary.entry.yanked)
            self._yanked[id(package)] = found
        return found[1]

    def partition(self, names: Iterable[str], *, all_versions: bool) -> pa.Table:
        """Rows for every crate in *names* (index paths, any case): its latest version, or
        every published version with *all_versions*."""
        out = _Columns()
        for name in names:
            entries = self._lookup(name)
            if not entries:
                continue
            real = entries[0].name
            latest = choose_latest(entries)
            if all_versions:
                chosen = list({e.vers: e for e in entries}.values())
            else:
                chosen = [latest if latest is not None else entries[-1]]
            self._pending[real] = entries
            for entry in chosen:
                self._row(out, entry, latest=entry is latest)
            self._pending.pop(real, None)
        return out.table()

    def _row(self, out: _Columns, entry: IndexEntry, *, latest: bool) -> None:
        request = RootRequest(name=entry.name, version=entry.vers, include_dev=True)
        resolution = self.resolver.resolve(request)
        base = {"name": entry.name, "version": entry.vers, "yanked": entry.yanked}
        if not isinstance(resolution, Resolved):
            out.add(**base, latest=latest, resolve_error=resolution.reason)
            return
        out.add(**base, latest=latest, **self._analyse(resolution))

    def _analyse(self, resolved: Resolved) -> dict[str, Any]:
        root = resolved.root
        deps = dict(resolved.dependencies)
        direct = (*deps.get(root, ()), *resolved.dev_dependencies)
        all_deps = len(resolved.packages) - 1
        no_dev = _reachable(deps, root) if resolved.dev_dependencies else None
        counts = dict.fromkeys(COUNT_COLUMNS, 0)
        own: list[str] = []
        hits: list[tuple[PackageId, tuple[Advisory, ...]]] = []
        advised, matching, yanked = self._advised, self.matcher.matching, self._is_yanked
        for package in resolved.packages:
            if package.name not in advised:
                continue
            found = matching(package)
            if not found:
                continue
            if package == root:
                own.extend(a.id for a in found)
            else:
                hits.append((package, found))
        for package in resolved.packages:
            if yanked(package) and package != root:
                counts["a_yanked"] += 1
        findings: list[dict[str, Any]] = []
        if hits:
            depth, parents = _depths(deps, root, direct)
            for package, found in hits:
                via = sorted({str(p) for p in parents.get(id(package), ())})
                dev_only = no_dev is not None and id(package) not in no_dev
                for advisory in found:
                    kind = _KIND_NAMES[advisory.kind]
                    counts["a_" + kind] += 1
                    findings.append(
                        {
                            "id": advisory.id,
                            "kind": kind,
                            "package": package.name,
                            "version": str(package.version),
                            "depth": depth.get(id(package), -1),
                            "dev_only": dev_only,
                            "parents": via,
                            "date": advisory.date,
                        }
                    )
            findings.sort(key=lambda f: (f["depth"], f["id"], f["package"]))
        return {
            "direct_deps": len({id(p) for p in direct if p != root}),
            "all_deps": all_deps,
            "all_deps_no_dev": all_deps if no_dev is None else len(no_dev) - 1,
            **counts,
            "self_advisories": sorted(own),
            "advisories": findings,
        }


Edges = Mapping[PackageId, tuple[PackageId, ...]]


def _reachable(deps: Edges, root: PackageId) -> set[int]:
    """Identities of the packages reachable from *root* without the root's dev edges."""
    seen = {id(root)}
    todo = [root]
    while todo:
        for child in deps.get(todo.pop(), ()):
            if id(child) not in seen:
                seen.add(id(child))
                todo.append(child)
    return seen


def _depths(
    deps: Edges, root: PackageId, direct: tuple[PackageId, ...]
) -> tuple[dict[int, int], dict[int, list[PackageId]]]:
    """Shortest depth of every package (by identity; the root's dev edges included) and the
    packages depending on each directly."""
    depth = {id(root): 0}
    parents: dict[int, list[PackageId]] = {}
    frontier = [root]
    level = 0
    while frontier:
        level += 1
        following = []
        for node in frontier:
            for child in direct if level == 1 else deps.get(node, ()):
                key = id(child)
                parents.setdefault(key, []).append(node)
                if key not in depth:
                    depth[key] = level
                    following.append(child)
        frontier = following
    return depth, parents
