"""Fixtures of the watch tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from tests.watch.registry import Registry, make_registry


@pytest.fixture
def registry(tmp_path: Path, httpserver: HTTPServer) -> Registry:
    """An empty upstream git index and the server for its .crate files."""
    return make_registry(tmp_path, httpserver)
