"""The git backend on real repositories made with the git CLI (bare, non-bare, fetched)."""

from __future__ import annotations

import json
from pathlib import Path

import pygit2
import pytest

from cratewatch.errors import RegistryError
from cratewatch.registry.dirindex import DirIndex
from cratewatch.registry.gitindex import GitIndex
from cratewatch.registry.index import CrateNotFound, Found, Missing
from cratewatch.registry.model import IndexConfig
from cratewatch.registry.parse import InvalidIndexFile, parse_index_file
from cratewatch.registry.paths import InvalidCrateName
from tests.advisories.gitrepo import BASE_TIME, commit_all, git
from tests.registry.conftest import FIXTURE_INDEX


def _clone(upstream: Path, dest: Path, *extra: str) -> Path:
    git(upstream.parent, "clone", "--quiet", *extra, str(upstream), str(dest))
    return dest


def _publish(repo: Path, vers: str) -> str:
    """Append a version of `a` upstream and commit it."""
    line = {"name": "a", "vers": vers, "deps": [], "cksum": "00" * 32, "features": {}}
    with (repo / "1" / "a").open("a") as f:
        f.write(json.dumps(line) + "\n")
    return commit_all(repo, f"Update a {vers}", when=BASE_TIME + 60)


def test_reads_a_clone_like_the_files_it_holds(index_repo: Path, tmp_path: Path) -> None:
    clone = _clone(index_repo, tmp_path / "clone")
    with GitIndex(clone) as index:
        assert index.ref == "refs/remotes/origin/HEAD"
        assert index.commit == git(clone, "rev-parse", "HEAD").strip()
        for name, path in [("a", "1/a"), ("syn", "3/s/syn"), ("demo", "de/mo/demo")]:
            expected = parse_index_file((FIXTURE_INDEX / path).read_bytes(), source=path)
            assert index.versions(name) == expected
        assert [e.vers for e in index.versions("DEMO")] == ["0.1.0", "0.2.0", "1.0.0-beta.1"]
        assert index.config() == IndexConfig(
            dl="https://static.example.test/crates", api="https://example.test", auth_required=False
        )


def test_bare_clone_reads_head(index_repo: Path, tmp_path: Path) -> None:
    bare = _clone(index_repo, tmp_path / "bare.git", "--bare")
    with GitIndex(bare) as index:
        assert index.ref == "HEAD"
        assert [e.vers for e in index.versions("syn")] == ["1.0.0", "1.0.1"]


def test_names_and_entries_skip_files_that_are_not_crates(index_repo: Path) -> None:
    index = GitIndex(index_repo)
    # README.md, iso/build90.sh, README.md-dir/eee, config.json and the symlink 2/ln are skipped
    # in tree (path) order
    assert list(index.names()) == ["a", "syn", "demo"]
    assert [path for path, _ in index.files()] == ["1/a", "3/s/syn", "de/mo/demo"]
    assert [(e.name, e.vers) for e in index.iter_entries()] == [
        ("a", "0.1.0"),
        ("syn", "1.0.0"),
        ("syn", "1.0.1"),
        ("Demo", "0.1.0"),
        ("Demo", "0.2.0"),
        ("Demo", "1.0.0-beta.1"),
    ]
    with pytest.raises(CrateNotFound):
        index.versions("ln")  # a symlink is not an index file


def test_a_fetch_moves_origin_head_but_not_the_local_branch(
    index_repo: Path, tmp_path: Path
) -> None:
    clone = _clone(index_repo, tmp_path / "clone")
    new_commit = _publish(index_repo, "0.2.0")
    git(clone, "fetch", "--quiet", "origin")
    # like Cargo, read what was fetched (origin/HEAD), not the stale local branch
    assert [e.vers for e in GitIndex(clone).versions("a")] == ["0.1.0", "0.2.0"]
    assert GitIndex(clone).commit == new_commit
    assert [e.vers for e in GitIndex(clone, ref="HEAD").versions("a")] == ["0.1.0"]
    assert [e.vers for e in GitIndex(clone, ref="origin/master").versions("a")] == [
        "0.1.0",
        "0.2.0",
    ]


def test_the_work_tree_is_never_read(index_repo: Path) -> None:
    (index_repo / "1" / "a").write_text("not json\n")
    (index_repo / "3" / "s" / "syn").unlink()
    index = GitIndex(index_repo)
    assert [e.vers for e in index.versions("a")] == ["0.1.0"]
    assert len(index.versions("syn")) == 2


def test_missing_crate_and_invalid_name(index_repo: Path) -> None:
    index = GitIndex(index_repo)
    with pytest.raises(CrateNotFound) as info:
        index.versions("serde")
    assert str(info.value) == f"crate 'serde': not found in {index_repo}"
    with pytest.raises(InvalidCrateName):
        index.versions("../../etc/passwd")
    assert index.fetch_many(["a", "nope"]) == {
        "a": Found(name="a", entries=index.versions("a")),
        "nope": Missing(name="nope", reason=f"crate 'nope': not found in {index_repo}"),
    }


def test_file_size_is_bounded_before_reading(index_repo: Path) -> None:
    index = GitIndex(index_repo, max_file_bytes=500)
    size = (FIXTURE_INDEX / "de" / "mo" / "demo").stat().st_size
    with pytest.raises(InvalidIndexFile) as info:
        index.versions("demo")
    assert str(info.value) == (
        f"de/mo/demo: index file is {size} bytes, more than the limit of 500"
    )
    assert len(index.versions("a")) == 1


def test_unusable_repositories(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match=r"not a git repository"):
        GitIndex(tmp_path)
    pygit2.init_repository(str(tmp_path / "empty"))
    with pytest.raises(RegistryError) as info:
        GitIndex(tmp_path / "empty")
    assert str(info.value) == (
        f"{tmp_path / 'empty'}: no commit at refs/remotes/origin/HEAD, HEAD, "
        "refs/remotes/origin/master"
    )


def test_unknown_ref(index_repo: Path) -> None:
    with pytest.raises(RegistryError) as info:
        GitIndex(index_repo, ref="refs/heads/nope")
    assert str(info.value) == f"{index_repo}: no commit at refs/heads/nope"


def test_git_and_directory_backends_agree(index_repo: Path) -> None:
    git_index, dir_index = GitIndex(index_repo), DirIndex(FIXTURE_INDEX)
    assert list(git_index.names()) == list(dir_index.names())
    assert list(git_index.iter_entries()) == list(dir_index.iter_entries())
