"""Audit criteria: the built-ins, custom criteria with ``implies``, and imported criteria mapped
onto local ones.

A criteria *set* is always closed under ``implies``: ``safe-to-deploy`` stands for
``{safe-to-deploy, safe-to-run}``. An imported audit's criteria are read in the importer's
namespace: each foreign criterion is expanded through the foreign ``implies``, then mapped
through the import's ``criteria-map``; the foreign ``safe-to-run`` and ``safe-to-deploy`` map to
the local ones unless the map says otherwise, and any other unmapped criterion is dropped
(cargo-vet's rules, see its ``config.md``).

>>> mapper = CriteriaMapper({"crypto": CriteriaEntry(description="x", implies=("safe-to-deploy",))})
>>> sorted(mapper.closure(["crypto"]))
['crypto', 'safe-to-deploy', 'safe-to-run']
>>> mapper.minimal(mapper.closure(["crypto", "safe-to-run"]))
('crypto',)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

from cratewatch.errors import PolicyError
from cratewatch.vet.model import SAFE_TO_DEPLOY, SAFE_TO_RUN, CriteriaEntry, RemoteImport

__all__ = ["BUILTIN_CRITERIA", "CriteriaMapper", "UnknownCriteria"]

BUILTIN_CRITERIA: Mapping[str, CriteriaEntry] = MappingProxyType(
    {
        SAFE_TO_RUN: CriteriaEntry(
            description=(
                "This crate can be compiled, run, and tested on a local workstation or in "
                "controlled automation without surprising consequences."
            )
        ),
        SAFE_TO_DEPLOY: CriteriaEntry(
            description=(
                "This crate will not introduce a serious security vulnerability to production "
                "software exposed to untrusted input."
            ),
            implies=(SAFE_TO_RUN,),
        ),
    }
)
"""cargo-vet's built-in criteria."""

_MAX_CRITERIA = 1024


class UnknownCriteria(PolicyError, ValueError):
    """A criteria name is neither built in nor defined in audits.toml."""


class CriteriaMapper:
    """Closures of the local criteria, and the mapping of imported criteria onto them."""

    def __init__(
        self,
        local: Mapping[str, CriteriaEntry],
        imports: Mapping[str, tuple[Mapping[str, CriteriaEntry], RemoteImport]] | None = None,
    ) -> None:
        defined = {**BUILTIN_CRITERIA, **local}
        if len(defined) > _MAX_CRITERIA:
            raise UnknownCriteria(f"more than {_MAX_CRITERIA} criteria defined")
        self._local = _closures(defined)
        self._foreign: dict[str, dict[str, frozenset[str]]] = {}
        self._direct: dict[str, dict[str, frozenset[str]]] = {}
        for name, (criteria, remote) in (imports or {}).items():
            self._add_import(name, criteria, remote)

    @property
    def names(self) -> frozenset[str]:
        """Every local criteria name."""
        return frozenset(self._local)

    def closure(self, names: Iterable[str]) -> frozenset[str]:
        """The local criteria *names* stand for (``implies`` followed); raises
        :class:`UnknownCriteria` for a name that is not defined."""
        found: set[str] = set()
        for name in names:
            try:
                found |= self._local[name]
            except KeyError:
                known = ", ".join(sorted(self._local))
                raise UnknownCriteria(f"unknown criteria {name!r} (known: {known})") from None
        return frozenset(found)

    def foreign(self, import_name: str, names: Iterable[str]) -> frozenset[str]:
        """The local criteria an imported entry's *names* amount to (unmapped ones dropped)."""
        table = self._foreign.get(import_name, {})
        found: set[str] = set()
        for name in names:
            found |= table.get(name, frozenset())
        return frozenset(found)

    def foreign_direct(self, import_name: str, names: Iterable[str]) -> frozenset[str]:
        """The local criteria imported *names* map to directly, without following
        ``implies`` (how imported violations are read: violating a criterion says nothing
        about the weaker ones it implies)."""
        table = self._direct.get(import_name, {})
        found: set[str] = set()
        for name in names:
            found |= table.get(name, frozenset())
        return frozenset(found)

    def minimal(self, criteria: Iterable[str]) -> tuple[str, ...]:
        """The names of *criteria* no other member implies, sorted (for display)."""
        wanted = frozenset(criteria)
        return tuple(
            sorted(
                c for c in wanted if not any(o != c and c in self._local.get(o, ()) for o in wanted)
            )
        )

    def _add_import(
        self, name: str, criteria: Mapping[str, CriteriaEntry], remote: RemoteImport
    ) -> None:
        defined = {**BUILTIN_CRITERIA, **criteria}
        closures = _closures(defined)
        direct: dict[str, frozenset[str]] = {}
        for theirs in defined:
            if theirs in remote.criteria_map:
                ours = remote.criteria_map[theirs]
                unknown = [o for o in ours if o not in self._local]
                if unknown:
                    raise UnknownCriteria(
                        f"imports.{name}.criteria-map.{theirs}: unknown criteria {unknown[0]!r}"
                    )
                direct[theirs] = frozenset(ours)
            elif theirs in BUILTIN_CRITERIA:
                direct[theirs] = frozenset({theirs})
            else:
                direct[theirs] = frozenset()
        self._direct[name] = direct
        self._foreign[name] = {
            theirs: self.closure(o for t in closure for o in direct[t])
            for theirs, closure in closures.items()
        }


def _closures(defined: Mapping[str, CriteriaEntry]) -> dict[str, frozenset[str]]:
    """Each criterion with everything it implies, transitively (cycles are harmless; an
    implied name that is not defined is ignored, as in an imported file)."""
    closures: dict[str, frozenset[str]] = {}
    for start in defined:
        seen = {start}
        stack = [start]
        while stack:
            entry = defined.get(stack.pop())
            for implied in entry.implies if entry is not None else ():
                if implied in defined and implied not in seen:
                    seen.add(implied)
                    stack.append(implied)
        closures[start] = frozenset(seen)
    return closures
