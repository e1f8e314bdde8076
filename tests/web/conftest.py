"""Fixtures for the web layer: advisory databases in real git repos, a directory index, live
uvicorn servers on 127.0.0.1 and a headless Chromium driven by Playwright.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from cratewatch.advisories.database import AdvisoryDatabase, load_database
from cratewatch.registry.dirindex import DirIndex
from cratewatch.web.snapshot import Snapshot, build_snapshot
from tests.advisories.gitrepo import BASE_TIME, commit_all, git
from tests.conftest import ASSETS

WEB_ASSETS = ASSETS / "web"
FIXTURE_DB = WEB_ASSETS / "db"
"""Advisories of every kind against foo, bar and baz (see tests/assets/web/db)."""
FIXTURE_INDEX = WEB_ASSETS / "index"
"""A directory index with foo (yanked and pre-release versions), bar and plain."""


def make_web_db_repo(path: Path) -> str:
    """A git repository at *path* with the web fixture advisories in one commit."""
    shutil.copytree(FIXTURE_DB, path)
    git(path, "init", "--quiet", "--initial-branch=main")
    return commit_all(path, "Fixture advisories", when=BASE_TIME)


@pytest.fixture(scope="session")
def web_db_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture advisory database as a git checkout (do not modify: shared)."""
    path = tmp_path_factory.mktemp("web-db") / "advisory-db"
    make_web_db_repo(path)
    return path


@pytest.fixture(scope="session")
def web_db(web_db_repo: Path) -> AdvisoryDatabase:
    """The fixture advisory database, loaded."""
    return load_database(str(web_db_repo), cache_dir=web_db_repo.parent / "cache")


@pytest.fixture(scope="session")
def web_snapshot(web_db: AdvisoryDatabase) -> Snapshot:
    """The fixture database as a snapshot."""
    return build_snapshot(web_db)


@pytest.fixture
def web_index() -> Iterator[DirIndex]:
    """The fixture directory index."""
    with DirIndex(FIXTURE_INDEX) as index:
        yield index


@pytest.fixture(scope="session")
def real_checkout(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A clone of the real advisory-db bundle, made once per session (read only)."""
    path = tmp_path_factory.mktemp("real-db") / "advisory-db"
    subprocess.run(
        ["git", "clone", "--quiet", str(shared_data / "advisory-db.bundle"), str(path)],
        check=True,
        capture_output=True,
    )
    return path


@pytest.fixture(scope="session")
def real_db(real_checkout: Path) -> AdvisoryDatabase:
    """The real advisory database."""
    return load_database(str(real_checkout), cache_dir=real_checkout.parent / "cache")


@pytest.fixture(scope="session")
def real_snapshot(real_db: AdvisoryDatabase) -> Snapshot:
    """The real database as a snapshot."""
    return build_snapshot(real_db)


def free_socket() -> socket.socket:
    """A listening socket on 127.0.0.1 with a port the system chose."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    return sock


@contextmanager
def live_server(app: Any) -> Iterator[str]:
    """Run *app* with uvicorn in a thread on 127.0.0.1; yields its base URL."""
    sock = free_socket()
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
