"""Fixtures for the binaries tests: a toolchain that builds real executables."""

from __future__ import annotations

import pytest

from tests.binaries.toolchain import Toolchain, ToolMissing


@pytest.fixture(scope="session")
def toolchain(tmp_path_factory: pytest.TempPathFactory) -> Toolchain:
    """rustc, rust-lld and objcopy, ready to build binaries (skips when they are missing)."""
    try:
        return Toolchain.find(tmp_path_factory.mktemp("toolchain"))
    except ToolMissing as e:
        pytest.skip(str(e))
