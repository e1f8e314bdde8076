"""Following an index for new publishes: git history (one commit per publish) or a name list.

:class:`GitFollower` fetches a git index (a mirror kept in the cache for URLs, ``git fetch`` of
``origin`` for local clones that have one) and diffs every commit between the last one seen and
the new head; added lines are new versions. :class:`NameFollower` works with any index,
including the sparse one, by re-reading a list of crates and comparing version sets.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import subprocess
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pygit2
from pygit2.enums import DeltaStatus, SortMode

from cratewatch.errors import RegistryError
from cratewatch.registry.gitindex import DEFAULT_REFS, GitIndex
from cratewatch.registry.index import Found, Index
from cratewatch.registry.model import IndexEntry
from cratewatch.registry.parse import InvalidIndexFile, parse_index_file
from cratewatch.registry.paths import is_crate_file

__all__ = ["Follower", "GitFollower", "NameFollower", "Publish", "Step"]

MAX_COMMITS_PER_POLL = 20_000
"""Commits examined in one poll; the rest wait for the next one."""
_GIT_TIMEOUT = 900.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Publish:
    """One newly published version."""

    entry: IndexEntry
    """Its index line."""
    new_crate: bool
    """Whether it is the first version of the crate (a new name: typosquat candidate)."""
    commit: str | None
    """The index commit that added it (git indexes)."""
    published_at: dt.datetime | None
    """That commit's time."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """What one poll found."""

    publishes: tuple[Publish, ...]
    """New versions, oldest first."""
    head: str | None
    """The commit now reached (git indexes)."""
    known: Mapping[str, tuple[str, ...]] = field(hash=False)
    """Updated crate -> versions (name-list mode)."""
    notes: tuple[str, ...] = ()
    """Things worth telling the user (baseline taken, history rewritten...)."""
    complete: bool = True
    """False when the commit cap stopped the poll early (more to read next time)."""


class Follower(ABC):
    """A way to learn about new publishes."""

    @property
    @abstractmethod
    def source(self) -> str:
        """The index followed."""

    @abstractmethod
    def step(self, last_commit: str | None, known: Mapping[str, tuple[str, ...]]) -> Step:
        """Fetch and return what is new since the previous poll."""

    @abstractmethod
    def index(self) -> Index:
        """The index at the current head (download URL, popularity)."""

    def close(self) -> None:  # noqa: B027 (followers without resources)
        """Release resources."""


class GitFollower(Follower):
    """Follows a git index through its commits."""

    def __init__(self, spec: str, *, cache_dir: Path, fetch: bool = True) -> None:
        self._spec = spec
        self._fetch = fetch
        path = Path(spec.removeprefix("file://")).expanduser()
        if "://" not in spec or (spec.startswith("file://") and path.is_dir()):
            if not path.is_dir():
                raise RegistryError(f"{spec}: no such git index")
            self._path = path
            self._mirror = False
        else:
            digest = hashlib.sha256(spec.encode()).hexdigest()[:16]
            self._path = cache_dir / "watch" / f"index-{digest}.git"
            self._mirror = True
        self._repo: pygit2.Repository | None = None
        self._head: str | None = None

    @property
    def source(self) -> str:
        return self._spec

    def _update(self) -> pygit2.Repository:
        if self._mirror and not (self._path / "HEAD").is_file():
            self._path.parent.mkdir(parents=True, exist_ok=True)
            _git(["clone", "--mirror", "--quiet", "--", self._spec, str(self._path)], self._spec)
        elif self._fetch and self._mirror:
            _git(["-C", str(self._path), "fetch", "--prune", "--quiet"], self._spec)
        elif self._fetch and _has_origin(self._path):
            _git(["-C", str(self._path), "fetch", "--quiet", "origin"], self._spec)
        try:
            return pygit2.Repository(str(self._path))
        except pygit2.GitError as e:
            raise RegistryError(f"{self._spec}: not a git repository: {e}") from e

    def step(self, last_commit: str | None, known: Mapping[str, tuple[str, ...]]) -> Step:
        repo = self._update()
        self._repo = repo
        head = _head(repo, self._spec)
        self._head = str(head.id)
        if last_commit is None:
            note = f"baseline: following {self._spec} from {self._head[:12]}"
            return Step(publishes=(), head=self._head, known={}, notes=(note,))
        if last_commit == self._head:
            return Step(publishes=(), head=self._head, known={})
        try:
            last = repo.revparse_single(last_commit).peel(pygit2.Commit)
        except (KeyError, ValueError, pygit2.GitError):
            note = (
                f"the last commit seen ({last_commit[:12]}) is no longer in {self._spec} "
                f"(history rewritten?): starting again from {self._head[:12]}"
            )
            return Step(publishes=(), head=self._head, known={}, notes=(note,))
        if not repo.descendant_of(head.id, last.id):
            diffed = tuple(_diff(repo, last.tree, head, self._spec))
            note = f"{last_commit[:12]} is not an ancestor of {self._head[:12]}: diffed the trees"
            return Step(publishes=diffed, head=self._head, known={}, notes=(note,))
        walker = repo.walk(head.id, SortMode.TOPOLOGICAL | SortMode.REVERSE)
        walker.hide(last.id)
        publishes: list[Publish] = []
        reached = last
        for count, commit in enumerate(walker, start=1):
            parent = commit.parents[0].tree if commit.parents else None
            publishes.extend(_diff(repo, parent, commit, self._spec))
            reached = commit
            if count >= MAX_COMMITS_PER_POLL:
                self._head = str(reached.id)
                note = f"stopped after {count} commits; the rest comes with the next poll"
                return Step(
                    publishes=tuple(publishes),
                    head=self._head,
                    known={},
                    notes=(note,),
                    complete=False,
                )
        return Step(publishes=tuple(publishes), head=self._head, known={})

    def index(self) -> Index:
        if self._head is None:
            raise RegistryError(f"{self._spec}: poll before reading the index")
        return GitIndex(self._path, ref=self._head)

    def close(self) -> None:
        if self._repo is not None:
            self._repo.free()
            self._repo = None


def _git(args: list[str], spec: str) -> None:
    try:
        subprocess.run(["git", *args], check=True, capture_output=True, timeout=_GIT_TIMEOUT)
    except FileNotFoundError as e:
        raise RegistryError(f"{spec}: following a git index needs git on PATH") from e
    except subprocess.TimeoutExpired as e:
        raise RegistryError(f"{spec}: git {args[0]} took over {_GIT_TIMEOUT:.0f}s") from e
    except subprocess.CalledProcessError as e:
        detail = e.stderr.decode(errors="replace").strip().splitlines()
        raise RegistryError(
            f"{spec}: git failed: {detail[-1] if detail else e.returncode}; check the URL and "
            "the network"
        ) from e


def _has_origin(path: Path) -> bool:
    try:
        return "origin" in pygit2.Repository(str(path)).remotes.names()
    except pygit2.GitError:
        return False


def _head(repo: pygit2.Repository, spec: str) -> pygit2.Commit:
    for ref in DEFAULT_REFS:
        try:
            return repo.revparse_single(ref).peel(pygit2.Commit)
        except (KeyError, ValueError, pygit2.GitError, pygit2.InvalidSpecError):
            continue
    raise RegistryError(f"{spec}: no commit at {', '.join(DEFAULT_REFS)}")


def _blob(repo: pygit2.Repository, tree: pygit2.Tree | None, path: str) -> bytes | None:
    if tree is None:
        return None
    try:
        entry = tree[path]
    except KeyError:
        return None
    obj = repo[entry.id]
    return obj.data if isinstance(obj, pygit2.Blob) else None


def _entries(data: bytes | None, path: str, spec: str) -> list[IndexEntry]:
    if data is None:
        return []
    try:
        return list(parse_index_file(data, source=f"{spec}: {path}", crate=path.rpartition("/")[2]))
    except InvalidIndexFile:
        return []


def _diff(
    repo: pygit2.Repository, old: pygit2.Tree | None, commit: pygit2.Commit, spec: str
) -> list[Publish]:
    when = dt.datetime.fromtimestamp(commit.commit_time, tz=dt.UTC)
    diff = old.diff_to_tree(commit.tree) if old is not None else commit.tree.diff_to_tree(swap=True)
    found: list[Publish] = []
    for delta in diff.deltas:
        path = delta.new_file.path
        if delta.status not in (DeltaStatus.ADDED, DeltaStatus.MODIFIED) or not is_crate_file(path):
            continue
        before = _entries(_blob(repo, old, path), path, spec)
        after = _entries(_blob(repo, commit.tree, path), path, spec)
        seen = {e.vers for e in before}
        for entry in after:
            if entry.vers not in seen:
                found.append(
                    Publish(
                        entry=entry,
                        new_crate=not before,
                        commit=str(commit.id),
                        published_at=when,
                    )
                )
    return found


class NameFollower(Follower):
    """Follows a list of crates in any index (sparse included) by comparing version sets."""

    def __init__(self, index: Index, names: Sequence[str]) -> None:
        self._index = index
        self._names = list(dict.fromkeys(names))

    @property
    def source(self) -> str:
        return self._index.source

    def step(self, last_commit: str | None, known: Mapping[str, tuple[str, ...]]) -> Step:
        results = self._index.fetch_many(self._names)
        updated: dict[str, tuple[str, ...]] = dict(known)
        publishes: list[Publish] = []
        baseline: list[str] = []
        for name in self._names:
            result = results.get(name)
            entries = result.entries if isinstance(result, Found) else ()
            versions = tuple(e.vers for e in entries)
            if name not in known:
                baseline.append(name)
            else:
                seen = set(known[name])
                publishes.extend(
                    Publish(entry=e, new_crate=not seen, commit=None, published_at=None)
                    for e in entries
                    if e.vers not in seen
                )
            updated[name] = versions
        notes = (f"baseline: {len(baseline)} crates of {self.source} recorded",) if baseline else ()
        return Step(publishes=tuple(publishes), head=None, known=updated, notes=notes)

    def index(self) -> Index:
        return self._index

    def close(self) -> None:
        self._index.close()
