"""Affected version intervals computed from an advisory's ``patched`` and ``unaffected`` lists.

RustSec advisories say which versions are *not* affected (``patched = [">= 1.2.3"]``,
``unaffected = ["< 1.0.0"]``); OSV says which versions *are* affected, as half-open intervals
``[introduced, fixed)``. This module converts the one into the other with exactly the
algorithm of the ``rustsec`` crate's OSV export (``src/osv/unaffected_range.rs`` and
``src/osv/ranges_for_advisory.rs``), so ``cratewatch advisories export-osv`` writes the same
events as RustSec's own ``osv`` branch and osv.dev:

- each requirement becomes one unaffected interval: ``>=``/``>`` give a lower bound,
  ``<``/``<=`` an upper bound, ``=`` a single version, and ``^``/``~`` both bounds, the upper
  one being the next breaking version with the lowest pre-release (``^1.2.3`` is
  ``[1.2.3, 2.0.0-0)``, so ``2.0.0-alpha`` is not called patched); missing minor/patch
  numbers are read as ``0`` (``> 0`` is ``> 0.0.0``);
- the complement of the union of those intervals is the affected set; an exclusive bound
  turns into the next possible version under SemVer precedence (``1.2.3`` -> ``1.2.4-0``,
  ``1.2.3-rc.1`` -> ``1.2.3-rc.1.0``); an unbounded start is written ``0.0.0-0``;
- no requirements at all means every version is affected.

Where RustSec rejects its input, cratewatch is more lenient in one way: overlapping
unaffected intervals are merged instead of refused. Intervals that only touch (``< 1.2.0``
and ``>= 1.2.0``) are kept apart, as RustSec does, which yields the empty interval
``[1.2.0, 1.2.0)`` that RustSec publishes too (RUSTSEC-2023-0039).

These intervals and Cargo's own matching (``VersionReq.matches``, what cargo-audit uses)
disagree in two known places, both inherited from RustSec:

- pre-releases: Cargo only lets a requirement match a pre-release of the very
  ``major.minor.patch`` it names, while intervals go by plain SemVer precedence;
- partial versions on ``>``, ``<=`` and ``=``: Cargo reads ``> 0`` as ``>= 1.0.0`` and
  ``<= 1.2`` as ``< 1.3.0-0``, RustSec fills zeros (``> 0.0.0``, ``<= 1.2.0``).

>>> from cratewatch.semver import Version, VersionReq
>>> [str(r) for r in affected_ranges([VersionReq.parse(">= 0.6.10")],
...                                  [VersionReq.parse("< 0.6.5")])]
['>= 0.6.5, < 0.6.10']
>>> str(affected_ranges([VersionReq.parse("^1.2.3")], [])[1].introduced)
'2.0.0-0'
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum, auto
from typing import assert_never

from cratewatch.errors import ParseError
from cratewatch.semver import Comparator, Op, Version, VersionReq

__all__ = [
    "UNBOUNDED_START",
    "AffectedRange",
    "UnsupportedRange",
    "affected_ranges",
    "next_version",
]

UNBOUNDED_START = Version(major=0, minor=0, patch=0, pre="0", build="")
"""``0.0.0-0``: the lowest version there is; OSV's ``introduced`` for "since forever"."""


class UnsupportedRange(ParseError):
    """A ``patched``/``unaffected`` requirement has a shape RustSec's conversion refuses.

    For example three comparators, two lower bounds, ``^``/``~``/``=`` combined with another
    comparator, a ``*`` wildcard with a number, or a lower bound above the upper bound.
    """


@dataclass(frozen=True, slots=True, kw_only=True)
class AffectedRange:
    """Versions ``v`` with ``introduced <= v < fixed`` are affected (OSV SEMVER semantics).

    >>> r = AffectedRange(introduced=Version.parse("0.10.0"), fixed=Version.parse("0.10.3"))
    >>> str(r), r.contains(Version.parse("0.10.2")), r.contains(Version.parse("0.10.3"))
    ('>= 0.10.0, < 0.10.3', True, False)
    """

    introduced: Version
    """First affected version (inclusive); ``0.0.0-0`` when every earlier version is too."""
    fixed: Version | None
    """First version no longer affected (exclusive); ``None`` when no later version is fixed."""

    def contains(self, version: Version) -> bool:
        """Whether *version* lies in ``[introduced, fixed)`` by SemVer precedence."""
        if version < self.introduced:
            return False
        return self.fixed is None or version < self.fixed

    @property
    def is_empty(self) -> bool:
        """True for ``[v, v)`` (or an inverted interval): no version is inside."""
        return self.fixed is not None and self.fixed <= self.introduced

    def __str__(self) -> str:
        start = None if self.introduced == UNBOUNDED_START else f">= {self.introduced}"
        end = None if self.fixed is None else f"< {self.fixed}"
        parts = [p for p in (start, end) if p is not None]
        return ", ".join(parts) if parts else "*"


class _Kind(Enum):
    UNBOUNDED = auto()
    INCLUSIVE = auto()
    EXCLUSIVE = auto()


@dataclass(frozen=True, slots=True)
class _Bound:
    kind: _Kind
    version: Version | None = None

    def at(self) -> Version:
        assert self.version is not None, "an unbounded bound has no version"
        return self.version


_UNBOUNDED = _Bound(_Kind.UNBOUNDED)


def _start_le_end(start: _Bound, end: _Bound) -> bool:
    """RustSec's ``Bound::less_or_equal``: can the interval from *start* to *end* be non-empty."""
    if start.kind is _Kind.UNBOUNDED or end.kind is _Kind.UNBOUNDED:
        return True
    if start.at() < end.at():
        return True
    return start.kind is _Kind.INCLUSIVE and end.kind is _Kind.INCLUSIVE and start.at() == end.at()


@dataclass(frozen=True, slots=True)
class _Unaffected:
    start: _Bound
    end: _Bound

    def overlaps(self, other: _Unaffected) -> bool:
        return _start_le_end(self.start, other.end) and _start_le_end(other.start, self.end)


def _comparator_version(c: Comparator) -> Version:
    """RustSec's ``comp_to_ver``: missing minor/patch become 0, build metadata dropped."""
    return Version(
        major=c.major,
        minor=c.minor if c.minor is not None else 0,
        patch=c.patch if c.patch is not None else 0,
        pre=c.pre,
        build="",
    )


def _caret_end(c: Comparator) -> Version:
    if c.major == 0:
        if c.minor is None:  # ^0
            return Version(major=1, minor=0, patch=0, pre="0", build="")
        if c.minor == 0 and c.patch is not None:  # ^0.0.x
            return Version(major=0, minor=0, patch=c.patch + 1, pre="0", build="")
        return Version(major=0, minor=c.minor + 1, patch=0, pre="0", build="")  # ^0.x, ^0.x.y
    return Version(major=c.major + 1, minor=0, patch=0, pre="0", build="")


def _tilde_end(c: Comparator) -> Version:
    if c.minor is None:  # ~1
        return Version(major=c.major + 1, minor=0, patch=0, pre="0", build="")
    return Version(major=c.major, minor=c.minor + 1, patch=0, pre="0", build="")


def _both_bounds(c: Comparator, version: Version) -> tuple[_Bound, _Bound]:
    """Bounds of a comparator that sets both (``=``, ``^``, ``~``)."""
    start = _Bound(_Kind.INCLUSIVE, version)
    if c.op is Op.EXACT:
        return start, _Bound(_Kind.INCLUSIVE, version)
    if c.op is Op.CARET:
        return start, _Bound(_Kind.EXCLUSIVE, _caret_end(c))
    return start, _Bound(_Kind.EXCLUSIVE, _tilde_end(c))


def _unaffected_range(req: VersionReq) -> _Unaffected:
    """RustSec's ``TryFrom<&VersionReq> for UnaffectedRange``."""
    comparators = req.comparators
    if len(comparators) > 2:
        raise UnsupportedRange(f"{req}: too many comparators in one requirement (at most 2)")
    start = _UNBOUNDED
    end = _UNBOUNDED
    for c in comparators:
        version = _comparator_version(c)
        match c.op:
            case Op.GREATER | Op.GREATER_EQ:
                if start is not _UNBOUNDED:
                    raise UnsupportedRange(f"{req}: more than one lower bound in one requirement")
                kind = _Kind.EXCLUSIVE if c.op is Op.GREATER else _Kind.INCLUSIVE
                start = _Bound(kind, version)
            case Op.LESS | Op.LESS_EQ:
                if end is not _UNBOUNDED:
                    raise UnsupportedRange(f"{req}: more than one upper bound in one requirement")
                kind = _Kind.EXCLUSIVE if c.op is Op.LESS else _Kind.INCLUSIVE
                end = _Bound(kind, version)
            case Op.EXACT | Op.CARET | Op.TILDE:
                if len(comparators) != 1:
                    raise UnsupportedRange(
                        f"{req}: a requirement that sets both bounds ('=', '^', '~') "
                        "must be alone in its range"
                    )
                start, end = _both_bounds(c, version)
            case Op.WILDCARD:
                raise UnsupportedRange(f"{req}: unsupported operator in '{c}'")
            case _ as unreachable:
                assert_never(unreachable)
    if not _start_le_end(start, end):
        raise UnsupportedRange(
            f"{req}: invalid range: the lower bound must not be above the upper bound"
        )
    return _Unaffected(start, end)


def next_version(version: Version) -> Version:
    """The lowest version above *version* by SemVer precedence (RustSec's ``increment``).

    A release gets the next patch with pre-release ``0``; a pre-release gets ``.0`` appended.

    >>> str(next_version(Version.parse("1.2.3"))), str(next_version(Version.parse("1.0.0-rc.1")))
    ('1.2.4-0', '1.0.0-rc.1.0')
    """
    if not version.pre:
        return Version(
            major=version.major, minor=version.minor, patch=version.patch + 1, pre="0", build=""
        )
    return Version(
        major=version.major,
        minor=version.minor,
        patch=version.patch,
        pre=f"{version.pre}.0",
        build="",
    )


def _start_key(r: _Unaffected) -> tuple[int, Version, int]:
    # Unbounded starts first; for one version an inclusive start sorts before an exclusive one.
    match r.start.kind:
        case _Kind.UNBOUNDED:
            return (0, UNBOUNDED_START, 0)
        case _Kind.INCLUSIVE:
            return (1, r.start.at(), 0)
        case _Kind.EXCLUSIVE:
            return (1, r.start.at(), 1)
        case _ as unreachable:
            assert_never(unreachable)


def _later_end(a: _Bound, b: _Bound) -> _Bound:
    if a.kind is _Kind.UNBOUNDED or b.kind is _Kind.UNBOUNDED:
        return _UNBOUNDED
    if a.at() != b.at():
        return a if a.at() > b.at() else b
    return a if a.kind is _Kind.INCLUSIVE else b


def _merge(ranges: list[_Unaffected]) -> list[_Unaffected]:
    """Sort by start and merge overlapping intervals (RustSec refuses them instead)."""
    ordered = sorted(ranges, key=_start_key)
    merged: list[_Unaffected] = []
    for r in ordered:
        if merged and merged[-1].overlaps(r):
            last = merged[-1]
            merged[-1] = _Unaffected(last.start, _later_end(last.end, r.end))
        else:
            merged.append(r)
    return merged


def _after_end(b: _Bound) -> Version:
    """First version past an unaffected interval's end bound."""
    return b.at() if b.kind is _Kind.EXCLUSIVE else next_version(b.at())


def _before_start(b: _Bound) -> Version:
    """First version that an unaffected interval's start bound makes unaffected."""
    return next_version(b.at()) if b.kind is _Kind.EXCLUSIVE else b.at()


def affected_ranges(
    patched: Sequence[VersionReq], unaffected: Sequence[VersionReq]
) -> tuple[AffectedRange, ...]:
    """The affected intervals of an advisory, in ascending order, exactly as RustSec exports.

    Raises :class:`UnsupportedRange` for a requirement RustSec's conversion refuses.

    >>> from cratewatch.semver import VersionReq
    >>> [str(r) for r in affected_ranges([VersionReq.parse("^0.3.2"),
    ...                                   VersionReq.parse(">= 0.4.1")], [])]
    ['< 0.3.2', '>= 0.4.0-0, < 0.4.1']
    >>> [str(r) for r in affected_ranges([], [])]
    ['*']
    """
    unaffected_ranges = [_unaffected_range(r) for r in (*unaffected, *patched)]
    if not unaffected_ranges:
        return (AffectedRange(introduced=UNBOUNDED_START, fixed=None),)
    merged = _merge(unaffected_ranges)
    result: list[AffectedRange] = []
    first, last = merged[0], merged[-1]
    if first.start.kind is not _Kind.UNBOUNDED:
        result.append(AffectedRange(introduced=UNBOUNDED_START, fixed=_before_start(first.start)))
    for low, high in itertools.pairwise(merged):
        # Sorted and disjoint, so only the first start and the last end can be unbounded.
        result.append(
            AffectedRange(introduced=_after_end(low.end), fixed=_before_start(high.start))
        )
    if last.end.kind is not _Kind.UNBOUNDED:
        result.append(AffectedRange(introduced=_after_end(last.end), fixed=None))
    return tuple(result)
