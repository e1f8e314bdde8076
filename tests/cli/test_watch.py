"""``cratewatch watch`` end to end: JSON lines on stdout, notes on stderr, webhook, resume."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from cratewatch.cli.errors import EXIT_OK, EXIT_USAGE
from tests.cli_runner import run_cli
from tests.conftest import ASSETS
from tests.watch.registry import Registry, make_registry

CSV = str(ASSETS / "typosquat" / "downloads.csv")


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    return run_cli(["watch", *args], capsys)


@pytest.fixture
def registry(tmp_path: Path, httpserver: HTTPServer) -> Registry:
    return make_registry(tmp_path, httpserver)


def test_watch_once_twice(
    registry: Registry, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    received: list[dict[str, object]] = []

    def hook(request: Request) -> Response:
        received.append(json.loads(request.data))
        return Response(status=204)

    registry.server.expect_request("/hook", method="POST").respond_with_handler(hook)
    state = tmp_path / "state.json"
    args = [
        "--index", registry.url, "--state", str(state), "--once", "--popularity", CSV,
        "--cache-dir", str(tmp_path / "cache"), "--webhook", registry.server.url_for("/hook"),
    ]  # fmt: skip
    code, out, err = _run(args, capsys)
    assert (code, out) == (EXIT_OK, "")
    assert err.splitlines()[0].startswith(f"cratewatch watch: baseline: following {registry.url}")
    assert err.splitlines()[-1] == (
        "cratewatch watch: poll 1: 0 new versions, 0 inspected, 0 alerts"
    )
    assert json.loads(state.read_text())["polls"] == 1

    registry.publish("sneaky-build", "0.1.0", registry.evil(), date="2024-06-01T10:00:00Z")
    registry.publish("rustdecimal", "1.0.0", Registry.benign("rustdecimal", "1.0.0"),
                     date="2024-06-01T10:01:00Z")  # fmt: skip
    code, out, err = _run(args, capsys)
    assert code == EXIT_OK
    alerts = [json.loads(line) for line in out.splitlines()]
    assert [(a["crate"], a["reasons"]) for a in alerts] == [
        ("sneaky-build", ["inspect"]),
        ("rustdecimal", ["typosquat"]),
    ]
    assert received == alerts
    assert err.splitlines()[-1] == "cratewatch watch: poll 2: 2 new versions, 2 inspected, 2 alerts"

    code, out, _ = _run(args, capsys)
    assert (code, out) == (EXIT_OK, "")


def test_sparse_index_needs_names(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run(["--index", "sparse+https://index.crates.io/", "--once",
                         "--cache-dir", str(tmp_path)], capsys)  # fmt: skip
    assert code == EXIT_USAGE
    assert err == (
        "cratewatch: error: sparse+https://index.crates.io/: a sparse index cannot be listed; "
        "give --names FILE with the crates to follow\n"
    )


def test_unreachable_git_index(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = f"file://{tmp_path}/nowhere.git"
    code, _, err = _run(["--index", missing, "--once", "--cache-dir", str(tmp_path / "c")], capsys)
    assert code == EXIT_USAGE
    assert err.startswith(f"cratewatch: error: {missing}:")
