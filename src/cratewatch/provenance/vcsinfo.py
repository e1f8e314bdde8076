"""``.cargo_vcs_info.json``: the commit and directory cargo packaged a crate from.

Cargo writes it when packaging from a git work tree::

    {"git": {"sha1": "<commit>", "dirty": true}, "path_in_vcs": "crates/foo"}

``dirty`` appears only when ``--allow-dirty`` let uncommitted changes in; ``path_in_vcs``
(cargo 1.58+) is the package directory relative to the repository root, ``""`` for the root.

>>> info = parse_vcs_info(b'{"git": {"sha1": "' + b"a" * 40 + b'"}, "path_in_vcs": "crates/x"}')
>>> info.path_in_vcs, info.dirty
('crates/x', False)
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from cratewatch.errors import ParseError

__all__ = ["MAX_VCS_INFO_BYTES", "VCS_INFO_FILE", "InvalidVcsInfo", "VcsInfo", "parse_vcs_info"]

VCS_INFO_FILE = ".cargo_vcs_info.json"
"""The file's name at the root of a ``.crate``."""
MAX_VCS_INFO_BYTES = 64 * 1024
"""Largest file accepted (cargo writes about 100 bytes)."""

_MISSING = object()
_COMMIT = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


class InvalidVcsInfo(ParseError):
    """``.cargo_vcs_info.json`` is malformed."""


@dataclass(frozen=True, slots=True, kw_only=True)
class VcsInfo:
    """What ``.cargo_vcs_info.json`` records."""

    commit: str
    """The ``HEAD`` commit the crate was packaged from (lowercase hex)."""
    dirty: bool
    """Whether the work tree had uncommitted changes in packaged files."""
    path_in_vcs: str | None
    """The package directory in the repository (``""`` = root); ``None`` before cargo 1.58."""


def parse_vcs_info(data: bytes, *, source: str = VCS_INFO_FILE) -> VcsInfo:
    """Parse the file; raises :class:`InvalidVcsInfo` naming *source* and the bad field."""
    if len(data) > MAX_VCS_INFO_BYTES:
        raise InvalidVcsInfo(f"{source}: larger than {MAX_VCS_INFO_BYTES} bytes")
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise InvalidVcsInfo(f"{source}: not valid JSON: {e}") from e
    top = _table(doc, "", source)
    git = _table(top.get("git", _MISSING), "git", source)
    sha = git.get("sha1", _MISSING)
    if not isinstance(sha, str):
        raise InvalidVcsInfo(f"{source}: git.sha1: expected a string, got {_kind(sha)}")
    commit = sha.strip().lower()
    if _COMMIT.fullmatch(commit) is None:
        raise InvalidVcsInfo(f"{source}: git.sha1: {sha[:80]!r} is not a commit id")
    dirty = git.get("dirty", False)
    if not isinstance(dirty, bool):
        raise InvalidVcsInfo(f"{source}: git.dirty: expected a boolean, got {_kind(dirty)}")
    path = top.get("path_in_vcs")
    if "path_in_vcs" in top:
        if not isinstance(path, str):
            raise InvalidVcsInfo(f"{source}: path_in_vcs: expected a string, got {_kind(path)}")
        path = _relative(path, source)
    return VcsInfo(commit=commit, dirty=dirty, path_in_vcs=path)


def _table(value: object, where: str, source: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        shown = f"{where}: " if where else ""
        raise InvalidVcsInfo(f"{source}: {shown}expected an object, got {_kind(value)}")
    return value


def _relative(path: str, source: str) -> str:
    """*path* as a clean relative ``/`` path; anything that could escape is refused."""
    if "\x00" in path or "\\" in path or path.startswith("/") or len(path) > 4096:
        raise InvalidVcsInfo(f"{source}: path_in_vcs: {path[:80]!r} is not a relative path")
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise InvalidVcsInfo(f"{source}: path_in_vcs: {path[:80]!r} contains '..'")
    return "/".join(parts)


def _kind(value: object) -> str:  # noqa: PLR0911 - one return per JSON type
    if value is _MISSING:
        return "nothing"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, str):
        return f"a string {value[:40]!r}"
    if isinstance(value, list):
        return "an array"
    return "an object"
