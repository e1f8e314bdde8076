"""What an auditor needs from an embedded dependency tree: packages to match, paths to report.

>>> from cratewatch.binaries.model import parse_audit_json
>>> deps = parse_audit_json(
...     b'{"packages": ['
...     b'{"name": "app", "version": "0.1.0", "source": "local", "dependencies": [1, 2],'
...     b' "root": true},'
...     b'{"name": "hyper", "version": "1.4.1", "source": "crates.io", "dependencies": [2]},'
...     b'{"name": "h2", "version": "0.4.5", "source": "crates.io"}]}',
...     origin="app: .dep-v0",
... )
>>> [(name, str(version), crates_io) for name, version, crates_io in packages_for_audit(deps)]
[('app', '0.1.0', False), ('hyper', '1.4.1', True), ('h2', '0.4.5', True)]
>>> dependency_paths(deps, "h2", Version.parse("0.4.5"))
(('app', 'h2'), ('app', 'hyper', 'h2'))
>>> graph = DependencyGraph(deps)  # for several queries on one binary
>>> graph.paths("hyper", Version.parse("1.4.1"))
(('app', 'hyper'),)
"""

from __future__ import annotations

import heapq
from collections import deque
from typing import NamedTuple

from cratewatch.binaries.model import AuditableDeps
from cratewatch.semver import Version

__all__ = [
    "DEFAULT_PATH_LIMIT",
    "AuditTarget",
    "DependencyGraph",
    "dependency_paths",
    "packages_for_audit",
]

DEFAULT_PATH_LIMIT = 10
"""How many dependency paths are returned per package unless asked otherwise."""


class AuditTarget(NamedTuple):
    """A package to look up in an advisory database (unpacks as ``name, version, crates_io``)."""

    name: str
    """Crate name."""
    version: Version
    """The exact version compiled into the binary."""
    is_crates_io: bool
    """Whether it came from crates.io; advisories only describe crates.io packages."""


def packages_for_audit(deps: AuditableDeps) -> tuple[AuditTarget, ...]:
    """Every distinct (name, version, from crates.io) in the binary, in embedded order.

    Build-time dependencies are included, as ``cargo audit bin`` does: a vulnerable build
    script or proc-macro ran on the build machine.
    """
    seen: dict[AuditTarget, None] = {}
    for package in deps.packages:
        seen.setdefault(AuditTarget(package.name, package.version, package.is_crates_io))
    return tuple(seen)


def dependency_paths(
    deps: AuditableDeps, name: str, version: Version, *, limit: int = DEFAULT_PATH_LIMIT
) -> tuple[tuple[str, ...], ...]:
    """How the binary comes to contain ``name`` ``version``: chains of package names.

    One-off form of :meth:`DependencyGraph.paths`; build a :class:`DependencyGraph` once
    when asking about several packages of the same binary.
    """
    return DependencyGraph(deps).paths(name, version, limit=limit)


class DependencyGraph:
    """The reversed dependency graph of one binary, for repeated path queries."""

    __slots__ = ("_dependents", "_deps", "_depth")

    def __init__(self, deps: AuditableDeps) -> None:
        self._deps = deps
        dependents: list[list[int]] = [[] for _ in deps.packages]
        for i, package in enumerate(deps.packages):
            for dep in package.dependencies:
                dependents[dep].append(i)
        self._dependents = dependents
        # Fewest edges from a package nothing depends on, for every package (BFS).
        depth = [-1] * len(deps.packages)
        queue = deque(i for i, parents in enumerate(dependents) if not parents)
        for i in queue:
            depth[i] = 0
        while queue:
            i = queue.popleft()
            for dep in deps.packages[i].dependencies:
                if depth[dep] < 0:
                    depth[dep] = depth[i] + 1
                    queue.append(dep)
        self._depth = depth

    def paths(
        self, name: str, version: Version, *, limit: int = DEFAULT_PATH_LIMIT
    ) -> tuple[tuple[str, ...], ...]:
        """Chains of package names from a root to ``name`` ``version``, shortest first.

        Each chain starts at a package nothing depends on (the root) and ends at the
        package; at most ``limit`` of them (a diamond-shaped graph has exponentially many).
        A package that is itself a root gives the one-name chain; an absent one, none.
        """
        packages, dependents, depth = self._deps.packages, self._dependents, self._depth
        targets = [i for i, p in enumerate(packages) if p.name == name and p.version == version]
        if limit <= 0:
            return ()
        # Best-first search backwards from the targets. depth[] is the exact distance left,
        # so chains complete in order of length; among equally long ones the most advanced
        # goes first, so each chain costs about its length in steps, whatever the width.
        queue: list[tuple[int, int, tuple[int, ...]]] = [(depth[t], -1, (t,)) for t in targets]
        heapq.heapify(queue)
        found: dict[tuple[str, ...], None] = {}
        while queue and len(found) < limit:
            _, _, chain = heapq.heappop(queue)
            head = chain[-1]
            if not dependents[head]:
                found.setdefault(tuple(packages[i].name for i in reversed(chain)))
                continue
            for parent in dependents[head]:
                if parent not in chain:  # only a hand-built, cyclic graph could repeat one
                    step = (len(chain) + depth[parent], -len(chain) - 1, (*chain, parent))
                    heapq.heappush(queue, step)
        return tuple(found)
