"""Fixtures for the provenance tests: one world of real repositories and genuine crates."""

from __future__ import annotations

import shutil

import pytest

from tests.provenance.world import World, build_world


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    """Repositories and cargo-packaged crates for every status (built once per session)."""
    if shutil.which("cargo") is None:
        pytest.skip("cargo is not on PATH")
    return build_world(tmp_path_factory.mktemp("provenance-world"))
