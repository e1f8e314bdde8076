"""``Version``: parsing (the crate's ``Version::from_str``) and ordering (its ``Ord``)."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import final

from cratewatch.semver._syntax import (
    U64_MAX,
    Fail,
    InvalidVersion,
    Pos,
    check_identifiers,
    empty_segment,
    fail,
    identifier,
    numeric,
    unexpected_char_after,
    unexpected_end,
)

__all__ = ["Version"]

Key = tuple[int, int, int, tuple[object, ...], tuple[object, ...]]

RELEASE: tuple[object, ...] = (1,)
"""Pre-release key of a release: above every pre-release key, which start with 0."""


def pre_key(pre: str) -> tuple[object, ...]:
    """Sort key equal to the crate's ``Prerelease`` order; the empty pre-release sorts last."""
    if not pre:
        return RELEASE
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


# A valid version; numbers of 20 digits may still exceed u64 (checked after the match).
_VERSION_RE = re.compile(
    r"(0|[1-9][0-9]{0,19})\.(0|[1-9][0-9]{0,19})\.(0|[1-9][0-9]{0,19})"
    r"(?:-((?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)"
    r"(?:\.(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*))*))?"
    r"(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
)
_setattr = object.__setattr__


def _parse_version(text: str) -> Version:
    """Parse ``text`` exactly as Cargo does (cached); raise :class:`InvalidVersion` otherwise.

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
    match = _VERSION_RE.fullmatch(text)
    if match is None or (len(text) >= 24 and max(map(int, match.group(1, 2, 3))) > U64_MAX):
        try:
            _find_version_error(text)
        except Fail as e:
            raise InvalidVersion(text, e.reason, e.offset) from None
        raise AssertionError(f"the version parsers disagree on {text!r}")  # pragma: no cover
    major, minor, patch, pre, build = match.groups("")
    version = object.__new__(Version)
    _init(version, int(major), int(minor), int(patch), pre=pre, build=build, text=text)
    return version


def _find_version_error(text: str) -> None:
    """The crate's ``Version::from_str`` step by step, to report its exact error."""
    if not text:
        fail("empty string, expected a semver version", 0)
    n = len(text)
    i = 0
    pos = Pos.MAJOR
    for pos in (Pos.MAJOR, Pos.MINOR, Pos.PATCH):
        _, i = numeric(text, i, pos)
        if pos is Pos.PATCH:
            break
        if i < n and text[i] == ".":
            i += 1
        elif i < n:
            unexpected_char_after(pos, text, i)
        else:
            unexpected_end(pos, i)
    for sep, part in (("-", Pos.PRE), ("+", Pos.BUILD)):
        if i < n and text[i] == sep:
            pos = part
            found, j = identifier(text, i + 1, part)
            if not found:
                empty_segment(part, i + 1)
            i = j
    if i < n:
        unexpected_char_after(pos, text, i)


_parse_version_cached: Callable[[str], Version] = lru_cache(maxsize=1 << 17)(_parse_version)


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
    >>> Version(1, 2, 2) < v < Version(major=1, minor=2, patch=3, pre="beta")
    True
    """

    __slots__ = ("_hash", "_key", "_text", "_triple", "build", "major", "minor", "patch", "pre")

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
    _key: Key
    _hash: int
    _text: str
    _triple: tuple[int, int, int]

    parse = staticmethod(_parse_version_cached)

    def __init__(self, major: int, minor: int, patch: int, pre: str = "", build: str = "") -> None:
        numbers = (major, minor, patch)
        for name, number in zip(("major", "minor", "patch"), numbers, strict=True):
            if type(number) is not int or not 0 <= number <= U64_MAX:
                raise InvalidVersion(repr(numbers), f"{name} must be an int in 0..=u64::MAX", 0)
        text = _format(major, minor, patch, pre, build)
        pre_at, build_at = len(f"{major}.{minor}.{patch}-"), len(text) - len(build)
        for value, pos, at in ((pre, Pos.PRE, pre_at), (build, Pos.BUILD, build_at)):
            try:
                check_identifiers(value, pos)
            except Fail as e:
                raise InvalidVersion(text, e.reason, at + e.offset) from None
        _init(self, major, minor, patch, pre=pre, build=build, text=text)

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


def _format(major: int, minor: int, patch: int, pre: str, build: str) -> str:
    text = f"{major}.{minor}.{patch}"
    if pre:
        text += "-" + pre
    if build:
        text += "+" + build
    return text


def _init(
    self: Version, major: int, minor: int, patch: int, *, pre: str, build: str, text: str
) -> None:
    key = (major, minor, patch, pre_key(pre), _build_key(build))
    _setattr(self, "major", major)
    _setattr(self, "minor", minor)
    _setattr(self, "patch", patch)
    _setattr(self, "pre", pre)
    _setattr(self, "build", build)
    _setattr(self, "_key", key)
    _setattr(self, "_hash", hash(key))
    _setattr(self, "_text", text)
    _setattr(self, "_triple", (major, minor, patch))
