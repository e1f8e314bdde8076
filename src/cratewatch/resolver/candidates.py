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

from cratewatch.registry.model import IndexEntry
from cratewatch.resolver.summary import Dep, DepInterner, InvalidSummary, Summary, build_summary
from cratewatch.semver import InvalidVersion, Version, VersionReq

__all__ = ["CandidateList", "CandidateSource", "Crate", "VersionLookup"]

VersionLookup = Callable[[str], Sequence[IndexEntry]]
"""Returns every index line of a crate (``()`` when the index has no such crate)."""


class CandidateList:
    """The candidates for one ``(crate, requirement)``, highest version first.

    ``groups`` cuts the list into runs of one activation key (semver-compatibility class):
    ``(key, start, end, links)`` with the ``links`` values found in the run. The resolver can
    then reject a whole run at once when another version of that class is already chosen.
    """

    __slots__ = ("groups", "keys", "links", "positions", "summaries")

    def __init__(self, summaries: tuple[Summary, ...]) -> None:
        self.summaries = summaries
        self.positions = {s: i for i, s in enumerate(summaries)}
        groups: list[tuple[str, int, int, frozenset[str]]] = []
        start = 0
        for i in range(1, len(summaries) + 1):
            if i == len(summaries) or summaries[i].key != summaries[start].key:
                run = summaries[start:i]
                links = frozenset(s.links for s in run if s.links is not None)
                groups.append((summaries[start].key, start, i, links))
                start = i
        self.groups = tuple(groups)
        self.keys = frozenset(g[0] for g in groups)
        """Every activation key of the list."""
        self.links = frozenset(name for g in groups for name in g[3])
        """Every ``links`` value of the list."""


EMPTY = CandidateList(())


class Crate:
    """Everything the index says about one crate name, checked lazily version by version.

    Most published versions are never a candidate of anything, so a line is only turned
    into a :class:`Summary` (and checked) when a requirement matches its version.
    """

    __slots__ = ("_built", "_interner", "_lines", "exists", "name", "unparsed")

    def __init__(self, name: str, entries: Sequence[IndexEntry], interner: DepInterner) -> None:
        self.name = name
        """The name looked up."""
        self._interner = interner
        lines: dict[Version, list[IndexEntry]] = {}
        unparsed: list[InvalidSummary] = []
        exists = False
        for entry in entries:
            if entry.name != name:
                continue
            exists = True
            try:
                version = Version.parse(entry.vers)
            except InvalidVersion as e:
                unparsed.append(InvalidSummary(entry=entry, reason=e.args[0].splitlines()[0]))
                continue
            lines.setdefault(version, []).append(entry)
        self.exists = exists
        """Whether the index has any line for this exact name."""
        self.unparsed = tuple(unparsed)
        """Lines whose version does not parse (Cargo skips them)."""
        self._lines = sorted(lines.items(), key=lambda item: item[0], reverse=True)
        self._built: dict[Version, Summary | InvalidSummary] = {}

    def summary(self, version: Version) -> Summary | InvalidSummary | None:
        """The line published as ``version`` (the last valid one if it is repeated)."""
        built = self._built.get(version)
        if built is None:
            for v, entries in self._lines:
                if v == version:
                    return self._build(v, entries)
        return built

    def _build(self, version: Version, entries: list[IndexEntry]) -> Summary | InvalidSummary:
        built = self._built.get(version)
        if built is None:
            for entry in reversed(entries):
                built = build_summary(entry, self._interner)
                if isinstance(built, Summary):
                    break
            assert built is not None
            self._built[version] = built
        return built

    def matching(self, req: VersionReq) -> tuple[Summary, ...]:
        """Usable (valid, non-yanked) versions matching ``req``, highest first."""
        matches = req.matches
        found = []
        for version, entries in self._lines:
            if matches(version):
                built = self._build(version, entries)
                if isinstance(built, Summary) and not built.entry.yanked:
                    found.append(built)
        return tuple(found)

    def newest(self) -> Summary | None:
        """The highest usable version, if any."""
        for version, entries in self._lines:
            built = self._build(version, entries)
            if isinstance(built, Summary) and not built.entry.yanked:
                return built
        return None

    def _all(self) -> list[Summary | InvalidSummary]:
        return [self._build(version, entries) for version, entries in self._lines]

    @property
    def usable(self) -> tuple[Summary, ...]:
        """Every valid, non-yanked version, highest first (the only ones Cargo may choose)."""
        return tuple(s for s in self._all() if isinstance(s, Summary) and not s.entry.yanked)

    @property
    def yanked(self) -> tuple[Summary, ...]:
        """Valid but yanked versions, highest first."""
        return tuple(s for s in self._all() if isinstance(s, Summary) and s.entry.yanked)

    @property
    def invalid(self) -> tuple[InvalidSummary, ...]:
        """Every line Cargo would skip, with the reason."""
        return self.unparsed + tuple(s for s in self._all() if isinstance(s, InvalidSummary))


class CandidateSource:
    """Summaries and candidate lists over one index, memoised for the life of the object."""

    __slots__ = ("_crates", "_interner", "_lookup", "_queries", "_raw")

    def __init__(self, lookup: VersionLookup) -> None:
        self._lookup = lookup
        self._raw: dict[str, Sequence[IndexEntry]] = {}
        self._interner = DepInterner()
        self._crates: dict[str, Crate] = {}
        self._queries: dict[tuple[str, str, bool], CandidateList] = {}

    @property
    def interner(self) -> DepInterner:
        """The shared dependency interner (roots built by the resolver use it too)."""
        return self._interner

    def lookup(self, name: str) -> Sequence[IndexEntry]:
        """The raw index lines for ``name``, read once (indexes match names ignoring case)."""
        key = name.lower()
        entries = self._raw.get(key)
        if entries is None:
            entries = self._raw[key] = self._lookup(name)
        return entries

    def crate(self, name: str) -> Crate:
        """Everything the index has under exactly ``name`` (read once)."""
        crate = self._crates.get(name)
        if crate is None:
            crate = self._crates[name] = Crate(name, self.lookup(name), self._interner)
        return crate

    def query(self, dep: Dep) -> CandidateList:
        """The candidates for ``dep``: usable versions matching its requirement."""
        key = (dep.package, dep.req_text, dep.foreign)
        found = self._queries.get(key)
        if found is None:
            if dep.foreign:
                found = EMPTY
            else:
                found = CandidateList(self.crate(dep.package).matching(dep.req))
            self._queries[key] = found
        return found
