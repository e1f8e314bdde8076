"""Cargo's backtracking dependency resolver, step for step.

This follows ``core/resolver/mod.rs`` (``activate_deps_loop``) so that the first solution found
is the one Cargo finds:

* the pending dependencies of all activated packages sit in one priority queue; the next one
  taken is the first of the frame whose next dependency has the fewest candidates, ties going
  to the older frame (``RemainingDeps::pop_most_constrained``);
* candidates are tried highest version first, skipping any whose semver-compatibility slot
  already holds another version, or whose ``links`` value another package already claims;
* a package activated again with features it did not have yet expands again;
* when a dependency has no candidate left, the resolver jumps back to the newest decision that
  can change the outcome (conflict-driven backjumping, ``find_candidate``) and remembers the
  conflict to prune later work (``ConflictCache``, ``generalize_conflicting``).

Where Cargo copies its whole context into each backtrack frame, this keeps a trail of changes
and undoes it, which is cheaper in Python and gives the same states.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

from cratewatch.resolver.candidates import CandidateList, CandidateSource
from cratewatch.resolver.conflicts import ConflictCache, ConflictMap, Reason, explain
from cratewatch.resolver.features import DepInfo, Expander, FeatureProblem
from cratewatch.resolver.summary import Dep, Summary

__all__ = ["Outcome", "Solver", "Unsolvable"]

# heap entry: (fewest candidates of the next dependency, insertion time, parent, deps, offset)
_HeapItem = tuple[int, int, Summary, tuple[DepInfo, ...], int]
_Frame = tuple[Summary, tuple[DepInfo, ...]]

# trail operations, undone in reverse order when backtracking
_ACT, _FEAT, _LINK, _EDGE = 0, 1, 2, 3
_NEVER = 1 << 62


class Unsolvable(Exception):
    """No solution exists; carries Cargo-like wording."""

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
    parents: dict[Summary, dict[Summary, list[Dep]]]
    """child -> parent -> the declarations of that edge (the root's edges included)."""


class _Conflict(Exception):
    def __init__(self, package: Summary, reason: Reason) -> None:
        super().__init__(package, reason)
        self.package = package
        self.reason = reason


class _Choice:
    """Choosing a candidate for one dependency: what is left to try and what went wrong."""

    __slots__ = ("backtracked", "conflicting", "dep", "idx", "parent", "valid", "want")

    def __init__(
        self,
        parent: Summary,
        dep: Dep,
        want: frozenset[str],
        valid: list[Summary],
        conflicting: ConflictMap,
    ) -> None:
        self.parent = parent
        self.dep = dep
        self.want = want
        self.valid = valid
        self.idx = 0
        self.conflicting = conflicting
        self.backtracked = False

    def copy(self) -> _Choice:
        other = _Choice(self.parent, self.dep, self.want, self.valid, dict(self.conflicting))
        other.idx = self.idx
        other.backtracked = self.backtracked
        return other


class _Backtrack:
    """A decision point: the state before trying a candidate, and the choice to resume."""

    __slots__ = ("age", "choice", "heap", "trail_len")

    def __init__(self, choice: _Choice, trail_len: int, age: int, heap: list[_HeapItem]) -> None:
        self.choice = choice
        self.trail_len = trail_len
        self.age = age
        self.heap = heap


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
        self._stack: list[_Backtrack] = []
        self._cache = ConflictCache()
        self._root: Summary | None = None

    # ---------------------------------------------------------------- the main loop

    def solve(self, root: Summary) -> Outcome:
        """Resolve everything ``root`` (a synthetic workspace member) depends on."""
        self._root = root
        self._push_frame(self._activate(None, None, root, frozenset(), False))
        heappop, heappush = heapq.heappop, heapq.heappush
        while self._heap:
            # pop_most_constrained, inlined: the frame whose next dependency has the fewest
            # candidates, oldest first; it goes back with its next dependency, if any
            heap = self._heap
            _, time, parent, deps, offset = heappop(heap)
            nxt = offset + 1
            if nxt < len(deps):
                heappush(heap, (len(deps[nxt][1].summaries), time, parent, deps, nxt))
            dep, clist, want = deps[offset]
            conflicting: ConflictMap = {}
            valid = self._candidates(clist, conflicting)
            if len(valid) == 1:
                # The common case (the slot is already taken): one candidate and no decision
                # to remember; the general loop is only needed to backjump.
                if self._try(parent, dep, want, valid[0], conflicting):
                    continue
                choice = _Choice(parent, dep, want, valid, conflicting)
                choice.idx = 1
            else:
                choice = _Choice(parent, dep, want, valid, conflicting)
            self._choose(choice)
        self._check_cycles()
        root_key = root.key
        return Outcome(
            packages=tuple(s for key, (s, _) in self._activations.items() if key != root_key),
            features=dict(self._features),
            parents=self._parents,
        )

    def _choose(self, choice: _Choice) -> None:
        """Activate the first candidate that works, backjumping when none is left."""
        while True:
            if choice.idx >= len(choice.valid):
                choice = self._backjump(choice)
            cand = choice.valid[choice.idx]
            choice.idx += 1
            backtrack = None
            if choice.idx < len(choice.valid):
                backtrack = _Backtrack(choice.copy(), len(self._trail), self._age, self._heap[:])
            if self._try(choice.parent, choice.dep, choice.want, cand, choice.conflicting):
                if backtrack is not None:
                    self._stack.append(backtrack)
                return
            if backtrack is not None:
                self._undo(backtrack.trail_len)
                self._age = backtrack.age

    def _try(
        self,
        parent: Summary,
        dep: Dep,
        want: frozenset[str],
        cand: Summary,
        conflicting: ConflictMap,
    ) -> bool:
        """Activate ``cand``; False (and ``conflicting`` told why) when it cannot work."""
        try:
            frame = self._activate(parent, dep, cand, want, dep.uses_default)
        except _Conflict as c:
            conflicting[c.package] = c.reason
            return False
        if frame is None:
            return True
        if self._cache.by_dep and self._known_to_fail(cand, frame[1], conflicting):
            return False
        self._push_frame(frame)
        return True

    def _backjump(self, choice: _Choice) -> _Choice:
        """No candidate left: resume the newest decision that can change the outcome."""
        con = choice.conflicting
        if not choice.backtracked:
            self._cache.insert(choice.dep, con)
            con = self._generalize(choice.parent, choice.dep, con) or con
        age = None if choice.backtracked else self._is_conflicting(choice.parent, con)
        while self._stack:
            frame = self._stack.pop()
            if age is not None and frame.age >= age:
                continue  # every package to blame is still active there: no progress
            self._undo(frame.trail_len)
            self._age = frame.age
            self._heap = frame.heap
            frame.choice.backtracked = True
            return frame.choice
        clist = self._source.query(choice.dep)
        is_root = choice.parent is self._root
        raise Unsolvable(
            explain(
                self._source,
                parent=choice.parent,
                is_root=is_root,
                dep=choice.dep,
                clist=clist,
                conflicting=choice.conflicting,
            )
        )

    # ---------------------------------------------------------------- context operations

    def _is_active(self, pkg: Summary) -> int | None:
        found = self._activations.get(pkg.key)
        if found is not None and found[0] is pkg:
            return found[1]
        return None

    def _is_conflicting(self, parent: Summary, con: ConflictMap) -> int | None:
        top = 0
        for pkg in (parent, *con):
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
                if op[2] is None:
                    del self._features[op[1]]  # type: ignore[arg-type]
                else:
                    self._features[op[1]] = op[2]  # type: ignore[index,assignment]
            elif op[0] == _LINK:
                del self._links[op[1]]  # type: ignore[arg-type]
            else:
                edges = self._parents[op[1]]  # type: ignore[index]
                deps = edges[op[2]]  # type: ignore[index]
                deps.pop()
                if not deps:
                    del edges[op[2]]  # type: ignore[arg-type]
                    if not edges:
                        del self._parents[op[1]]  # type: ignore[arg-type]

    def _push_frame(self, frame: _Frame | None) -> None:
        if frame is None:
            return
        parent, deps = frame
        if deps:
            heapq.heappush(self._heap, (len(deps[0][1].summaries), self._time, parent, deps, 0))
        self._time += 1

    def _candidates(self, clist: CandidateList, con: ConflictMap) -> list[Summary]:
        """The candidates still possible now (``RemainingCandidates::next`` in one pass)."""
        activations = self._activations
        links = self._links
        summaries = clist.summaries
        groups = clist.groups
        if len(groups) == 1 and not (links and groups[0][3]):
            # one semver-compatibility class and no links at stake: the usual shape
            active = activations.get(groups[0][0])
            if active is None:
                return list(summaries)
            chosen = active[0]
            if len(summaries) > 1 or chosen is not summaries[0]:
                con.setdefault(chosen, ("semver",))
            return [chosen] if chosen in clist.positions else []
        if clist.keys.isdisjoint(activations) and (not links or clist.links.isdisjoint(links)):
            return list(summaries)  # nothing of this crate chosen yet: every version is open
        valid: list[Summary] = []
        for key, start, end, names in clist.groups:
            active = activations.get(key)
            if names and any(name in links for name in names):
                valid.extend(self._check_links(summaries[start:end], active, con))
            elif active is None:
                valid.extend(summaries[start:end])
            else:
                chosen = active[0]
                if start <= clist.positions.get(chosen, -1) < end:
                    valid.append(chosen)
                    if end - start > 1:
                        con.setdefault(chosen, ("semver",))
                else:
                    con.setdefault(chosen, ("semver",))
        return valid

    def _check_links(
        self, run: tuple[Summary, ...], active: tuple[Summary, int] | None, con: ConflictMap
    ) -> list[Summary]:
        valid = []
        for cand in run:
            if cand.links is not None:
                owner = self._links.get(cand.links)
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
    ) -> _Frame | None:
        """Activate ``cand`` for ``dep``; the new frame, or None if nothing new is needed."""
        self._age += 1
        trail = self._trail
        if parent is not None and dep is not None:
            self._parents.setdefault(cand, {}).setdefault(parent, []).append(dep)
            trail.append((_EDGE, cand, parent))
        if self._activations.get(cand.key) is None:
            self._claim(cand)
        elif parent is not None:
            # already active: nothing to do unless this asks for features it lacks
            prev = self._features.get(cand)
            wants_default = uses_default and cand.has_default
            if prev is None:
                if not want and not wants_default:
                    return None
            elif want <= prev and (not wants_default or "default" in prev):
                return None
        if parent is None:
            expanded = self._expander.expand_root(cand)
        else:
            expanded = self._expander.expand(cand, want, uses_default)
        if isinstance(expanded, FeatureProblem):
            if expanded.fatal or parent is None:
                raise Unsolvable(expanded.describe(cand))
            raise _Conflict(parent, ("feature", expanded.kind, expanded.name))
        if expanded.used:
            old = self._features.get(cand)
            if old is None or not expanded.used <= old:
                self._features[cand] = expanded.used if old is None else old | expanded.used
                trail.append((_FEAT, cand, old))
        return cand, expanded.deps

    def _claim(self, cand: Summary) -> None:
        """Record a first activation: its semver-compatibility slot and its ``links``."""
        if cand.links is not None:
            if cand.links in self._links:
                raise Unsolvable(
                    f"more than one package links to the native library `{cand.links}`"
                )
            self._links[cand.links] = cand
            self._trail.append((_LINK, cand.links))
        self._activations[cand.key] = (cand, self._age)
        self._trail.append((_ACT, cand.key))

    # ---------------------------------------------------------------- conflict pruning

    def _known_to_fail(
        self, cand: Summary, deps: tuple[DepInfo, ...], conflicting: ConflictMap
    ) -> bool:
        """Cargo's ``has_past_conflicting_dep``: a dependency of ``cand`` is known to fail."""
        cache = self._cache
        for dep, _, _ in deps:
            con = cache.find(dep, self._is_active, None, _NEVER)
            if con is not None:
                conflicting.update((p, r) for p, r in con.items() if p is not cand)
                return True
        related = cache.by_package.get(cand)
        if not related:
            return False
        for _, _, other_parent, others, offset in sorted(self._heap, key=lambda h: h[:2]):
            for other, _, _ in others[offset:]:
                if other not in related:
                    continue
                con = cache.find(other, self._is_active, cand, _NEVER)
                if con is not None:
                    conflicting.update((p, r) for p, r in con.items() if p is not cand)
                    conflicting[other_parent] = con[cand]
                    return True
        return False

    def _generalize(self, parent: Summary, dep: Dep, con: ConflictMap) -> ConflictMap | None:
        """Cargo's ``generalize_conflicting``: blame an older package when it is equivalent."""
        critical: Summary | None = None
        critical_age = -1
        for pkg in con:
            age = self._is_active(pkg)
            if age is None:
                return None
            if age > critical_age:
                critical, critical_age = pkg, age
        if critical is None or self._is_path(parent, critical):
            return None
        for critical_parent, parent_deps in list(self._parents.get(critical, {}).items()):
            parent_age = self._is_active(critical_parent)
            if parent_age is None or parent_age >= critical_age:
                continue
            for parent_dep in parent_deps:
                merged = self._blame_parent(dep, con, critical_age, parent_dep)
                if merged is not None:
                    merged[critical_parent] = con[critical]
                    self._cache.insert(dep, merged)
                    return merged
        return None

    def _blame_parent(
        self, dep: Dep, con: ConflictMap, critical_age: int, parent_dep: Dep
    ) -> ConflictMap | None:
        """If every candidate of ``parent_dep`` is known to conflict, the union of those."""
        alternatives = self._source.query(parent_dep).summaries
        merged = dict(con)
        for other in reversed(alternatives):

            def age_of(pkg: Summary, other: Summary = other) -> int | None:
                return critical_age if pkg is other else self._is_active(pkg)

            found = self._cache.find(dep, age_of, other, critical_age)
            if found is None:
                return None
            merged.update(found)
        for other in alternatives:
            merged.pop(other, None)
        return merged

    def _is_path(self, start: Summary, goal: Summary) -> bool:
        """Cargo's ``is_path_from_to``: ``goal`` is an ancestor of ``start`` (parents graph)."""
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
        """Cargo refuses a graph where a package depends on itself (dev edges aside).

        Only the root has dev edges and nothing depends on the root, so every cycle is one of
        normal or build edges; it is searched on the parents graph (a cycle either way round).
        """
        parents = self._parents
        state: dict[Summary, bool] = {}  # True while on the current path
        for start in parents:
            if start in state:
                continue
            state[start] = True
            todo = [(start, iter(parents[start]))]
            while todo:
                node, ups = todo[-1]
                for up in ups:
                    seen = state.get(up)
                    if seen is None:
                        state[up] = True
                        todo.append((up, iter(parents.get(up, ()))))
                        break
                    if seen:
                        raise Unsolvable(
                            f"cyclic package dependency: package `{up.describe()}` depends on "
                            "itself"
                        )
                else:
                    state[node] = False
                    todo.pop()
