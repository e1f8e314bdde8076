"""Which crates exist: advisories from the snapshot, published versions from an index.

A crate is *known* when the index lists it (when an index is given) or when it has
advisories. Unknown crates are 404s; known crates without advisories get an empty list
("No advisories have been reported"), never a 404. Index lookups are memoised and
serialised (index backends hold repository handles that are not thread-safe).

>>> crates = CrateResolver(open_index("crates.io-index"))  # doctest: +SKIP
>>> crates.resolve(snapshot, "SERDE").name  # doctest: +SKIP
'serde'
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from cratewatch.advisories.model import Advisory
from cratewatch.errors import CratewatchError, RegistryError
from cratewatch.registry.index import CrateNotFound, Index
from cratewatch.registry.model import IndexEntry
from cratewatch.registry.paths import InvalidCrateName, validate_crate_name
from cratewatch.web.snapshot import CrateAdvisories, Snapshot, is_valid_crate_name

__all__ = [
    "CrateResolver",
    "IndexUnavailable",
    "KnownCrate",
    "UnknownCrate",
]

_CACHE_SIZE = 4096


class IndexUnavailable(RegistryError):
    """The index could not answer (network, malformed file) for a crate without advisories."""


@dataclass(frozen=True, slots=True, kw_only=True)
class KnownCrate:
    """A crate the pages and API describe."""

    name: str
    """Canonical name: the index's spelling, else the advisories'."""
    data: CrateAdvisories | None
    """Its advisories, None when it has none."""
    index_entries: tuple[IndexEntry, ...] | None
    """Published versions; None without an index (or when the index could not answer)."""
    index_problem: str | None
    """Why the index could not answer, when it could not."""

    @property
    def advisories(self) -> tuple[Advisory, ...]:
        """Every advisory (withdrawn included)."""
        return () if self.data is None else self.data.advisories


@dataclass(frozen=True, slots=True, kw_only=True)
class UnknownCrate:
    """A name that is neither in the index nor in any advisory."""

    name: str
    """The name asked for."""
    reason: str
    """A sentence for the 404 message."""


@dataclass(frozen=True, slots=True, kw_only=True)
class _Found:
    entries: tuple[IndexEntry, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class _Absent:
    pass


@dataclass(frozen=True, slots=True, kw_only=True)
class _Failed:
    reason: str


_Lookup = _Found | _Absent | _Failed


def _variants(name: str) -> list[str]:
    out = [name]
    for alt in (name.replace("-", "_"), name.replace("_", "-")):
        if alt not in out:
            out.append(alt)
    return out


class CrateResolver:
    """Resolves crate names against the snapshot and an optional index."""

    def __init__(self, index: Index | None) -> None:
        self.index = index
        """The index, None when the server runs without one."""
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, _Lookup] = OrderedDict()

    @property
    def token(self) -> str:
        """Identifies the index state for ETags (its commit when it has one)."""
        if self.index is None:
            return "no-index"
        commit = getattr(self.index, "commit", None)
        return f"{self.index.source}@{commit}" if isinstance(commit, str) else self.index.source

    def _lookup(self, name: str) -> _Lookup:
        assert self.index is not None
        key = name.lower()
        with self._lock:
            cached = self._cache.get(key)
            if cached is not None:
                self._cache.move_to_end(key)
                return cached
            result: _Lookup = _Absent()
            for candidate in _variants(name):
                try:
                    result = _Found(entries=self.index.versions(candidate))
                    break
                except (CrateNotFound, InvalidCrateName):
                    continue
                except CratewatchError as e:  # network, malformed file, invalid name
                    result = _Failed(reason=str(e))
                    break
            if not isinstance(result, _Failed):  # failures are retried on the next request
                self._cache[key] = result
                if len(self._cache) > _CACHE_SIZE:
                    self._cache.popitem(last=False)
            return result

    def in_index(self, name: str) -> bool:
        """Whether the index lists *name* (False without an index or when it cannot tell)."""
        if self.index is None or not is_valid_crate_name(name):
            return False
        return isinstance(self._lookup(name), _Found)

    def resolve(self, snapshot: Snapshot, name: str) -> KnownCrate | UnknownCrate:
        """Resolve *name*; raises :class:`IndexUnavailable` when only the index could tell."""
        try:
            validate_crate_name(name)
        except InvalidCrateName as e:
            return UnknownCrate(name=name, reason=str(e))
        data = snapshot.crate(name)
        if self.index is None:
            if data is None:
                return UnknownCrate(
                    name=name,
                    reason=f"crate {name!r} has no advisories, and no index was given to "
                    "tell whether it exists",
                )
            return KnownCrate(name=data.name, data=data, index_entries=None, index_problem=None)
        found = self._lookup(name)
        if isinstance(found, _Found):
            canonical = found.entries[0].name if found.entries else name
            return KnownCrate(
                name=canonical,
                data=data if data is not None else snapshot.crate(canonical),
                index_entries=found.entries,
                index_problem=None,
            )
        if data is None:
            if isinstance(found, _Failed):
                raise IndexUnavailable(
                    f"crate {name!r}: the index could not answer: {found.reason}"
                )
            return UnknownCrate(
                name=name, reason=f"crate {name!r} is not in the index and has no advisories"
            )
        problem = (
            found.reason if isinstance(found, _Failed) else f"the index does not list {data.name}"
        )
        return KnownCrate(name=data.name, data=data, index_entries=None, index_problem=problem)
