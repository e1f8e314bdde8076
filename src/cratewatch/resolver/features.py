"""Which dependencies a package activates for a set of requested features.

This is Cargo's lock-file feature logic (``core/resolver/dep_cache.rs``: ``build_requirements``,
``Requirements``, ``resolve_features``), not the newer feature resolver used for builds:

* a requested feature enables what its table lists, recursively; ``default`` is requested when
  the dependency keeps default features and the package has a ``default`` feature;
* ``dep:x`` enables the optional dependency ``x``; ``x/f`` enables ``x`` (and ``x``'s implicit
  feature when it has one) and feature ``f`` on it; the weak ``x?/f`` asks ``f`` of ``x`` and,
  in this resolution, activates ``x`` too ("weak features are always activated in the
  dependency resolver");
* a dependency's own ``features`` are looked up by name, so a missing one rejects that
  candidate (the resolver then tries an older version);
* dev-dependencies count only for the root; an optional dependency only when enabled.

:class:`Expander` memoises the answer per ``(version, features, default)``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import assert_never

from cratewatch.resolver.candidates import CandidateList, CandidateSource
from cratewatch.resolver.summary import DEP, FEATURE, Dep, FeatureValue, Summary

__all__ = ["DepInfo", "Expanded", "Expander", "FeatureProblem", "ProblemKind"]

DepInfo = tuple[Dep, CandidateList, frozenset[str]]
"""A dependency to activate, its candidates, and the features to ask of the chosen one."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Expanded:
    """A package's active dependencies for one feature request."""

    used: frozenset[str]
    """The package's own features this request enables."""
    deps: tuple[DepInfo, ...]
    """Dependencies to activate, fewest candidates first (Cargo's stable sort)."""


class ProblemKind(StrEnum):
    """Why a version cannot give what a dependency asks (Cargo's ``RequirementError``)."""

    MISSING_FEATURE = "missing-feature"
    """No feature of that name."""
    REQUIRED_DEPENDENCY = "required-dependency"
    """The name is a non-optional dependency, which has no feature."""
    HIDDEN_DEPENDENCY = "hidden-dependency"
    """The name is an optional dependency only enabled with ``dep:`` syntax."""
    MISSING_DEPENDENCY = "missing-dependency"
    """``x/f`` names no dependency at all."""
    CYCLE = "cycle"
    """A feature includes itself: Cargo aborts the whole resolution."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FeatureProblem:
    """The request cannot be met by this version."""

    kind: ProblemKind
    """What is wrong; every kind but :attr:`ProblemKind.CYCLE` only rejects the candidate."""
    name: str
    """The feature or dependency concerned."""

    @property
    def fatal(self) -> bool:
        """Whether Cargo aborts the whole resolution instead of trying another candidate."""
        return self.kind is ProblemKind.CYCLE

    def describe(self, summary: Summary) -> str:
        """A sentence about ``summary`` and this problem."""
        who = f"`{summary.describe()}`"
        match self.kind:
            case ProblemKind.CYCLE:
                return (
                    f"cyclic feature dependency: feature `{self.name}` of {who} depends on itself"
                )
            case ProblemKind.MISSING_DEPENDENCY:
                return f"{who} does not have a dependency named `{self.name}`"
            case ProblemKind.REQUIRED_DEPENDENCY:
                return (
                    f"{who} does not have feature `{self.name}` (it has a required dependency "
                    "with that name, but only optional dependencies can be used as features)"
                )
            case ProblemKind.HIDDEN_DEPENDENCY:
                return (
                    f"{who} does not have feature `{self.name}` (its optional dependency of "
                    "that name is only enabled with `dep:` syntax)"
                )
            case ProblemKind.MISSING_FEATURE:
                return f"{who} does not have the feature `{self.name}`"
            case _:
                assert_never(self.kind)


class _Missing(Exception):
    def __init__(self, kind: ProblemKind, name: str) -> None:
        super().__init__(kind, name)
        self.kind = kind
        self.name = name


class _Requirements:
    """Cargo's ``Requirements``: features reached and dependency -> features asked of it."""

    __slots__ = ("deps", "features", "summary")

    def __init__(self, summary: Summary) -> None:
        self.summary = summary
        self.features: set[str] = set()
        self.deps: dict[str, set[str]] = {}

    def require_feature(self, feat: str) -> None:
        # Iterative depth-first walk in the order of Cargo's recursion (hostile tables may
        # chain thousands of features).
        stack: list[tuple[str, Iterator[FeatureValue]]] = []
        self._enter(feat, stack)
        while stack:
            current, values = stack[-1]
            fv = next(values, None)
            if fv is None:
                stack.pop()
                continue
            tag, name, dep_feature, weak = fv
            if tag == FEATURE:
                if name == current:
                    raise _Missing(ProblemKind.CYCLE, name)
                self._enter(name, stack)
            elif tag == DEP:
                self.deps.setdefault(name, set())
            else:
                if (
                    not weak
                    and name in self.summary.optional_names
                    and (name in self.summary.features)
                ):
                    self._enter(name, stack)
                self.deps.setdefault(name, set()).add(dep_feature)

    def _enter(self, feat: str, stack: list[tuple[str, Iterator[FeatureValue]]]) -> None:
        if feat in self.features:
            return
        self.features.add(feat)
        fvs = self.summary.features.get(feat)
        if fvs is None:
            raise _Missing(self._missing_kind(feat), feat)
        stack.append((feat, iter(fvs)))

    def _missing_kind(self, feat: str) -> ProblemKind:
        same = [d for d in self.summary.deps if d.name == feat]
        if not same:
            return ProblemKind.MISSING_FEATURE
        if any(d.optional for d in same):
            return ProblemKind.HIDDEN_DEPENDENCY
        return ProblemKind.REQUIRED_DEPENDENCY


class Expander:
    """Memoised ``resolve_features`` + ``build_deps`` over one :class:`CandidateSource`."""

    __slots__ = ("_cache", "_source")

    def __init__(self, source: CandidateSource) -> None:
        self._source = source
        self._cache: dict[tuple[Summary, frozenset[str], bool], Expanded | FeatureProblem] = {}

    def expand(
        self, summary: Summary, want: frozenset[str], uses_default: bool
    ) -> Expanded | FeatureProblem:
        """The dependencies ``summary`` activates when a dependency asks for ``want``."""
        key = (summary, want, uses_default)
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self._expand(summary, sorted(want), uses_default, False)
        return found

    def expand_root(self, summary: Summary) -> Expanded | FeatureProblem:
        """The dependencies of a workspace root: every feature, dev-dependencies included."""
        return self._expand(summary, sorted(summary.features), False, True)

    def _expand(
        self, summary: Summary, want: list[str], uses_default: bool, dev_deps: bool
    ) -> Expanded | FeatureProblem:
        reqs = _Requirements(summary)
        try:
            for feat in want:
                reqs.require_feature(feat)
            if uses_default and summary.has_default:
                reqs.require_feature("default")
        except _Missing as e:
            return FeatureProblem(kind=e.kind, name=e.name)
        query = self._source.query
        found: list[DepInfo] = []
        for dep in summary.deps:
            if not (dep.transitive or dev_deps):
                continue
            if dep.optional and dep.name not in reqs.deps:
                continue
            asked = reqs.deps.get(dep.name)
            features = dep.want | asked if asked else dep.want
            found.append((dep, query(dep), features))
        # Cargo 1.95 accepts `x/f` naming a dev-dependency outside the workspace (checked
        # against real cargo); only a name that is no dependency at all is refused.
        names = summary.dep_names
        for name in reqs.deps:
            if name not in names:
                return FeatureProblem(kind=ProblemKind.MISSING_DEPENDENCY, name=name)
        found.sort(key=lambda info: len(info[1].summaries))
        return Expanded(used=frozenset(reqs.features), deps=tuple(found))
