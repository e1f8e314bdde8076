"""Fixtures shared by every test module.

Real data lives beside the repository in ``../shared/data`` (or ``$CRATEWATCH_SHARED_DATA``);
it is never copied into the repo. Tests that need it take the ``shared_data`` fixture and are
skipped, with a reason, where it is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

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
