"""``vet check``: does every third-party package meet the criteria its dependents require?

Third-party packages are the crates.io ones (plus first-party crates a policy marks
``audit-as-crates-io``); everything else is trusted, as in cargo-vet. Requirements flow from the
workspace members down the graph: a member needs its policy ``criteria`` (default
``safe-to-deploy``) for itself and its dependencies, and its ``dev-criteria`` (default
``safe-to-run``) for its dev-dependencies; ``dependency-criteria`` overrides the requirement on
one edge; every other package passes what it must meet on to its dependencies, and a package
needs the union of what its dependents ask.

For each required criterion the package's *audit graph* is searched, as cargo-vet does: the
nodes are versions plus a root standing for "no code"; a full audit (or an exemption, or a
trusted publisher's release) is an edge from the root to its version, a delta ``A -> B`` an edge
from A to B; an edge counts for a criterion when its criteria imply it. The criterion holds when
a path leads from the root to the version in use. Audits come from audits.toml and from the
imports cached in imports.lock; exemptions are tried only when audits alone do not connect.
A violation conflicts with every audit or exemption whose endpoint it covers, for any criterion
it names that the audit certifies; such a conflict fails the check whatever else holds.

>>> VetStatus.UNVETTED.failed, VetStatus.EXEMPTED.failed
(True, False)
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, assert_never

from cratewatch.lockfile import Lockfile
from cratewatch.policy.graph import CrateGraph, DepKind, Edge, Krate
from cratewatch.semver import Version
from cratewatch.vet.audit_graph import (
    AuditGraph,
    AuditGraphs,
    Evidence,
    ViolationConflict,
    find_conflicts,
)
from cratewatch.vet.criteria import CriteriaMapper
from cratewatch.vet.model import (
    SAFE_TO_DEPLOY,
    SAFE_TO_RUN,
    AuditsFile,
    Store,
    VetVersion,
)

__all__ = [
    "PackageResult",
    "VetReport",
    "VetStatus",
    "crate_graph_from_lockfile",
    "is_third_party",
    "mapper_for",
    "report_json",
    "required_criteria",
    "vet_check",
]


class VetStatus(StrEnum):
    """The outcome for one third-party package."""

    VETTED = "vetted"
    """Every required criterion is established by audits (own, imported, trusted)."""
    EXEMPTED = "exempted"
    """Established, but only with exemptions."""
    UNVETTED = "unvetted"
    """Some required criterion is not established."""
    VIOLATION = "violation"
    """The version in use is covered by a violation of a required criterion."""

    @property
    def failed(self) -> bool:
        """Whether this status fails the check."""
        match self:
            case VetStatus.VETTED | VetStatus.EXEMPTED:
                return False
            case VetStatus.UNVETTED | VetStatus.VIOLATION:
                return True
            case _:
                assert_never(self)


@dataclass(frozen=True, slots=True, kw_only=True)
class PackageResult:
    """The check of one third-party package."""

    name: str
    """The crate."""
    version: Version
    """The version in use."""
    required: tuple[str, ...]
    """The criteria it must meet (minimal names)."""
    status: VetStatus
    """The outcome."""
    missing: tuple[str, ...] = ()
    """Required criteria not established (minimal names)."""
    exempted: tuple[str, ...] = ()
    """Criteria established only through exemptions."""
    chain: tuple[Evidence, ...] = ()
    """The edges of the paths found (for every established criterion)."""
    violations: tuple[str, ...] = ()
    """Violation entries covering this version (``REQ (origin)``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class VetReport:
    """The outcome of ``vet check``."""

    results: tuple[PackageResult, ...]
    """Every third-party package with requirements, sorted by name and version."""
    first_party: int
    """How many first-party packages were trusted without audits."""
    conflicts: tuple[ViolationConflict, ...] = ()
    """Audits contradicted by violations."""

    @property
    def ok(self) -> bool:
        """Whether the check passes."""
        return not self.conflicts and not self.failures

    @property
    def failures(self) -> tuple[PackageResult, ...]:
        """The packages that fail."""
        return tuple(r for r in self.results if r.status.failed)

    def count(self, status: VetStatus) -> int:
        """How many packages have *status*."""
        return sum(1 for r in self.results if r.status is status)


# --- the dependency graph ---------------------------------------------------------------------


def crate_graph_from_lockfile(lock: Lockfile) -> CrateGraph:
    """A crate graph straight from Cargo.lock (lockfile-only mode): every edge normal, the
    local packages (or, without any, the packages nothing depends on) as members."""
    roots = {p.id for p in lock.roots}
    index = {p.id: i for i, p in enumerate(lock.packages)}
    krates = [
        Krate(
            name=p.name,
            version=p.version,
            source=p.source,
            workspace_member=p.id in roots,
            lock_line=p.line,
            checksum=p.checksum,
        )
        for p in lock.packages
    ]
    edges = [
        Edge(parent=index[p.id], child=index[d.id], kinds=((DepKind.NORMAL, None),))
        for p in lock.packages
        for d in lock.dependencies(p)
    ]
    return CrateGraph(
        krates=krates, edges=edges, roots=[index[r] for r in roots], lockfile=lock.path
    )


def is_third_party(krate: Krate, store: Store) -> bool:
    """crates.io packages, and first-party ones a policy marks ``audit-as-crates-io``."""
    if krate.source is not None:
        return krate.source.is_crates_io
    policy = store.config.policy_for(krate.name, krate.version)
    return policy is not None and policy.audit_as_crates_io is True


def mapper_for(store: Store) -> CriteriaMapper:
    """The criteria mapper of *store*: its own criteria and every cached import's."""
    imports = {
        name: (store.imports.audits.get(name, AuditsFile()).criteria, remote)
        for name, remote in store.config.imports.items()
    }
    return CriteriaMapper(store.audits.criteria, imports)


def required_criteria(
    graph: CrateGraph, store: Store, mapper: CriteriaMapper
) -> list[frozenset[str]]:
    """What each crate of *graph* must meet (see the module docstring), as criteria closures."""
    own = _own_policies(graph, store, mapper)
    required: list[set[str]] = [set(c) if c is not None else set() for c in own]
    members = {i for i, k in enumerate(graph.krates) if k.workspace_member} or set(graph.roots)
    queue = deque(range(len(graph.krates)))
    queued = set(queue)
    while queue:
        parent = queue.popleft()
        queued.discard(parent)
        demands = _demands(
            graph,
            parent,
            required=required[parent],
            member=parent in members,
            store=store,
            mapper=mapper,
        )
        for child, wants in demands:
            if own[child] is not None or wants <= required[child]:
                continue
            required[child] |= wants
            if child not in queued:
                queue.append(child)
                queued.add(child)
    return [frozenset(r) for r in required]


def _own_policies(
    graph: CrateGraph, store: Store, mapper: CriteriaMapper
) -> list[frozenset[str] | None]:
    """Each first-party crate's own ``criteria`` policy; members nothing depends on (but
    through dev-dependencies) default to ``safe-to-deploy``."""
    count = len(graph.krates)
    own: list[frozenset[str] | None] = [None] * count
    parents = [0] * count
    for edge in graph.edges:
        if edge.kind_set - {DepKind.DEV}:
            parents[edge.child] += 1
    members = [i for i, k in enumerate(graph.krates) if k.workspace_member] or list(graph.roots)
    for i, krate in enumerate(graph.krates):
        if is_third_party(krate, store):
            continue
        policy = store.config.policy_for(krate.name, krate.version)
        if policy is not None and policy.criteria is not None:
            own[i] = mapper.closure(policy.criteria)
    for i in members:
        if own[i] is None and parents[i] == 0:
            own[i] = mapper.closure([SAFE_TO_DEPLOY])
    return own


def _demands(
    graph: CrateGraph,
    parent: int,
    *,
    required: set[str],
    member: bool,
    store: Store,
    mapper: CriteriaMapper,
) -> list[tuple[int, set[str]]]:
    """What *parent* asks of each dependency: its own requirement over normal and build
    edges, its dev-criteria over a member's dev edges, ``dependency-criteria`` overriding."""
    krate = graph.krates[parent]
    policy = store.config.policy_for(krate.name, krate.version)
    overrides = policy.dependency_criteria if policy is not None else {}
    dev_names = (
        policy.dev_criteria
        if policy is not None and policy.dev_criteria is not None
        else (SAFE_TO_RUN,)
    )
    demands = []
    for edge in graph.dependencies(parent):
        child = graph.krates[edge.child]
        if child.name in overrides:
            demands.append((edge.child, set(mapper.closure(overrides[child.name]))))
            continue
        wants: set[str] = set()
        if edge.kind_set - {DepKind.DEV}:
            wants |= required
        if DepKind.DEV in edge.kind_set and member:
            wants |= mapper.closure(dev_names)
        demands.append((edge.child, wants))
    return demands


# --- the check --------------------------------------------------------------------------------


def target_version(store: Store, krate: Krate) -> VetVersion:
    """The version audits must reach: the one in use, or the published version an
    ``[[unpublished]]`` record says it is audited as."""
    version = VetVersion(version=krate.version)
    for entry in store.imports.unpublished.get(krate.name, ()):
        if entry.version == version:
            return entry.audited_as
    return version


def vet_check(graph: CrateGraph, store: Store) -> VetReport:
    """Check every third-party package of *graph* against *store*.

    Raises :class:`~.criteria.UnknownCriteria` when the store names a criterion it never
    defines.
    """
    mapper = mapper_for(store)
    required = required_criteria(graph, store, mapper)
    graphs = AuditGraphs(store, mapper)
    results: list[PackageResult] = []
    conflicts: list[ViolationConflict] = []
    checked: set[str] = set()
    first_party = 0
    for i, krate in enumerate(graph.krates):
        if not is_third_party(krate, store):
            first_party += 1
            continue
        audit_graph = graphs.get(krate.name)
        if krate.name not in checked:
            checked.add(krate.name)
            conflicts += find_conflicts(audit_graph, mapper)
        if required[i]:
            results.append(_check_one(krate, required[i], audit_graph, store, mapper))
    results.sort(key=lambda r: (r.name, r.version))
    return VetReport(results=tuple(results), first_party=first_party, conflicts=tuple(conflicts))


def _check_one(
    krate: Krate,
    required: frozenset[str],
    audit_graph: AuditGraph,
    store: Store,
    mapper: CriteriaMapper,
) -> PackageResult:
    target = target_version(store, krate)
    violations = tuple(
        f"{violation.text} ({origin})"
        for violation, criteria, origin in audit_graph.violations
        if violation.req.matches(target.version) and criteria & required
    )
    missing: list[str] = []
    exempted: list[str] = []
    chain: dict[Evidence, None] = {}
    for criterion in sorted(required):
        path = audit_graph.search(target, criterion, exemptions=False)
        if path is None:
            path = audit_graph.search(target, criterion, exemptions=True)
            if path is not None:
                exempted.append(criterion)
        if path is None:
            missing.append(criterion)
            continue
        chain.update(dict.fromkeys(path))
    if violations:
        status = VetStatus.VIOLATION
    elif missing:
        status = VetStatus.UNVETTED
    elif exempted:
        status = VetStatus.EXEMPTED
    else:
        status = VetStatus.VETTED
    return PackageResult(
        name=krate.name,
        version=krate.version,
        required=mapper.minimal(required),
        status=status,
        missing=mapper.minimal(missing),
        exempted=mapper.minimal(exempted),
        chain=tuple(chain),
        violations=violations,
    )


def report_json(report: VetReport) -> dict[str, Any]:
    """The report as a JSON-ready mapping (``cratewatch vet check --format json``)."""

    def evidence(e: Evidence) -> dict[str, Any]:
        return {
            "kind": e.kind.value,
            "origin": e.origin,
            "from": None if e.from_ is None else str(e.from_),
            "to": str(e.to),
            "who": list(e.who),
        }

    return {
        "ok": report.ok,
        "counts": {s.value: report.count(s) for s in VetStatus}
        | {"first-party": report.first_party},
        "packages": [
            {
                "name": r.name,
                "version": str(r.version),
                "status": r.status.value,
                "required": list(r.required),
                "missing": list(r.missing),
                "exempted": list(r.exempted),
                "violations": list(r.violations),
                "chain": [evidence(e) for e in r.chain],
            }
            for r in report.results
        ],
        "conflicts": [
            {
                "crate": c.crate,
                "violation": c.violation,
                "violation_origin": c.violation_origin,
                "criteria": list(c.criteria),
                "audit": evidence(c.audit),
            }
            for c in report.conflicts
        ],
    }
