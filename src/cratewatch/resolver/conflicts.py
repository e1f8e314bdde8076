"""Why a dependency could not be resolved: conflict sets, their cache, and the message.

A *conflict map* names the activated packages that together make a dependency unresolvable
(with the reason each one is to blame). Cargo keeps every such set it discovers in a
``ConflictCache`` and uses it to skip work that is known to fail and to jump back past
decisions that cannot help; :class:`ConflictCache` is the same structure. When nothing can be
tried any more, :func:`explain` turns the last conflict into the sentence the user reads.
"""

from __future__ import annotations

from collections.abc import Callable

from cratewatch.resolver.candidates import CandidateList, CandidateSource
from cratewatch.resolver.summary import Dep, Summary

__all__ = ["ConflictCache", "ConflictMap", "Reason", "explain"]

Reason = tuple[str, ...]
"""``("semver",)``, ``("links", library)`` or ``("feature", problem kind, feature)``."""

ConflictMap = dict[Summary, Reason]
"""Activated package -> why it is part of the conflict."""


class ConflictCache:
    """Sets of packages under which a dependency is known not to resolve."""

    __slots__ = ("by_dep", "by_package")

    def __init__(self) -> None:
        self.by_dep: dict[Dep, list[ConflictMap]] = {}
        """Dependency -> the conflict sets recorded for it."""
        self.by_package: dict[Summary, set[Dep]] = {}
        """Package -> the dependencies whose recorded conflicts mention it."""

    def insert(self, dep: Dep, con: ConflictMap) -> None:
        """Record that ``dep`` cannot resolve while every package of ``con`` is active."""
        known = self.by_dep.setdefault(dep, [])
        keys = con.keys()
        if any(old.keys() == keys for old in known):
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
        """A recorded conflict of ``dep`` that is wholly active (``age_of`` gives activation
        ages), contains ``must_contain`` if given, and whose other members are all younger
        than ``max_age``; of several, the one allowing the furthest jump back."""
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


def explain(
    source: CandidateSource,
    *,
    parent: Summary,
    is_root: bool,
    dep: Dep,
    clist: CandidateList,
    conflicting: ConflictMap,
) -> str:
    """Why ``dep`` of ``parent`` has no candidate, in words close to Cargo's."""
    who = "the root" if is_root else f"`{parent.describe()}`"
    if not clist.summaries:
        return _no_candidates(source, dep, who)
    parts = []
    for pkg, reason in conflicting.items():
        if reason[0] == "semver":
            parts.append(f"previously selected package `{pkg.describe()}`")
        elif reason[0] == "links":
            parts.append(f"`{pkg.describe()}` already links to the native library `{reason[1]}`")
        else:
            parts.append(
                f"`{pkg.describe()}` asks for feature `{reason[2]}` of `{dep.package}` "
                f"({reason[1]})"
            )
    detail = "; ".join(sorted(parts)) or "every candidate was rejected"
    return (
        f"failed to select a version for {dep.describe()} (required by {who}): "
        f"all possible versions conflict with previously selected packages: {detail}"
    )


def _no_candidates(source: CandidateSource, dep: Dep, who: str) -> str:
    if dep.foreign:
        return f"{dep.describe()} (required by {who}) comes from another registry"
    crate = source.crate(dep.package)
    if not crate.exists:
        return f"no matching package named `{dep.package}` found (required by {who})"
    text = f"failed to select a version for the requirement {dep.describe()} (required by {who})"
    yanked = [str(s.version) for s in crate.yanked if dep.req.matches(s.version)]
    if yanked:
        return f"{text}: version {', '.join(yanked[:3])} is yanked"
    shown = ", ".join(str(s.version) for s in crate.usable[:5])
    if not shown:
        return f"{text}: the index has no usable version of `{dep.package}`"
    return f"{text}: candidate versions found which didn't match: {shown}"
