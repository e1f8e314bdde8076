"""The :class:`Index` interface shared by every backend, and :func:`open_index`.

Backends, one per module: :mod:`~cratewatch.registry.gitindex` (a git clone, read from
objects), :mod:`~cratewatch.registry.sparse` (HTTP, ``index.crates.io``) and
:mod:`~cratewatch.registry.dirindex` (a directory with the index layout).

>>> with open_index("tests/assets/registry/index") as index:  # doctest: +SKIP
...     [e.vers for e in index.versions("demo")]
['0.1.0', '0.2.0', '1.0.0-beta.1']
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Self, TypeAlias

from cratewatch.errors import RegistryError
from cratewatch.registry.model import IndexConfig, IndexEntry

__all__ = [
    "CRATES_IO_SPARSE",
    "CrateNotFound",
    "Found",
    "Index",
    "Lookup",
    "Missing",
    "open_index",
]

CRATES_IO_SPARSE = "sparse+https://index.crates.io/"
"""The crates.io sparse index, the default source."""

_CLONE_TIMEOUT = 600.0


class CrateNotFound(RegistryError):
    """The index has no file for the crate."""

    def __init__(self, name: str, index: str) -> None:
        super().__init__(f"crate {name!r}: not found in {index}")
        self.name = name
        """The crate name that was looked up."""
        self.index = index
        """The index it was looked up in."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Found:
    """A crate present in the index, with every published version."""

    name: str
    """The name that was looked up."""
    entries: tuple[IndexEntry, ...]
    """One entry per published version, in index (publication) order."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Missing:
    """A crate the index does not have."""

    name: str
    """The name that was looked up."""
    reason: str
    """Why, for messages (e.g. ``HTTP 404``)."""


Lookup: TypeAlias = Found | Missing
"""The outcome of looking up one crate in a bulk fetch."""


class Index(ABC):
    """A crates.io-style index: crate name -> published versions.

    Lookups are case-insensitive, like Cargo's. Indexes hold resources (repositories, HTTP
    clients): use them as context managers or call :meth:`close`.
    """

    @property
    @abstractmethod
    def source(self) -> str:
        """Where this index comes from (a URL or path), for messages."""

    @abstractmethod
    def versions(self, name: str) -> tuple[IndexEntry, ...]:
        """Every published version of *name* in index order, yanked ones included.

        Raises :class:`~cratewatch.registry.paths.InvalidCrateName` for a name crates.io would
        reject, :class:`CrateNotFound` when the index has no such crate, and
        :class:`~cratewatch.registry.parse.InvalidIndexEntry` for a malformed file.
        """

    @abstractmethod
    def config(self) -> IndexConfig:
        """The index's ``config.json``."""

    def names(self) -> Iterator[str]:
        """Every crate name in the index, lowercase as in index paths.

        Backends that cannot list (the sparse index) raise :class:`RegistryError`.
        """
        raise RegistryError(f"{self.source}: this index cannot list its crates")

    def iter_entries(self) -> Iterator[IndexEntry]:
        """Every entry of every crate (see :meth:`names`); backends may do this faster."""
        for name in self.names():
            yield from self.versions(name)

    def fetch_many(self, names: Iterable[str]) -> dict[str, Lookup]:
        """Look up many crates at once; a missing crate is a :class:`Missing` value.

        Other errors (network, malformed files) raise. Backends with slow lookups (HTTP)
        fetch concurrently.
        """
        results: dict[str, Lookup] = {}
        for name in names:
            try:
                results[name] = Found(name=name, entries=self.versions(name))
            except CrateNotFound as e:
                results[name] = Missing(name=name, reason=str(e))
        return results

    def close(self) -> None:  # noqa: B027 (most backends hold nothing to release)
        """Release resources (HTTP connections, repository handles)."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.source!r})"


def open_index(spec: str, *, cache_dir: Path | None = None, offline: bool = False) -> Index:
    """Open an index from a spec string.

    * ``sparse+https://...``, ``sparse+http://...``, ``https://...`` or ``http://...``: a sparse
      (HTTP) index, e.g. ``sparse+https://index.crates.io/``. Responses are cached under
      *cache_dir* (revalidated with ETag / Last-Modified); *offline* reads that cache only.
    * a git repository (a directory holding ``.git``, or a bare repository): read from git
      objects at ``origin/HEAD`` (else ``HEAD``), never from a work tree.
    * a ``.bundle`` file (``git bundle``): cloned once (bare) under *cache_dir*, then read as
      a git index. The clone is reused while the bundle's size and mtime are unchanged.
    * any other directory: read as files laid out like the index.
    * ``file://PATH`` is the same as ``PATH``.

    Raises :class:`RegistryError` when the spec names nothing usable.

    >>> open_index("sparse+https://index.crates.io/", offline=True)  # doctest: +SKIP
    SparseIndex('sparse+https://index.crates.io/')
    """
    if spec.startswith(("sparse+", "https://", "http://")):
        from cratewatch.registry.sparse import SparseIndex  # noqa: PLC0415 (httpx is slow to import)

        return SparseIndex(spec, cache_dir=cache_dir, offline=offline)
    path = Path(spec.removeprefix("file://")).expanduser()
    if path.is_file() and path.suffix == ".bundle":
        from cratewatch.registry.gitindex import GitIndex  # noqa: PLC0415 (pygit2 loads libgit2)

        return GitIndex(_clone_bundle(path, cache_dir))
    if path.is_dir():
        if (path / ".git").exists() or _is_bare_repository(path):
            from cratewatch.registry.gitindex import GitIndex  # noqa: PLC0415

            return GitIndex(path)
        from cratewatch.registry.dirindex import DirIndex  # noqa: PLC0415

        return DirIndex(path)
    raise RegistryError(
        f"{spec}: no such index (expected a sparse+https:// URL, a git repository, "
        "a .bundle file or a directory laid out like the index)"
    )


def _is_bare_repository(path: Path) -> bool:
    return (path / "HEAD").is_file() and (path / "objects").is_dir() and (path / "refs").is_dir()


def _clone_bundle(bundle: Path, cache_dir: Path | None) -> Path:
    """Clone *bundle* (bare) into the cache once; return the clone's path."""
    if cache_dir is None:
        raise RegistryError(f"{bundle}: a .bundle index needs a cache directory to be cloned into")
    stat = bundle.stat()
    key = f"{bundle.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    target = cache_dir / "git" / f"{bundle.stem}-{digest}.git"
    if _is_bare_repository(target):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".clone-", dir=target.parent))
    try:
        try:
            subprocess.run(
                ["git", "clone", "--bare", "--quiet", "--", str(bundle), str(staging / "repo")],
                check=True,
                capture_output=True,
                timeout=_CLONE_TIMEOUT,
            )
        except FileNotFoundError as e:
            raise RegistryError(f"{bundle}: cloning needs git on PATH") from e
        except subprocess.TimeoutExpired as e:
            raise RegistryError(f"{bundle}: git clone took over {_CLONE_TIMEOUT:.0f}s") from e
        except subprocess.CalledProcessError as e:
            detail = e.stderr.decode(errors="replace").strip().splitlines()
            raise RegistryError(
                f"{bundle}: git clone failed: {detail[-1] if detail else e.returncode}"
            ) from e
        try:
            os.rename(staging / "repo", target)
        except OSError as e:
            if not _is_bare_repository(target):  # not a lost race with another process
                raise RegistryError(f"{bundle}: cannot move the clone to {target}: {e}") from e
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target
