"""Fixtures for the cargo-deny comparison: the tools (skipped with the reason when missing)
and the projects and database, built once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.audit_peer.peer import PeerSetup, Tools, build_setup, project_inputs
from tests.conftest import REPO_ROOT
from tests.policy.conftest import cargo, cargo_deny, old_cargo
from tests.policy.tools import tools_dir

__all__ = ["cargo", "cargo_deny", "old_cargo", "peer_setup"]


@pytest.fixture(scope="session")
def peer_setup(
    tmp_path_factory: pytest.TempPathFactory,
    shared_data: Path,
    cargo: Path,
    old_cargo: Path,
    cargo_deny: Path,
) -> PeerSetup:
    """The filtered advisory database and the real projects, with cargo-deny's db clone."""
    tools = Tools(cargo=cargo, old_cargo=old_cargo, cargo_deny=cargo_deny)
    base = tmp_path_factory.mktemp("audit-peer")
    inputs = project_inputs(REPO_ROOT, shared_data)
    # the index clone is kept with the downloaded tools: later sessions skip the clone
    return build_setup(base, inputs, shared_data, tools, index_cache=tools_dir() / "index")
