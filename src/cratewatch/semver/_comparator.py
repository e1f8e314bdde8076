"""``Comparator`` and ``Op``: one term of a requirement, its parser and its matching rules.

Matching ports the crate's ``src/eval.rs`` function by function. :func:`release_interval` and
:func:`pre_interval` turn a comparator into the range of release and of pre-release versions it
accepts, which :class:`VersionReq` intersects into its fast path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from cratewatch.semver._syntax import (
    U64_MAX,
    Fail,
    InvalidVersionReq,
    Pos,
    check_identifiers,
    empty_segment,
    fail,
    identifier,
    numeric,
    skip_spaces,
    unexpected_char_after,
)
from cratewatch.semver._version import Version, pre_key

__all__ = [
    "Bound",
    "Comparator",
    "Op",
    "Triple",
    "is_wildcard",
    "parse_comparator",
    "pre_interval",
    "release_interval",
]

_WILDCARDS = frozenset("*xX")
_setattr = object.__setattr__


class Op(StrEnum):
    """A comparator's operator; the value is how it is written (the wildcard as ``*``)."""

    EXACT = "="
    GREATER = ">"
    GREATER_EQ = ">="
    LESS = "<"
    LESS_EQ = "<="
    TILDE = "~"
    CARET = "^"
    WILDCARD = "*"


Triple = tuple[int, int, int]
Bound = tuple[object, ...]
"""A bound compared with ``Version._key``: ``(major, minor, patch[, pre key[, build key]])``."""
_ZERO: Triple = (0, 0, 0)
_INF: Triple = (U64_MAX + 1, 0, 0)  # above every version


@dataclass(frozen=True, slots=True)
class Comparator:
    """One ``op major[.minor[.patch[-pre]]]`` term of a requirement (the crate's ``Comparator``).

    >>> c = Comparator.parse(">=1.2")
    >>> c
    Comparator(op=<Op.GREATER_EQ: '>='>, major=1, minor=2, patch=None, pre='')
    >>> c.matches(Version.parse("1.2.0")), str(c)
    (True, '>=1.2')
    """

    op: Op
    """The operator; ``^`` when none was written, ``WILDCARD`` for ``1.*`` / ``1.2.x``."""
    major: int
    """Major number (always present)."""
    minor: int | None
    """Minor number, ``None`` when omitted or a wildcard."""
    patch: int | None
    """Patch number, ``None`` when omitted or a wildcard."""
    pre: str = ""
    """Pre-release identifiers (only with a patch number), ``""`` for none."""
    _prekey: tuple[object, ...] = field(init=False, repr=False, compare=False, hash=False)
    _interval: tuple[Triple, Triple] = field(init=False, repr=False, compare=False, hash=False)
    _pre_interval: tuple[Bound, Bound] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        _setattr(self, "op", Op(self.op))
        for number in (self.major, self.minor, self.patch):
            if number is not None and (type(number) is not int or not 0 <= number <= U64_MAX):
                raise InvalidVersionReq(str(number), "version numbers must be in 0..=u64::MAX", 0)
        if self.patch is not None and self.minor is None:
            raise InvalidVersionReq(str(self), "a patch number needs a minor number", 0)
        if self.pre and self.patch is None:
            raise InvalidVersionReq(str(self), "a pre-release needs a patch number", 0)
        try:
            check_identifiers(self.pre, Pos.PRE)
        except Fail as e:
            written = str(self)
            raise InvalidVersionReq(
                written, e.reason, len(written) - len(self.pre) + e.offset
            ) from None
        _setattr(self, "_prekey", pre_key(self.pre))
        _setattr(self, "_interval", release_interval(self))
        _setattr(self, "_pre_interval", pre_interval(self))

    @staticmethod
    def parse(text: str) -> Comparator:
        """Parse one comparator (the crate's ``Comparator::from_str``)."""
        try:
            i = skip_spaces(text, 0)
            comparator, pos, i = parse_comparator(text, i)
            if i < len(text):
                unexpected_char_after(pos, text, i)
        except Fail as e:
            raise InvalidVersionReq(text, e.reason, e.offset) from None
        return comparator

    def matches(self, version: Version) -> bool:
        """Whether ``version`` satisfies this comparator alone (the crate's ``matches``)."""
        return self._matches_impl(version) and (not version.pre or self._pre_compatible(version))

    def _pre_compatible(self, version: Version) -> bool:
        return (
            bool(self.pre)
            and self.major == version.major
            and self.minor == version.minor
            and self.patch == version.patch
        )

    def _matches_impl(self, v: Version) -> bool:  # noqa: PLR0911 - one return per op, as in eval.rs
        op = self.op
        if op is Op.EXACT or op is Op.WILDCARD:
            return self._exact(v)
        if op is Op.GREATER:
            return self._greater(v)
        if op is Op.GREATER_EQ:
            return self._exact(v) or self._greater(v)
        if op is Op.LESS:
            return self._less(v)
        if op is Op.LESS_EQ:
            return self._exact(v) or self._less(v)
        if op is Op.TILDE:
            return self._tilde(v)
        return self._caret(v)

    def _exact(self, v: Version) -> bool:
        return (
            v.major == self.major
            and (self.minor is None or v.minor == self.minor)
            and (self.patch is None or v.patch == self.patch)
            and v.pre == self.pre
        )

    def _greater(self, v: Version) -> bool:
        if v.major != self.major:
            return v.major > self.major
        if self.minor is None:
            return False
        if v.minor != self.minor:
            return v.minor > self.minor
        if self.patch is None:
            return False
        if v.patch != self.patch:
            return v.patch > self.patch
        return v._key[3] > self._prekey

    def _less(self, v: Version) -> bool:
        if v.major != self.major:
            return v.major < self.major
        if self.minor is None:
            return False
        if v.minor != self.minor:
            return v.minor < self.minor
        if self.patch is None:
            return False
        if v.patch != self.patch:
            return v.patch < self.patch
        return v._key[3] < self._prekey

    def _tilde(self, v: Version) -> bool:
        if v.major != self.major:
            return False
        if self.minor is not None and v.minor != self.minor:
            return False
        if self.patch is not None and v.patch != self.patch:
            return v.patch > self.patch
        return v._key[3] >= self._prekey

    def _caret(self, v: Version) -> bool:  # noqa: PLR0911 - mirrors eval.rs matches_caret
        major, minor, patch = self.major, self.minor, self.patch
        if v.major != major:
            return False
        if minor is None:
            return True
        if patch is None:
            return v.minor >= minor if major > 0 else v.minor == minor
        if major > 0:
            if v.minor != minor:
                return v.minor > minor
            if v.patch != patch:
                return v.patch > patch
        elif minor > 0:
            if v.minor != minor:
                return False
            if v.patch != patch:
                return v.patch > patch
        elif v.minor != minor or v.patch != patch:
            return False
        return v._key[3] >= self._prekey

    def __str__(self) -> str:
        text = ("" if self.op is Op.WILDCARD else self.op.value) + str(self.major)
        if self.minor is None:
            return text + ".*" if self.op is Op.WILDCARD else text
        text += f".{self.minor}"
        if self.patch is None:
            return text + ".*" if self.op is Op.WILDCARD else text
        text += f".{self.patch}"
        return f"{text}-{self.pre}" if self.pre else text


def release_interval(c: Comparator) -> tuple[Triple, Triple]:  # noqa: PLR0911 - one per op
    """The half-open range ``[lo, hi)`` of release (non-pre) triples ``c`` matches.

    Derived case by case from the crate's ``matches_*`` functions with ``ver.pre`` empty.
    """
    op, major, minor, patch, pre = c.op, c.major, c.minor, c.patch, c.pre
    if minor is None:
        at, after = (major, 0, 0), (major + 1, 0, 0)
    elif patch is None:
        at, after = (major, minor, 0), (major, minor + 1, 0)
    else:
        at, after = (major, minor, patch), (major, minor, patch + 1)
    if op is Op.EXACT or op is Op.WILDCARD:
        return (_INF, _ZERO) if pre else (at, after)
    if op is Op.GREATER:
        return (at if pre else after), _INF
    if op is Op.GREATER_EQ:
        return at, _INF
    if op is Op.LESS:
        return _ZERO, at
    if op is Op.LESS_EQ:
        return _ZERO, (at if pre else after)
    if op is Op.TILDE:
        return at, ((major + 1, 0, 0) if minor is None else (major, minor + 1, 0))
    # caret
    if minor is None or major > 0:
        return at, (major + 1, 0, 0)
    if patch is None or minor > 0:
        return at, (0, minor + 1, 0)
    return at, after


_BOTTOM: tuple[object, ...] = ()  # a pre-release key below every pre-release
_TOP: tuple[object, ...] = ((2,),)  # a build key above every build key
_EMPTY: tuple[Bound, Bound] = (_INF, _ZERO)


def pre_interval(c: Comparator) -> tuple[Bound, Bound]:  # noqa: PLR0911 - one per op
    """The half-open range ``[lo, hi)`` of ``Version._key`` that ``c`` accepts, for pre-releases.

    Derived case by case from the crate's ``matches_*`` functions with ``ver.pre`` non-empty:
    partial exact, wildcard and tilde comparators compare the pre-release with ``""`` and so
    accept none, while ``^1`` and ``^1.2`` never look at it.
    """
    op, major, minor, patch = c.op, c.major, c.minor, c.patch
    if minor is None:
        start: Bound = (major, 0, 0, _BOTTOM)
        after: Bound = (major + 1, 0, 0, _BOTTOM)
    elif patch is None:
        start, after = (major, minor, 0, _BOTTOM), (major, minor + 1, 0, _BOTTOM)
    else:
        start = (major, minor, patch, c._prekey)  # exactly this version (any build)
        after = (*start, _TOP)
    if op is Op.EXACT or op is Op.WILDCARD:
        return (start, after) if patch is not None else _EMPTY
    if op is Op.GREATER:
        return after, _INF
    if op is Op.GREATER_EQ:
        return (start if patch is not None else after), _INF
    if op is Op.LESS:
        return _ZERO, start
    if op is Op.LESS_EQ:
        return _ZERO, (after if patch is not None else start)
    if op is Op.TILDE:  # a patch implies a minor
        return (
            (start, (major, minor + 1, 0, _BOTTOM))
            if minor is not None and patch is not None
            else _EMPTY
        )
    # caret
    if minor is None:
        return start, after
    if major > 0:
        return start, (major + 1, 0, 0, _BOTTOM)
    if patch is None or minor > 0:
        return start, (0, minor + 1, 0, _BOTTOM)
    return start, (0, 0, patch + 1, _BOTTOM)


def _op(text: str, i: int) -> tuple[Op, int]:
    ch = text[i : i + 1]
    if ch == "=":
        return Op.EXACT, i + 1
    if ch in (">", "<"):
        if text[i + 1 : i + 2] == "=":
            return (Op.GREATER_EQ if ch == ">" else Op.LESS_EQ), i + 2
        return (Op.GREATER if ch == ">" else Op.LESS), i + 1
    if ch == "~":
        return Op.TILDE, i + 1
    if ch == "^":
        return Op.CARET, i + 1
    return Op.CARET, i


def is_wildcard(text: str, i: int) -> bool:
    return i < len(text) and text[i] in _WILDCARDS


def parse_comparator(text: str, i: int) -> tuple[Comparator, Pos, int]:
    """The crate's ``comparator``: parse one term at ``i``, return it, its last part, the end."""
    n = len(text)
    op, j = _op(text, i)
    default_op = j == i
    i = skip_spaces(text, j)
    pos = Pos.MAJOR
    major, i = numeric(text, i, pos)
    minor = patch = None
    has_wildcard = False
    if i < n and text[i] == ".":
        i += 1
        pos = Pos.MINOR
        if is_wildcard(text, i):
            has_wildcard = True
            op = Op.WILDCARD if default_op else op
            i += 1
        else:
            minor, i = numeric(text, i, pos)
    if i < n and text[i] == ".":
        i += 1
        pos = Pos.PATCH
        if is_wildcard(text, i):
            op = Op.WILDCARD if default_op else op
            i += 1
        elif has_wildcard:
            fail("unexpected character after wildcard in version req", i)
        else:
            patch, i = numeric(text, i, pos)
    pre = ""
    if patch is not None and i < n and text[i] == "-":
        pos = Pos.PRE
        pre, i = identifier(text, i + 1, pos)
        if not pre:
            empty_segment(pos, i)
    if patch is not None and i < n and text[i] == "+":
        pos = Pos.BUILD
        build, i = identifier(text, i + 1, pos)
        if not build:
            empty_segment(pos, i)
    return Comparator(op, major, minor, patch, pre), pos, skip_spaces(text, i)
