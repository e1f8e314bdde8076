"""Where the fix plan learns versions and requirements: the index and the workspace manifests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from cratewatch.audit.fixplan import Dependent
from cratewatch.errors import ParseError, RegistryError
from cratewatch.lockfile import Lockfile
from cratewatch.manifest import Manifest
from cratewatch.registry.index import Found, Index
from cratewatch.registry.model import DepKind, IndexEntry
from cratewatch.semver import Version, VersionReq

__all__ = ["IndexFixSources"]


class IndexFixSources:
    """Answers the fix plan's two questions from an index, a lockfile and member manifests.

    *members* maps a workspace member's package name to its parsed manifest; a member that
    is missing gives an unknown requirement (shown to the user, never guessed).
    """

    def __init__(self, lock: Lockfile, index: Index, members: Mapping[str, Manifest]) -> None:
        self._lock = lock
        self._index = index
        self._members = members
        self._entries: dict[str, tuple[IndexEntry, ...] | str] = {}

    def prefetch(self, names: Sequence[str]) -> None:
        """Look up many crates at once (concurrently on the sparse index)."""
        wanted = sorted(set(names) - set(self._entries))
        if not wanted:
            return
        try:
            lookups = self._index.fetch_many(wanted)
        except RegistryError as e:
            for name in wanted:
                self._entries[name] = str(e)
            return
        for name, lookup in lookups.items():
            self._entries[name] = lookup.entries if isinstance(lookup, Found) else lookup.reason

    def published(self, name: str) -> Sequence[tuple[str, bool]] | str:
        """Every published (version, yanked) of *name*, or why it is unknown."""
        self.prefetch([name])
        found = self._entries[name]
        if isinstance(found, str):
            return found
        return [(entry.vers, entry.yanked) for entry in found]

    def dependents(self, name: str, version: Version) -> Sequence[Dependent]:
        """Each dependent of the locked ``name version`` with each requirement it states."""
        package = next(p for p in self._lock.find(name, version))
        parents = self._lock.dependents(package)
        self.prefetch([p.name for p in parents if p.source is not None])
        result: list[Dependent] = []
        for parent in parents:
            label = f"{parent.name} {parent.version}"
            requirements = (
                self._member_requirements(parent.name, name)
                if parent.source is None
                else self._index_requirements(parent.name, str(parent.version), name)
            )
            if requirements is None:
                result.append(Dependent(label=label, requirement=None))
            else:
                result.extend(Dependent(label=label, requirement=r) for r in requirements)
        return result

    def _member_requirements(self, member: str, name: str) -> list[VersionReq] | None:
        manifest = self._members.get(member)
        if manifest is None:
            return None
        return [d.effective_req for d in manifest.dependencies if d.package == name]

    def _index_requirements(self, parent: str, version: str, name: str) -> list[VersionReq] | None:
        found = self._entries.get(parent)
        if found is None or isinstance(found, str):
            return None
        entry = next((e for e in found if e.vers == version), None)
        if entry is None:
            return None
        requirements = []
        for dep in entry.deps:
            if dep.package != name or dep.kind is DepKind.DEV:
                continue
            try:
                requirements.append(VersionReq.parse(dep.req))
            except ParseError:
                return None
        return requirements
