"""Cargo's backtracking dependency resolver, step for step.

This follows ``core/resolver/mod.rs`` (``activate_deps_loop``) so that the first solution found
is the one Cargo finds:

* the pending dependencies of all activated packages sit in one priority queue; the next one
  taken is the first of the frame whose next dependency has the fewest candidates, ties going
  to the older frame (``RemainingDeps::pop_most_constrained``);
* candidates are tried highest version first, skipping any whose semver-compatibility slot
  already holds another version, or whose ``links`` value another package already claims;
* when a dependency has no candidate left, the resolver jumps back to the newest decision that
  can change the outcome (conflict-driven backjumping, ``find_candidate``) and remembers the
  conflict (``ConflictCache``) to prune later work.

Where Cargo copies its whole context into each backtrack frame, this keeps a trail of changes
and undoes it, which is cheaper in Python and gives the same states.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass

from cratewatch.resolver.candidates import CandidateList, CandidateSource
from cratewatch.resolver.features import DepInfo, Expanded, Expander, FeatureProblem
from cratewatch.resolver.summary import Dep, Summary

__all__ = ["Outcome", "Solver", "Unsolvable"]

# A conflict reason: ("semver",) | ("links", name) | ("feature", problem-kind, name)
Reason = tuple[str, ...]
ConflictMap = dict[Summary, Reason]

# heap entry: (fewest candidates of the next dependency, insertion time, parent, deps, offset)
_HeapItem = tuple[int, int, Summary, tuple[DepInfo, ...], int]

_ACT, _FEAT, _LINK, _EDGE = 0, 1, 2, 3


class Unsolvable(Exception):  # noqa: N818 (an outcome, not a bug)
    """Raised inside the solver when no solution exists; carries Cargo-like wording."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True, slots=True, kw_only=True)
class Outcome:
    """A solution: the chosen summaries and the features activated on each."""

    packages: tuple[Summary, ...]
    """Every activated package except the synthetic root."""
    features: dict[Summary, frozenset[str]]
    """Features Cargo's lock-file resolution records per package."""
    edges: tuple[tuple[Summary, Summary, tuple[Dep, ...]], ...]
    """``(parent, child, declarations)`` for every dependency edge, the root's included."""


class _Conflict(Exception):  # noqa: N818
    def __init__(self, package: Summary, reason: Reason) -> None:
        super().__init__(package, reason)
        self.package = package
        self.reason = reason


class _Backtrack:
    """A decision point: the state before trying a candidate and the candidates after it."""

    __slots__ = ("age", "conflicting", "dep", "heap", "idx", "parent", "trail_len", "valid", "want")

    def __init__(
        self,
        trail_len: int,
        age: int,
        heap: list[_HeapItem],
        valid: list[Summary],
        idx: int,
        parent: Summary,
        dep: Dep,
        want: frozenset[str],
        conflicting: ConflictMap,
    ) -> None:
        self.trail_len = trail_len
        self.age = age
        self.heap = heap
        self.valid = valid
        self.idx = idx
        self.parent = parent
        self.dep = dep
        self.want = want
        self.conflicting = conflicting


class _ConflictCache:
    """Cargo's ``ConflictCache``: sets of packages under which a dependency cannot resolve."""

    __slots__ = ("by_dep", "by_package")

    def __init__(self) -> None:
        self.by_dep: dict[Dep, list[ConflictMap]] = {}
        self.by_package: dict[Summary, set[Dep]] = {}

    def insert(self, dep: Dep, con: ConflictMap) -> None:
        known = self.by_dep.setdefault(dep, [])
        keys = set(con)
        if any(set(old) == keys for old in known):
            return
        known.append(dict(con))
        for pkg in con:
            self.by_package.setdefault(pkg, set()).add(dep)

    def find(
        self,
        dep: Dep,
        age_of: Callable[[Summary], int | None],
        must_contain: Summary | None,
        max_age: int,
    ) -> ConflictMap | None:
        """A stored conflict wholly active, containing ``must_contain``; the oldest wins."""
        best: ConflictMap | None = None
        best_age = max_age
        for con in self.by_dep.get(dep, ()):
            if must_contain is not None and must_contain not in con:
                continue
            age = 0
            for pkg in con:
                found = age_of(pkg)
                if found is None or (found >= max_age and pkg is not must_contain):
                    break
                if pkg is not must_contain and found > age:
                    age = found
            else:
                if age < best_age:
                    best, best_age = con, age
        return best


class Solver:
    """One resolution (create one per root; the source and expander are shared)."""

    def __init__(self, source: CandidateSource, expander: Expander) -> None:
        self._source = source
        self._expander = expander
        self._age = 0
        self._activations: dict[str, tuple[Summary, int]] = {}
        self._features: dict[Summary, frozenset[str]] = {}
        self._links: dict[str, Summary] = {}
        self._parents: dict[Summary, dict[Summary, list[Dep]]] = {}
        self._trail: list[tuple[object, ...]] = []
        self._heap: list[_HeapItem] = []
        self._time = 0
        self._cache = _ConflictCache()
        self._root: Summary | None = None

    # ---------------------------------------------------------------- context operations

    def _is_active(self, pkg: Summary) -> int | None:
        found = self._activations.get(pkg.key)
        if found is not None and found[0] is pkg:
            return found[1]
        return None

    def _is_conflicting(self, parent: Summary | None, con: ConflictMap) -> int | None:
        top = 0
        for pkg in (parent, *con) if parent is not None else con:
            age = self._is_active(pkg)
            if age is None:
                return None
            top = max(top, age)
        return top

    def _undo(self, length: int) -> None:
        trail = self._trail
        while len(trail) > length:
            op = trail.pop()
            if op[0] == _ACT:
                del self._activations[op[1]]  # type: ignore[arg-type]
            elif op[0] == _FEAT:
                pkg, old = op[1], op[2]
                if old is None:
                    del self._features[pkg]  # type: ignore[arg-type]
                else:
                    self._features[pkg] = old  # type: ignore[index,assignment]
            elif op[0] == _LINK:
                del self._links[op[1]]  # type: ignore[arg-type]
            else:
                child, parent = op[1], op[2]
                edges = self._parents[child]  # type: ignore[index]
                deps = edges[parent]  # type: ignore[index]
                deps.pop()
                if not deps:
                    del edges[parent]  # type: ignore[arg-type]
                    if not edges:
                        del self._parents[child]  # type: ignore[arg-type]

    def _push_frame(self, parent: Summary, deps: tuple[DepInfo, ...]) -> None:
        if deps:
            heapq.heappush(self._heap, (len(deps[0][1].summaries), self._time, parent, deps, 0))
        self._time += 1

    def _pop_most_constrained(self) -> tuple[Summary, DepInfo] | None:
        heap = self._heap
        while heap:
            _, time, parent, deps, offset = heapq.heappop(heap)
            nxt = offset + 1
            if nxt < len(deps):
                heapq.heappush(heap, (len(deps[nxt][1].summaries), time, parent, deps, nxt))
            return parent, deps[offset]
        return None

    def _candidates(self, clist: CandidateList, con: ConflictMap) -> list[Summary]:
        """The candidates still possible now (``RemainingCandidates::next`` in one pass)."""
        activations = self._activations
        links = self._links
        valid: list[Summary] = []
        summaries = clist.summaries
        for key, start, end, has_links in clist.groups:
            active = activations.get(key)
            if not has_links:
                if active is None:
                    valid.extend(summaries[start:end])
                    continue
                chosen = active[0]
                pos = clist.positions.get(chosen, -1)
                if start <= pos < end:
                    valid.append(chosen)
                    if end - start > 1:
                        con.setdefault(chosen, ("semver",))
                else:
                    con.setdefault(chosen, ("semver",))
                continue
            for cand in summaries[start:end]:
                if cand.links is not None:
                    owner = links.get(cand.links)
                    if owner is not None and owner is not cand:
                        con.setdefault(owner, ("links", cand.links))
                        continue
                if active is not None and active[0] is not cand:
                    con.setdefault(active[0], ("semver",))
                    continue
                valid.append(cand)
        return valid

    def _activate(
        self,
        parent: Summary | None,
        dep: Dep | None,
        cand: Summary,
        want: frozenset[str],
        uses_default: bool,
    ) -> tuple[Summary, tuple[DepInfo, ...]] | None:
        """Activate ``cand`` for ``dep``; the new frame, or None if nothing new is needed."""
        self._age += 1
        trail = self._trail
        if parent is not None and dep is not None:
            edges = self._parents.setdefault(cand, {})
            edges.setdefault(parent, []).append(dep)
            trail.append((_EDGE, cand, parent))
        current = self._activations.get(cand.key)
        if current is None:
            if cand.links is not None:
                if cand.links in self._links:
                    raise Unsolvable(
                        f"more than one package in the graph links to the native library "
                        f"`{cand.links}`"
                    )
                self._links[cand.links] = cand
                trail.append((_LINK, cand.links))
            self._activations[cand.key] = (cand, self._age)
            trail.append((_ACT, cand.key))
        elif parent is not None:
            prev = self._features.get(cand)
            if prev is not None:
                if want <= prev and (not uses_default or "default" in prev or not cand.has_default):
                    return None
            elif not want and (not uses_default or not cand.has_default):
                return None
        if parent is None:
            expanded = self._expander.expand_root(cand)
        else:
            expanded = self._expander.expand(cand, want, uses_default)
        if isinstance(expanded, FeatureProblem):
            if expanded.fatal or parent is None:
                raise Unsolvable(expanded.describe(cand))
            raise _Conflict(parent, ("feature", expanded.kind, expanded.name))
        assert isinstance(expanded, Expanded)
        if expanded.used:
            old = self._features.get(cand)
            if old is None or not expanded.used <= old:
                self._features[cand] = expanded.used if old is None else old | expanded.used
                trail.append((_FEAT, cand, old))
        return cand, expanded.deps

    # ---------------------------------------------------------------- the main loop

    def solve(self, root: Summary) -> Outcome:
        """Resolve everything ``root`` (a synthetic workspace member) depends on."""
        self._root = root
        frame = self._activate(None, None, root, frozenset(), False)
        if frame is not None:
            self._push_frame(*frame)
        stack: list[_Backtrack] = []
        cache = self._cache
        while True:
            popped = self._pop_most_constrained()
            if popped is None:
                break
            parent, (dep, clist, want) = popped
            conflicting: ConflictMap = {}
            valid = self._candidates(clist, conflicting)
            idx = 0
            backtracked = False
            while True:
                if idx < len(valid):
                    cand = valid[idx]
                    idx += 1
                else:
                    con = conflicting
                    if not backtracked:
                        cache.insert(dep, conflicting)
                        con = self._generalize(parent, dep, conflicting) or conflicting
                    found = self._find_candidate(stack, parent, backtracked, con)
                    if found is None:
                        raise Unsolvable(self._explain(parent, dep, clist, conflicting))
                    self._undo(found.trail_len)
                    self._age = found.age
                    self._heap = found.heap
                    valid, idx = found.valid, found.idx
                    cand = valid[idx]
                    idx += 1
                    parent, dep, want = found.parent, found.dep, found.want
                    clist = self._source.query(dep)
                    conflicting = found.conflicting
                    backtracked = True
                backtrack = None
                if idx < len(valid):
                    backtrack = _Backtrack(
                        len(self._trail),
                        self._age,
                        list(self._heap),
                        valid,
                        idx,
                        parent,
                        dep,
                        want,
                        dict(conflicting),
                    )
                mark = len(self._trail)
                age_before = self._age
                try:
                    frame = self._activate(parent, dep, cand, want, dep.uses_default)
                except _Conflict as c:
                    conflicting[c.package] = c.reason
                    ok = False
                else:
                    ok = True
                    if frame is not None:
                        if cache.by_dep and self._known_to_fail(cand, frame[1], conflicting):
                            ok = False
                        else:
                            self._push_frame(*frame)
                if ok:
                    if backtrack is not None:
                        stack.append(backtrack)
                    break
                if backtrack is not None:
                    self._undo(mark)
                    self._age = age_before
        self._check_cycles()
        root_key = root.key
        return Outcome(
            packages=tuple(s for key, (s, _) in self._activations.items() if key != root_key),
            features=dict(self._features),
            edges=tuple(
                (parent, child, tuple(deps))
                for child, edges in self._parents.items()
                for parent, deps in edges.items()
            ),
        )

    def _known_to_fail(
        self, cand: Summary, deps: tuple[DepInfo, ...], conflicting: ConflictMap
    ) -> bool:
        """Cargo's ``has_past_conflicting_dep``: a dependency of ``cand`` is known to fail."""
        cache = self._cache
        for dep, _, _ in deps:
            con = cache.find(dep, self._is_active, None, 1 << 62)
            if con is not None:
                conflicting.update((p, r) for p, r in con.items() if p is not cand)
                return True
        related = cache.by_package.get(cand)
        if related:
            for _, _, other_parent, others, offset in sorted(self._heap, key=lambda h: h[:2]):
                for other, _, _ in others[offset:]:
                    if other not in related:
                        continue
                    con = cache.find(other, self._is_active, cand, 1 << 62)
                    if con is not None:
                        conflicting.update((p, r) for p, r in con.items() if p is not cand)
                        conflicting[other_parent] = con[cand]
                        return True
        return False

    def _find_candidate(
        self,
        stack: list[_Backtrack],
        parent: Summary,
        backtracked: bool,
        conflicting: ConflictMap,
    ) -> _Backtrack | None:
        age = None if backtracked else self._is_conflicting(parent, conflicting)
        while stack:
            frame = stack.pop()
            if frame.idx >= len(frame.valid):
                continue
            if age is not None and frame.age >= age:
                continue
            return frame
        return None

    def _generalize(
        self, parent: Summary, dep: Dep, conflicting: ConflictMap
    ) -> ConflictMap | None:
        """Cargo's ``generalize_conflicting``: blame an older package when it is equivalent."""
        if not conflicting:
            return None
        critical: Summary | None = None
        critical_age = -1
        for pkg in conflicting:
            age = self._is_active(pkg)
            if age is None:
                return None
            if age > critical_age:
                critical, critical_age = pkg, age
        assert critical is not None
        reason = conflicting[critical]
        if self._is_path(parent, critical):
            return None
        for critical_parent, parent_deps in list(self._parents.get(critical, {}).items()):
            parent_age = self._is_active(critical_parent)
            if parent_age is None or parent_age >= critical_age:
                continue
            for parent_dep in parent_deps:
                others: list[ConflictMap] = []
                alternatives = self._source.query(parent_dep).summaries
                for other in reversed(alternatives):

                    def age_of(pkg: Summary, other: Summary = other) -> int | None:
                        return critical_age if pkg is other else self._is_active(pkg)

                    con = self._cache.find(dep, age_of, other, critical_age)
                    if con is None:
                        break
                    others.append(con)
                else:
                    merged = dict(conflicting)
                    for con in others:
                        merged.update(con)
                    for other in alternatives:
                        merged.pop(other, None)
                    merged[critical_parent] = reason
                    self._cache.insert(dep, merged)
                    return merged
        return None

    def _is_path(self, start: Summary, goal: Summary) -> bool:
        """Cargo's ``is_path_from_to``: ``goal`` is reachable from ``start`` in the parents graph."""
        seen = {start}
        todo = [start]
        while todo:
            for up in self._parents.get(todo.pop(), ()):
                if up is goal:
                    return True
                if up not in seen:
                    seen.add(up)
                    todo.append(up)
        return False

    # ---------------------------------------------------------------- results

    def _check_cycles(self) -> None:
        children: dict[Summary, list[Summary]] = {}
        for child, edges in self._parents.items():
            for parent, deps in edges.items():
                if any(d.transitive for d in deps):
                    children.setdefault(parent, []).append(child)
        state: dict[Summary, int] = {}
        for start in children:
            if start in state:
                continue
            state[start] = 1
            todo = [(start, iter(children.get(start, ())))]
            while todo:
                node, it = todo[-1]
                nxt = next(it, None)
                if nxt is None:
                    state[node] = 2
                    todo.pop()
                elif state.get(nxt) == 1:
                    raise Unsolvable(
                        f"cyclic package dependency: package `{nxt.describe()}` depends on itself"
                    )
                elif nxt not in state:
                    state[nxt] = 1
                    todo.append((nxt, iter(children.get(nxt, ()))))

    def _explain(
        self, parent: Summary, dep: Dep, clist: CandidateList, conflicting: ConflictMap
    ) -> str:
        who = "the root" if parent is self._root else f"`{parent.describe()}`"
        if not clist.summaries:
            crate = self._source.crate(dep.package)
            if dep.foreign:
                return (
                    f"{dep.describe()} (required by {who}) comes from another registry, "
                    f"which is not available"
                )
            if not crate.exists:
                return f"no matching package named `{dep.package}` found (required by {who})"
            yanked = [str(s.version) for s in crate.yanked if dep.req.matches(s.version)]
            text = (
                f"failed to select a version for the requirement {dep.describe()} "
                f"(required by {who})"
            )
            if yanked:
                return f"{text}: version {', '.join(yanked[:3])} is yanked"
            shown = ", ".join(str(s.version) for s in crate.usable[:5])
            if not shown:
                return f"{text}: the index has no usable version of `{dep.package}`"
            return f"{text}: candidate versions found which didn't match: {shown}"
        parts = []
        for pkg, reason in conflicting.items():
            if reason[0] == "semver":
                parts.append(f"previously selected package `{pkg.describe()}`")
            elif reason[0] == "links":
                parts.append(
                    f"`{pkg.describe()}` already links to the native library `{reason[1]}`"
                )
            else:
                parts.append(
                    f"`{dep.package}` lacks what `{pkg.describe()}` asks: feature "
                    f"`{reason[2]}` ({reason[1]})"
                )
        detail = "; ".join(sorted(parts)) or "every candidate was rejected"
        return (
            f"failed to select a version for {dep.describe()} (required by {who}): "
            f"all possible versions conflict with previously selected packages: {detail}"
        )
