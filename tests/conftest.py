"""Fixtures shared by every test module.

Real data lives beside the repository in ``../shared/data`` (or ``$CRATEWATCH_SHARED_DATA``);
it is never copied into the repo. Tests that need it take the ``shared_data`` fixture and are
skipped, with a reason, where it is absent.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.binaries.toolchain import Toolchain, ToolMissing

REPO_ROOT = Path(__file__).resolve().parent.parent
ASSETS = Path(__file__).resolve().parent / "assets"


def _shared_data_dir() -> Path:
    configured = os.environ.get("CRATEWATCH_SHARED_DATA")
    return Path(configured) if configured else REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real data directory (advisory-db bundle, 2020 index bundle, lockfiles)."""
    path = _shared_data_dir()
    if not (path / "README.md").is_file():
        pytest.skip(f"real data not found at {path} (set CRATEWATCH_SHARED_DATA)")
    return path


@pytest.fixture(scope="session")
def assets() -> Path:
    """The directory of named fixture files (tests/assets)."""
    return ASSETS


@pytest.fixture(scope="session")
def real_db_args(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """CLI options that load the real advisory-db bundle through one cache per test session
    (the first use clones and compiles it; later uses read the compiled cache)."""
    cache = tmp_path_factory.mktemp("cratewatch-cache")
    return ["--db", str(shared_data / "advisory-db.bundle"), "--cache-dir", str(cache)]


@pytest.fixture(scope="session")
def toolchain(tmp_path_factory: pytest.TempPathFactory) -> Toolchain:
    """rustc, rust-lld and objcopy, ready to build binaries (skips when they are missing)."""
    try:
        return Toolchain.find(tmp_path_factory.mktemp("toolchain"))
    except ToolMissing as e:
        pytest.skip(str(e))


CHROMIUM = Path("/usr/bin/chromium")
"""Debian's chromium package; Playwright never downloads a browser of its own here."""
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
"""Where browser tests save screenshots (gitignored)."""


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    """Debian's chromium (skips when it is not installed)."""
    if not CHROMIUM.is_file() or not os.access(CHROMIUM, os.X_OK):
        pytest.skip(f"{CHROMIUM} is not installed (apt-get install -y chromium)")
    return CHROMIUM


@pytest.fixture(scope="module")
def browser(chromium_path: Path) -> Iterator[Any]:
    """A headless Chromium driven by Playwright, one per test module.

    Playwright's sync API keeps an asyncio loop running in the main thread while it is
    open; scoping it to the module closes that loop before unrelated tests (which call
    ``asyncio.run``) run.
    """
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 (only browser tests)

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=str(chromium_path), args=CHROMIUM_ARGS
        )
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture(scope="session")
def screenshots() -> Path:
    """The screenshot directory (created)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS
