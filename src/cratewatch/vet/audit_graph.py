"""Audit graphs: one per crate name, the versions as nodes and the audits as edges.

A full audit, an exemption, a trusted publisher's release or a wildcard audit is an edge from
the root (``None``: no code yet) to a version; a delta ``A -> B`` an edge from A to B. Each edge
carries the local criteria it certifies (imported criteria already mapped). Violations are kept
beside the edges, with the criteria they say are violated, to find the audits they contradict.

>>> from cratewatch.vet.model import VetVersion
>>> v1, v2 = VetVersion.parse("1.0.0"), VetVersion.parse("1.1.0")
>>> g = AuditGraph(name="x", edges=[
...     Evidence(kind=EvidenceKind.FULL, origin="a", from_=None, to=v1, criteria=frozenset({"c"})),
...     Evidence(kind=EvidenceKind.DELTA, origin="a", from_=v1, to=v2, criteria=frozenset({"c"}))])
>>> [e.kind.value for e in g.search(v2, "c", exemptions=False)]
['full-audit', 'delta-audit']
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from cratewatch.vet.criteria import CriteriaMapper
from cratewatch.vet.model import (
    AuditEntry,
    AuditsFile,
    DeltaAudit,
    FullAudit,
    Store,
    VetVersion,
    ViolationAudit,
)

__all__ = [
    "AuditGraph",
    "AuditGraphs",
    "Evidence",
    "EvidenceKind",
    "ViolationConflict",
    "find_conflicts",
]


class EvidenceKind(StrEnum):
    """What an audit-graph edge is."""

    FULL = "full-audit"
    DELTA = "delta-audit"
    EXEMPTION = "exemption"
    TRUSTED = "trusted-publisher"
    WILDCARD = "wildcard-audit"


@dataclass(frozen=True, slots=True, kw_only=True)
class Evidence:
    """One audit-graph edge and where it comes from."""

    kind: EvidenceKind
    """Full audit, delta, exemption, trusted release, wildcard audit."""
    origin: str
    """``audits.toml``, ``config.toml`` or ``imports.lock (NAME)``."""
    from_: VetVersion | None
    """Where the edge starts (``None``: the empty root)."""
    to: VetVersion
    """The version it reaches."""
    criteria: frozenset[str]
    """The local criteria it certifies (closure)."""
    who: tuple[str, ...] = ()
    """Who vouched (auditors, or the trusted publisher)."""

    def describe(self) -> str:
        """One line for reports."""
        span = str(self.to) if self.from_ is None else f"{self.from_} -> {self.to}"
        who = f" by {', '.join(self.who)}" if self.who else ""
        return f"{self.kind.value} {span}{who} ({self.origin})"


@dataclass(frozen=True, slots=True, kw_only=True)
class ViolationConflict:
    """An audit or exemption that a violation entry contradicts."""

    crate: str
    """The crate."""
    violation: str
    """The violated requirement as written."""
    violation_origin: str
    """Where the violation is recorded."""
    criteria: tuple[str, ...]
    """The violated criteria the audit certifies."""
    audit: Evidence
    """The contradicted audit."""


@dataclass(slots=True)
class AuditGraph:
    """The audit graph of one crate name, and the violations recorded against it."""

    name: str
    """The crate."""
    edges: list[Evidence] = field(default_factory=list)
    """Every edge (audits, exemptions, trusted releases)."""
    violations: list[tuple[ViolationAudit, frozenset[str], str]] = field(default_factory=list)
    """(violation, violated local criteria, origin)."""

    def search(
        self, target: VetVersion, criterion: str, *, exemptions: bool
    ) -> list[Evidence] | None:
        """The edges of a path from the root to *target* certifying *criterion*, or ``None``."""
        usable = [
            e
            for e in self.edges
            if criterion in e.criteria and (exemptions or e.kind is not EvidenceKind.EXEMPTION)
        ]
        came: dict[VetVersion | None, Evidence | None] = {None: None}
        frontier: deque[VetVersion | None] = deque([None])
        while frontier:
            node = frontier.popleft()
            if node == target:
                path = []
                while node is not None:
                    step = came[node]
                    assert step is not None
                    path.append(step)
                    node = step.from_
                return path[::-1]
            for edge in usable:
                if edge.from_ == node and edge.to not in came:
                    came[edge.to] = edge
                    frontier.append(edge.to)
        return None

    def reachable(
        self, criteria: frozenset[str], *, forward: bool, start: VetVersion | None
    ) -> set[VetVersion | None]:
        """Versions reachable from *start* (or, backwards, that reach it) through edges
        certifying every criterion of *criteria* (audits only, no exemptions)."""
        usable = [
            e for e in self.edges if criteria <= e.criteria and e.kind is not EvidenceKind.EXEMPTION
        ]
        seen: set[VetVersion | None] = {start}
        stack: list[VetVersion | None] = [start]
        while stack:
            node = stack.pop()
            for edge in usable:
                here, there = (edge.from_, edge.to) if forward else (edge.to, edge.from_)
                if here == node and there not in seen:
                    seen.add(there)
                    stack.append(there)
        return seen


class AuditGraphs:
    """Builds (and caches) the audit graph of each crate name from a store."""

    def __init__(self, store: Store, mapper: CriteriaMapper) -> None:
        self.store = store
        self.mapper = mapper
        self._cache: dict[str, AuditGraph] = {}
        self._sources: list[tuple[str, str | None, AuditsFile]] = [
            ("audits.toml", None, store.audits)
        ]
        for name, remote in sorted(store.config.imports.items()):
            imported = store.imports.audits.get(name)
            if imported is not None:
                self._sources.append(
                    (f"imports.lock ({name})", name, _excluding(imported, remote.exclude))
                )

    def get(self, name: str) -> AuditGraph:
        if name not in self._cache:
            self._cache[name] = self._build(name)
        return self._cache[name]

    def _criteria(self, namespace: str | None, names: Iterable[str]) -> frozenset[str]:
        if namespace is None:
            return self.mapper.closure(names)
        return self.mapper.foreign(namespace, names)

    def _build(self, name: str) -> AuditGraph:
        graph = AuditGraph(name=name)
        publishers = self.store.imports.publisher.get(name, ())
        for origin, namespace, audits in self._sources:
            for entry in audits.audits.get(name, ()):
                if namespace is not None and not entry.importable:
                    continue
                self._add_audit(graph, entry, origin, namespace)
            for trust in audits.trusted.get(name, ()):
                criteria = self._criteria(namespace, trust.criteria)
                for published in publishers:
                    if (
                        published.user_id == trust.user_id
                        and trust.start <= published.when <= trust.end
                    ):
                        graph.edges.append(
                            Evidence(
                                kind=EvidenceKind.TRUSTED,
                                origin=origin,
                                from_=None,
                                to=published.version,
                                criteria=criteria,
                                who=(published.user_name or published.user_login,),
                            )
                        )
            for wildcard in audits.wildcard_audits.get(name, ()):
                criteria = self._criteria(namespace, wildcard.criteria)
                for published in publishers:
                    if (
                        published.user_id == wildcard.user_id
                        and wildcard.start <= published.when <= wildcard.end
                    ):
                        graph.edges.append(
                            Evidence(
                                kind=EvidenceKind.WILDCARD,
                                origin=origin,
                                from_=None,
                                to=published.version,
                                criteria=criteria,
                                who=wildcard.who,
                            )
                        )
        for exemption in self.store.config.exemptions.get(name, ()):
            graph.edges.append(
                Evidence(
                    kind=EvidenceKind.EXEMPTION,
                    origin="config.toml",
                    from_=None,
                    to=exemption.version,
                    criteria=self.mapper.closure(exemption.criteria),
                )
            )
        return graph

    def _add_audit(
        self, graph: AuditGraph, entry: AuditEntry, origin: str, namespace: str | None
    ) -> None:
        kind = entry.kind
        if isinstance(kind, ViolationAudit):
            violated = (
                self.mapper.closure(entry.criteria) & frozenset(entry.criteria)
                if namespace is None
                else self.mapper.foreign_direct(namespace, entry.criteria)
            )
            graph.violations.append((kind, violated, origin))
            return
        criteria = self._criteria(namespace, entry.criteria)
        if isinstance(kind, FullAudit):
            evidence = Evidence(
                kind=EvidenceKind.FULL,
                origin=origin,
                from_=None,
                to=kind.version,
                criteria=criteria,
                who=entry.who,
            )
        else:
            assert isinstance(kind, DeltaAudit)
            evidence = Evidence(
                kind=EvidenceKind.DELTA,
                origin=origin,
                from_=kind.from_,
                to=kind.to,
                criteria=criteria,
                who=entry.who,
            )
        graph.edges.append(evidence)


def _excluding(audits: AuditsFile, exclude: Sequence[str]) -> AuditsFile:
    if not exclude:
        return audits
    skip = set(exclude)

    def keep(mapping: Mapping[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in mapping.items() if k not in skip}

    return AuditsFile(
        criteria=audits.criteria,
        wildcard_audits=keep(audits.wildcard_audits),
        audits=keep(audits.audits),
        trusted=keep(audits.trusted),
    )


def find_conflicts(audit_graph: AuditGraph, mapper: CriteriaMapper) -> list[ViolationConflict]:
    """The audits and exemptions of *audit_graph* its violations contradict."""
    found = []
    for violation, criteria, origin in audit_graph.violations:
        for edge in audit_graph.edges:
            ends = [edge.to] + ([edge.from_] if edge.from_ is not None else [])
            if not any(violation.req.matches(v.version) for v in ends):
                continue
            hit = criteria & edge.criteria
            if hit:
                found.append(
                    ViolationConflict(
                        crate=audit_graph.name,
                        violation=violation.text,
                        violation_origin=origin,
                        criteria=mapper.minimal(hit),
                        audit=edge,
                    )
                )
    return found
