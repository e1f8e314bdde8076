"""``VersionReq``: comma-separated comparators, parsed like the crate's ``VersionReq::from_str``.

Matching is the crate's ``matches``: every comparator must match, and a pre-release version
additionally needs a comparator naming its ``major.minor.patch`` with a pre-release. For release
versions the comparators collapse into one half-open interval of ``(major, minor, patch)``
triples, so the hot path is a single chained tuple comparison.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import ClassVar, NoReturn, final

from cratewatch.semver._comparator import (
    Bound,
    Comparator,
    Triple,
    is_wildcard,
    parse_comparator,
)
from cratewatch.semver._syntax import Fail, InvalidVersionReq, fail, rust_char, skip_spaces
from cratewatch.semver._version import Version

__all__ = ["VersionReq"]

_MAX_COMPARATORS = 32  # the crate refuses a 33rd comparator
_ZERO: Triple = (0, 0, 0)
_INF: Triple = (2**64, 0, 0)  # above every version
_setattr = object.__setattr__


def _wildcard_alone(text: str, i: int) -> int:
    """After a wildcard at ``i``: the offset of the next non-space character."""
    return skip_spaces(text, i + 1)


def _parse_req_terms(text: str) -> tuple[Comparator, ...]:
    """The crate's ``VersionReq::from_str`` and ``version_req``."""
    n = len(text)
    i = skip_spaces(text, 0)
    if is_wildcard(text, i):
        rest = _wildcard_alone(text, i)
        if rest == n:
            return ()
        if text[rest] == ",":
            _only_wildcard(text, i)
        fail("unexpected character after wildcard in version req", rest)
    comparators: list[Comparator] = []
    while True:
        try:
            comparator, pos, i = parse_comparator(text, i)
        except Fail:
            if is_wildcard(text, i):
                rest = _wildcard_alone(text, i)
                if rest == n or text[rest] == ",":
                    _only_wildcard(text, i)
            raise
        comparators.append(comparator)
        if i == n:
            return tuple(comparators)
        if text[i] != ",":
            fail(f"expected comma after {pos.value}, found {rust_char(text[i])}", i)
        i = skip_spaces(text, i + 1)
        if len(comparators) == _MAX_COMPARATORS:
            fail("excessive number of version comparators", i)


def _only_wildcard(text: str, i: int) -> NoReturn:
    fail(f"wildcard req ({text[i]}) must be the only comparator in the version req", i)


def _parse_req(text: str) -> VersionReq:
    """Parse a requirement exactly as Cargo does (cached); raise :class:`InvalidVersionReq`.

    >>> VersionReq.parse(" >= 1.2 , <2")
    VersionReq.parse('>=1.2, <2')

    >>> VersionReq.parse(">=1.2.x3")
    Traceback (most recent call last):
    ...
    cratewatch.semver.InvalidVersionReq: invalid version requirement '>=1.2.x3': expected \
comma after patch version number, found '3'
        >=1.2.x3
               ^
    """
    try:
        terms = _parse_req_terms(text)
    except Fail as e:
        raise InvalidVersionReq(text, e.reason, e.offset) from None
    return VersionReq(terms) if terms else VersionReq.STAR


_parse_req_cached: Callable[[str], VersionReq] = lru_cache(maxsize=1 << 16)(_parse_req)


@final
class VersionReq:
    """A Cargo version requirement: comma-separated comparators that must all match.

    >>> req = VersionReq.parse("~1.2")
    >>> [req.matches(Version.parse(v)) for v in ("1.2.0", "1.2.9", "1.3.0")]
    [True, True, False]
    >>> str(VersionReq.parse("1.2, < 1.5.0"))
    '^1.2, <1.5.0'
    >>> VersionReq.parse("*") == VersionReq.STAR
    True
    """

    __slots__ = ("_hash", "_hi", "_lo", "_pre_hi", "_pre_lo", "_pre_triples", "comparators")

    STAR: ClassVar[VersionReq]
    """``*``: no comparators; matches every version except pre-releases."""

    comparators: tuple[Comparator, ...]
    """The terms, in written order; empty for ``*``."""
    _lo: Triple  # release versions match when _lo <= (major, minor, patch) < _hi
    _hi: Triple
    _pre_lo: Bound  # pre-releases match when _pre_lo <= Version._key < _pre_hi ...
    _pre_hi: Bound
    _pre_triples: frozenset[Triple]  # ... and a comparator with a pre-release names their triple
    _hash: int

    def __init__(self, comparators: Iterable[Comparator] = ()) -> None:
        terms = tuple(comparators)
        lo, hi = _ZERO, _INF
        pre_lo: Bound = _ZERO
        pre_hi: Bound = _INF
        for term in terms:  # every comparator must match: intersect their intervals
            lo, hi = max(lo, term._interval[0]), min(hi, term._interval[1])
            pre_lo, pre_hi = max(pre_lo, term._pre_interval[0]), min(pre_hi, term._pre_interval[1])
        _setattr(self, "comparators", terms)
        _setattr(self, "_lo", lo)
        _setattr(self, "_hi", hi)
        _setattr(self, "_pre_lo", pre_lo)
        _setattr(self, "_pre_hi", pre_hi)
        _setattr(
            self,
            "_pre_triples",
            frozenset(
                (t.major, t.minor, t.patch)
                for t in terms
                if t.pre and t.minor is not None and t.patch is not None
            ),
        )
        _setattr(self, "_hash", hash(terms))

    parse = staticmethod(_parse_req_cached)

    def matches(self, version: Version) -> bool:
        """Whether ``version`` satisfies every comparator (the crate's ``matches``).

        A pre-release version only matches when, in addition, some comparator names the same
        ``major.minor.patch`` with a pre-release of its own (``>=1.2.3-alpha`` admits
        ``1.2.3-beta`` but not ``1.2.4-beta``).
        """
        if not version.pre:
            return self._lo <= version._triple < self._hi
        return version._triple in self._pre_triples and self._pre_lo <= version._key < self._pre_hi

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"VersionReq is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"VersionReq is immutable: cannot delete {name!r}")

    def __reduce__(self) -> tuple[type[VersionReq], tuple[tuple[Comparator, ...]]]:
        return (VersionReq, (self.comparators,))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, VersionReq):
            return self.comparators == other.comparators
        return NotImplemented

    def __hash__(self) -> int:
        return self._hash

    def __str__(self) -> str:
        return ", ".join(map(str, self.comparators)) if self.comparators else "*"

    def __repr__(self) -> str:
        return f"VersionReq.parse({str(self)!r})"


VersionReq.STAR = VersionReq()
