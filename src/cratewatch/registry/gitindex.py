"""A crates.io index in a git repository, read from objects (no work tree needed).

Works on an ordinary clone (``git clone crates-io-index-2020.bundle DIR``) and on a bare one.
The commit is chosen once, when the index is opened, so every read sees the same snapshot.

>>> index = GitIndex("/path/to/crates.io-index")  # doctest: +SKIP
>>> [e.vers for e in index.versions("serde")][:3]  # doctest: +SKIP
['0.1.0', '0.1.1', '0.2.0']
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pygit2
from pygit2.enums import FileMode, ObjectType

from cratewatch.errors import RegistryError
from cratewatch.registry.index import CrateNotFound, Index
from cratewatch.registry.model import IndexConfig, IndexEntry
from cratewatch.registry.parse import (
    MAX_FILE_BYTES,
    InvalidIndexFile,
    parse_config,
    parse_index_file,
)
from cratewatch.registry.paths import index_path, is_crate_file

__all__ = ["DEFAULT_REFS", "GitIndex"]

DEFAULT_REFS = ("refs/remotes/origin/HEAD", "HEAD", "refs/remotes/origin/master")
"""Refs tried in order when none is given: what Cargo fetches into, then a clone's own."""

_BLOB_MODES = frozenset({FileMode.BLOB, FileMode.BLOB_EXECUTABLE})
_MAX_DEPTH = 3  # 1/a, 3/a/abc, ab/cd/abcd


class GitIndex(Index):
    """An index read from a git repository's objects at one commit."""

    def __init__(
        self, path: str | Path, *, ref: str | None = None, max_file_bytes: int = MAX_FILE_BYTES
    ) -> None:
        """Open the repository at *path* (bare or not) at *ref* (see :data:`DEFAULT_REFS`).

        *ref* may be any revision git understands (a ref name, a branch, a commit id).
        """
        self._path = Path(path)
        self._max_file_bytes = max_file_bytes
        try:
            self._repo = pygit2.Repository(str(self._path))
        except pygit2.GitError as e:
            raise RegistryError(f"{self._path}: not a git repository: {e}") from e
        chosen, commit = self._commit(ref)
        self.commit: str = str(commit.id)
        """The commit being read (hex)."""
        self.ref: str = chosen
        """The ref that named :attr:`commit`."""
        self._tree = commit.tree

    @property
    def source(self) -> str:
        return str(self._path)

    def _commit(self, ref: str | None) -> tuple[str, pygit2.Commit]:
        candidates = (ref,) if ref is not None else DEFAULT_REFS
        for candidate in candidates:
            try:
                target = self._repo.revparse_single(candidate)
                commit = target.peel(pygit2.Commit)
            except (KeyError, ValueError, pygit2.GitError, pygit2.InvalidSpecError):
                continue
            return candidate, commit
        tried = ", ".join(candidates)
        raise RegistryError(f"{self._path}: no commit at {tried}")

    def config(self) -> IndexConfig:
        return parse_config(self._read_blob("config.json"), source="config.json")

    def versions(self, name: str) -> tuple[IndexEntry, ...]:
        path = index_path(name)
        try:
            data = self._read_blob(path)
        except KeyError:
            raise CrateNotFound(name, self.source) from None
        return parse_index_file(data, source=path, crate=name, max_file_bytes=self._max_file_bytes)

    def names(self) -> Iterator[str]:
        for path, _ in self._crate_blobs():
            yield path.rpartition("/")[2]

    def files(self) -> Iterator[tuple[str, bytes]]:
        """Every crate file as ``(index path, raw content)``, walking the tree once.

        Files that are not where their name says (``config.json``, READMEs, misplaced or
        non-regular files) are skipped.
        """
        for path, oid in self._crate_blobs():
            yield path, self._read_object(path, oid)

    def iter_entries(self) -> Iterator[IndexEntry]:
        """Every entry of every crate: one tree walk, each blob read and parsed once."""
        for path, data in self.files():
            yield from parse_index_file(
                data,
                source=path,
                crate=path.rpartition("/")[2],
                max_file_bytes=self._max_file_bytes,
            )

    def _crate_blobs(self) -> Iterator[tuple[str, pygit2.Oid]]:
        stack: list[tuple[str, pygit2.Tree, int]] = [("", self._tree, 1)]
        while stack:
            prefix, tree, depth = stack.pop()
            subtrees: list[tuple[str, pygit2.Tree, int]] = []
            for entry in tree:
                if entry.name is None:  # only for objects not reached through a tree
                    continue
                path = prefix + entry.name
                if entry.type == ObjectType.TREE:
                    if depth < _MAX_DEPTH:
                        subtree = self._repo[entry.id]
                        assert isinstance(subtree, pygit2.Tree)
                        subtrees.append((path + "/", subtree, depth + 1))
                elif entry.filemode in _BLOB_MODES and is_crate_file(path):
                    yield path, entry.id
            stack.extend(reversed(subtrees))  # keep the tree's (sorted) order

    def _read_blob(self, path: str) -> bytes:
        """The content of the regular file at *path*; ``KeyError`` when there is none."""
        entry = self._tree[path]
        if entry.type != ObjectType.BLOB or entry.filemode not in _BLOB_MODES:
            raise KeyError(path)
        return self._read_object(path, entry.id)

    def _read_object(self, path: str, oid: pygit2.Oid) -> bytes:
        odb = self._repo.odb
        try:
            _, size = odb.read_header(oid)
            if size > self._max_file_bytes:
                raise InvalidIndexFile(
                    f"{path}: index file is {size} bytes, "
                    f"more than the limit of {self._max_file_bytes}"
                )
            _, data = odb.read(oid)
        except pygit2.GitError as e:
            raise RegistryError(f"{self._path}: cannot read {path} ({oid}): {e}") from e
        return data

    def close(self) -> None:
        self._repo.free()
