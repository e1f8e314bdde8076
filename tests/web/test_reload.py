"""Reloading the database when its source's commit moves (real git repositories)."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from cratewatch.advisories.database import AdvisoryDatabase, load_database
from cratewatch.advisories.source import GitBundle, GitRemote, LocalCheckout, parse_source
from cratewatch.errors import AdvisoryDbError, CratewatchError
from cratewatch.web.reload import DatabaseReloader, head_probe
from tests.advisories.gitrepo import BASE_TIME, add_advisory, commit_all, git
from tests.web.conftest import make_web_db_repo


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "advisory-db"
    make_web_db_repo(path)
    return path


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def loader(repo: Path, calls: list[str]) -> AdvisoryDatabase:
    db = load_database(str(repo), cache_dir=repo.parent / "cache")
    calls.append(db.info.commit or "")
    return db


def test_probes(repo: Path, tmp_path: Path) -> None:
    head = git(repo, "rev-parse", "HEAD").strip()
    assert head_probe(LocalCheckout(path=repo))() == head
    bundle = tmp_path / "db.bundle"
    git(repo, "bundle", "create", str(bundle), "HEAD", "main")
    assert head_probe(GitBundle(path=bundle))() == head
    assert head_probe(GitRemote(url=repo.as_uri()))() == head
    plain = tmp_path / "plain"
    plain.mkdir()
    assert head_probe(LocalCheckout(path=plain))() is None  # not a git checkout: never reloads


def test_probe_failure_names_the_source(tmp_path: Path) -> None:
    missing = tmp_path / "gone.git"
    with pytest.raises(
        AdvisoryDbError, match=rf"^{missing.as_uri()}: cannot check for a new commit: "
    ):
        head_probe(GitRemote(url=missing.as_uri()))()


def test_checks_at_most_every_interval(repo: Path) -> None:
    calls: list[str] = []
    clock = Clock()
    reloader = DatabaseReloader(
        lambda: loader(repo, calls), head_probe(parse_source(str(repo))), interval=30, clock=clock
    )
    first = reloader.snapshot()
    new = add_advisory(repo, "fresh", "RUSTSEC-2025-0999", when=BASE_TIME + 10)
    clock.now += 29
    assert reloader.snapshot() is first  # not due yet: no check, no reload
    time.sleep(0.3)
    assert reloader.snapshot() is first
    clock.now += 1
    reloader.snapshot()  # due: starts a background check and returns the current snapshot
    deadline = time.monotonic() + 20
    while reloader.snapshot().commit != new:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert reloader.snapshot().crate("fresh") is not None
    assert calls == [calls[0], new]


def test_check_now_reloads_only_on_a_new_commit(repo: Path) -> None:
    calls: list[str] = []
    reloaded: list[str | None] = []
    reloader = DatabaseReloader(
        lambda: loader(repo, calls),
        head_probe(parse_source(str(repo))),
        on_reload=lambda snap: reloaded.append(snap.commit),
    )
    assert reloader.check_now() is False
    new = add_advisory(repo, "fresh", "RUSTSEC-2025-0999", when=BASE_TIME + 10)
    assert reloader.check_now() is True
    assert reloader.check_now() is False
    assert reloaded == [new]
    assert len(calls) == 2


def test_a_broken_commit_keeps_the_served_snapshot(repo: Path) -> None:
    errors: list[CratewatchError] = []
    reloader = DatabaseReloader(
        lambda: loader(repo, []), head_probe(parse_source(str(repo))), on_error=errors.append
    )
    before = reloader.snapshot()
    (repo / "crates" / "foo" / "RUSTSEC-2025-0001.md").write_text("not an advisory\n")
    commit_all(repo, "broken", when=BASE_TIME + 20)
    assert reloader.check_now() is False
    assert reloader.snapshot() is before
    assert reloader.last_error is errors[0]
    assert str(errors[0]).startswith(f"{repo}: 1 advisory file(s) could not be parsed: ")


def test_a_commit_the_load_cannot_reach_is_not_retried(repo: Path) -> None:
    calls: list[str] = []
    target = "f" * 40
    reloader = DatabaseReloader(lambda: loader(repo, calls), lambda: target)
    assert reloader.check_now() is True  # loads, but does not get to the probed commit
    assert reloader.check_now() is False  # same probed commit: not loaded again
    assert len(calls) == 2


def test_no_probe_never_reloads(repo: Path) -> None:
    calls: list[str] = []
    clock = Clock()
    reloader = DatabaseReloader(lambda: loader(repo, calls), None, interval=0, clock=clock)
    add_advisory(repo, "fresh", "RUSTSEC-2025-0999", when=BASE_TIME + 10)
    clock.now += 100
    reloader.snapshot()
    assert reloader.check_now() is False
    assert len(calls) == 1


def test_bundle_source_reloads_after_the_bundle_changes(repo: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "db.bundle"
    git(repo, "bundle", "create", str(bundle), "HEAD", "main")
    cache = tmp_path / "cache"
    reloader = DatabaseReloader(
        lambda: load_database(str(bundle), cache_dir=cache), head_probe(GitBundle(path=bundle))
    )
    new = add_advisory(repo, "fresh", "RUSTSEC-2025-0999", when=BASE_TIME + 10)
    assert reloader.check_now() is False  # the bundle has not changed yet
    subprocess.run(
        ["git", "bundle", "create", str(bundle), "HEAD", "main"],
        cwd=repo,
        check=True,
        capture_output=True,
    )
    assert reloader.check_now() is True
    assert reloader.snapshot().commit == new
