"""Where a crate's file lives in an index: Cargo's name-to-path rules.

Names are lowercased, then:

* 1 character: ``1/{name}``
* 2 characters: ``2/{name}``
* 3 characters: ``3/{first character}/{name}``
* 4 or more: ``{first two}/{next two}/{name}``

The same relative path is used by git, sparse (HTTP) and directory indexes.

>>> index_path("Serde")
'se/rd/serde'
>>> index_path("syn")
'3/s/syn'
"""

from __future__ import annotations

import re

from cratewatch.errors import ParseError

__all__ = [
    "MAX_CRATE_NAME_LENGTH",
    "InvalidCrateName",
    "index_path",
    "is_crate_file",
    "validate_crate_name",
]

MAX_CRATE_NAME_LENGTH = 64
"""crates.io's limit on the length of a crate name."""

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]*")


class InvalidCrateName(ParseError):
    """A crate name that crates.io would not accept (and that must not become a path)."""


def validate_crate_name(name: str) -> str:
    """Return *name* unchanged if crates.io accepts it, else raise :class:`InvalidCrateName`.

    A name is 1 to 64 ASCII letters, digits, ``-`` or ``_``, starting with a letter.

    >>> validate_crate_name("serde_json")
    'serde_json'
    """
    if not name:
        raise InvalidCrateName("crate name '': must not be empty")
    shown = name if len(name) <= 80 else name[:77] + "..."
    if len(name) > MAX_CRATE_NAME_LENGTH:
        raise InvalidCrateName(
            f"crate name {shown!r}: longer than {MAX_CRATE_NAME_LENGTH} characters"
        )
    if _NAME.fullmatch(name) is None:
        if name.isascii() and name[0].isalnum() and not name[0].isalpha():
            reason = "must start with an ASCII letter"
        else:
            reason = "only ASCII letters, digits, '-' and '_' are allowed"
        raise InvalidCrateName(f"crate name {shown!r}: {reason}")
    return name


def index_path(name: str) -> str:
    """The ``/``-separated path of *name*'s file relative to the index root.

    Raises :class:`InvalidCrateName` for a name crates.io would reject, so the result is always
    a safe relative path.
    """
    return _path_of(validate_crate_name(name).lower())


def is_crate_file(path: str) -> bool:
    """Whether the ``/``-separated *path* is where a crate named by its last component lives.

    Used when walking an index: ``config.json``, READMEs and misplaced files are not crates.

    >>> is_crate_file("se/rd/serde"), is_crate_file("iso/build.sh"), is_crate_file("se/rd/Serde")
    (True, False, False)
    """
    name = path.rpartition("/")[2]
    return (
        len(name) <= MAX_CRATE_NAME_LENGTH
        and _NAME.fullmatch(name) is not None
        and _path_of(name.lower()) == path
    )


def _path_of(lower: str) -> str:
    match len(lower):
        case 1 | 2:
            return f"{len(lower)}/{lower}"
        case 3:
            return f"3/{lower[0]}/{lower}"
        case _:
            return f"{lower[:2]}/{lower[2:4]}/{lower}"
