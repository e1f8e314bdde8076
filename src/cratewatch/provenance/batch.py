"""Checking many crate versions: planning from the index, threads or a Dask cluster, and a
resumable store of results.

Each result is written to a SQLite staging table (``OUT.staging.sqlite``) the moment it
arrives, so an interrupted run loses nothing; a re-run skips every version already in the
staging table or in ``OUT``; at the end the staging rows are merged into ``OUT`` (Parquet,
written atomically) and the staging file is removed. Versions of one crate are checked one
after another, so they share one repository clone (the clone cache is also shared between
threads and, through file locks, between processes on one machine).

>>> row_schema().names[:4]
['name', 'version', 'status', 'verified']
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib
import json
import threading
import time
from collections.abc import Callable, Generator, Iterable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa

from cratewatch.errors import CratewatchError, ParseError, SourceError
from cratewatch.inspect.source import from_registry
from cratewatch.provenance.check import check_provenance
from cratewatch.provenance.model import Errored, ProvenanceResult
from cratewatch.provenance.repo import CLONE_TIMEOUT, RepoCache
from cratewatch.provenance.report import result_to_json
from cratewatch.provenance.store import ResultStore
from cratewatch.registry.crates import CrateFetcher
from cratewatch.registry.index import CrateNotFound, Index
from cratewatch.registry.model import IndexEntry
from cratewatch.semver import InvalidVersion, Version

__all__ = [
    "BatchConfig",
    "BatchItem",
    "BatchSummary",
    "InvalidCrateList",
    "Plan",
    "SchedulerUnavailable",
    "check_item",
    "close_workers",
    "plan_from_file",
    "plan_from_names",
    "result_row",
    "row_schema",
    "run_batch",
]

MAX_LIST_LINES = 1_000_000
"""Lines accepted in a ``--crates`` file."""


class InvalidCrateList(ParseError):
    """A ``--crates`` file is malformed."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchItem:
    """One crate version to check."""

    name: str
    """Crate name as published."""
    version: str
    """Version text."""
    checksum: str | None
    """SHA-256 the index records for the ``.crate``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """What a batch will check."""

    items: tuple[BatchItem, ...]
    """Crate versions, grouped by crate."""
    skipped: tuple[str, ...]
    """Lines or names that named nothing in the index, with why."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchConfig:
    """What a worker needs (picklable: sent to Dask workers)."""

    cache_dir: Path
    """Cache of ``.crate`` files and repository clones (shared by the workers)."""
    dl: str
    """The registry's download URL template."""
    offline: bool = False
    """Use caches only."""
    clone_timeout: float = CLONE_TIMEOUT
    """Seconds a clone or fetch may take."""
    url_rewrites: tuple[tuple[str, str], ...] = ()
    """Repository URL rewrites (``FROM``, ``TO``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BatchSummary:
    """What a run did."""

    checked: int
    """Versions checked by this run."""
    skipped: int
    """Versions skipped because an earlier run finished them."""
    total: int
    """Rows in the output after compaction."""
    counts: dict[str, int]
    """Status -> rows in the output."""


def row_schema() -> pa.Schema:
    """The Parquet schema of the results (one row per crate version)."""
    return pa.schema(
        [
            ("name", pa.string()),
            ("version", pa.string()),
            ("status", pa.string()),
            ("verified", pa.bool_()),
            ("repository", pa.string()),
            ("commit", pa.string()),
            ("path_in_vcs", pa.string()),
            ("package_path", pa.string()),
            ("reason", pa.string()),
            ("files", pa.int32()),
            ("differing", pa.int32()),
            ("differing_paths", pa.list_(pa.string())),
            ("duration_ms", pa.float64()),
            ("checked_at", pa.timestamp("us", tz="UTC")),
            ("result_json", pa.string()),
        ]
    )


def _latest(entries: Sequence[IndexEntry]) -> IndexEntry | None:
    """The highest version that is not yanked, preferring releases over pre-releases."""

    def key(entry: IndexEntry) -> tuple[bool, Version]:
        version = Version.parse(entry.vers)
        return (not version.is_prerelease, version)

    usable = []
    for entry in entries:
        with contextlib.suppress(InvalidVersion):
            Version.parse(entry.vers)
            if not entry.yanked:
                usable.append(entry)
    return max(usable, key=key) if usable else None


def _items(
    entries: Sequence[IndexEntry], version: str | None, all_versions: bool
) -> list[BatchItem]:
    if version is not None:
        chosen = [e for e in entries if e.vers == version]
    elif all_versions:
        chosen = list(entries)
    else:
        latest = _latest(entries)
        chosen = [latest] if latest is not None else []
    return [BatchItem(name=e.name, version=e.vers, checksum=e.cksum) for e in chosen]


def plan_from_names(
    specs: Iterable[tuple[str, str | None]], index: Index, *, all_versions: bool
) -> Plan:
    """Versions for ``(name, version or None)`` pairs; ``None`` means the latest (or every
    version with *all_versions*)."""
    items: list[BatchItem] = []
    skipped: list[str] = []
    seen: set[tuple[str, str]] = set()
    for name, version in specs:
        try:
            entries = index.versions(name)
        except CrateNotFound:
            skipped.append(f"{name}: not in the index")
            continue
        found = _items(entries, version, all_versions)
        if not found:
            shown = f"{name}@{version}" if version else name
            skipped.append(f"{shown}: no such (unyanked) version in the index")
        for item in found:
            if (item.name, item.version) not in seen:
                seen.add((item.name, item.version))
                items.append(item)
    return Plan(items=tuple(items), skipped=tuple(skipped))


def plan_from_file(path: Path, index: Index, *, all_versions: bool) -> Plan:
    """Versions named in a file: one ``NAME`` or ``NAME@VERSION`` per line, ``#`` comments."""
    specs: list[tuple[str, str | None]] = []
    try:
        with path.open(encoding="utf-8") as handle:
            for number, raw in enumerate(handle, start=1):
                if number > MAX_LIST_LINES:
                    raise InvalidCrateList(f"{path}: more than {MAX_LIST_LINES} lines")
                line = raw.split("#", 1)[0].strip()
                if not line:
                    continue
                name, sep, version = line.partition("@")
                if not name or " " in line or (sep and not version):
                    raise InvalidCrateList(
                        f"{path}:{number}: expected NAME or NAME@VERSION, got {line[:80]!r}"
                    )
                specs.append((name, version or None))
    except (OSError, UnicodeDecodeError) as e:
        raise InvalidCrateList(f"{path}: cannot read: {e}") from e
    return plan_from_names(specs, index, all_versions=all_versions)


@dataclass(slots=True)
class _WorkerState:
    fetcher: CrateFetcher
    repos: RepoCache


_STATES: dict[BatchConfig, _WorkerState] = {}
_STATES_LOCK = threading.Lock()


def _state(config: BatchConfig) -> _WorkerState:
    """This process's fetcher and clone cache for *config* (shared by its threads)."""
    with _STATES_LOCK:
        state = _STATES.get(config)
        if state is None:
            state = _WorkerState(
                fetcher=CrateFetcher(config.cache_dir, dl=config.dl, offline=config.offline),
                repos=RepoCache(
                    config.cache_dir,
                    offline=config.offline,
                    clone_timeout=config.clone_timeout,
                    fetch_timeout=config.clone_timeout,
                ),
            )
            _STATES[config] = state
        return state


def close_workers() -> None:
    """Close the HTTP clients this process's workers opened."""
    with _STATES_LOCK:
        for state in _STATES.values():
            state.fetcher.close()
        _STATES.clear()


def check_item(config: BatchConfig, item: BatchItem) -> dict[str, Any]:
    """Download, verify and check one version; returns its result row (a problem with the
    crate, such as a checksum mismatch or a hostile archive, is an ``error`` row)."""
    state = _state(config)
    started = time.perf_counter()
    try:
        crate = from_registry(state.fetcher, item.name, item.version, checksum=item.checksum)
        result = check_provenance(crate, cache=state.repos, url_rewrites=config.url_rewrites)
    except Exception as e:
        reason = str(e) if isinstance(e, CratewatchError) else f"{type(e).__name__}: {e}"
        result = ProvenanceResult(
            name=item.name,
            version=item.version,
            origin=f"{item.name}@{item.version}",
            checksum=None,
            repository=None,
            declared_repository=None,
            commit=None,
            path_in_vcs=None,
            package_path=None,
            outcome=Errored(reason=reason),
        )
    return result_row(result, duration_ms=(time.perf_counter() - started) * 1000)


def result_row(result: ProvenanceResult, *, duration_ms: float) -> dict[str, Any]:
    """The Parquet row of a result."""
    document = result_to_json(result)
    return {
        "name": result.name,
        "version": result.version,
        "status": result.status.value,
        "verified": result.status.verified,
        "repository": result.repository,
        "commit": result.commit,
        "path_in_vcs": result.path_in_vcs,
        "package_path": result.package_path,
        "reason": document["reason"],
        "files": None if document["summary"] is None else document["summary"]["files"],
        "differing": len(document["differences"]),
        "differing_paths": [d["path"] for d in document["differences"]],
        "duration_ms": round(duration_ms, 3),
        "checked_at": dt.datetime.now(dt.UTC),
        "result_json": json.dumps(document, ensure_ascii=False, separators=(",", ":")),
    }


class SchedulerUnavailable(SourceError):
    """The Dask scheduler given with ``--scheduler`` could not be reached."""


def run_batch(
    items: Sequence[BatchItem],
    *,
    config: BatchConfig,
    store: ResultStore,
    threads: int = 4,
    scheduler: str | None = None,
    retry: frozenset[str] = frozenset(),
    on_start: Callable[[int, int], None] = lambda todo, skipped: None,
    on_result: Callable[[dict[str, Any]], None] = lambda row: None,
    connect_timeout: float = 20.0,
) -> BatchSummary:
    """Check every item not already in *store* and compact the store.

    Runs on *threads* local threads, or on the Dask cluster at *scheduler*
    (``tcp://HOST:PORT``) whose workers share *config*'s cache directory. *retry* names
    statuses (``error``, ``repository-unreachable``...) whose stored results are checked again.
    *on_start* receives ``(to check, skipped)``, *on_result* each row as it is stored.
    Raises :class:`SchedulerUnavailable` when the scheduler does not answer within
    *connect_timeout* seconds.
    """
    done = store.finished(retry=retry)
    todo = [item for item in items if (item.name, item.version) not in done]
    on_start(len(todo), len(items) - len(todo))
    rows = (
        _on_dask(todo, config, scheduler, connect_timeout)
        if scheduler
        else _on_threads(todo, config, threads)
    )
    try:
        for row in rows:
            store.add(row)
            on_result(row)
    finally:
        rows.close()
        close_workers()
    total, counts = store.compact()
    return BatchSummary(
        checked=len(todo), skipped=len(items) - len(todo), total=total, counts=counts
    )


def _on_threads(
    items: Sequence[BatchItem], config: BatchConfig, threads: int
) -> Generator[dict[str, Any], None, None]:
    pool = ThreadPoolExecutor(max_workers=max(1, threads), thread_name_prefix="provenance")
    queue = iter(items)
    pending: set[Future[dict[str, Any]]] = set()
    try:
        while True:
            while len(pending) < 2 * max(1, threads):
                item = next(queue, None)
                if item is None:
                    break
                pending.add(pool.submit(check_item, config, item))
            if not pending:
                return
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                yield future.result()
    finally:
        pool.shutdown(wait=not pending, cancel_futures=True)


def _on_dask(
    items: Sequence[BatchItem], config: BatchConfig, scheduler: str, connect_timeout: float
) -> Generator[dict[str, Any], None, None]:
    # heavy and only partly typed: imported for clusters only, used through Any
    distributed: Any = importlib.import_module("distributed")
    try:
        client = distributed.Client(scheduler, timeout=f"{connect_timeout}s", set_as_default=False)
    except (OSError, TimeoutError) as e:
        raise SchedulerUnavailable(
            f"{scheduler}: cannot connect to the Dask scheduler: {e}; check the address, or "
            "leave out --scheduler to run on local threads"
        ) from e
    try:
        window = max(4, 2 * sum(client.nthreads().values()))
        queue = iter(items)
        first = [next(queue) for _ in range(min(window, len(items)))]
        futures = distributed.as_completed(
            [client.submit(check_item, config, item, pure=False) for item in first],
            loop=client.loop,
        )
        for future in futures:
            row: dict[str, Any] = future.result()
            future.release()
            following = next(queue, None)
            if following is not None:
                futures.add(client.submit(check_item, config, following, pure=False))
            yield row
    finally:
        client.close()
