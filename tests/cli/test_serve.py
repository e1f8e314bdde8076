"""``cratewatch serve``: a real server process on 127.0.0.1, and its start-up errors."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from cratewatch.cli.errors import EXIT_USAGE
from tests.advisories.gitrepo import BASE_TIME, add_advisory
from tests.cli_runner import run_cli
from tests.web.conftest import FIXTURE_INDEX, make_web_db_repo


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "advisory-db"
    make_web_db_repo(path)
    return path


@pytest.fixture
def db_args(repo: Path, tmp_path: Path) -> list[str]:
    return ["--db", str(repo), "--cache-dir", str(tmp_path / "cache"), "--stale", "ignore"]


def test_serve_answers_reloads_and_stops_on_interrupt(db_args: list[str], repo: Path) -> None:
    command = [sys.executable, "-c", "from cratewatch.cli.main import main; main()", "serve"]
    args = [*db_args, "--port", "0", "--index", str(FIXTURE_INDEX), "--reload-interval", "0.2"]
    proc = subprocess.Popen([*command, *args], stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        first = proc.stderr.readline()
        match = re.fullmatch(
            r"cratewatch: serving 9 advisories from (.+) \([0-9a-f]{40}\) on "
            r"http://127\.0\.0\.1:(\d+)/\n",
            first,
        )
        assert match is not None, first
        url = f"http://127.0.0.1:{match.group(2)}"
        for line in proc.stderr:  # uvicorn logs its start
            if "Application startup complete" in line:
                break
        assert [r["id"] for r in httpx.get(url + "/api/v1/crates/baz/advisories").json()] == [
            "RUSTSEC-2024-0108"
        ]
        assert httpx.get(url + "/api/v1/crates/plain/advisories").json() == []  # from the index
        assert httpx.get(url + "/crates/foo/security").status_code == 200
        new = add_advisory(repo, "fresh", "RUSTSEC-2025-0999", when=BASE_TIME + 60)
        deadline = time.monotonic() + 20
        while httpx.get(url + "/api/v1/crates/fresh/advisories").status_code != 200:
            assert time.monotonic() < deadline, "not reloaded"
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGINT)  # Ctrl-C: a graceful stop, exit status 0
        code = proc.wait(timeout=20)
        rest = proc.stderr.read() if proc.stderr else ""
        if proc.stderr:
            proc.stderr.close()
    assert code == 0, rest
    assert f"cratewatch: advisory database reloaded at {new}: 9 crates.io advisories\n" in rest
    assert "Application shutdown complete." in rest


def _parent_of(pid: int) -> int:
    stat = Path(f"/proc/{pid}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[1])


def _gone(pid: int) -> bool:
    """Whether *pid* has exited (reaped, or a zombie waiting for whoever adopted it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
@pytest.mark.parametrize(
    ("stop", "status", "shutdowns"),
    [
        (signal.SIGINT, 0, 2),  # Ctrl-C to the first process: every worker stops gracefully
        (signal.SIGTERM, 0, 2),  # the same for SIGTERM (service managers)
        (signal.SIGKILL, -signal.SIGKILL, 1),  # the other worker does not outlive it
    ],
)
def test_serve_with_two_workers_that_each_answer(
    db_args: list[str], stop: signal.Signals, status: int, shutdowns: int
) -> None:
    command = [sys.executable, "-c", "from cratewatch.cli.main import main; main()", "serve"]
    args = [*db_args, "--port", "0", "--index", str(FIXTURE_INDEX), "--workers", "2"]
    proc = subprocess.Popen([*command, *args], stderr=subprocess.PIPE, text=True)
    workers: list[int] = []
    try:
        assert proc.stderr is not None
        first = proc.stderr.readline()
        match = re.fullmatch(
            r"cratewatch: serving 9 advisories from .+ on http://127\.0\.0\.1:(\d+)/ "
            r"with 2 worker processes\n",
            first,
        )
        assert match is not None, first
        url = f"http://127.0.0.1:{match.group(1)}"
        started = 0
        for line in proc.stderr:
            if found := re.search(r"Started server process \[(\d+)\]", line):
                workers.append(int(found.group(1)))
            started += "Application startup complete" in line
            if started == 2:
                break
        assert proc.pid in workers, workers
        assert len(set(workers)) == 2, workers
        (child,) = set(workers) - {proc.pid}
        assert _parent_of(child) == proc.pid
        # each process answers on its own: stop one, and a new connection reaches the other
        # (which opened the index itself: "plain" is known only from the index)
        for stopped in (proc.pid, child):
            os.kill(stopped, signal.SIGSTOP)
            try:
                for _ in range(3):
                    response = httpx.get(url + "/api/v1/crates/plain/advisories", timeout=10)
                    assert (response.status_code, response.json()) == (200, [])
                assert httpx.head(url + "/crates/foo/security", timeout=10).status_code == 200
            finally:
                os.kill(stopped, signal.SIGCONT)
    finally:
        proc.send_signal(stop)
        code = proc.wait(timeout=20)
        deadline = time.monotonic() + 20
        while not all(_gone(worker) for worker in workers) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = [worker for worker in workers if not _gone(worker)]
        for worker in left:
            os.kill(worker, signal.SIGKILL)  # clean up (and release the stderr pipe)
        rest = proc.stderr.read() if proc.stderr else ""
        if proc.stderr:
            proc.stderr.close()
    assert left == []
    assert code == status, rest
    assert rest.count("Application shutdown complete.") == shutdowns, rest


def test_serve_on_a_taken_port(db_args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        code, stdout, stderr = run_cli(["serve", *db_args, "--port", str(port)], capsys)
    assert (code, stdout) == (EXIT_USAGE, "")
    assert stderr == f"cratewatch: error: 127.0.0.1:{port}: cannot listen: Address already in use\n"


def test_serve_with_a_missing_index(
    db_args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "nope"
    code, _, stderr = run_cli(["serve", *db_args, "--index", str(missing)], capsys)
    assert code == EXIT_USAGE
    assert stderr.startswith(f"cratewatch: error: {missing}: no such index")


def test_serve_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, stdout, _ = run_cli(["serve", "--help"], capsys)
    assert code == 0
    for option in (
        "--index SRC",
        "--host",
        "--port",
        "--reload-interval SECONDS",
        "--max-age",
        "--workers",
    ):
        assert option in stdout


def test_serve_needs_at_least_one_worker(
    db_args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, stderr = run_cli(["serve", *db_args, "--workers", "0"], capsys)
    assert code == EXIT_USAGE
    assert "Invalid value for '--workers': 0 is not in the range 1<=x<=64." in stderr
