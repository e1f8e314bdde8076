"""Building whole datasets: partitions, resuming, popularity, executors (local and Dask)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from cratewatch.ecosystem.executor import DaskExecutor, Executor, ExecutorError, LocalExecutor
from cratewatch.ecosystem.job import Progress, build_dataset, read_metadata
from cratewatch.ecosystem.popularity import load_popularity
from cratewatch.registry.dirindex import DirIndex
from tests.ecosystem.synth import ADVISORIES, ECOSYSTEM, database, write_index

NAMES = ["app", "bench-kit", "broken", "log", "old-time", "own", "shaky", "solo", "web"]


def _build(
    tmp_path: Path, executor: Executor, out: str = "crates.parquet", **kwargs: Any
) -> tuple[Any, list[dict[str, Any]]]:
    index = DirIndex(write_index(tmp_path / "index", ECOSYSTEM))
    summary = build_dataset(
        index=index,
        database=database(ADVISORIES),
        executor=executor,
        out=tmp_path / out,
        **kwargs,
    )
    return summary, pq.read_table(tmp_path / out).to_pylist()


def test_one_row_per_crate_with_metadata_and_no_parts_left(tmp_path: Path) -> None:
    summary, rows = _build(tmp_path, LocalExecutor(workers=1), partition_size=2)
    assert [r["name"] for r in rows] == NAMES
    assert (summary.rows, summary.crates, summary.partitions, summary.reused) == (9, 9, 5, 0)
    assert not (tmp_path / "crates.parquet.parts").exists()
    meta = read_metadata(tmp_path / "crates.parquet")
    assert meta["all_versions"] is False
    assert meta["rows"] == 9
    assert meta["advisory_db"]["commit"] == "c" * 40
    assert meta["advisories_counted"] == 4
    assert meta["popularity"] is None
    assert meta["executor"] == "1 process (this one)"
    assert all(r["downloads"] is None and r["created_at"] is None for r in rows)


def test_a_forked_pool_gives_the_same_rows(tmp_path: Path) -> None:
    _, alone = _build(tmp_path, LocalExecutor(workers=1), out="a.parquet", partition_size=2)
    _, pooled = _build(tmp_path, LocalExecutor(workers=2), out="b.parquet", partition_size=2)
    assert pooled == alone


def test_recycled_sessions_give_the_same_rows(tmp_path: Path) -> None:
    _, kept = _build(tmp_path, LocalExecutor(workers=1), out="a.parquet", partition_size=2)
    summary, recycled = _build(
        tmp_path, LocalExecutor(workers=1), out="b.parquet", partition_size=2, recycle_after=1
    )
    assert recycled == kept
    assert summary.metadata["recycle_after"] == 1


def test_every_version_mode(tmp_path: Path) -> None:
    summary, rows = _build(tmp_path, LocalExecutor(workers=1), all_versions=True)
    assert summary.rows == len(ECOSYSTEM)
    assert sum(r["latest"] for r in rows) == 9


class _Stop(Exception):
    pass


def test_an_interrupted_run_resumes_from_finished_parts(tmp_path: Path) -> None:
    seen: list[Progress] = []

    def stop_after_two(progress: Progress) -> None:
        seen.append(progress)
        if progress.partitions_done == 2:
            raise _Stop

    with pytest.raises(_Stop):
        _build(tmp_path, LocalExecutor(workers=1), partition_size=2, on_progress=stop_after_two)
    parts = sorted(p.name for p in (tmp_path / "crates.parquet.parts").iterdir())
    assert parts == ["job.json", "part-00000.parquet", "part-00001.parquet"]
    assert not (tmp_path / "crates.parquet").exists()
    resumed: list[Progress] = []
    summary, rows = _build(tmp_path, LocalExecutor(workers=1), partition_size=2,
                           on_progress=resumed.append)  # fmt: skip
    assert summary.reused == 2
    assert resumed[0] == Progress(
        crates_done=4, crates_total=9, rows=4, partitions_done=2, partitions_total=5, reused=2
    )
    _, fresh = _build(tmp_path, LocalExecutor(workers=1), out="fresh.parquet", partition_size=2)
    assert rows == fresh


@pytest.mark.parametrize("change", ["fresh", "other job"])
def test_parts_of_another_job_or_fresh_runs_are_discarded(tmp_path: Path, change: str) -> None:
    def stop(progress: Progress) -> None:
        if progress.partitions_done == 1:
            raise _Stop

    with pytest.raises(_Stop):
        _build(tmp_path, LocalExecutor(workers=1), partition_size=2, on_progress=stop)
    kwargs: dict[str, Any] = {"partition_size": 2}
    if change == "fresh":
        kwargs["fresh"] = True
    else:
        kwargs["advisories_until"] = dt.date(2020, 3, 31)
    summary, rows = _build(tmp_path, LocalExecutor(workers=1), **kwargs)
    assert summary.reused == 0
    if change == "other job":
        app = next(r for r in rows if r["name"] == "app")
        assert (app["a_vulnerability"], app["a_unmaintained"]) == (1, 0)


def test_popularity_columns_are_joined(tmp_path: Path) -> None:
    csv = tmp_path / "pop.csv"
    csv.write_text("name,version,downloads,created_at\napp,1.0.0,40,2020-05-01\napp,0.9.0,2,\n")
    summary, rows = _build(tmp_path, LocalExecutor(workers=1), popularity=load_popularity(csv))
    app = next(r for r in rows if r["name"] == "app")
    assert (app["downloads"], app["crate_downloads"]) == (40, 42)
    assert app["created_at"] == dt.datetime(2020, 5, 1, tzinfo=dt.UTC)
    assert next(r for r in rows if r["name"] == "web")["downloads"] is None
    assert summary.metadata["popularity"]["kind"] == "csv"


def test_dask_cluster_gives_the_same_rows(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    _, local = _build(tmp_path, LocalExecutor(workers=1), out="local.parquet", partition_size=3)
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
        DaskExecutor(client) as executor,
    ):
        assert executor.workers == 2
        assert "Dask cluster" in executor.description
        _, remote = _build(tmp_path, executor, out="dask.parquet", partition_size=3)
    assert remote == local


def test_unreachable_scheduler_is_one_clear_error() -> None:
    pytest.importorskip("distributed")
    with pytest.raises(ExecutorError, match=r"tcp://127\.0\.0\.1:9: cannot reach the Dask"):
        DaskExecutor("tcp://127.0.0.1:9", timeout=0.5)


def test_local_executor_yields_every_item_once() -> None:
    results = dict(LocalExecutor(workers=2).map_unordered(_square, 3, list(range(7))))
    assert results == {i: 3 * i * i for i in range(7)}
    with pytest.raises(ExecutorError, match="workers: expected at least 1, got 0"):
        LocalExecutor(workers=0)


def _square(context: int, item: int) -> int:
    return context * item * item
