"""The loaded advisory database: lookups by crate and id, provenance and file times.

:func:`load_database` obtains the database (:mod:`.source`), then reads the compiled cache
for its commit (:mod:`.cache`) or parses every advisory file (:mod:`.rustsec`) and walks the
git history once for per-file times, and writes the cache for next time.

>>> from pathlib import Path
>>> db = load_database("../shared/data/advisory-db.bundle",
...                    cache_dir=Path("~/.cache/cratewatch").expanduser())  # doctest: +SKIP
>>> [a.id for a in db.for_package("smallvec")][:2]  # doctest: +SKIP
['RUSTSEC-2018-0003', 'RUSTSEC-2018-0018']
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from cratewatch.advisories.cache import (
    CompiledDatabase,
    compiled_cache_path,
    read_compiled,
    write_compiled,
)
from cratewatch.advisories.model import Advisory, AdvisoryKind
from cratewatch.advisories.rustsec import SkippedFile, parse_tree
from cratewatch.advisories.source import (
    DEFAULT_NETWORK_TIMEOUT,
    Checkout,
    DatabaseSource,
    FetchResult,
    NotFetched,
    Staleness,
    commit_time,
    describe_source,
    file_commit_times,
    obtain,
    parse_source,
    repair_managed,
    staleness,
)
from cratewatch.errors import AdvisoryDbError

__all__ = [
    "AdvisoryDatabase",
    "CacheBuilt",
    "CacheHit",
    "CacheUse",
    "DatabaseInfo",
    "NotCached",
    "load_checkout",
    "load_database",
]

_SHOWN_ERRORS = 3


@dataclass(frozen=True, slots=True, kw_only=True)
class CacheHit:
    """The advisories were read from the compiled cache."""

    path: Path
    """The compiled cache file."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CacheBuilt:
    """The advisories were parsed and the compiled cache written."""

    path: Path
    """The compiled cache file written."""
    reason: str
    """Why the existing cache could not be used."""


@dataclass(frozen=True, slots=True, kw_only=True)
class NotCached:
    """The advisories were parsed and not cached."""

    reason: str
    """Why, e.g. the checkout has uncommitted changes, or the cache could not be written."""


CacheUse = CacheHit | CacheBuilt | NotCached
"""How the compiled cache was used by one load."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DatabaseInfo:
    """Where a loaded database came from and how fresh it is."""

    source: str
    """The database source: URL, bundle path or directory."""
    path: Path
    """The working tree the advisories were read from."""
    commit: str | None
    """Commit the advisories come from; None for a directory that is not a git checkout."""
    last_commit_time: datetime.datetime | None
    """Committer time of :attr:`commit` (UTC); None when there is no commit."""
    modified: bool = False
    """Whether the working tree has changes not in :attr:`commit` (a local checkout)."""
    fetch: FetchResult = field(default_factory=lambda: NotFetched(reason="not obtained"))
    """What was done to obtain the database (cloned, fetched, nothing)."""
    cache: CacheUse = field(default_factory=lambda: NotCached(reason="not loaded from disk"))
    """How the compiled cache was used."""
    skipped: tuple[SkippedFile, ...] = ()
    """Files under ``crates/``/``rust/`` that are not advisories."""

    def staleness(self, *, now: datetime.datetime, max_age: datetime.timedelta) -> Staleness:
        """How old :attr:`last_commit_time` is compared with *max_age*."""
        return staleness(self.last_commit_time, now=now, max_age=max_age)


class AdvisoryDatabase:
    """An immutable set of advisories with lookups by crate name and advisory id."""

    __slots__ = ("_advisories", "_by_id", "_by_package", "_file_times", "info")

    def __init__(
        self,
        advisories: Iterable[Advisory],
        *,
        info: DatabaseInfo,
        file_times: Mapping[str, tuple[int, int]] | None = None,
    ) -> None:
        self._advisories = tuple(advisories)
        self.info = info
        """Provenance: source, commit, last commit time, checkout path, cache use."""
        self._file_times = dict(file_times or {})
        self._by_id: dict[str, Advisory] = {}
        by_package: dict[str, list[Advisory]] = {}
        for advisory in self._advisories:
            first = self._by_id.setdefault(advisory.id, advisory)
            if first is not advisory:
                raise AdvisoryDbError(
                    f"{info.source}: {advisory.path}: advisory.id: {advisory.id} is also "
                    f"the id of {first.path}"
                )
            by_package.setdefault(advisory.package, []).append(advisory)
        self._by_package = {name: tuple(items) for name, items in by_package.items()}

    @property
    def advisories(self) -> tuple[Advisory, ...]:
        """Every advisory (withdrawn ones included), in path order."""
        return self._advisories

    def for_package(self, name: str) -> tuple[Advisory, ...]:
        """Advisories against the crate *name* (exact name, as in Cargo.lock)."""
        return self._by_package.get(name, ())

    def get(self, advisory_id: str) -> Advisory | None:
        """The advisory with id *advisory_id*, or None when there is none (a lookup miss)."""
        return self._by_id.get(advisory_id)

    def counts(self) -> dict[AdvisoryKind, int]:
        """Number of advisories of each kind (every kind present, possibly 0)."""
        counts = dict.fromkeys(AdvisoryKind, 0)
        for advisory in self._advisories:
            counts[advisory.kind] += 1
        return counts

    def file_modified(self, path: str) -> datetime.datetime:
        """Time of the last commit that changed advisory file *path* (repository-relative).

        For files not committed yet (a local checkout with changes), the file's mtime.
        Raises KeyError for a path that is not an advisory of this database.
        """
        return _utc(self._times(path)[1])

    def file_created(self, path: str) -> datetime.datetime:
        """Time of the first commit that added advisory file *path* (see :meth:`file_modified`)."""
        return _utc(self._times(path)[0])

    def _times(self, path: str) -> tuple[int, int]:
        try:
            return self._file_times[path]
        except KeyError:
            raise KeyError(f"{path}: not an advisory file of this database") from None

    def __len__(self) -> int:
        return len(self._advisories)

    def __iter__(self) -> Iterator[Advisory]:
        return iter(self._advisories)

    def __repr__(self) -> str:
        return (
            f"<AdvisoryDatabase {len(self._advisories)} advisories from {self.info.source}"
            f" at {self.info.commit or 'no commit'}>"
        )


def load_database(
    source: DatabaseSource | str,
    *,
    cache_dir: Path,
    fetch: bool = True,
    timeout: float = DEFAULT_NETWORK_TIMEOUT,
) -> AdvisoryDatabase:
    """Obtain the database of *source* (a ``--db`` string or a parsed source) and load it.

    *cache_dir* is cratewatch's cache root (clones go to ``cache_dir/advisory-db/``).
    Raises :class:`~cratewatch.errors.AdvisoryDbError` when the database cannot be obtained
    or an advisory file does not parse.
    """
    if isinstance(source, str):
        source = parse_source(source)
    checkout = obtain(source, cache_dir=cache_dir, fetch=fetch, timeout=timeout)
    return load_checkout(checkout, cache_dir=cache_dir)


def load_checkout(checkout: Checkout, *, cache_dir: Path | None) -> AdvisoryDatabase:
    """Load the advisories of an obtained checkout, through the compiled cache in *cache_dir*
    when the checkout is a clean git commit (``cache_dir=None``: never cache).
    """
    if checkout.clean and checkout.commit is not None and cache_dir is not None:
        cache_path = compiled_cache_path(cache_dir, checkout.commit)
        cached = read_compiled(cache_path, commit=checkout.commit)
        if isinstance(cached, CompiledDatabase):
            return _database(checkout, cached, CacheHit(path=cache_path))
        checkout = repair_managed(checkout)
        if checkout.clean and checkout.commit is not None:
            compiled = _compile(checkout, checkout.commit)
            cache: CacheUse
            try:
                write_compiled(
                    compiled_path := compiled_cache_path(cache_dir, compiled.commit), compiled
                )
                cache = CacheBuilt(path=compiled_path, reason=cached.reason)
            except OSError as e:
                cache = NotCached(reason=f"cannot write the compiled cache: {e}")
            return _database(checkout, compiled, cache)
    return _uncached(checkout, cache_dir)


def _compile(checkout: Checkout, commit: str) -> CompiledDatabase:
    last = commit_time(checkout)
    assert last is not None, "a checkout with a commit has a commit time"
    advisories, skipped = _parse(checkout)
    history = file_commit_times(checkout)
    stamp = int(last.timestamp())
    times = {a.path: history.get(a.path, (stamp, stamp)) for a in advisories}
    return CompiledDatabase(
        commit=commit,
        last_commit_time=last,
        advisories=advisories,
        skipped=skipped,
        file_times=times,
    )


def _uncached(checkout: Checkout, cache_dir: Path | None) -> AdvisoryDatabase:
    advisories, skipped = _parse(checkout)
    history = file_commit_times(checkout)
    modified = checkout.modified_paths
    times: dict[str, tuple[int, int]] = {}
    for advisory in advisories:
        known = history.get(advisory.path)
        if known is None or modified is None or advisory.path in modified:
            mtime = int(os.stat(checkout.path / advisory.path).st_mtime)
            known = (known[0], mtime) if known is not None else (mtime, mtime)
        times[advisory.path] = known
    if cache_dir is None:
        reason = "caching was turned off"
    elif checkout.commit is None:
        reason = "the directory is not a git checkout"
    else:
        reason = "the checkout has changes that are not committed"
    info = DatabaseInfo(
        source=describe_source(checkout.source),
        path=checkout.path,
        commit=checkout.commit,
        last_commit_time=commit_time(checkout),
        modified=bool(modified),
        fetch=checkout.fetch,
        cache=NotCached(reason=reason),
        skipped=skipped,
    )
    return AdvisoryDatabase(advisories, info=info, file_times=times)


def _parse(checkout: Checkout) -> tuple[tuple[Advisory, ...], tuple[SkippedFile, ...]]:
    desc = describe_source(checkout.source)
    if not (checkout.path / "crates").is_dir():
        raise AdvisoryDbError(f"{desc}: not an advisory database: no crates/ directory")
    tree = parse_tree(checkout.path)
    if tree.errors:
        # First lines only: the summary is one line (semver errors add a caret line).
        shown = "; ".join(str(e).splitlines()[0] for e in tree.errors[:_SHOWN_ERRORS])
        more = len(tree.errors) - _SHOWN_ERRORS
        raise AdvisoryDbError(
            f"{desc}: {len(tree.errors)} advisory file(s) could not be parsed: {shown}"
            + (f"; and {more} more" if more > 0 else "")
        ) from tree.errors[0]
    return tree.advisories, tree.skipped


def _database(checkout: Checkout, compiled: CompiledDatabase, cache: CacheUse) -> AdvisoryDatabase:
    info = DatabaseInfo(
        source=describe_source(checkout.source),
        path=checkout.path,
        commit=compiled.commit,
        last_commit_time=compiled.last_commit_time,
        modified=False,
        fetch=checkout.fetch,
        cache=cache,
        skipped=compiled.skipped,
    )
    return AdvisoryDatabase(compiled.advisories, info=info, file_times=compiled.file_times)


def _utc(timestamp: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC)
