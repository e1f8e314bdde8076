"""Batch checks end to end: a directory index, .crate files served over loopback HTTP, real
repositories; threads and a Dask cluster; resuming after an interruption; the CLI."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import jsonschema
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from pytest_httpserver import HTTPServer

from cratewatch.cli.main import cli, main
from cratewatch.provenance.batch import (
    BatchConfig,
    BatchItem,
    InvalidCrateList,
    SchedulerUnavailable,
    plan_from_file,
    row_schema,
    run_batch,
)
from cratewatch.provenance.report import load_schema
from cratewatch.provenance.store import ResultStore
from cratewatch.registry.dirindex import DirIndex
from tests.provenance.registry import RELEASES, Releases, build_releases, write_index


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> Releases:
    return build_releases(tmp_path_factory.mktemp("releases"))


@pytest.fixture
def registry(releases: Releases, httpserver: HTTPServer, tmp_path: Path) -> Path:
    """A directory index whose downloads come from a loopback server (static.crates.io)."""
    for crate in releases.crates:
        httpserver.expect_request(
            f"/crates/{crate.name}/{crate.name}-{crate.version}.crate"
        ).respond_with_data(crate.path.read_bytes(), content_type="application/gzip")
    index = tmp_path / "index"
    write_index(index, releases, httpserver.url_for("/crates/{crate}/{crate}-{version}.crate"))
    return index


def _expected(releases: Releases) -> dict[tuple[str, str], str]:
    return {(c.name, c.version): c.expected for c in releases.crates}


def _items(index: Path) -> list[BatchItem]:
    with DirIndex(index) as opened:
        return [
            BatchItem(name=e.name, version=e.vers, checksum=e.cksum)
            for name in sorted(opened.names())
            for e in opened.versions(name)
        ]


def _config(releases: Releases, index: Path, cache: Path) -> BatchConfig:
    with DirIndex(index) as opened:
        dl = opened.config().dl
    return BatchConfig(cache_dir=cache, dl=dl, clone_timeout=30.0, url_rewrites=(releases.rewrite,))


def _statuses(out: Path) -> dict[tuple[str, str], str]:
    table = pq.read_table(out, columns=["name", "version", "status"]).to_pylist()
    return {(r["name"], r["version"]): r["status"] for r in table}


def test_every_version_on_threads(releases: Releases, registry: Path, tmp_path: Path) -> None:
    items = _items(registry)
    assert len(items) == 23
    out = tmp_path / "results.parquet"
    store = ResultStore(out, row_schema())
    seen: list[dict[str, Any]] = []
    summary = run_batch(
        items,
        config=_config(releases, registry, tmp_path / "cache"),
        store=store,
        threads=3,
        on_result=seen.append,
    )
    assert (summary.checked, summary.skipped, summary.total) == (23, 0, 23)
    assert _statuses(out) == _expected(releases)
    assert summary.counts == dict(Counter(_expected(releases).values()))
    assert not store.staging.exists()
    assert len(seen) == 23
    table = pq.read_table(out)
    assert table.schema.equals(row_schema(), check_metadata=False)
    for row in table.to_pylist():
        document = json.loads(row["result_json"])
        jsonschema.validate(document, load_schema())
        assert document["status"] == row["status"]
    gamma = next(r for r in table.to_pylist() if (r["name"], r["version"]) == ("gamma", "1.1.0"))
    assert gamma["differing_paths"] == ["src/lib.rs"]
    forged = next(r for r in table.to_pylist() if r["name"] == "forged")
    assert "expected 0000" in forged["reason"]
    # one clone served all 20 versions of the workspace
    repos = sorted(p.name for p in (tmp_path / "cache/provenance/repos").glob("*.git"))
    assert repos == [next(iter(repos))]
    assert repos[0].startswith("multi-")


def test_interrupted_run_resumes(releases: Releases, registry: Path, tmp_path: Path) -> None:
    items = _items(registry)
    out = tmp_path / "results.parquet"
    config = _config(releases, registry, tmp_path / "cache")
    done: list[str] = []

    def interrupt_after_five(row: dict[str, Any]) -> None:
        done.append(f"{row['name']}@{row['version']}")
        if len(done) == 5:
            raise KeyboardInterrupt

    store = ResultStore(out, row_schema())
    with pytest.raises(KeyboardInterrupt):
        run_batch(items, config=config, store=store, threads=2, on_result=interrupt_after_five)
    assert store.staged() == 5
    store.close()
    assert not out.exists()
    again: list[dict[str, Any]] = []
    summary = run_batch(
        items,
        config=config,
        store=ResultStore(out, row_schema()),
        threads=2,
        on_result=again.append,
    )
    assert (summary.checked, summary.skipped, summary.total) == (18, 5, 23)
    assert not {f"{r['name']}@{r['version']}" for r in again} & set(done)
    assert _statuses(out) == _expected(releases)
    # a third run finds nothing to do; --retry checks the unreachable one again
    third = run_batch(items, config=config, store=ResultStore(out, row_schema()))
    assert (third.checked, third.skipped, third.total) == (0, 23, 23)
    retried = run_batch(
        items,
        config=config,
        store=ResultStore(out, row_schema()),
        retry=frozenset({"repository-unreachable"}),
    )
    assert (retried.checked, retried.total) == (1, 23)


def test_dask_cluster_runs_the_same_work(
    releases: Releases, registry: Path, tmp_path: Path
) -> None:
    distributed = pytest.importorskip("distributed")
    items = [i for i in _items(registry) if i.name in ("gamma", "loose", "alpha")]
    out = tmp_path / "dask.parquet"
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
    ) as cluster:
        summary = run_batch(
            items,
            config=_config(releases, registry, tmp_path / "cache"),
            store=ResultStore(out, row_schema()),
            scheduler=cluster.scheduler_address,
        )
        assert summary.checked == len(items) == 9
        # the same through the command line
        listing = tmp_path / "crates.txt"
        listing.write_text("beta@1.1.0\ngone\n")
        result = CliRunner().invoke(
            cli,
            [
                "provenance",
                "batch",
                "--crates",
                str(listing),
                "--index",
                str(registry),
                "--out",
                str(out),
                "--cache-dir",
                str(tmp_path / "cache"),
                "--url-rewrite",
                "=".join(releases.rewrite),
                "--scheduler",
                cluster.scheduler_address,
            ],
        )
        assert result.exit_code == 0, result.output
        assert "checked 2, skipped 0" in result.output
    wanted = ("gamma", "loose", "alpha")
    expected = {k: v for k, v in _expected(releases).items() if k[0] in wanted}
    expected |= {("beta", "1.1.0"): "match", ("gone", "0.9.0"): "repository-unreachable"}
    assert _statuses(out) == expected


def test_crate_list_file(registry: Path, tmp_path: Path) -> None:
    listing = tmp_path / "crates.txt"
    listing.write_text("# latest versions\nalpha\nbeta@1.1.0  # pinned\n\nnope\nbeta@9.9.9\n")
    with DirIndex(registry) as index:
        plan = plan_from_file(listing, index, all_versions=False)
        every = plan_from_file(listing, index, all_versions=True)
    assert [(i.name, i.version) for i in plan.items] == [("alpha", "2.0.0"), ("beta", "1.1.0")]
    assert plan.skipped == (
        "nope: not in the index",
        "beta@9.9.9: no such (unyanked) version in the index",
    )
    assert [i.version for i in every.items if i.name == "alpha"] == list(RELEASES)
    listing.write_text("alpha\nbeta 1.0\n")
    with DirIndex(registry) as index, pytest.raises(InvalidCrateList) as error:
        plan_from_file(listing, index, all_versions=False)
    assert str(error.value) == f"{listing}:2: expected NAME or NAME@VERSION, got 'beta 1.0'"


def test_cli_batch_top_and_site(releases: Releases, registry: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "top.parquet"
    base = [
        "provenance",
        "batch",
        "--index",
        str(registry),
        "--out",
        str(out),
        "--cache-dir",
        str(tmp_path / "cache"),
        "--url-rewrite",
        "=".join(releases.rewrite),
    ]
    result = runner.invoke(cli, [*base, "--top", "2", "--all-versions"])
    assert result.exit_code == 0, result.output
    assert "ranking crates by reverse-dependency counts from the index" in result.output
    assert "checked 8, skipped 0" in result.output
    statuses = _statuses(out)
    assert {name for name, _ in statuses} == {"alpha", "beta"}  # alpha: 3 dependents, then a tie
    popularity = tmp_path / "downloads.csv"
    popularity.write_text("name,downloads\nepsilon,900\ndelta,800\nalpha,10\n")
    result = runner.invoke(cli, [*base, "--top", "2", "--popularity", str(popularity)])
    assert result.exit_code == 0, result.output
    assert "checked 2, skipped 0" in result.output
    assert {("epsilon", "2.0.0"), ("delta", "2.0.0")} <= set(_statuses(out))
    site = tmp_path / "site"
    built = runner.invoke(cli, ["provenance", "site", str(out), "--out", str(site)])
    assert built.exit_code == 0, built.output
    assert built.output == f"wrote {site}: 4 crates, 10 versions\n"
    assert (site / "crates/beta/1.1.0.html").is_file()
    assert (site / "data/crates/beta.json").is_file()
    both = runner.invoke(cli, ["provenance", "batch", "--index", str(registry), "--out", "x"])
    assert both.exit_code == 2
    assert "give exactly one of --crates FILE and --top N" in both.output


def test_unreachable_scheduler(releases: Releases, registry: Path, tmp_path: Path) -> None:
    store = ResultStore(tmp_path / "r.parquet", row_schema())
    with pytest.raises(SchedulerUnavailable) as error:
        run_batch(
            _items(registry)[:1],
            config=_config(releases, registry, tmp_path / "cache"),
            store=store,
            scheduler="tcp://127.0.0.1:1",
            connect_timeout=1.0,
        )
    store.close()
    assert str(error.value).startswith(
        "tcp://127.0.0.1:1: cannot connect to the Dask scheduler: Timed out trying to connect"
    )
    assert str(error.value).endswith("or leave out --scheduler to run on local threads")


def test_top_without_popularity_needs_a_listable_index(
    httpserver: HTTPServer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    httpserver.expect_request("/config.json").respond_with_json({"dl": "http://127.0.0.1:9/"})
    with pytest.raises(SystemExit) as exited:
        main(
            [
                "provenance",
                "batch",
                "--top",
                "3",
                "--index",
                f"sparse+{httpserver.url_for('/')}",
                "--out",
                str(tmp_path / "r.parquet"),
                "--cache-dir",
                str(tmp_path / "cache"),
            ]
        )
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.endswith(
        "this index cannot list its crates; --top needs --popularity CSV (name,downloads) or an "
        "index that can list its crates (a git clone, .bundle or directory)\n"
    )
