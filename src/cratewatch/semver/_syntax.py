"""Low-level syntax: the crate's scanning primitives (``parse.rs``) and errors (``error.rs``).

Scanners take the whole input and an offset and return the value and the new offset, so that an
error can point at the exact character where the input broke.
"""

from __future__ import annotations

import unicodedata
from enum import Enum
from typing import ClassVar, NoReturn

from cratewatch.errors import ParseError

__all__ = [
    "U64_MAX",
    "Fail",
    "InvalidVersion",
    "InvalidVersionReq",
    "Pos",
    "check_identifiers",
    "empty_segment",
    "fail",
    "identifier",
    "numeric",
    "rust_char",
    "skip_spaces",
    "unexpected_char_after",
    "unexpected_end",
]

U64_MAX = 2**64 - 1
_MAX_SHOWN = 100  # characters of the input shown around an error
_DIGITS = frozenset("0123456789")
_IDENT_CHARS = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-")


class Pos(Enum):
    """Which part of a version the parser was in (the crate's ``Position``)."""

    MAJOR = "major version number"
    MINOR = "minor version number"
    PATCH = "patch version number"
    PRE = "pre-release identifier"
    BUILD = "build metadata"


# --------------------------------------------------------------------------------------------
# errors


def rust_char(ch: str) -> str:
    """Quote ``ch`` the way Rust's ``{:?}`` prints a char (the crate's ``QuotedChar``)."""
    return f"'{_escape(ch, quote=True)}'"


_SIMPLE_ESCAPES = {"\0": "\\0", "\t": "\\t", "\r": "\\r", "\n": "\\n", "\\": "\\\\"}


def _escape(text: str, *, quote: bool = False) -> str:
    """Escape control, invisible and combining characters like Rust's ``escape_debug``.

    Python's Unicode database stands in for Rust's tables: ASCII and common characters agree;
    characters assigned after Python's Unicode version, and spacing marks that Rust treats as
    grapheme extenders, may be escaped differently.
    """
    out = []
    for ch in text:
        if ch in _SIMPLE_ESCAPES:
            out.append(_SIMPLE_ESCAPES[ch])
        elif quote and ch == "'":
            out.append("\\'")
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

    def __reduce__(self) -> tuple[type[_SemverError], tuple[str, str, int]]:
        return (type(self), (self.text, self.reason, self.offset))

    def _render(self) -> str:
        # long input: show a window around the break, with the caret under it
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

    ``text``, ``reason`` (the crate's message) and ``offset`` (where it broke) are attributes.

    >>> from cratewatch.semver import Version
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
    """A requirement string is not a valid Cargo version requirement.

    >>> from cratewatch.semver import VersionReq
    >>> VersionReq.parse("1.2.3 - 2.0.0").reason
    Traceback (most recent call last):
    ...
    cratewatch.semver.InvalidVersionReq: invalid version requirement '1.2.3 - 2.0.0': expected \
comma after patch version number, found '-'
        1.2.3 - 2.0.0
              ^
    """

    _WHAT = "version requirement"


class Fail(Exception):
    """The parser's error before it is bound to an input and a public error class."""

    def __init__(self, reason: str, offset: int) -> None:
        super().__init__(reason)
        self.reason = reason
        self.offset = offset


def fail(reason: str, offset: int) -> NoReturn:
    raise Fail(reason, offset)


def unexpected_end(pos: Pos, offset: int) -> NoReturn:
    fail(f"unexpected end of input while parsing {pos.value}", offset)


def unexpected_char_after(pos: Pos, text: str, offset: int) -> NoReturn:
    fail(f"unexpected character {rust_char(text[offset])} after {pos.value}", offset)


def empty_segment(pos: Pos, offset: int) -> NoReturn:
    fail(f"empty identifier segment in {pos.value}", offset)


# --------------------------------------------------------------------------------------------
# scanning primitives


def numeric(text: str, i: int, pos: Pos) -> tuple[int, int]:
    """A number without leading zeros at ``i`` (the crate's ``numeric_identifier``)."""
    start = i
    n = len(text)
    while i < n and text[i] in _DIGITS:
        if i > start and text[start] == "0":
            fail(f"invalid leading zero in {pos.value}", start)
        i += 1
    if i > start:
        # more than 20 digits always overflows (and int() refuses very long strings)
        value = int(text[start:i]) if i - start <= 20 else U64_MAX + 1
        if value > U64_MAX:
            fail(f"value of {pos.value} exceeds u64::MAX", start)
        return value, i
    if i < n:
        fail(f"unexpected character {rust_char(text[i])} while parsing {pos.value}", i)
    unexpected_end(pos, i)


def identifier(text: str, i: int, pos: Pos) -> tuple[str, int]:
    """Dot-separated ``[0-9A-Za-z-]+`` identifiers at ``i``, possibly none (``identifier``).

    Numeric pre-release identifiers must not have leading zeros; build metadata may.
    """
    start = seg = i
    n = len(text)
    while True:
        while i < n and text[i] in _IDENT_CHARS:
            i += 1
        boundary = text[i] if i < n else ""
        if i == seg:
            if seg == start and boundary != ".":
                return "", start
            empty_segment(pos, i)
        if pos is Pos.PRE and i - seg > 1 and text[seg] == "0" and _all_digits(text, seg, i):
            fail(f"invalid leading zero in {pos.value}", seg)
        if boundary != ".":
            return text[start:i], i
        i += 1
        seg = i


def _all_digits(text: str, start: int, end: int) -> bool:
    return all(text[k] in _DIGITS for k in range(start, end))


def skip_spaces(text: str, i: int) -> int:
    """Skip ASCII spaces (only ``' '``, as the crate's ``trim_start_matches(' ')``)."""
    n = len(text)
    while i < n and text[i] == " ":
        i += 1
    return i


def check_identifiers(value: str, pos: Pos) -> None:
    """Validate a whole ``pre``/``build`` string (the crate's ``Prerelease::new``)."""
    if value:
        _, end = identifier(value, 0, pos)
        if end != len(value):
            fail(f"unexpected character in {pos.value}", end)
