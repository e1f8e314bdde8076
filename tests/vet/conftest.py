"""Fixtures for the vet tests: Acme's store (tests/assets/vet/acme), written by hand in
cargo-vet's format, importing audits from Globex."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cratewatch.vet.files import load_store
from cratewatch.vet.model import Store


@pytest.fixture(scope="session")
def vet_assets(assets: Path) -> Path:
    """The vet asset directory."""
    return assets / "vet"


@pytest.fixture
def acme(vet_assets: Path, tmp_path: Path) -> Path:
    """A writable copy of Acme's project (Cargo.lock + supply-chain/)."""
    target = tmp_path / "acme"
    shutil.copytree(vet_assets / "acme", target)
    return target


@pytest.fixture(scope="session")
def acme_store(vet_assets: Path) -> Store:
    """Acme's store, parsed."""
    return load_store(vet_assets / "acme" / "supply-chain")
