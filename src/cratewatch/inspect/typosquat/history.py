"""When crates first appeared in a git index, from its commit history.

The crates.io index records no dates; its git history does (one commit per publish), except
that the history is squashed from time to time into one snapshot commit, and bundles such as
the 2020 one hold that snapshot only. Crates already in a snapshot have no known first date:
:class:`HistoryUnavailable` says so instead of guessing.

>>> since = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
>>> new_crates_since(Path("index.git"), since)  # doctest: +SKIP
[NewCrate(name='fresh-crate', first_seen=datetime.datetime(2024, ...), commit='...')]
"""

from __future__ import annotations

import datetime as dt
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pygit2
from pygit2.enums import DeltaStatus, SortMode

from cratewatch.errors import RegistryError
from cratewatch.registry.gitindex import DEFAULT_REFS
from cratewatch.registry.paths import index_path, is_crate_file

__all__ = ["HistoryUnavailable", "NewCrate", "first_seen", "new_crates_since"]

_GIT_TIMEOUT = 120.0


class HistoryUnavailable(RegistryError):
    """The index's git history cannot date publications (a squashed snapshot, not git)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class NewCrate:
    """A crate whose index file was created after a date."""

    name: str
    """The crate name (lowercase, as in index paths)."""
    first_seen: dt.datetime
    """Commit time of the commit that created its index file."""
    commit: str
    """That commit (hex)."""


def _open(path: Path) -> tuple[pygit2.Repository, pygit2.Commit]:
    try:
        repo = pygit2.Repository(str(path))
    except pygit2.GitError as e:
        raise HistoryUnavailable(f"{path}: not a git repository, so no publish history") from e
    for ref in DEFAULT_REFS:
        try:
            return repo, repo.revparse_single(ref).peel(pygit2.Commit)
        except (KeyError, ValueError, pygit2.GitError, pygit2.InvalidSpecError):
            continue
    raise HistoryUnavailable(f"{path}: no commit at {', '.join(DEFAULT_REFS)}")


def _time(commit: pygit2.Commit) -> dt.datetime:
    return dt.datetime.fromtimestamp(commit.commit_time, tz=dt.UTC)


def new_crates_since(path: Path, since: dt.datetime) -> list[NewCrate]:
    """Crates whose index file was added by a commit at or after *since*, oldest first.

    Raises :class:`HistoryUnavailable` when the walk reaches the root commit while still at
    or after *since*: the root is a snapshot, so what it holds has no publish date.
    """
    repo, head = _open(path)
    found: dict[str, NewCrate] = {}
    for walked, commit in enumerate(repo.walk(head.id, SortMode.TIME), start=1):
        when = _time(commit)
        if when < since:
            break
        if not commit.parents:
            detail = (
                "the index has a single commit (a squashed snapshot, like the 2020 bundle)"
                if walked == 1
                else f"its history starts at a squashed snapshot commit of {when:%Y-%m-%d}"
            )
            raise HistoryUnavailable(
                f"{path}: cannot date publications since {since:%Y-%m-%d}: {detail}; crates "
                "in a snapshot have no publish date. Use a later --since, a git index with "
                "more history, or --popularity with a crates.io db-dump (created_at)"
            )
        diff = repo.diff(commit.parents[0], commit)
        for delta in diff.deltas:
            new_path = delta.new_file.path
            if delta.status == DeltaStatus.ADDED and is_crate_file(new_path):
                name = new_path.rpartition("/")[2]
                found[name] = NewCrate(name=name, first_seen=when, commit=str(commit.id))
    return sorted(found.values(), key=lambda c: (c.first_seen, c.name))


def first_seen(path: Path, name: str) -> dt.datetime | None:
    """When *name*'s index file was created; ``None`` when it predates the history (snapshot)
    or the crate is unknown."""
    repo, head = _open(path)
    try:
        done = subprocess.run(
            ["git", "-C", str(path), "log", "--diff-filter=A", "--format=%H %ct", str(head.id),
             "--", index_path(name)],
            check=True,
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError) as e:
        raise HistoryUnavailable(f"{path}: git log failed for {name}: {e}") from e
    lines = done.stdout.split()
    if len(lines) < 2:
        return None
    commit_id, stamp = lines[-2], lines[-1]
    commit = repo.revparse_single(commit_id).peel(pygit2.Commit)
    if not commit.parents:
        return None
    return dt.datetime.fromtimestamp(int(stamp), tz=dt.UTC)
