"""Building the whole dataset: partitions, resumable part files, the final Parquet file.

The crates of the index (sorted) are cut into partitions of a few hundred names. Each
partition is resolved by a worker (:func:`run_partition`) and written by the caller as
``DATA.parquet.parts/part-NNNNN.parquet`` the moment it comes back, so an interrupted run
loses at most the partitions in flight: run it again and finished partitions are skipped (a
``job.json`` fingerprint - index commit, advisory commit, mode, partitioning - makes sure
they belong to the same job; parts of another job are discarded). At the end the parts are
read in order, the popularity columns are joined, and ``DATA.parquet`` is written at once
(temporary file, then rename) with the run's metadata in the Parquet key-value metadata
(:data:`METADATA_KEY`), which the report's methods section reads.

>>> with open_index("index.git") as index, LocalExecutor(workers=2) as pool:  # doctest: +SKIP
...     summary = build_dataset(index=index, database=db, executor=pool,
...                             out=Path("crates.parquet"))
"""

from __future__ import annotations

import contextlib
import datetime
import gc
import hashlib
import json
import os
import random
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cratewatch.advisories.database import AdvisoryDatabase
from cratewatch.ecosystem.dataset import SCHEMA_VERSION, AdvisoryMatcher, Session
from cratewatch.ecosystem.executor import Executor
from cratewatch.ecosystem.popularity import Popularity
from cratewatch.errors import CratewatchError
from cratewatch.registry.index import CrateNotFound, Index, open_index
from cratewatch.registry.model import IndexEntry
from cratewatch.registry.paths import InvalidCrateName

__all__ = [
    "METADATA_KEY",
    "RESOLUTION_RULES",
    "DatasetError",
    "DatasetSummary",
    "JobContext",
    "Progress",
    "build_dataset",
    "read_metadata",
    "run_partition",
]

METADATA_KEY = b"cratewatch.ecosystem"
"""Parquet key-value metadata key holding the run's JSON description."""

RESOLUTION_RULES = (
    "Each version is resolved the way `cargo generate-lockfile` resolves a package whose only "
    'dependency is NAME = "=VERSION" (default features), with the version\'s own '
    "dev-dependencies added as cargo-deny sees them inside the crate; yanked versions are "
    "never chosen for dependencies, lines Cargo would skip are skipped, every target platform "
    "is kept (the lock file's package set). Advisories are matched on every package of the "
    "tree except the root itself (a path package for cargo-deny): RustSec `crates` "
    "advisories for crates.io, not withdrawn, by their patched/unaffected requirements."
)
"""How rows are computed, for the methods section."""

_PART = re.compile(r"part-(\d{5})\.parquet")
_DEFAULT_PARTITIONS = 240
_DEFAULT_PARTITIONS_ALL = 960
_MIN_PARTITION = 16
_SHUFFLE_SEED = 2020
_MAX_PARTITION = 1024


class DatasetError(CratewatchError):
    """The dataset cannot be built or read (bad output path, unreadable parts)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class JobContext:
    """What every worker needs, sent once per worker."""

    index: str
    """Index spec every worker opens (a local path: a git repository or directory)."""
    matcher: AdvisoryMatcher
    """The advisories that count."""
    all_versions: bool
    """Every version of each crate, not only the latest."""
    token: str
    """Identifies the job (a worker keeps one session per token)."""
    recycle_after: int | None = None
    """Drop a worker's session after this many partitions (bounds memory, costs CPU)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Progress:
    """Where a run is, reported after each finished partition."""

    crates_done: int
    """Crates whose rows are written (reused parts included)."""
    crates_total: int
    """Crates in the job."""
    rows: int
    """Rows written so far."""
    partitions_done: int
    """Partitions written (reused included)."""
    partitions_total: int
    """Partitions in the job."""
    reused: int
    """Partitions found finished from an earlier run."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DatasetSummary:
    """What a run produced."""

    path: Path
    """The dataset file."""
    rows: int
    """Rows written."""
    crates: int
    """Crates covered."""
    partitions: int
    """Partitions in the job."""
    reused: int
    """Partitions reused from an interrupted run."""
    seconds: float
    """Wall time of this run."""
    metadata: dict[str, Any]
    """The JSON stored under :data:`METADATA_KEY`."""


# ---------------------------------------------------------------- worker side


@dataclass(slots=True)
class _Worker:
    """This process's session for one job, and how many partitions it has run."""

    token: str
    index: Index
    session: Session
    runs: int = 0


_WORKER: list[_Worker] = []  # at most one
_SESSION_LOCK = threading.Lock()


def run_partition(context: JobContext, names: Sequence[str]) -> pa.Table:
    """Rows for one partition, with this worker's session for the job (made on first use).

    Threads of one worker process share the session one at a time; run Dask workers with
    one thread each and as many processes as cores. With ``context.recycle_after`` the
    session is dropped (and its memory freed) after that many partitions.
    """
    with _SESSION_LOCK:
        worker = _WORKER[0] if _WORKER and _WORKER[0].token == context.token else None
        if worker is None:
            _drop_session()
            index = open_index(context.index)
            worker = _Worker(context.token, index, Session(_lookup(index), context.matcher))
            _WORKER.append(worker)
        table = worker.session.partition(names, all_versions=context.all_versions)
        worker.runs += 1
        if context.recycle_after is not None and worker.runs >= context.recycle_after:
            _drop_session()
        else:
            # What the session has learnt stays alive for the job: keep the cyclic garbage
            # collector from rescanning it after every partition (millions of objects).
            gc.freeze()
        return table


def _drop_session() -> None:
    while _WORKER:
        _WORKER.pop().index.close()
    gc.unfreeze()
    gc.collect()


def _lookup(index: Index) -> Callable[[str], tuple[IndexEntry, ...]]:
    def lookup(name: str) -> tuple[IndexEntry, ...]:
        try:
            return index.versions(name)
        except (CrateNotFound, InvalidCrateName):
            return ()

    return lookup


# ---------------------------------------------------------------- driver side


def build_dataset(
    *,
    index: Index,
    database: AdvisoryDatabase,
    executor: Executor,
    out: Path,
    all_versions: bool = False,
    popularity: Popularity | None = None,
    names: Sequence[str] | None = None,
    partition_size: int | None = None,
    advisories_until: datetime.date | None = None,
    index_date: datetime.date | None = None,
    recycle_after: int | None = None,
    fresh: bool = False,
    on_progress: Callable[[Progress], None] | None = None,
) -> DatasetSummary:
    """Resolve and audit every crate of *index* (or only *names*) and write *out*.

    *index* must be a local git or directory index (workers reopen it by its path).
    *index_date* is the day the index snapshot was taken, when known (an index has no
    publication dates; it is only recorded for the report). *recycle_after* drops each
    worker's memoised session after that many partitions, bounding memory on indexes too large
    to learn whole (at the cost of learning again). *fresh* discards finished parts of an
    earlier run. Raises :class:`DatasetError`.
    """
    started = time.perf_counter()
    crate_names = sorted(set(names)) if names is not None else sorted(index.names())
    size = partition_size or _partition_size(len(crate_names), all_versions=all_versions)
    # Crates are dealt into partitions in a seeded random order: families of expensive crates
    # (alphabetical neighbours such as solana-*) spread over many partitions, so partitions
    # cost about the same and no single one is left running alone at the end.
    dealt = list(crate_names)
    random.Random(_SHUFFLE_SEED).shuffle(dealt)
    partitions = [dealt[i : i + size] for i in range(0, len(dealt), size)]
    matcher = AdvisoryMatcher(database.advisories, until=advisories_until)
    info = database.info
    index_meta = {"source": index.source, "commit": getattr(index, "commit", None)}
    job: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "index": index_meta,
        "advisory_db": {"source": info.source, "commit": info.commit},
        "advisories_until": advisories_until.isoformat() if advisories_until else None,
        "all_versions": all_versions,
        "partition_size": size,
        "shuffle_seed": _SHUFFLE_SEED,
        "crates": hashlib.sha256("\n".join(crate_names).encode()).hexdigest(),
    }
    token = hashlib.sha256(json.dumps(job, sort_keys=True).encode()).hexdigest()[:24]
    parts = out.with_name(out.name + ".parts")
    done = _prepare_parts(parts, token, job, fresh=fresh)
    done &= set(range(len(partitions)))
    todo = [i for i in range(len(partitions)) if i not in done]
    rows = sum(pq.read_metadata(_part_path(parts, i)).num_rows for i in done)
    crates_done = sum(len(partitions[i]) for i in done)

    def report(finished: int) -> None:
        if on_progress is not None:
            on_progress(
                Progress(
                    crates_done=crates_done,
                    crates_total=len(crate_names),
                    rows=rows,
                    partitions_done=finished,
                    partitions_total=len(partitions),
                    reused=len(done),
                )
            )

    report(len(done))
    context = JobContext(
        index=index.source,
        matcher=matcher,
        all_versions=all_versions,
        token=token,
        recycle_after=recycle_after,
    )
    finished = len(done)
    results = executor.map_unordered(run_partition, context, [partitions[i] for i in todo])
    try:
        for position, table in results:
            number = todo[position]
            _write_atomic(table, _part_path(parts, number))
            finished += 1
            rows += table.num_rows
            crates_done += len(partitions[number])
            report(finished)
    finally:
        close = getattr(results, "close", None)
        if close is not None:
            close()
        # partitions run in this process (one worker, threads of an in-process cluster) froze
        # what they learnt: hand it back to the collector now that the job is over
        gc.unfreeze()
    metadata = {
        **job,
        "index": {
            **index_meta,
            "commit_time": _commit_time(index),
            "date": index_date.isoformat() if index_date else None,
        },
        "mode": "every version" if all_versions else "latest version of each crate",
        "advisory_db": {
            "source": info.source,
            "commit": info.commit,
            "last_commit_time": _iso(info.last_commit_time),
        },
        "advisories_counted": len(matcher),
        "popularity": _popularity_meta(popularity),
        "resolution_rules": RESOLUTION_RULES,
        "executor": executor.description,
        "recycle_after": recycle_after,
        "crate_count": len(crate_names),
        "created": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }
    table = _assemble(parts, len(partitions), popularity)
    seconds = round(time.perf_counter() - started, 3)
    metadata["rows"] = table.num_rows
    metadata["seconds"] = seconds
    schema = table.schema.with_metadata({METADATA_KEY: json.dumps(metadata).encode()})
    _write_atomic(table.replace_schema_metadata(schema.metadata), out)
    for number in range(len(partitions)):
        _part_path(parts, number).unlink(missing_ok=True)
    (parts / "job.json").unlink(missing_ok=True)
    with contextlib.suppress(OSError):  # something else lives there: leave it
        parts.rmdir()
    return DatasetSummary(
        path=out,
        rows=table.num_rows,
        crates=len(crate_names),
        partitions=len(partitions),
        reused=len(done),
        seconds=seconds,
        metadata=metadata,
    )


def read_metadata(path: Path) -> dict[str, Any]:
    """The run description stored in a dataset file (``{}`` for a file without one)."""
    try:
        schema = pq.read_schema(path)
    except (OSError, pa.ArrowInvalid) as e:
        raise DatasetError(f"{path}: not a readable Parquet file: {e}") from e
    raw = (schema.metadata or {}).get(METADATA_KEY)
    if raw is None:
        return {}
    try:
        meta = json.loads(raw)
    except ValueError as e:
        raise DatasetError(f"{path}: {METADATA_KEY.decode()}: not JSON: {e}") from e
    if not isinstance(meta, dict):
        raise DatasetError(f"{path}: {METADATA_KEY.decode()}: expected a JSON object")
    return meta


def _commit_time(index: Index) -> str | None:
    """When the index commit being read was made (git indexes only)."""
    commit = getattr(index, "commit", None)
    if not isinstance(commit, str):
        return None
    import pygit2  # noqa: PLC0415 (only git indexes get here)

    try:
        found = pygit2.Repository(index.source).revparse_single(commit)
        when = found.peel(pygit2.Commit).commit_time
    except (KeyError, ValueError, pygit2.GitError):
        return None
    return _iso(datetime.datetime.fromtimestamp(when, datetime.UTC))


def _partition_size(crates: int, *, all_versions: bool) -> int:
    count = _DEFAULT_PARTITIONS_ALL if all_versions else _DEFAULT_PARTITIONS
    return max(_MIN_PARTITION, min(_MAX_PARTITION, -(-crates // count)))


def _part_path(parts: Path, number: int) -> Path:
    return parts / f"part-{number:05d}.parquet"


def _prepare_parts(parts: Path, token: str, job: dict[str, Any], *, fresh: bool) -> set[int]:
    """Finished partition numbers of the same job; parts of another job are removed."""
    try:
        parts.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise DatasetError(f"{parts}: cannot create the directory for parts: {e}") from e
    manifest = parts / "job.json"
    same = False
    if manifest.is_file() and not fresh:
        try:
            same = json.loads(manifest.read_text(encoding="utf-8")).get("token") == token
        except (OSError, ValueError, AttributeError):
            same = False
    done: set[int] = set()
    for entry in parts.iterdir():
        match = _PART.fullmatch(entry.name)
        if match is None or not entry.is_file() or entry.is_symlink():
            continue
        if same:
            done.add(int(match[1]))
        else:
            entry.unlink()
    if not same:
        body = json.dumps({"token": token, "job": job}, indent=2)
        _write_text_atomic(manifest, body)
    return done


def _assemble(parts: Path, count: int, popularity: Popularity | None) -> pa.Table:
    try:
        tables = [pq.read_table(_part_path(parts, i)) for i in range(count)]
    except (OSError, pa.ArrowInvalid) as e:
        raise DatasetError(f"{parts}: cannot read a part file (run again with --fresh): {e}") from e
    if tables:
        table = pa.concat_tables(tables).combine_chunks()
        # partitions hold shuffled crates: back to name order (stable, versions keep theirs)
        table = table.take(pc.sort_indices(table, sort_keys=[("name", "ascending")]))
    else:
        from cratewatch.ecosystem.dataset import ROW_SCHEMA  # noqa: PLC0415

        table = ROW_SCHEMA.empty_table()
    return _join_popularity(table, popularity)


def _join_popularity(table: pa.Table, popularity: Popularity | None) -> pa.Table:
    names = table.column("name").to_pylist()
    versions = table.column("version").to_pylist()
    downloads: list[int | None] = []
    crate_downloads: list[int | None] = []
    created: list[datetime.datetime | None] = []
    for name, version in zip(names, versions, strict=True):
        stats = popularity.version(name, version) if popularity is not None else None
        downloads.append(stats.downloads if stats is not None else None)
        created.append(stats.created_at if stats is not None else None)
        crate_downloads.append(popularity.crate_downloads(name) if popularity else None)
    table = table.append_column("downloads", pa.array(downloads, pa.int64()))
    table = table.append_column("crate_downloads", pa.array(crate_downloads, pa.int64()))
    return table.append_column("created_at", pa.array(created, pa.timestamp("us", tz="UTC")))


def _popularity_meta(popularity: Popularity | None) -> dict[str, Any] | None:
    if popularity is None:
        return None
    return {
        "source": popularity.source,
        "kind": popularity.kind,
        "snapshot": _iso(popularity.snapshot),
        "crates_io_commit": popularity.crates_io_commit,
        "crates": len(popularity.crates),
        "versions": len(popularity.versions),
    }


def _iso(value: datetime.datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


def _write_atomic(table: pa.Table, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        pq.write_table(table, tmp, compression="zstd")
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise DatasetError(f"{path}: cannot write: {e}") from e


def _write_text_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise DatasetError(f"{path}: cannot write: {e}") from e
