"""open_index: every kind of spec reaches the right backend; bundles are cloned once."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from cratewatch.errors import RegistryError
from cratewatch.registry.dirindex import DirIndex
from cratewatch.registry.gitindex import GitIndex
from cratewatch.registry.index import Index, open_index
from cratewatch.registry.sparse import SparseIndex
from tests.advisories.gitrepo import git
from tests.registry.conftest import FIXTURE_INDEX


def _bundle(repo: Path, dest: Path) -> Path:
    git(repo, "bundle", "create", "--quiet", str(dest), "--all")
    return dest


def test_git_checkout_bare_repository_and_plain_directory(index_repo: Path, tmp_path: Path) -> None:
    bare = tmp_path / "bare.git"
    git(tmp_path, "clone", "--quiet", "--bare", str(index_repo), str(bare))
    cases: list[tuple[str, type[Index]]] = [
        (str(index_repo), GitIndex),
        (str(bare), GitIndex),
        (f"file://{bare}", GitIndex),
        (str(FIXTURE_INDEX), DirIndex),
    ]
    for spec, backend in cases:
        with open_index(spec) as index:
            assert type(index) is backend, spec
            assert [e.vers for e in index.versions("syn")] == ["1.0.0", "1.0.1"]


def test_a_bundle_is_cloned_into_the_cache_once(index_repo: Path, tmp_path: Path) -> None:
    bundle = _bundle(index_repo, tmp_path / "index.bundle")
    cache = tmp_path / "cache"
    with open_index(str(bundle), cache_dir=cache) as index:
        assert isinstance(index, GitIndex)
        assert index.commit == git(index_repo, "rev-parse", "HEAD").strip()
        assert sorted(index.names()) == ["a", "demo", "syn"]
    (clone,) = (cache / "git").iterdir()
    assert clone.name.startswith("index-")
    assert clone.name.endswith(".git")
    marker = clone / "cratewatch-test-marker"
    marker.write_text("reused\n")
    with open_index(str(bundle), cache_dir=cache) as index:
        assert index.source == str(clone)
    assert marker.exists()  # the same clone, not a fresh one
    assert [p.name for p in (cache / "git").iterdir()] == [clone.name]  # no staging left


def test_a_changed_bundle_is_cloned_again(index_repo: Path, tmp_path: Path) -> None:
    bundle = _bundle(index_repo, tmp_path / "index.bundle")
    cache = tmp_path / "cache"
    open_index(str(bundle), cache_dir=cache).close()
    (index_repo / "2" / "zz").write_text(
        '{"name":"zz","vers":"1.0.0","deps":[],"cksum":"00","features":{}}\n'
    )
    git(index_repo, "add", "-A")
    git(index_repo, "commit", "--quiet", "-m", "zz")
    bundle.unlink()
    _bundle(index_repo, bundle)
    os.utime(bundle, ns=(1, 2))  # a different mtime, whatever the clock resolution
    with open_index(str(bundle), cache_dir=cache) as index:
        assert "zz" in list(index.names())
    assert len(list((cache / "git").iterdir())) == 2


def test_bundle_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.bundle"
    bad.write_text("not a bundle\n")
    with pytest.raises(RegistryError) as info:
        open_index(str(bad))
    assert str(info.value) == f"{bad}: a .bundle index needs a cache directory to be cloned into"
    with pytest.raises(RegistryError) as info:
        open_index(str(bad), cache_dir=tmp_path / "cache")
    assert str(info.value).startswith(f"{bad}: git clone failed: ")
    assert not list((tmp_path / "cache" / "git").iterdir())


def test_offline_sparse_spec_needs_no_network(tmp_path: Path) -> None:
    index = open_index("sparse+https://index.crates.io/", cache_dir=tmp_path, offline=True)
    assert isinstance(index, SparseIndex)
    with pytest.raises(RegistryError, match="not in the offline cache"):
        index.versions("serde")


def test_nothing_there(tmp_path: Path) -> None:
    with pytest.raises(RegistryError) as info:
        open_index(str(tmp_path / "missing"))
    assert str(info.value) == (
        f"{tmp_path / 'missing'}: no such index (expected a sparse+https:// URL, a git "
        "repository, a .bundle file or a directory laid out like the index)"
    )


def test_sparse_cannot_list(tmp_path: Path) -> None:
    index = open_index("sparse+https://index.crates.io/", cache_dir=tmp_path, offline=True)
    with pytest.raises(RegistryError) as info:
        next(index.names())
    assert str(info.value) == "sparse+https://index.crates.io/: this index cannot list its crates"
