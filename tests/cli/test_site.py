"""``cratewatch site build`` end to end, on a real git advisory database."""

from __future__ import annotations

from pathlib import Path

import pytest

from cratewatch.cli.errors import EXIT_USAGE
from tests.cli_runner import run_cli
from tests.web.conftest import FIXTURE_INDEX, make_web_db_repo


@pytest.fixture
def db_args(tmp_path: Path) -> list[str]:
    repo = tmp_path / "advisory-db"
    make_web_db_repo(repo)
    return ["--db", str(repo), "--cache-dir", str(tmp_path / "cache"), "--stale", "ignore"]


def test_site_build(db_args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "public"
    code, stdout, stderr = run_cli(["site", "build", *db_args, "--out", str(out)], capsys)
    assert (code, stdout, stderr) == (
        0,
        f"3 crates and 8 advisories: 31 files written in {out}\n",
        "",
    )
    security = (out / "crates/foo/security.html").read_text()
    assert "named by the advisories" in security
    assert "(yanked)" not in security


def test_site_build_with_an_index(
    db_args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "public"
    args = ["site", "build", *db_args, "--out", str(out), "--index", str(FIXTURE_INDEX)]
    code, _, stderr = run_cli(args, capsys)
    assert (code, stderr) == (0, "")
    assert (
        '<option value="1.5.0">1.5.0 (yanked)</option>'
        in (out / "crates/foo/security.html").read_text()
    )


def test_site_build_with_a_missing_index(
    db_args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope"
    args = ["site", "build", *db_args, "--out", str(tmp_path / "o"), "--index", str(missing)]
    code, stdout, stderr = run_cli(args, capsys)
    assert (code, stdout) == (EXIT_USAGE, "")
    assert stderr == (
        f"cratewatch: error: {missing}: no such index (expected a sparse+https:// URL, a git "
        "repository, a .bundle file or a directory laid out like the index)\n"
    )


def test_site_build_into_a_file(
    db_args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "file"
    target.write_text("x")
    code, _, stderr = run_cli(["site", "build", *db_args, "--out", str(target)], capsys)
    assert code == EXIT_USAGE
    assert f"'{target}' is a file" in stderr


def test_site_build_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, stdout, _ = run_cli(["site", "build", "--help"], capsys)
    assert code == 0
    for option in ("--out DIR", "--index SRC", "--db SRC"):
        assert option in stdout
