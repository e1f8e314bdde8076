"""Fixtures for the SBOM tests: the hand-written workspace in ``tests/assets/sbom``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cratewatch.lockfile import load_lockfile
from cratewatch.policy.crate_sources import SourceLocator
from cratewatch.sbom.graph import MetadataLookup, graph_from_lockfile, input_digest
from cratewatch.sbom.model import ComponentGraph


@pytest.fixture(scope="session")
def workspace(assets: Path) -> Path:
    """A workspace (app + member core) depending on crates.io, git, another registry."""
    return assets / "sbom" / "ws"


@pytest.fixture(scope="session")
def cargo_home(assets: Path) -> Path:
    """A CARGO_HOME whose registry cache and git checkouts hold the dependencies' manifests."""
    return assets / "sbom" / "cargo-home"


@pytest.fixture(scope="session")
def ws_graph(workspace: Path, cargo_home: Path) -> ComponentGraph:
    """The lockfile-only graph of the workspace, with manifest metadata."""
    lockfile = workspace / "Cargo.lock"
    return graph_from_lockfile(
        load_lockfile(lockfile),
        metadata=MetadataLookup(
            workspace_root=workspace,
            locator=SourceLocator(vendor_dirs=(), cargo_home=cargo_home),
        ),
        input_digest=input_digest(lockfile.read_bytes(), {"mode": "lockfile"}),
    )


@pytest.fixture(scope="session")
def cargo() -> Path:
    """The cargo on PATH (locks the test projects, answers ``cargo metadata``)."""
    found = shutil.which("cargo")
    if found is None:
        pytest.skip("cargo is not on PATH")
    return Path(found)
