"""Finding a path in a commit's tree the way a checkout would: through symbolic links
(which stay inside the repository) and into git submodules (at the commit they record).

Nothing is checked out: trees are read from the object store, link targets are blobs, and a
submodule is opened through the :class:`~cratewatch.provenance.repo.RepoCache` (or the local
repository's ``.git/modules``) and read at its recorded commit.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeAlias

import pygit2

from cratewatch.errors import CratewatchError
from cratewatch.provenance._git import GitCommandFailed, run_git
from cratewatch.provenance.model import MissingSubmodule
from cratewatch.provenance.repo import (
    GitRepository,
    MissingObjects,
    RepoCache,
    RepoLocation,
    location_from_user,
    submodule_location,
)

__all__ = [
    "Found",
    "LinkOutside",
    "NotFound",
    "Resolution",
    "Tip",
    "TreeResolver",
    "Unreachable",
    "walk_blobs",
]

MAX_LINK_HOPS = 40
"""Symbolic links followed for one path before giving up (like the kernel's ELOOP)."""
MAX_SUBMODULE_DEPTH = 8
"""Nested submodules followed."""
MAX_LINK_BYTES = 4096
"""Longest symbolic link target read (PATH_MAX)."""
MAX_GITMODULES_BYTES = 1024 * 1024
"""Largest ``.gitmodules`` read."""

_TREE = pygit2.GIT_FILEMODE_TREE
_LINK = pygit2.GIT_FILEMODE_LINK
_GITLINK = pygit2.GIT_FILEMODE_COMMIT
_BLOBS = frozenset({pygit2.GIT_FILEMODE_BLOB, pygit2.GIT_FILEMODE_BLOB_EXECUTABLE})


@dataclass(frozen=True, slots=True, kw_only=True)
class Tip:
    """A repository at a commit, mounted at *prefix* of the top repository."""

    repo: GitRepository
    """The repository."""
    commit: pygit2.Commit
    """The commit read."""
    prefix: str
    """Path of this repository in the top one (``""`` for the top, ``"vendor/lib/"``...)."""
    depth: int = 0
    """Submodule nesting depth."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Found:
    """The path leads to a blob."""

    oid: str
    """The blob id."""
    path: str
    """Its path in the top repository (through submodule prefixes, after links)."""
    tip: Tip
    """The repository holding it."""
    links: tuple[str, ...] = ()
    """Links followed, as ``path -> target``."""
    final_link: bytes | None = None
    """The target text when the path itself is a symbolic link."""
    submodule: str | None = None
    """The submodule path when the blob is inside one."""


@dataclass(frozen=True, slots=True, kw_only=True)
class NotFound:
    """Nothing (or a directory, or a submodule root) at the path."""

    reason: str
    """What was missing."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LinkOutside:
    """A symbolic link on the way leaves the repository (absolute, too many ``..``, a loop)."""

    link: str
    """The link's path."""
    target: str
    """Its target text."""
    reason: str
    """Why it cannot be followed."""
    final_link: bytes | None = None
    """The target text when the path itself is that link."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Unreachable:
    """The path goes into a submodule that could not be read."""

    submodule: MissingSubmodule
    """Which one, and why."""


Resolution: TypeAlias = Found | NotFound | LinkOutside | Unreachable
"""Where a path leads."""


@dataclass(slots=True)
class _State:
    tip: Tip
    parts: list[str]
    links: list[str] = field(default_factory=list)
    hops: int = 0
    submodule: str | None = None


class TreeResolver:
    """Resolves paths in the top repository at one commit."""

    def __init__(self, top: Tip, *, cache: RepoCache | None) -> None:
        self.top = top
        """The repository and commit compared with."""
        self._cache = cache
        self._submodules: dict[str, Tip | MissingSubmodule] = {}
        self._gitmodules: dict[str, dict[str, tuple[str, str | None]]] = {}
        self._link_text: dict[str, bytes] = {}

    def resolve(self, path: str) -> Resolution:
        """Follow *path* (``/``-separated, relative to the top repository's root)."""
        root = self.top.commit.tree
        try:  # the common case: a plain file, found by libgit2 in one call
            entry = root[path]
        except KeyError:
            entry = None
        if entry is not None and entry.filemode in _BLOBS:
            return Found(oid=str(entry.id), path=path, tip=self.top)
        return self._walk(_State(tip=self.top, parts=[p for p in path.split("/") if p]), path)

    def _walk(self, state: _State, original: str) -> Resolution:  # noqa: PLR0911 - per entry kind
        tree = state.tip.commit.tree
        done: list[str] = []
        for index, name in enumerate(state.parts):
            last = index == len(state.parts) - 1
            shown = state.tip.prefix + "/".join([*done, name])
            if name not in tree:
                return NotFound(reason=f"{original}: no {shown} in the repository")
            entry = tree[name]
            mode = entry.filemode
            if mode == _TREE:
                subtree = state.tip.repo.handle()[entry.id]
                assert isinstance(subtree, pygit2.Tree)
                tree = subtree
                done.append(name)
                continue
            if mode == _LINK:
                rest = state.parts[index + 1 :]
                return self._follow_link(
                    state, original, shown=shown, done=done, oid=str(entry.id), rest=rest
                )
            if mode == _GITLINK and not last:
                sub = self._submodule(state.tip, "/".join([*done, name]), str(entry.id))
                if isinstance(sub, MissingSubmodule):
                    return Unreachable(submodule=sub)
                inner = _State(
                    tip=sub,
                    parts=state.parts[index + 1 :],
                    links=state.links,
                    hops=state.hops,
                    submodule=sub.prefix.rstrip("/"),
                )
                return self._walk(inner, original)
            if mode in _BLOBS and last:
                return Found(
                    oid=str(entry.id),
                    path=shown,
                    tip=state.tip,
                    links=tuple(state.links),
                    submodule=state.submodule,
                )
            what = "a submodule" if mode == _GITLINK else "a file"
            return NotFound(reason=f"{original}: {shown} is {what}, not a directory")
        return NotFound(reason=f"{original}: a directory in the repository, not a file")

    def _follow_link(
        self,
        state: _State,
        original: str,
        *,
        shown: str,
        done: list[str],
        oid: str,
        rest: list[str],
    ) -> Resolution:
        """Continue at the target of the link *shown* (``rest`` are the components after it)."""
        text = self._read_link(state.tip, oid)
        target = text.decode("utf-8", "surrogateescape")
        final = text if not rest else None
        state.hops += 1
        state.links.append(f"{shown} -> {target}")
        followed = _join_link(done, target, rest)
        if followed is None or state.hops > MAX_LINK_HOPS:
            why = "leaves the repository" if followed is None else "starts a loop of links"
            return LinkOutside(
                link=shown,
                target=target,
                reason=f"{original}: symbolic link {shown} -> {target} {why}",
                final_link=final,
            )
        resolved = self._walk(
            _State(
                tip=state.tip,
                parts=followed,
                links=state.links,
                hops=state.hops,
                submodule=state.submodule,
            ),
            original,
        )
        if final is None:
            return resolved
        if isinstance(resolved, Found):
            return Found(
                oid=resolved.oid,
                path=resolved.path,
                tip=resolved.tip,
                links=resolved.links,
                final_link=final,
                submodule=resolved.submodule,
            )
        if isinstance(resolved, NotFound | LinkOutside):
            return LinkOutside(
                link=shown,
                target=target,
                reason=f"{original}: symbolic link {shown} -> {target} is dangling",
                final_link=final,
            )
        return resolved

    def _read_link(self, tip: Tip, oid: str) -> bytes:
        text = self._link_text.get(oid)
        if text is None:  # an over-long target reads as empty: a link that leads nowhere
            text = tip.repo.read_blobs([oid], max_bytes=MAX_LINK_BYTES).get(oid, b"")
            self._link_text[oid] = text
        return text

    def _submodule(self, tip: Tip, path: str, commit: str) -> Tip | MissingSubmodule:
        key = tip.prefix + path
        known = self._submodules.get(key)
        if known is None:
            known = self._open_submodule(tip, path, commit)
            self._submodules[key] = known
        return known

    def _open_submodule(self, tip: Tip, path: str, commit: str) -> Tip | MissingSubmodule:
        shown = tip.prefix + path
        if tip.depth >= MAX_SUBMODULE_DEPTH:
            return MissingSubmodule(path=shown, url=None, commit=commit, reason="nested too deep")
        try:
            modules = self._read_gitmodules(tip)
        except CratewatchError as e:
            return MissingSubmodule(path=shown, url=None, commit=commit, reason=str(e))
        name, url = modules.get(path, (None, None))
        if url is None or name is None:
            return MissingSubmodule(
                path=shown, url=None, commit=commit, reason=".gitmodules has no URL for it"
            )
        try:
            repo = self._open_repo(tip, name, url)
        except CratewatchError as e:
            return MissingSubmodule(path=shown, url=url, commit=commit, reason=str(e))
        found = repo.ensure_commit(commit)
        if found is None:
            return MissingSubmodule(
                path=shown, url=url, commit=commit, reason=f"commit not found in {repo.label}"
            )
        return Tip(repo=repo, commit=found, prefix=f"{shown}/", depth=tip.depth + 1)

    def _open_repo(self, tip: Tip, name: str, url: str) -> GitRepository:
        modules = tip.repo.modules_dir()
        if modules is not None and (modules / name / "HEAD").is_file():
            return GitRepository(
                location_from_user(str(modules / name)), modules / name, cache=None
            )
        location = submodule_location(tip.repo.location, url)
        if self._cache is None:
            if location.local_path is None:
                raise MissingObjects(f"{url}: no repository cache to clone the submodule into")
            return GitRepository(location, _git_dir(location), cache=None)
        return self._cache.open(location)

    def _read_gitmodules(self, tip: Tip) -> dict[str, tuple[str, str | None]]:
        """``path -> (name, url)`` from the ``.gitmodules`` of the tip's commit."""
        key = tip.prefix
        known = self._gitmodules.get(key)
        if known is not None:
            return known
        tree = tip.commit.tree
        if ".gitmodules" not in tree:
            self._gitmodules[key] = {}
            return {}
        oid = str(tree[".gitmodules"].id)
        if not tip.repo.read_blobs([oid], max_bytes=MAX_GITMODULES_BYTES):  # fetched if partial
            raise MissingObjects(f"{tip.repo.label}: .gitmodules is larger than 1 MiB")
        try:
            out = run_git(
                ["config", f"--blob={oid}", "--null", "--list"],
                cwd=tip.repo.git_dir,
                desc=f"{tip.repo.label}: .gitmodules",
                timeout=30.0,
            )
        except GitCommandFailed as e:
            raise MissingObjects(str(e)) from e
        names: dict[str, dict[str, str]] = {}
        for item in out.split(b"\x00"):
            key_bytes, _, value = item.partition(b"\n")
            text = key_bytes.decode("utf-8", "replace")
            if not text.startswith("submodule.") or "." not in text[10:]:
                continue
            sub_name, _, attribute = text[10:].rpartition(".")
            names.setdefault(sub_name, {})[attribute] = value.decode("utf-8", "replace")
        result = {
            values["path"].strip("/"): (sub_name, values.get("url"))
            for sub_name, values in names.items()
            if "path" in values
        }
        self._gitmodules[key] = result
        return result


def _git_dir(location: RepoLocation) -> Path:
    assert location.local_path is not None
    discovered = pygit2.discover_repository(str(location.local_path))
    if discovered is None:
        raise MissingObjects(f"{location.url}: not a git repository")
    return Path(discovered)


def _join_link(done: list[str], target: str, rest: list[str]) -> list[str] | None:
    """The components of ``dir(link)/target/rest``; ``None`` when it leaves the root."""
    if not target or target.startswith("/") or "\x00" in target:
        return None
    parts = list(done)
    for part in [*target.split("/"), *rest]:
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
            continue
        parts.append(part)
    return parts


def walk_blobs(
    repo: GitRepository,
    tree: pygit2.Tree,
    prefix: str = "",
    *,
    skip_packages: bool = False,
    limit: int = 200_000,
) -> Iterator[tuple[str, pygit2.Object, int]]:
    """``(path, entry, filemode)`` of every non-tree entry under *tree* (in no set order).

    Links and submodules are listed, not followed. With *skip_packages*, subdirectories
    holding a ``Cargo.toml`` (other packages, which cargo leaves out) are skipped. At most
    *limit* entries are visited.
    """
    handle = repo.handle()
    stack: list[tuple[str, pygit2.Tree]] = [(prefix, tree)]
    visited = 0
    while stack:
        base, current = stack.pop()
        for entry in current:
            visited += 1
            if visited > limit:
                return
            path = f"{base}{entry.name}"
            if entry.filemode == _TREE:
                subtree = handle[entry.id]
                assert isinstance(subtree, pygit2.Tree)
                if skip_packages and "Cargo.toml" in subtree:
                    continue
                stack.append((f"{path}/", subtree))
            else:
                yield path, entry, entry.filemode
