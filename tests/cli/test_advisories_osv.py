"""``cratewatch advisories export-osv`` end to end, on a real git advisory database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cratewatch.cli.errors import EXIT_DB_ERROR, EXIT_USAGE
from tests.advisories.gitrepo import make_db_repo
from tests.cli_runner import run_cli


@pytest.fixture
def db_repo(tmp_path: Path) -> Path:
    repo = tmp_path / "advisory-db"
    make_db_repo(repo)
    return repo


def test_export_osv_writes_the_crates_advisories(
    db_repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "osv"
    base = ["advisories", "export-osv", "--db", str(db_repo), "--cache-dir", str(tmp_path / "c")]
    args = [*base, "--stale", "ignore", "--out", str(out)]
    code, stdout, stderr = run_cli(args, capsys)
    crates = sorted(p.stem for p in db_repo.glob("crates/*/*.md"))
    assert (code, stderr) == (0, "")
    assert stdout == (
        f"{len(crates)} files written, 0 unchanged, in {out}; 1 toolchain advisories not exported\n"
    )
    assert sorted(p.stem for p in out.iterdir()) == crates
    record = json.loads((out / "RUSTSEC-2020-0001.json").read_text(encoding="utf-8"))
    assert record["modified"] == "2024-01-02T03:04:05Z"  # the fixture's commit time
    assert record["affected"][0]["package"]["purl"] == "pkg:cargo/foo"

    code, stdout, _ = run_cli(args, capsys)
    assert (code, stdout) == (
        0,
        f"0 files written, {len(crates)} unchanged, in {out}; "
        "1 toolchain advisories not exported\n",
    )


def test_export_osv_requires_out(db_repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, stderr = run_cli(["advisories", "export-osv", "--db", str(db_repo)], capsys)
    assert code == EXIT_USAGE
    assert "Missing option '--out'" in stderr


def test_export_osv_into_a_file_fails_with_one_line(
    db_repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    args = ["advisories", "export-osv", "--db", str(db_repo), "--cache-dir", str(tmp_path / "c")]
    code, stdout, stderr = run_cli([*args, "--stale", "ignore", "--out", str(blocker)], capsys)
    assert code == EXIT_USAGE  # click refuses a --out that is an existing file
    assert stdout == ""
    assert "is a file" in stderr
    assert "Traceback" not in stderr


def test_export_osv_unwritable_out_is_a_database_error(
    db_repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    args = ["advisories", "export-osv", "--db", str(db_repo), "--cache-dir", str(tmp_path / "c")]
    code, stdout, stderr = run_cli(
        [*args, "--stale", "ignore", "--out", str(blocker / "x")], capsys
    )
    assert (code, stdout) == (EXIT_DB_ERROR, "")
    assert stderr.startswith(
        f"cratewatch: error: {blocker / 'x'}: cannot create the output directory: "
    )
    assert stderr.count("\n") == 1
