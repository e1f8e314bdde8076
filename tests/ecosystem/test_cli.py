"""``cratewatch ecosystem dataset|query|report`` through the real entry point."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from cratewatch.advisories import load_database
from cratewatch.cli.main import main
from cratewatch.ecosystem.job import read_metadata
from cratewatch.registry.index import open_index
from cratewatch.resolver import Resolved, Resolver, RootRequest
from cratewatch.semver import Version
from tests.ecosystem.synth import ADVISORIES, ECOSYSTEM, write_db, write_index


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(args)
    out, err = capsys.readouterr()
    code = info.value.code
    return (code if isinstance(code, int) else 0), out, err


@pytest.fixture
def setup(tmp_path: Path) -> dict[str, Path]:
    pop = tmp_path / "pop.csv"
    pop.write_text("name,version,downloads,created_at\napp,1.0.0,4000,2020-05-01\nweb,1.0.0,90,\n")
    return {
        "index": write_index(tmp_path / "index", ECOSYSTEM),
        "db": write_db(tmp_path / "db", ADVISORIES),
        "cache": tmp_path / "cache",
        "catalog": tmp_path / "catalog.duckdb",
        "out": tmp_path / "crates.parquet",
        "pop": pop,
        "report": tmp_path / "report",
    }


def test_dataset_query_and_report_end_to_end(
    setup: dict[str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    s = setup
    code, _, err = _run(
        ["ecosystem", "dataset", "--index", str(s["index"]), "--db", str(s["db"]),
         "--cache-dir", str(s["cache"]), "--stale", "ignore", "--workers", "1",
         "--popularity", str(s["pop"]), "--out", str(s["out"]), "--catalog", str(s["catalog"]),
         "--index-date", "2020-07-20"],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    assert f"{s['out']}: 9 rows for 9 crates" in err
    assert "stored as table crates (and view crates_findings)" in err
    rows = {r["name"]: r for r in pq.read_table(s["out"]).to_pylist()}
    assert rows["app"]["downloads"] == 4000
    code, out, err = _run(
        ["ecosystem", "query", "--catalog", str(s["catalog"]), "--format", "json",
         "SELECT name, a_vulnerability, created_at FROM crates WHERE a_vulnerability > 0 "
         "ORDER BY name"],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(out) == [
        {"name": "app", "a_vulnerability": 1, "created_at": "2020-05-01T00:00:00+00:00"},
        {"name": "web", "a_vulnerability": 1, "created_at": None},
    ]
    code, out, _ = _run(
        ["ecosystem", "query", "--catalog", str(s["catalog"]), "--format", "csv",
         "SELECT root_name, id, parents FROM crates_findings WHERE kind = 'unsound' "
         "ORDER BY root_name"],
        capsys,
    )  # fmt: skip
    assert list(csv.reader(io.StringIO(out))) == [
        ["root_name", "id", "parents"],
        ["app", "RUSTSEC-2021-0003", '["bench-kit@0.3.0"]'],
        ["bench-kit", "RUSTSEC-2021-0003", '["bench-kit@0.3.0"]'],
    ]
    code, out, err = _run(
        ["ecosystem", "query", "--catalog", str(s["catalog"]), "SELECT name FROM crates"],
        capsys,
    )
    assert code == 0
    assert "solo" in out
    assert "9 row(s)" in err
    code, out, err = _run(
        ["ecosystem", "report", str(s["out"]), "--out", str(s["report"]), "--bins", "0,100,1000"],
        capsys,
    )
    assert code == 0, err
    assert "vulnerability OR unsound" in out
    text = (s["report"] / "report.md").read_text()
    assert "| 100-1k |" in text
    assert "snapshot of 2020-07-20 (as stated with --index-date" in text
    assert (s["report"] / "report.html").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ecosystem", "query", "--catalog", "/nonexistent/c.duckdb", "SELECT 1"],
         "cratewatch: error: /nonexistent/c.duckdb: no catalog there (run `cratewatch "
         "ecosystem dataset` first, or pass --catalog)\n"),
        (["ecosystem", "report", "{out}", "--out", "{report}", "--bins", "5,1"],
         "Invalid value for '--bins'"),
        (["ecosystem", "dataset", "--index", "sparse+https://index.crates.io/", "--db", "{db}",
          "--stale", "ignore", "--out", "{out}", "--cache-dir", "{cache}"],
         "cratewatch: error: --index sparse+https://index.crates.io/: the index cannot list its "
         "crates (use a git clone, a bundle or a directory, not the sparse index)\n"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_and_exit_2(
    setup: dict[str, Path], capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    setup["out"].write_bytes(b"")
    code, _, err = _run([a.format(**{k: str(v) for k, v in setup.items()}) for a in args], capsys)
    assert code == 2
    assert message in err
    assert "Traceback" not in err


@pytest.mark.shared
def test_real_index_slice_agrees_with_the_resolver_and_the_database(
    shared_data: Path,
    real_db_args: list[str],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A seeded sample of the real 2020 index, checked row by row against independent calls."""
    out = tmp_path / "slice.parquet"
    bundle = shared_data / "crates-io-index-2020.bundle"
    code, _, err = _run(
        ["ecosystem", "dataset", "--index", str(bundle), *real_db_args,
         "--stale", "ignore", "--sample", "0.001", "--workers", "2", "--out", str(out),
         "--no-catalog"],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    rows = pq.read_table(out).to_pylist()
    assert len(rows) == round(43_451 * 0.001)
    meta = read_metadata(out)
    assert meta["index"]["commit"] is not None
    assert meta["advisory_db"]["commit"] is not None
    cache = Path(real_db_args[real_db_args.index("--cache-dir") + 1])
    db = load_database(str(shared_data / "advisory-db.bundle"), cache_dir=cache, fetch=False)
    resolved_rows = 0
    with open_index(str(bundle), cache_dir=cache) as index:
        resolver = Resolver.from_index(index)
        for row in rows:
            answer = resolver.resolve(
                RootRequest(name=row["name"], version=row["version"], include_dev=True)
            )
            if not isinstance(answer, Resolved):
                assert row["resolve_error"] == answer.reason
                continue
            resolved_rows += 1
            assert row["all_deps"] == len(answer.packages) - 1
            expected = sorted(
                (a.id, p.name, str(p.version))
                for p in answer.packages
                if p != answer.root
                for a in db.for_package(p.name)
                if a.withdrawn is None
                and a.kind != "other"
                and a.affects(Version.parse(str(p.version)))
            )
            found = sorted((f["id"], f["package"], f["version"]) for f in row["advisories"])
            assert found == expected, row["name"]
    assert resolved_rows > len(rows) * 0.8
