"""Cargo's flavour of Semantic Versioning, exactly as the Rust ``semver`` crate 1.x implements it.

Cargo parses every version and requirement with dtolnay's ``semver`` crate; this module is a
faithful port of its parser (``src/parse.rs``), its error messages (``src/error.rs``), its
ordering (``src/impls.rs``) and its matching rules (``src/eval.rs``), so that cratewatch agrees
with Cargo on which versions a requirement selects.

>>> from cratewatch.semver import Version, VersionReq
>>> req = VersionReq.parse(">=1.2.3, <1.8.0")
>>> req.matches(Version.parse("1.3.0"))
True
>>> req.matches(Version.parse("1.2.3-alpha.1"))  # pre-releases need an opted-in comparator
False
>>> sorted(Version.parse(s) for s in ["1.0.0", "1.0.0-rc.1", "0.9.10"])
[Version.parse('0.9.10'), Version.parse('1.0.0-rc.1'), Version.parse('1.0.0')]

Both ``parse`` functions are cached, so re-parsing the same text is a dictionary lookup, and
:meth:`VersionReq.matches` compiles the requirement into one interval for release versions.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from functools import lru_cache
from typing import ClassVar, NoReturn, final

from cratewatch.errors import ParseError

__all__ = [
    "Comparator",
    "InvalidVersion",
    "InvalidVersionReq",
    "Op",
    "Version",
    "VersionReq",
]

_U64_MAX = 2**64 - 1
_MAX_COMPARATORS = 32  # the crate refuses a 33rd comparator
_MAX_SHOWN = 100  # characters of the input shown around an error
_DIGITS = frozenset("0123456789")
_IDENT_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-")
_WILDCARDS = frozenset("*xX")


# --------------------------------------------------------------------------------------------
# errors


class _Pos(Enum):
    """Which part of a version the parser was in (the crate's ``Position``)."""

    MAJOR = "major version number"
    MINOR = "minor version number"
    PATCH = "patch version number"
    PRE = "pre-release identifier"
    BUILD = "build metadata"


def _rust_char(ch: str) -> str:
    """Quote ``ch`` the way Rust's ``{:?}`` prints a char (the crate's ``QuotedChar``)."""
    return f"'{_escape(ch, quote=True)}'"


def _escape(text: str, *, quote: bool = False) -> str:
    """Escape control, invisible and combining characters like Rust's ``escape_debug``."""
    out = []
    for ch in text:
        if ch == "\0":
            out.append("\\0")
        elif ch in "\t\r\n":
            out.append({"\t": "\\t", "\r": "\\r", "\n": "\\n"}[ch])
        elif ch == "\\" or (quote and ch == "'"):
            out.append("\\" + ch)
        elif not ch.isprintable() or unicodedata.category(ch) in ("Mn", "Me"):
            out.append(f"\\u{{{ord(ch):x}}}")
        else:
            out.append(ch)
    return "".join(out)


class _SemverError(ParseError):
    """Common shape of both parse errors: the input, the crate's reason, a caret at the break."""

    _WHAT: ClassVar[str]

    def __init__(self, text: str, reason: str, offset: int) -> None:
        self.text = text
        """The rejected input."""
        self.reason = reason
        """The crate's description, e.g. ``unexpected end of input while parsing ...``."""
        self.offset = offset
        """Index into ``text`` where parsing broke (``len(text)`` for a premature end)."""
        super().__init__(self._render())

    def _render(self) -> str:
        start = max(0, self.offset - _MAX_SHOWN // 2)
        end = start + _MAX_SHOWN
        shown = _escape(self.text[start:end])
        caret = len(_escape(self.text[start : self.offset]))
        if start > 0:
            shown, caret = "..." + shown, caret + 3
        if end < len(self.text):
            shown += "..."
        quoted = _escape(self.text) if len(self.text) <= _MAX_SHOWN else shown
        return f"invalid {self._WHAT} '{quoted}': {self.reason}\n    {shown}\n    {' ' * caret}^"


class InvalidVersion(_SemverError):
    """A version string is not a valid SemVer version (as Cargo reads it).

    >>> Version.parse("1.2.3-01")
    Traceback (most recent call last):
    ...
    cratewatch.semver.InvalidVersion: invalid version '1.2.3-01': invalid leading zero in \
pre-release identifier
        1.2.3-01
              ^
    """

    _WHAT = "version"


class InvalidVersionReq(_SemverError):
    """A requirement string is not a valid Cargo version requirement."""

    _WHAT = "version requirement"


class _Fail(Exception):
    """Internal: the parser's error before it is bound to an input and an error class."""

    def __init__(self, reason: str, offset: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.offset = offset


def _fail(reason: str, offset: int) -> NoReturn:
    raise _Fail(reason, offset)


def _unexpected_end(pos: _Pos, offset: int) -> NoReturn:
    _fail(f"unexpected end of input while parsing {pos.value}", offset)


def _unexpected_char(pos: _Pos, text: str, offset: int) -> NoReturn:
    _fail(f"unexpected character {_rust_char(text[offset])} while parsing {pos.value}", offset)


def _unexpected_char_after(pos: _Pos, text: str, offset: int) -> NoReturn:
    _fail(f"unexpected character {_rust_char(text[offset])} after {pos.value}", offset)


def _empty_segment(pos: _Pos, offset: int) -> NoReturn:
    _fail(f"empty identifier segment in {pos.value}", offset)


# --------------------------------------------------------------------------------------------
# scanning primitives (ports of the crate's parse.rs helpers; they return the new offset)


def _numeric(text: str, i: int, pos: _Pos) -> tuple[int, int]:
    start = i
    n = len(text)
    while i < n and text[i] in _DIGITS:
        if i > start and text[start] == "0":
            _fail(f"invalid leading zero in {pos.value}", start)
        i += 1
    if i > start:
        # more than 20 digits always overflows (and int() refuses very long strings)
        value = int(text[start:i]) if i - start <= 20 else _U64_MAX + 1
        if value > _U64_MAX:
            _fail(f"value of {pos.value} exceeds u64::MAX", start)
        return value, i
    if i < n:
        _unexpected_char(pos, text, i)
    _unexpected_end(pos, i)


def _identifier(text: str, i: int, pos: _Pos) -> tuple[str, int]:
    """Dot-separated ``[0-9A-Za-z-]+`` identifiers starting at ``i`` (may be empty)."""
    start = seg = i
    n = len(text)
    while True:
        while i < n and text[i] in _IDENT_CHARS:
            i += 1
        boundary = text[i] if i < n else ""
        if i == seg:
            if seg == start and boundary != ".":
                return "", start
            _empty_segment(pos, i)
        if (
            pos is _Pos.PRE
            and i - seg > 1
            and text[seg] == "0"
            and all(c in _DIGITS for c in text[seg:i])
        ):
            _fail(f"invalid leading zero in {pos.value}", seg)
        if boundary != ".":
            return text[start:i], i
        i += 1
        seg = i


def _skip_spaces(text: str, i: int) -> int:
    n = len(text)
    while i < n and text[i] == " ":
        i += 1
    return i


def _check_identifiers(value: str, pos: _Pos) -> None:
    """Validate a ``pre``/``build`` string given to a constructor."""
    if value:
        found, end = _identifier(value, 0, pos)
        if not found:
            _empty_segment(pos, 0)
        if end != len(value):
            _fail(f"unexpected character in {pos.value}", end)


# --------------------------------------------------------------------------------------------
# ordering keys


def _pre_key(pre: str) -> tuple[object, ...]:
    """Sort key equal to the crate's ``Prerelease`` order; the empty pre-release sorts last."""
    if not pre:
        return _RELEASE
    # numeric identifiers have no leading zeros, so (length, text) orders them by value
    return (0, *((0, len(p), p) if p.isdigit() else (1, p) for p in pre.split(".")))


def _build_key(build: str) -> tuple[object, ...]:
    """Sort key equal to the crate's ``BuildMetadata`` order (``0 < 00 < 1 < 01 < 2 < 10``)."""
    if not build:
        return ()
    key: list[tuple[object, ...]] = []
    for part in build.split("."):
        if part.isdigit():
            value = part.lstrip("0")
            key.append((0, len(value), value, len(part)))
        else:
            key.append((1, part))
    return tuple(key)


_RELEASE: tuple[object, ...] = (1,)


# --------------------------------------------------------------------------------------------
# Version

_VERSION_RE = re.compile(
    r"(0|[1-9][0-9]{0,19})\.(0|[1-9][0-9]{0,19})\.(0|[1-9][0-9]{0,19})"
    r"(?:-((?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)"
    r"(?:\.(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*))*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
)
_setattr = object.__setattr__


@final
class Version:
    """A SemVer version: ``major.minor.patch[-pre][+build]``, immutable and hashable.

    ``pre`` and ``build`` are the raw dot-separated strings, ``""`` when absent. Ordering is
    the crate's ``Ord``: by numbers, then a pre-release sorts before its release, identifiers
    compare pairwise (numeric < alphanumeric, numbers by value, text in ASCII order, a longer
    list wins on a common prefix), then build metadata breaks ties. Equality and hashing agree
    with that order, so ``1.0.0+a != 1.0.0+b`` as in the crate.

    >>> v = Version.parse("1.2.3-alpha.1+build.5")
    >>> (v.major, v.minor, v.patch, v.pre, v.build, v.is_prerelease)
    (1, 2, 3, 'alpha.1', 'build.5', True)
    >>> Version(1, 2, 3) < v.__class__(major=1, minor=2, patch=4)
    True
    """

    __slots__ = (
        "_hash",
        "_key",
        "_prekey",
        "_text",
        "_triple",
        "build",
        "major",
        "minor",
        "patch",
        "pre",
    )

    major: int
    """First number; incompatible API changes (or any change while it is 0, by Cargo's rules)."""
    minor: int
    """Second number."""
    patch: int
    """Third number."""
    pre: str
    """Pre-release identifiers after ``-`` (``"alpha.1"``), ``""`` for a release."""
    build: str
    """Build metadata after ``+`` (``"build.5"``), ``""`` when absent; ignored by matching."""
    _prekey: tuple[object, ...]
    _key: tuple[int, int, int, tuple[object, ...], tuple[object, ...]]
    _hash: int
    _text: str
    _triple: tuple[int, int, int]

    def __init__(self, major: int, minor: int, patch: int, pre: str = "", build: str = "") -> None:
        numbers = (major, minor, patch)
        for name, number in zip(("major", "minor", "patch"), numbers, strict=True):
            if type(number) is not int or not 0 <= number <= _U64_MAX:
                raise InvalidVersion(repr(numbers), f"{name} must be an int in 0..=u64::MAX", 0)
        text = _format_version(major, minor, patch, pre, build)
        for value, pos in ((pre, _Pos.PRE), (build, _Pos.BUILD)):
            try:
                _check_identifiers(value, pos)
            except _Fail as e:
                raise InvalidVersion(value, e.reason, e.offset) from None
        _init_version(self, major, minor, patch, pre=pre, build=build, text=text)

    @staticmethod
    def parse(text: str) -> Version:
        """Parse ``text`` exactly as Cargo does (cached).

        >>> Version.parse("0.3.0-alpha.1")
        Version.parse('0.3.0-alpha.1')
        >>> Version.parse("v1.0.0")
        Traceback (most recent call last):
        ...
        cratewatch.semver.InvalidVersion: invalid version 'v1.0.0': unexpected character 'v' \
while parsing major version number
            v1.0.0
            ^
        """
        return _parse_version_cached(text)

    @property
    def is_prerelease(self) -> bool:
        """Whether the version has a pre-release part (``1.0.0-rc.1``)."""
        return bool(self.pre)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"Version is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"Version is immutable: cannot delete {name!r}")

    def __reduce__(self) -> tuple[type[Version], tuple[int, int, int, str, str]]:
        return (Version, (self.major, self.minor, self.patch, self.pre, self.build))

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return f"Version.parse({self._text!r})"

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Version):
            return self._key == other._key
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        if isinstance(other, Version):
            return self._key != other._key
        return NotImplemented

    def __lt__(self, other: Version) -> bool:
        if isinstance(other, Version):
            return self._key < other._key
        return NotImplemented

    def __le__(self, other: Version) -> bool:
        if isinstance(other, Version):
            return self._key <= other._key
        return NotImplemented

    def __gt__(self, other: Version) -> bool:
        if isinstance(other, Version):
            return self._key > other._key
        return NotImplemented

    def __ge__(self, other: Version) -> bool:
        if isinstance(other, Version):
            return self._key >= other._key
        return NotImplemented


def _format_version(major: int, minor: int, patch: int, pre: str, build: str) -> str:
    text = f"{major}.{minor}.{patch}"
    if pre:
        text += "-" + pre
    if build:
        text += "+" + build
    return text


def _init_version(
    self: Version, major: int, minor: int, patch: int, *, pre: str, build: str, text: str
) -> None:
    prekey = _pre_key(pre)
    key = (major, minor, patch, prekey, _build_key(build))
    _setattr(self, "major", major)
    _setattr(self, "minor", minor)
    _setattr(self, "patch", patch)
    _setattr(self, "pre", pre)
    _setattr(self, "build", build)
    _setattr(self, "_prekey", prekey)
    _setattr(self, "_key", key)
    _setattr(self, "_hash", hash(key))
    _setattr(self, "_text", text)
    _setattr(self, "_triple", (major, minor, patch))


def _parse_version(text: str) -> Version:
    match = _VERSION_RE.fullmatch(text)
    if match is None or (len(text) >= 24 and max(map(int, match.group(1, 2, 3))) > _U64_MAX):
        try:
            _parse_version_slow(text)
        except _Fail as e:
            raise InvalidVersion(text, e.reason, e.offset) from None
        raise AssertionError(f"fast and slow version parsers disagree on {text!r}")
    major, minor, patch, pre, build = match.groups("")
    version = object.__new__(Version)
    _init_version(version, int(major), int(minor), int(patch), pre=pre, build=build, text=text)
    return version


def _parse_version_slow(text: str) -> None:
    """The crate's ``Version::from_str``, used to find the error (or overflow) precisely."""
    if not text:
        _fail("empty string, expected a semver version", 0)
    n = len(text)
    i = 0
    pos = _Pos.MAJOR
    for pos in (_Pos.MAJOR, _Pos.MINOR, _Pos.PATCH):
        _, i = _numeric(text, i, pos)
        if pos is _Pos.PATCH:
            break
        if i < n and text[i] == ".":
            i += 1
        elif i < n:
            _unexpected_char_after(pos, text, i)
        else:
            _unexpected_end(pos, i)
    for sep, part in (("-", _Pos.PRE), ("+", _Pos.BUILD)):
        if i < n and text[i] == sep:
            pos = part
            found, j = _identifier(text, i + 1, part)
            if not found:
                _empty_segment(part, i + 1)
            i = j
    if i < n:
        _unexpected_char_after(pos, text, i)


_parse_version_cached = lru_cache(maxsize=1 << 17)(_parse_version)


# --------------------------------------------------------------------------------------------
# requirements


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


_Triple = tuple[int, int, int]
_ZERO: _Triple = (0, 0, 0)
_INF: _Triple = (_U64_MAX + 1, 0, 0)  # above every version


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
    _interval: tuple[_Triple, _Triple] = field(init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        _setattr(self, "op", Op(self.op))
        for number in (self.major, self.minor, self.patch):
            if number is not None and (type(number) is not int or not 0 <= number <= _U64_MAX):
                raise InvalidVersionReq(str(number), "version numbers must be in 0..=u64::MAX", 0)
        if self.patch is not None and self.minor is None:
            raise InvalidVersionReq(str(self), "a patch number needs a minor number", 0)
        if self.pre and self.patch is None:
            raise InvalidVersionReq(str(self), "a pre-release needs a patch number", 0)
        try:
            _check_identifiers(self.pre, _Pos.PRE)
        except _Fail as e:
            raise InvalidVersionReq(self.pre, e.reason, e.offset) from None
        _setattr(self, "_prekey", _pre_key(self.pre))
        _setattr(self, "_interval", _release_interval(self))

    @staticmethod
    def parse(text: str) -> Comparator:
        """Parse one comparator (the crate's ``Comparator::from_str``)."""
        try:
            i = _skip_spaces(text, 0)
            comparator, pos, i = _comparator(text, i)
            if i < len(text):
                _unexpected_char_after(pos, text, i)
        except _Fail as e:
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
        return v._prekey > self._prekey

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
        return v._prekey < self._prekey

    def _tilde(self, v: Version) -> bool:
        if v.major != self.major:
            return False
        if self.minor is not None and v.minor != self.minor:
            return False
        if self.patch is not None and v.patch != self.patch:
            return v.patch > self.patch
        return v._prekey >= self._prekey

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
        return v._prekey >= self._prekey

    def __str__(self) -> str:
        text = ("" if self.op is Op.WILDCARD else self.op.value) + str(self.major)
        if self.minor is None:
            return text + ".*" if self.op is Op.WILDCARD else text
        text += f".{self.minor}"
        if self.patch is None:
            return text + ".*" if self.op is Op.WILDCARD else text
        text += f".{self.patch}"
        return f"{text}-{self.pre}" if self.pre else text


def _release_interval(c: Comparator) -> tuple[_Triple, _Triple]:  # noqa: PLR0911 - one per op
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


def _is_wildcard(text: str, i: int) -> bool:
    return i < len(text) and text[i] in _WILDCARDS


def _comparator(text: str, i: int) -> tuple[Comparator, _Pos, int]:
    """The crate's ``comparator``: parse one term at ``i``, return it, its last part, the end."""
    n = len(text)
    op, j = _op(text, i)
    default_op = j == i
    i = _skip_spaces(text, j)
    pos = _Pos.MAJOR
    major, i = _numeric(text, i, pos)
    minor = patch = None
    has_wildcard = False
    if i < n and text[i] == ".":
        i += 1
        pos = _Pos.MINOR
        if _is_wildcard(text, i):
            has_wildcard = True
            op = Op.WILDCARD if default_op else op
            i += 1
        else:
            minor, i = _numeric(text, i, pos)
    if i < n and text[i] == ".":
        i += 1
        pos = _Pos.PATCH
        if _is_wildcard(text, i):
            op = Op.WILDCARD if default_op else op
            i += 1
        elif has_wildcard:
            _fail("unexpected character after wildcard in version req", i)
        else:
            patch, i = _numeric(text, i, pos)
    pre = ""
    if patch is not None and i < n and text[i] == "-":
        pos = _Pos.PRE
        pre, i = _identifier(text, i + 1, pos)
        if not pre:
            _empty_segment(pos, i)
    if patch is not None and i < n and text[i] == "+":
        pos = _Pos.BUILD
        build, i = _identifier(text, i + 1, pos)
        if not build:
            _empty_segment(pos, i)
    return Comparator(op, major, minor, patch, pre), pos, _skip_spaces(text, i)


def _wildcard_alone(text: str, i: int) -> int:
    """After a wildcard at ``i``: the offset of the next non-space character."""
    return _skip_spaces(text, i + 1)


def _parse_req_terms(text: str) -> tuple[Comparator, ...]:
    """The crate's ``VersionReq::from_str`` and ``version_req``."""
    n = len(text)
    i = _skip_spaces(text, 0)
    if _is_wildcard(text, i):
        rest = _wildcard_alone(text, i)
        if rest == n:
            return ()
        if text[rest] == ",":
            _only_wildcard(text, i)
        _fail("unexpected character after wildcard in version req", rest)
    comparators: list[Comparator] = []
    while True:
        try:
            comparator, pos, i = _comparator(text, i)
        except _Fail:
            if _is_wildcard(text, i):
                rest = _wildcard_alone(text, i)
                if rest == n or text[rest] == ",":
                    _only_wildcard(text, i)
            raise
        comparators.append(comparator)
        if i == n:
            return tuple(comparators)
        if text[i] != ",":
            _fail(f"expected comma after {pos.value}, found {_rust_char(text[i])}", i)
        i = _skip_spaces(text, i + 1)
        if len(comparators) == _MAX_COMPARATORS:
            _fail("excessive number of version comparators", i)


def _only_wildcard(text: str, i: int) -> NoReturn:
    _fail(f"wildcard req ({text[i]}) must be the only comparator in the version req", i)


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

    __slots__ = ("_hash", "_hi", "_lo", "_pre_triples", "comparators")

    STAR: ClassVar[VersionReq]
    """``*``: no comparators; matches every version except pre-releases."""

    comparators: tuple[Comparator, ...]
    """The terms, in written order; empty for ``*``."""
    _lo: _Triple
    _hi: _Triple
    _pre_triples: frozenset[_Triple]
    _hash: int

    def __init__(self, comparators: Iterable[Comparator] = ()) -> None:
        terms = tuple(comparators)
        lo, hi = _ZERO, _INF
        for term in terms:
            term_lo, term_hi = term._interval
            lo, hi = max(lo, term_lo), min(hi, term_hi)
        _setattr(self, "comparators", terms)
        _setattr(self, "_lo", lo)
        _setattr(self, "_hi", hi)
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

    @staticmethod
    def parse(text: str) -> VersionReq:
        """Parse a requirement exactly as Cargo does (cached).

        >>> VersionReq.parse(">=1.2.x3")
        Traceback (most recent call last):
        ...
        cratewatch.semver.InvalidVersionReq: invalid version requirement '>=1.2.x3': expected \
comma after patch version number, found '3'
            >=1.2.x3
                   ^
        """
        return _parse_req_cached(text)

    def matches(self, version: Version) -> bool:
        """Whether ``version`` satisfies every comparator (the crate's ``matches``).

        A pre-release version only matches when, in addition, some comparator names the same
        ``major.minor.patch`` with a pre-release of its own (``>=1.2.3-alpha`` admits
        ``1.2.3-beta`` but not ``1.2.4-beta``).
        """
        if not version.pre:
            return self._lo <= version._triple < self._hi
        if version._triple not in self._pre_triples:
            return False
        return all(term._matches_impl(version) for term in self.comparators)

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


def _parse_req(text: str) -> VersionReq:
    try:
        terms = _parse_req_terms(text)
    except _Fail as e:
        raise InvalidVersionReq(text, e.reason, e.offset) from None
    return VersionReq(terms) if terms else VersionReq.STAR


_parse_req_cached = lru_cache(maxsize=1 << 16)(_parse_req)
