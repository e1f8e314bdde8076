"""A crates.io index laid out as files in a local directory.

The layout is the git index's (``config.json``, ``se/rd/serde``...), e.g. a checkout of the
index or a mirror written by a tool. Symlinks are never followed out of the root.

>>> index = DirIndex("tests/assets/registry/index")  # doctest: +SKIP
>>> sorted(index.names())  # doctest: +SKIP
['a', 'demo', 'syn']
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

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

__all__ = ["DirIndex"]

_MAX_DEPTH = 3


class DirIndex(Index):
    """An index read from files under a root directory."""

    def __init__(self, root: str | Path, *, max_file_bytes: int = MAX_FILE_BYTES) -> None:
        self._root = Path(root)
        if not self._root.is_dir():
            raise RegistryError(f"{self._root}: not a directory")
        self._real_root = self._root.resolve()
        self._max_file_bytes = max_file_bytes

    @property
    def source(self) -> str:
        return str(self._root)

    def config(self) -> IndexConfig:
        try:
            data = self._read("config.json")
        except FileNotFoundError as e:
            raise RegistryError(f"{self._root}: no config.json at the index root") from e
        return parse_config(data, source="config.json")

    def versions(self, name: str) -> tuple[IndexEntry, ...]:
        path = index_path(name)
        try:
            data = self._read(path)
        except FileNotFoundError:
            raise CrateNotFound(name, self.source) from None
        return parse_index_file(data, source=path, crate=name, max_file_bytes=self._max_file_bytes)

    def names(self) -> Iterator[str]:
        for path in self._crate_paths():
            yield path.rpartition("/")[2]

    def files(self) -> Iterator[tuple[str, bytes]]:
        """Every crate file as ``(index path, raw content)``; other files are skipped."""
        for path in self._crate_paths():
            yield path, self._read(path)

    def iter_entries(self) -> Iterator[IndexEntry]:
        for path, data in self.files():
            yield from parse_index_file(
                data,
                source=path,
                crate=path.rpartition("/")[2],
                max_file_bytes=self._max_file_bytes,
            )

    def _crate_paths(self) -> Iterator[str]:
        stack: list[tuple[str, int]] = [("", 1)]
        while stack:
            prefix, depth = stack.pop()
            try:
                with os.scandir(self._root / prefix) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except OSError as e:
                raise RegistryError(f"{self._root}: cannot list {prefix or '.'}: {e}") from e
            subdirs: list[tuple[str, int]] = []
            for entry in entries:
                path = prefix + entry.name
                if entry.is_dir(follow_symlinks=False):
                    if depth < _MAX_DEPTH:
                        subdirs.append((path + "/", depth + 1))
                elif entry.is_file(follow_symlinks=False) and is_crate_file(path):
                    yield path
            stack.extend(reversed(subdirs))

    def _read(self, path: str) -> bytes:
        """Read *path* (relative, ``/``-separated) with a size bound, staying inside the root.

        Raises ``FileNotFoundError`` when there is no such regular file.
        """
        full = self._root / path
        real = full.resolve()
        if not real.is_relative_to(self._real_root):
            raise RegistryError(f"{self._root}: {path} leads outside the index (symlink)")
        try:
            # O_NONBLOCK: opening a FIFO planted in the index must not hang.
            fd = os.open(real, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise FileNotFoundError(path) from None
        except OSError as e:
            raise RegistryError(f"{self._root}: cannot read {path}: {e}") from e
        with os.fdopen(fd, "rb") as f:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise FileNotFoundError(path)
            try:
                data = f.read(self._max_file_bytes + 1)
            except OSError as e:
                raise RegistryError(f"{self._root}: cannot read {path}: {e}") from e
        if len(data) > self._max_file_bytes:
            raise InvalidIndexFile(
                f"{path}: index file is more than the limit of {self._max_file_bytes} bytes"
            )
        return data
