"""What ``watch`` remembers between polls, stored as JSON and replaced atomically.

>>> state = WatchState(index="idx", last_commit="abc", known={}, polls=1, updated="t")
>>> WatchState.from_json(state.to_json(), source="s") == state
True
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cratewatch.errors import ParseError

__all__ = ["InvalidState", "WatchState", "load_state", "save_state"]

_VERSION = 1
_MAX_STATE_BYTES = 64 * 1024 * 1024


class InvalidState(ParseError):
    """The state file is not one ``watch`` wrote."""


@dataclass(frozen=True, slots=True, kw_only=True)
class WatchState:
    """Where the last poll stopped."""

    index: str
    """The index followed (a state file belongs to one index)."""
    last_commit: str | None
    """The last index commit processed (git indexes)."""
    known: Mapping[str, tuple[str, ...]] = field(hash=False)
    """Crate -> versions already seen (name-list mode)."""
    polls: int
    """How many polls have been completed."""
    updated: str
    """ISO time of the last completed poll."""

    def to_json(self) -> dict[str, Any]:
        """The JSON document."""
        return {
            "version": _VERSION,
            "index": self.index,
            "last_commit": self.last_commit,
            "known": {name: list(versions) for name, versions in sorted(self.known.items())},
            "polls": self.polls,
            "updated": self.updated,
        }

    @classmethod
    def from_json(cls, data: object, *, source: str) -> WatchState:
        """Parse a document written by :meth:`to_json`; raises :class:`InvalidState`."""
        if not isinstance(data, dict) or data.get("version") != _VERSION:
            raise InvalidState(f"{source}: not a cratewatch watch state (version {_VERSION})")
        index, last, known, polls, updated = (
            data.get("index"),
            data.get("last_commit"),
            data.get("known", {}),
            data.get("polls", 0),
            data.get("updated", ""),
        )
        if not isinstance(index, str):
            raise InvalidState(f"{source}: index: expected a string, got {index!r}")
        if last is not None and not isinstance(last, str):
            raise InvalidState(f"{source}: last_commit: expected a string, got {last!r}")
        if not isinstance(known, dict) or not all(
            isinstance(k, str) and isinstance(v, list) and all(isinstance(x, str) for x in v)
            for k, v in known.items()
        ):
            raise InvalidState(f"{source}: known: expected a table of version lists")
        if not isinstance(polls, int) or isinstance(polls, bool):
            raise InvalidState(f"{source}: polls: expected an integer, got {polls!r}")
        if not isinstance(updated, str):
            raise InvalidState(f"{source}: updated: expected a string, got {updated!r}")
        return cls(
            index=index,
            last_commit=last,
            known={k: tuple(v) for k, v in known.items()},
            polls=polls,
            updated=updated,
        )


def load_state(path: Path) -> WatchState | None:
    """The state in *path*; ``None`` when the file does not exist yet."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return None
    if size > _MAX_STATE_BYTES:
        raise InvalidState(f"{path}: {size} bytes, larger than any state watch writes")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise InvalidState(f"{path}: cannot read the watch state: {e}") from e
    return WatchState.from_json(data, source=str(path))


def save_state(path: Path, state: WatchState) -> None:
    """Write *state* to a temporary file beside *path*, then rename it over *path*."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(state.to_json(), f, indent=1)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
