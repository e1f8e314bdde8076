"""Real indexes for the registry tests: the fixture index as a directory, a git clone (bare
and not) made with the git CLI, and the real 2020 crates.io index cloned once per session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cratewatch.registry.gitindex import GitIndex
from cratewatch.registry.index import open_index
from tests.advisories.gitrepo import BASE_TIME, commit_all, git

FIXTURE_INDEX = Path(__file__).resolve().parent.parent / "assets" / "registry" / "index"
"""Three crates (a, syn, Demo) in the index layout, with config.json."""


def make_index_repo(path: Path) -> str:
    """A git repository at *path* holding the fixture index plus files that are not crates
    (a README, a misplaced file, a stray script, a symlink); returns the commit id."""
    shutil.copytree(FIXTURE_INDEX, path)
    (path / "README.md").write_text("# test index\n")
    (path / "iso").mkdir()
    (path / "iso" / "build90.sh").write_text("#!/bin/sh\n")
    (path / "README.md-dir").mkdir()
    (path / "README.md-dir" / "eee").write_text("test\n")
    (path / "2" / "ln").parent.mkdir(exist_ok=True)
    (path / "2" / "ln").symlink_to("../1/a")
    git(path, "init", "--quiet", "--initial-branch=master")
    return commit_all(path, "Initial index", when=BASE_TIME)


@pytest.fixture
def index_repo(tmp_path: Path) -> Path:
    """A non-bare git repository holding the fixture index (the 'upstream')."""
    repo = tmp_path / "upstream"
    make_index_repo(repo)
    return repo


@pytest.fixture(scope="session")
def real_index(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> GitIndex:
    """The real 2020 crates.io index, cloned (bare) from its bundle once per session."""
    cache = tmp_path_factory.mktemp("index-cache")
    index = open_index(str(shared_data / "crates-io-index-2020.bundle"), cache_dir=cache)
    assert isinstance(index, GitIndex)
    return index
