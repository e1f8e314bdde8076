"""AdvisoryDatabase and load_database over real checkouts (cratewatch.advisories.database)."""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from cratewatch.advisories.database import (
    AdvisoryDatabase,
    CacheBuilt,
    CacheHit,
    DatabaseInfo,
    NotCached,
    load_database,
)
from cratewatch.advisories.model import AdvisoryKind
from cratewatch.advisories.rustsec import parse_tree
from cratewatch.advisories.source import Cloned, LocalCheckout, NotFetched, Stale
from cratewatch.errors import AdvisoryDbError
from cratewatch.semver import Version
from tests.advisories.gitrepo import (
    BASE_TIME,
    FIXTURE_DB,
    add_advisory,
    advisory_text,
    git,
    make_db_repo,
)


def _utc(ts: int) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(ts, tz=datetime.UTC)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "advisory-db"
    make_db_repo(path)
    return path


def test_lookups_and_counts(repo: Path, tmp_path: Path) -> None:
    db = load_database(str(repo), cache_dir=tmp_path / "cache")
    assert len(db) == 6
    assert [a.id for a in db.for_package("foo")] == ["RUSTSEC-2020-0001", "RUSTSEC-2021-0002"]
    assert db.for_package("no-such-crate") == ()
    adv = db.get("RUSTSEC-2020-0001")
    assert adv is not None
    assert adv.affects(Version.parse("1.3.3"))
    assert db.get("RUSTSEC-2099-0001") is None
    assert db.counts() == {
        AdvisoryKind.VULNERABILITY: 2,
        AdvisoryKind.UNSOUND: 1,
        AdvisoryKind.UNMAINTAINED: 1,
        AdvisoryKind.NOTICE: 1,
        AdvisoryKind.OTHER: 1,
    }
    assert [a.id for a in db] == [a.id for a in db.advisories]


def test_info_describes_the_checkout(repo: Path, tmp_path: Path) -> None:
    db = load_database(str(repo), cache_dir=tmp_path / "cache")
    info = db.info
    assert info.source == str(repo)
    assert info.path == repo
    assert info.commit == git(repo, "rev-parse", "HEAD").strip()
    assert info.last_commit_time == _utc(BASE_TIME)
    assert info.modified is False
    assert info.fetch == NotFetched(reason="a local checkout is used as it is")
    assert isinstance(info.cache, CacheBuilt)
    now = _utc(BASE_TIME) + datetime.timedelta(days=100)
    assert info.staleness(now=now, max_age=datetime.timedelta(days=90)) == Stale(
        age=datetime.timedelta(days=100), max_age=datetime.timedelta(days=90)
    )


def test_file_times_come_from_git_history(repo: Path, tmp_path: Path) -> None:
    path = "crates/foo/RUSTSEC-2020-0001.md"
    (repo / path).write_text((repo / path).read_text() + "\nUpdate.\n")
    git(repo, "commit", "--quiet", "-am", "update", when=BASE_TIME + 500)
    db = load_database(str(repo), cache_dir=tmp_path / "cache")
    assert db.file_created(path) == _utc(BASE_TIME)
    assert db.file_modified(path) == _utc(BASE_TIME + 500)
    assert db.file_modified("crates/bar/RUSTSEC-2022-0003.md") == _utc(BASE_TIME)
    with pytest.raises(KeyError) as caught:
        db.file_modified("crates/nope.md")
    assert caught.value.args == ("crates/nope.md: not an advisory file of this database",)


def test_uncommitted_changes_are_read_but_not_cached(repo: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    load_database(str(repo), cache_dir=cache)  # caches the commit
    new = repo / "crates" / "fresh" / "RUSTSEC-2024-0300.md"
    new.parent.mkdir()
    new.write_text(advisory_text("fresh", "RUSTSEC-2024-0300"))
    os.utime(new, (BASE_TIME + 900, BASE_TIME + 900))
    db = load_database(str(repo), cache_dir=cache)
    assert db.get("RUSTSEC-2024-0300") is not None
    assert db.info.modified is True
    assert db.info.cache == NotCached(reason="the checkout has changes that are not committed")
    assert db.file_modified("crates/fresh/RUSTSEC-2024-0300.md") == _utc(BASE_TIME + 900)


def test_plain_directory_uses_file_mtimes(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    shutil.copytree(FIXTURE_DB, plain)
    stamp = int(time.time()) - 1000
    path = "crates/baz/RUSTSEC-2023-0004.md"
    os.utime(plain / path, (stamp, stamp))
    db = load_database(LocalCheckout(path=plain), cache_dir=tmp_path / "cache")
    assert (db.info.commit, db.info.last_commit_time) == (None, None)
    assert db.info.cache == NotCached(reason="the directory is not a git checkout")
    assert db.file_modified(path) == _utc(stamp)
    assert len(db) == 6


def test_parse_errors_fail_the_load(repo: Path, tmp_path: Path) -> None:
    for name in ("bar/RUSTSEC-2022-0003.md", "baz/RUSTSEC-2023-0004.md"):
        (repo / "crates" / name).write_text("oops\n")
    with pytest.raises(AdvisoryDbError) as caught:
        load_database(str(repo), cache_dir=tmp_path / "cache")
    assert str(caught.value) == (
        f"{repo}: 2 advisory file(s) could not be parsed: "
        "crates/bar/RUSTSEC-2022-0003.md: expected the file to start with ```toml, got 'oops\\n'; "
        "crates/baz/RUSTSEC-2023-0004.md: expected the file to start with ```toml, got 'oops\\n'"
    )


def test_duplicate_ids_fail_the_load(repo: Path, tmp_path: Path) -> None:
    other = repo / "rust" / "cargo" / "RUSTSEC-2020-0001.md"
    other.parent.mkdir()
    other.write_text(advisory_text("cargo", "RUSTSEC-2020-0001"))
    with pytest.raises(AdvisoryDbError) as caught:
        load_database(str(repo), cache_dir=tmp_path / "cache")
    assert str(caught.value) == (
        f"{repo}: rust/cargo/RUSTSEC-2020-0001.md: advisory.id: RUSTSEC-2020-0001 is also the "
        "id of crates/foo/RUSTSEC-2020-0001.md"
    )


def test_database_from_advisories_needs_no_checkout() -> None:
    advisories = parse_tree(FIXTURE_DB).advisories
    info = DatabaseInfo(source="memory", path=Path(), commit=None, last_commit_time=None)
    db = AdvisoryDatabase(advisories, info=info)
    assert [a.id for a in db.for_package("std")] == ["CVE-2021-28877"]


def test_clone_then_warm_load(repo: Path, tmp_path: Path) -> None:
    source = repo.as_uri()
    first = load_database(source, cache_dir=tmp_path / "cache")
    assert isinstance(first.info.fetch, Cloned)
    add_advisory(repo, "late", "RUSTSEC-2024-0400", when=BASE_TIME + 5)
    offline = load_database(source, cache_dir=tmp_path / "cache", fetch=False)
    assert isinstance(offline.info.cache, CacheHit)
    assert offline.get("RUSTSEC-2024-0400") is None
    online = load_database(source, cache_dir=tmp_path / "cache")
    assert online.get("RUSTSEC-2024-0400") is not None


@pytest.mark.shared
def test_real_bundle_cold_and_warm(shared_data: Path, tmp_path: Path) -> None:
    bundle = shared_data / "advisory-db.bundle"
    cold = load_database(str(bundle), cache_dir=tmp_path)
    assert isinstance(cold.info.cache, CacheBuilt)
    assert cold.info.skipped == ()
    warm = load_database(str(bundle), cache_dir=tmp_path, fetch=False)
    assert isinstance(warm.info.cache, CacheHit)
    assert warm.advisories == cold.advisories
    checkout = cold.info.path
    head = subprocess.run(
        ["git", "log", "-1", "--format=%H %ct"],
        cwd=checkout,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert cold.info.commit == head[0]
    assert cold.info.last_commit_time == _utc(int(head[1]))
    for adv in cold.advisories[::97]:  # a sample, checked against git itself
        last = subprocess.run(
            ["git", "log", "-1", "--no-merges", "--format=%ct", "--", adv.path],
            cwd=checkout,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        assert warm.file_modified(adv.path) == _utc(int(last))
    assert sum(cold.counts().values()) == len(cold)
