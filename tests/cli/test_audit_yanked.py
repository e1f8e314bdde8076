"""The yanked check of ``cratewatch audit``: a local index, a sparse server, and offline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from cratewatch.cli.errors import EXIT_FINDINGS, EXIT_OK
from cratewatch.registry.paths import index_path
from tests.cli_runner import run_cli

CRATES_IO = "registry+https://github.com/rust-lang/crates.io-index"
LOCK = f"""\
version = 3

[[package]]
name = "app"
version = "0.1.0"
dependencies = ["bar", "foo"]

[[package]]
name = "bar"
version = "2.0.0"
source = "{CRATES_IO}"
checksum = "{"b" * 64}"

[[package]]
name = "foo"
version = "1.0.0"
source = "{CRATES_IO}"
checksum = "{"a" * 64}"
"""


def index_lines(name: str, versions: dict[str, bool]) -> str:
    return "".join(
        json.dumps(
            {
                "name": name,
                "vers": vers,
                "deps": [],
                "cksum": "0" * 64,
                "features": {},
                "yanked": yanked,
            }
        )
        + "\n"
        for vers, yanked in versions.items()
    )


INDEX = {
    "foo": index_lines("foo", {"0.9.0": False, "1.0.0": True, "1.0.1": False}),
    "bar": index_lines("bar", {"2.0.0": False}),
}


@pytest.fixture
def lockfile(tmp_path: Path) -> Path:
    path = tmp_path / "Cargo.lock"
    path.write_text(LOCK)
    return path


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, Any], str]:
    code, out, err = run_cli(["audit", *args, "--stale", "ignore", "--format", "json"], capsys)
    return code, json.loads(out), err


def test_yanked_version_from_a_directory_index(
    lockfile: Path, tmp_path: Path, real_db_args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    index = tmp_path / "index"
    for name, text in INDEX.items():
        path = index / index_path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    (index / "config.json").write_text('{"dl": "http://127.0.0.1:1/{crate}/{version}"}')
    args = [str(lockfile), *real_db_args, "--index", str(index)]
    code, report, _ = run(args, capsys)
    assert code == EXIT_OK  # yanked warns unless denied
    assert report["yanked_check"] == {"status": "checked", "reason": None}
    assert [(f["id"], f["kind"], f["status"]) for f in report["findings"]] == [
        ("yanked:foo@1.0.0", "yanked", "reported")
    ]
    code, report, _ = run([*args, "--deny", "yanked"], capsys)
    assert code == EXIT_FINDINGS
    assert report["summary"]["failing"] == 1


def test_yanked_version_from_a_sparse_server(
    lockfile: Path,
    real_db_args: list[str],
    httpserver: HTTPServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    httpserver.expect_request("/config.json").respond_with_json({"dl": httpserver.url_for("/dl")})
    for name, text in INDEX.items():
        httpserver.expect_request(f"/{index_path(name)}").respond_with_data(text)
    args = [str(lockfile), *real_db_args, "--index", f"sparse+{httpserver.url_for('/')}"]
    code, report, _ = run(args, capsys)
    assert code == EXIT_OK
    assert [f["id"] for f in report["findings"]] == ["yanked:foo@1.0.0"]


def test_unreachable_index_warns_and_the_audit_still_runs(
    lockfile: Path, real_db_args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    args = [str(lockfile), *real_db_args, "--index", "sparse+http://127.0.0.1:9/"]
    code, report, err = run(args, capsys)
    assert code == EXIT_OK
    assert err.startswith("cratewatch: warning: yanked check skipped: ")
    assert report["yanked_check"]["status"] == "unavailable"
    assert "127.0.0.1:9" in report["yanked_check"]["reason"]
    assert report["findings"] == []
