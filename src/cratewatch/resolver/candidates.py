"""Which published versions can satisfy a dependency, memoised across resolutions.

Cargo's ``RegistryQueryer::query`` lists, for a dependency, every usable version of the crate
whose version matches the requirement, highest first; yanked versions are left out when a lock
file is generated from scratch. :class:`CandidateSource` does the same over any index
(anything with ``versions(name)``) and keeps every answer: the usable summaries of each crate
and the candidate list of each ``(crate, requirement)`` are computed once per process, which is
what makes resolving thousands of roots in a row affordable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from cratewatch.registry.model import IndexEntry
from cratewatch.resolver.summary import Dep, DepInterner, InvalidSummary, Summary, build_summary
from cratewatch.semver import Version

__all__ = ["CandidateList", "CandidateSource", "Crate", "VersionLookup"]

VersionLookup = Callable[[str], Sequence[IndexEntry]]
"""Returns every index line of a crate (``()`` when the index has no such crate)."""


class CandidateList:
    """The candidates for one ``(crate, requirement)``, highest version first.

    ``groups`` cuts the list into runs of one activation key (semver-compatibility class):
    ``(key, start, end, has_links)``. The resolver can then reject a whole run at once when
    another version of that class is already chosen.
    """

    __slots__ = ("groups", "positions", "summaries")

    def __init__(self, summaries: tuple[Summary, ...]) -> None:
        self.summaries = summaries
        self.positions = {s: i for i, s in enumerate(summaries)}
        groups: list[tuple[str, int, int, bool]] = []
        start = 0
        for i in range(1, len(summaries) + 1):
            if i == len(summaries) or summaries[i].key != summaries[start].key:
                run = summaries[start:i]
                groups.append((summaries[start].key, start, i, any(s.links for s in run)))
                start = i
        self.groups = tuple(groups)


EMPTY = CandidateList(())


@dataclass(slots=True, kw_only=True)
class Crate:
    """Everything the index says about one crate name, as the resolver classifies it."""

    name: str
    """The name looked up."""
    usable: tuple[Summary, ...] = ()
    """Valid, non-yanked versions, highest first (the only ones Cargo may choose)."""
    yanked: tuple[Summary, ...] = ()
    """Valid but yanked versions (named in error messages)."""
    invalid: tuple[InvalidSummary, ...] = ()
    """Lines Cargo would skip, with the reason."""
    exists: bool = False
    """Whether the index has any line for this exact name."""
    by_version: dict[Version, Summary] = field(default_factory=dict)
    """Usable and yanked summaries by version."""


class CandidateSource:
    """Summaries and candidate lists over one index, memoised for the life of the object."""

    __slots__ = ("_crates", "_interner", "_lookup", "_queries")

    def __init__(self, lookup: VersionLookup) -> None:
        self._lookup = lookup
        self._interner = DepInterner()
        self._crates: dict[str, Crate] = {}
        self._queries: dict[tuple[str, str, bool], CandidateList] = {}

    @property
    def interner(self) -> DepInterner:
        """The shared dependency interner (roots built by the resolver use it too)."""
        return self._interner

    def lookup(self, name: str) -> Sequence[IndexEntry]:
        """The raw index lines for ``name`` (the index may match names case-insensitively)."""
        return self._lookup(name)

    def crate(self, name: str) -> Crate:
        """Classify every index line of ``name`` (once)."""
        crate = self._crates.get(name)
        if crate is None:
            crate = self._crates[name] = self._load(name)
        return crate

    def _load(self, name: str) -> Crate:
        by_version: dict[Version, Summary] = {}
        invalid: list[InvalidSummary] = []
        exists = False
        for entry in self._lookup(name):
            if entry.name != name:
                continue
            exists = True
            built = build_summary(entry, self._interner)
            if isinstance(built, InvalidSummary):
                invalid.append(built)
            else:
                by_version[built.version] = built  # a later line for the same version wins
        ordered = sorted(by_version.values(), key=lambda s: s.version, reverse=True)
        return Crate(
            name=name,
            usable=tuple(s for s in ordered if not s.entry.yanked),
            yanked=tuple(s for s in ordered if s.entry.yanked),
            invalid=tuple(invalid),
            exists=exists,
            by_version=by_version,
        )

    def query(self, dep: Dep) -> CandidateList:
        """The candidates for ``dep``: usable versions matching its requirement."""
        key = (dep.package, dep.req_text, dep.foreign)
        found = self._queries.get(key)
        if found is None:
            if dep.foreign:
                found = EMPTY
            else:
                matches = dep.req.matches
                found = CandidateList(
                    tuple(s for s in self.crate(dep.package).usable if matches(s.version))
                )
            self._queries[key] = found
        return found
