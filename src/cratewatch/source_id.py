"""Cargo source ids: where a locked package comes from (``source = "..."`` in Cargo.lock).

The text forms are those of cargo's ``SourceId::from_url`` / ``as_encoded_url``:
``registry+URL``, ``sparse+URL``, ``git+URL[?branch=..|tag=..|rev=..][#commit]`` and
``path+URL``. Anything else is an :class:`InvalidSourceId`.

>>> src = SourceId.parse("git+https://github.com/o/r?branch=feat%2Fx#0123abcd")
>>> src.kind, src.url, src.reference, src.precise
(<SourceKind.GIT: 'git'>, 'https://github.com/o/r', GitBranch(name='feat/x'), '0123abcd')
>>> str(src)
'git+https://github.com/o/r?branch=feat%2Fx#0123abcd'
>>> SourceId.parse("sparse+https://index.crates.io/").is_crates_io
True
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import assert_never
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from cratewatch.errors import ParseError

__all__ = [
    "CRATES_IO_INDEX",
    "CRATES_IO_SPARSE_INDEX",
    "GitBranch",
    "GitDefaultBranch",
    "GitReference",
    "GitRev",
    "GitTag",
    "InvalidSourceId",
    "SourceId",
    "SourceKind",
]

_SPACE = re.compile(r"\s")

CRATES_IO_INDEX = "https://github.com/rust-lang/crates.io-index"
"""The URL of the crates.io git index (``registry+`` sources)."""
CRATES_IO_SPARSE_INDEX = "https://index.crates.io/"
"""The URL of the crates.io sparse index (``sparse+`` sources)."""


class InvalidSourceId(ParseError):
    """A source id string is not one cargo understands."""


class SourceKind(StrEnum):
    """The protocol part of a source id (before the ``+``)."""

    REGISTRY = "registry"
    """A git-protocol registry index."""
    SPARSE = "sparse"
    """A sparse (HTTP) registry index."""
    GIT = "git"
    """A git repository."""
    PATH = "path"
    """A local directory."""


@dataclass(frozen=True, slots=True, kw_only=True)
class GitBranch:
    """``?branch=NAME`` (also the older ``?ref=NAME``)."""

    name: str
    """The branch name, decoded."""


@dataclass(frozen=True, slots=True, kw_only=True)
class GitTag:
    """``?tag=NAME``."""

    name: str
    """The tag name, decoded."""


@dataclass(frozen=True, slots=True, kw_only=True)
class GitRev:
    """``?rev=REV``: a commit hash (full or short) or a named ref like ``refs/pull/1/head``."""

    rev: str
    """The revision, decoded."""


@dataclass(frozen=True, slots=True, kw_only=True)
class GitDefaultBranch:
    """No query: the repository's default branch (``HEAD``)."""


GitReference = GitBranch | GitTag | GitRev | GitDefaultBranch
"""What a git source was asked to follow."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceId:
    """A parsed source id; ``str()`` gives cargo's (URL-encoded, lockfile v4) text form back."""

    kind: SourceKind
    """The protocol."""
    url: str
    """The URL without the ``kind+`` prefix, query and fragment."""
    reference: GitReference | None = None
    """For git sources the branch, tag or rev followed; ``None`` for every other kind."""
    precise: str | None = None
    """For git sources the locked commit (the ``#fragment``); ``None`` when not locked."""

    @classmethod
    def parse(cls, text: str) -> SourceId:
        """Parse the text form; raises :class:`InvalidSourceId` naming what is wrong.

        >>> SourceId.parse("registry+https://github.com/rust-lang/crates.io-index").kind
        <SourceKind.REGISTRY: 'registry'>
        >>> SourceId.parse("svn+https://x")
        Traceback (most recent call last):
            ...
        cratewatch.source_id.InvalidSourceId: 'svn+https://x' is not a valid source id: \
unsupported source protocol 'svn'
        """
        return _parse(text)

    @classmethod
    def for_git(cls, url: str, reference: GitReference, precise: str | None = None) -> SourceId:
        """A git source id."""
        return cls(kind=SourceKind.GIT, url=url, reference=reference, precise=precise)

    @property
    def is_registry(self) -> bool:
        """Whether this is a registry index (git or sparse protocol)."""
        return self.kind in (SourceKind.REGISTRY, SourceKind.SPARSE)

    @property
    def is_crates_io(self) -> bool:
        """Whether this is crates.io, through either of its two index spellings."""
        match self.kind:
            case SourceKind.REGISTRY:
                return self.url == CRATES_IO_INDEX
            case SourceKind.SPARSE:
                return self.url in (CRATES_IO_SPARSE_INDEX, CRATES_IO_SPARSE_INDEX.rstrip("/"))
            case SourceKind.GIT | SourceKind.PATH:
                return False
            case _:
                assert_never(self.kind)

    @property
    def is_git(self) -> bool:
        """Whether this is a git repository."""
        return self.kind is SourceKind.GIT

    @property
    def is_path(self) -> bool:
        """Whether this is a local path."""
        return self.kind is SourceKind.PATH

    def without_precise(self) -> SourceId:
        """The same source without the locked commit (how dependency edges spell it)."""
        return self if self.precise is None else replace(self, precise=None)

    def same_source(self, other: SourceId) -> bool:
        """Whether both name the same source, ignoring the locked commit (cargo's ``==``)."""
        return (self.kind, self.url, self.reference) == (other.kind, other.url, other.reference)

    def to_url(self, *, encoded: bool = True) -> str:
        """The text form; ``encoded=False`` leaves git query values raw (lockfile v1-v3)."""
        out = f"{self.kind.value}+{self.url}"
        if self.kind is SourceKind.GIT:
            query = _pretty_ref(self.reference or GitDefaultBranch(), encoded=encoded)
            if query:
                out += f"?{query}"
            if self.precise is not None:
                out += f"#{self.precise}"
        return out

    def __str__(self) -> str:
        return self.to_url()


@functools.lru_cache(maxsize=4096)
def _parse(text: str) -> SourceId:
    kind_text, plus, rest = text.partition("+")
    if not plus:
        raise InvalidSourceId(f"{text!r} is not a valid source id: expected KIND+URL")
    try:
        kind = SourceKind(kind_text)
    except ValueError:
        raise InvalidSourceId(
            f"{text!r} is not a valid source id: unsupported source protocol {kind_text!r}"
        ) from None
    try:
        parts = urlsplit(rest)
    except ValueError as e:
        raise InvalidSourceId(f"{text!r} is not a valid source id: {e}") from e
    if not parts.scheme or _SPACE.search(rest):
        raise InvalidSourceId(f"{text!r} is not a valid source id: {rest!r} is not a URL")
    if kind is not SourceKind.GIT:
        return SourceId(kind=kind, url=rest)
    reference: GitReference = GitDefaultBranch()
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key in ("branch", "ref"):
            reference = GitBranch(name=value)
        elif key == "tag":
            reference = GitTag(name=value)
        elif key == "rev":
            reference = GitRev(rev=value)
    base = urlunsplit((parts.scheme, parts.netloc, parts.path, "", ""))
    precise = parts.fragment if "#" in rest else None
    return SourceId(kind=kind, url=base, reference=reference, precise=precise)


def _pretty_ref(reference: GitReference, *, encoded: bool) -> str:
    match reference:
        case GitBranch(name=value):
            key = "branch"
        case GitTag(name=value):
            key = "tag"
        case GitRev(rev=value):
            key = "rev"
        case GitDefaultBranch():
            return ""
        case _:
            assert_never(reference)
    return f"{key}={_form_urlencode(value) if encoded else value}"


_FORM_SAFE = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789*-._")


def _form_urlencode(value: str) -> str:
    """application/x-www-form-urlencoded byte serialization (the url crate's ``byte_serialize``).

    >>> _form_urlencode("*-._+20%30 Z/z#foo=bar&zap[]?to\\\\()'\\"")
    '*-._%2B20%2530+Z%2Fz%23foo%3Dbar%26zap%5B%5D%3Fto%5C%28%29%27%22'
    """
    out = []
    for byte in value.encode():
        if byte in _FORM_SAFE:
            out.append(chr(byte))
        elif byte == 0x20:
            out.append("+")
        else:
            out.append(f"%{byte:02X}")
    return "".join(out)
