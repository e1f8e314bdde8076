"""Obtaining the database from real git repositories (cratewatch.advisories.source)."""

from __future__ import annotations

import contextlib
import datetime
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cratewatch.advisories.source import (
    Checkout,
    Cloned,
    Fetched,
    Fresh,
    GitBundle,
    GitRemote,
    LocalCheckout,
    NotFetched,
    Stale,
    UnknownAge,
    checkout_path,
    commit_time,
    describe_source,
    file_commit_times,
    obtain,
    parse_source,
    repair_managed,
    staleness,
)
from cratewatch.errors import AdvisoryDbError
from tests.advisories.gitrepo import (
    BASE_TIME,
    add_advisory,
    commit_all,
    git,
    make_db_repo,
)

DAY = 86_400


@pytest.fixture
def upstream(tmp_path: Path) -> Path:
    """A git repository holding the fixture database (the "remote")."""
    repo = tmp_path / "upstream"
    make_db_repo(repo)
    return repo


def _url(repo: Path) -> str:
    return repo.as_uri()  # file:///...


def _head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD").strip()


# --- parse_source ---------------------------------------------------------------------------


def test_parse_source_kinds(tmp_path: Path) -> None:
    bundle = tmp_path / "db.bundle"
    bundle.write_bytes(b"")
    assert parse_source("https://github.com/rustsec/advisory-db") == GitRemote(
        url="https://github.com/rustsec/advisory-db"
    )
    assert parse_source("git@github.com:rustsec/advisory-db.git") == GitRemote(
        url="git@github.com:rustsec/advisory-db.git"
    )
    assert parse_source("file:///srv/advisory-db") == GitRemote(url="file:///srv/advisory-db")
    assert parse_source(str(tmp_path)) == LocalCheckout(path=tmp_path.resolve())
    assert parse_source(str(bundle)) == GitBundle(path=bundle.resolve())
    missing = tmp_path / "missing"
    with pytest.raises(AdvisoryDbError) as caught:
        parse_source(str(missing))
    assert str(caught.value) == (
        f"{missing}: not an advisory database: expected a directory, a git bundle file or a git URL"
    )


def test_checkout_path_is_per_source(tmp_path: Path) -> None:
    a = checkout_path(GitRemote(url="https://a.example/db"), tmp_path)
    b = checkout_path(GitRemote(url="https://b.example/db"), tmp_path)
    assert a.parent == b.parent == tmp_path / "advisory-db"
    assert a != b
    assert checkout_path(LocalCheckout(path=tmp_path / "x"), tmp_path) == tmp_path / "x"


# --- clone and fetch ------------------------------------------------------------------------


def test_clone_then_fetch_follows_upstream(upstream: Path, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    source = GitRemote(url=_url(upstream))
    first = obtain(source, cache_dir=cache)
    assert first.fetch == Cloned(commit=_head(upstream))
    assert first.commit == _head(upstream)
    assert first.managed
    assert first.clean
    assert first.path == checkout_path(source, cache)
    assert (first.path / "crates/foo/RUSTSEC-2020-0001.md").is_file()

    again = obtain(source, cache_dir=cache)
    assert again.fetch == Fetched(previous=first.commit, current=first.commit)

    new = add_advisory(upstream, "newcrate", "RUSTSEC-2024-0100", when=BASE_TIME + DAY)
    updated = obtain(source, cache_dir=cache)
    assert updated.fetch == Fetched(previous=first.commit, current=new)
    assert (updated.path / "crates/newcrate/RUSTSEC-2024-0100.md").is_file()


def test_fetch_follows_a_rewritten_upstream_history(upstream: Path, tmp_path: Path) -> None:
    source = GitRemote(url=_url(upstream))
    before = obtain(source, cache_dir=tmp_path).commit
    (upstream / "crates/bar/RUSTSEC-2022-0003.md").unlink()
    git(upstream, "add", "-A")
    git(upstream, "commit", "--quiet", "--amend", "-m", "rewritten", when=BASE_TIME + DAY)
    after = obtain(source, cache_dir=tmp_path)
    assert after.commit == _head(upstream) != before
    assert not (after.path / "crates/bar/RUSTSEC-2022-0003.md").exists()


def test_fetch_uses_the_remote_default_branch(upstream: Path, tmp_path: Path) -> None:
    source = GitRemote(url=_url(upstream))
    obtain(source, cache_dir=tmp_path)
    git(upstream, "checkout", "--quiet", "-b", "other")
    other = add_advisory(upstream, "other", "RUSTSEC-2024-0200", when=BASE_TIME + DAY)
    git(upstream, "checkout", "--quiet", "main")
    assert obtain(source, cache_dir=tmp_path).commit == _head(upstream) != other
    git(upstream, "symbolic-ref", "HEAD", "refs/heads/other")  # the default branch changes
    assert obtain(source, cache_dir=tmp_path).commit == other


def test_no_fetch_uses_the_cached_copy_only(upstream: Path, tmp_path: Path) -> None:
    source = GitRemote(url=_url(upstream))
    with pytest.raises(AdvisoryDbError) as caught:
        obtain(source, cache_dir=tmp_path, fetch=False)
    assert str(caught.value) == (
        f"{_url(upstream)}: no cached copy of the advisory database in "
        f"{checkout_path(source, tmp_path)}; run without --no-fetch (or `cratewatch db update`) "
        "to download it, or use --db PATH"
    )
    cloned = obtain(source, cache_dir=tmp_path).commit
    add_advisory(upstream, "newcrate", "RUSTSEC-2024-0100", when=BASE_TIME + DAY)
    offline = obtain(source, cache_dir=tmp_path, fetch=False)
    assert offline.commit == cloned
    assert offline.fetch == NotFetched(reason="fetching was turned off (--no-fetch)")


def test_bundle_is_cloned_and_fetch_rereads_it(upstream: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "db.bundle"
    git(upstream, "bundle", "create", "--quiet", str(bundle), "HEAD", "main")
    source = parse_source(str(bundle))
    assert isinstance(source, GitBundle)
    first = obtain(source, cache_dir=tmp_path / "cache")
    assert first.fetch == Cloned(commit=_head(upstream))
    new = add_advisory(upstream, "newcrate", "RUSTSEC-2024-0100", when=BASE_TIME + DAY)
    git(upstream, "bundle", "create", "--quiet", str(bundle), "HEAD", "main")
    second = obtain(source, cache_dir=tmp_path / "cache")
    assert second.fetch == Fetched(previous=first.commit or "", current=new)


def test_failed_clone_leaves_nothing_behind(tmp_path: Path) -> None:
    url = (tmp_path / "nothing-here").as_uri()
    cache = tmp_path / "cache"
    with pytest.raises(AdvisoryDbError) as caught:
        obtain(GitRemote(url=url), cache_dir=cache)
    message = str(caught.value)
    assert message.startswith(f"{url}: git clone failed: ")
    assert message.endswith(
        " (use --db PATH to use a local checkout or bundle of the advisory database)"
    )
    assert sorted(p.name for p in (cache / "advisory-db").iterdir()) == [
        checkout_path(GitRemote(url=url), cache).name + ".lock"
    ]


def test_failed_fetch_names_the_offline_tip(upstream: Path, tmp_path: Path) -> None:
    source = GitRemote(url=_url(upstream))
    obtain(source, cache_dir=tmp_path)
    shutil.rmtree(upstream)
    with pytest.raises(AdvisoryDbError) as caught:
        obtain(source, cache_dir=tmp_path)
    assert str(caught.value).startswith(f"{_url(upstream)}: git fetch failed: ")
    assert str(caught.value).endswith(" (use --no-fetch to use the cached copy, or --db PATH)")
    assert obtain(source, cache_dir=tmp_path, fetch=False).commit is not None


@pytest.fixture
def silent_server() -> Iterator[str]:
    """An HTTP "server" that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.getsockname()[1]}/advisory-db"
    stop.set()
    thread.join()
    for conn in accepted:
        conn.close()
    server.close()


def test_network_timeout_kills_git_and_says_what_to_do(silent_server: str, tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(AdvisoryDbError) as caught:
        obtain(GitRemote(url=silent_server), cache_dir=tmp_path, timeout=1.0)
    assert time.monotonic() - started < 20
    assert str(caught.value) == (
        f"{silent_server}: git clone timed out after 1s "
        "(use --db PATH to use a local checkout or bundle of the advisory database)"
    )
    leftovers = [p.name for p in (tmp_path / "advisory-db").iterdir() if p.suffix != ".lock"]
    assert leftovers == []


# --- atomic clones: a real interruption ---------------------------------------------------------

_CLONE_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from cratewatch.advisories.source import GitRemote, obtain
    obtain(GitRemote(url=sys.argv[1]), cache_dir=Path(sys.argv[2]))
    """
)


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_interrupted_clone_never_leaves_a_half_database(
    upstream: Path, tmp_path: Path, sig: signal.Signals
) -> None:
    """A post-checkout hook (run by `git clone` after writing the files) records its pid and
    waits; the test then interrupts the cloning process: SIGINT (Ctrl-C) lets it clean up,
    SIGKILL leaves a temporary directory that the next clone removes.
    """
    templates = tmp_path / "templates"
    (templates / "hooks").mkdir(parents=True)
    marker = tmp_path / "hook-pid"
    hook = templates / "hooks" / "post-checkout"
    hook.write_text(
        f"#!/bin/sh\necho $$ > '{marker}.tmp'\nmv '{marker}.tmp' '{marker}'\nsleep 60\n"
    )
    hook.chmod(0o755)
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text(f"[init]\n\ttemplateDir = {templates}\n")
    cache = tmp_path / "cache"
    source = GitRemote(url=_url(upstream))
    target = checkout_path(source, cache)

    env = dict(os.environ, GIT_CONFIG_GLOBAL=str(gitconfig))
    proc = subprocess.Popen(
        [sys.executable, "-c", _CLONE_SCRIPT, source.url, str(cache)],
        env=env,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    git_group = None
    try:
        deadline = time.monotonic() + 30
        while not marker.exists():
            assert proc.poll() is None, "the clone finished before it could be interrupted"
            assert time.monotonic() < deadline, "the clone never started"
            time.sleep(0.05)
        git_group = os.getpgid(int(marker.read_text()))
        assert git_group != proc.pid  # git runs in its own process group
        os.kill(proc.pid, sig)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        if git_group is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(git_group, signal.SIGKILL)  # SIGKILL orphans git: end it here

    assert not target.exists(), "an interrupted clone must not leave a database behind"
    leftovers = list(target.parent.glob(target.name + ".tmp-*"))
    if sig == signal.SIGINT:
        assert proc.returncode != 0
        assert leftovers == [], "on Ctrl-C the temporary clone is removed at once"
    else:
        assert len(leftovers) == 1, "a killed clone leaves its temporary directory"
        assert (leftovers[0] / "crates").is_dir()  # it really was killed after checking out

    checkout = obtain(source, cache_dir=cache)  # without the hook
    assert checkout.fetch == Cloned(commit=_head(upstream))
    assert list(target.parent.glob(target.name + ".tmp-*")) == []


def test_broken_cached_clone_is_replaced(upstream: Path, tmp_path: Path) -> None:
    source = GitRemote(url=_url(upstream))
    target = checkout_path(source, tmp_path)
    target.mkdir(parents=True)
    (target / "junk").write_text("not a clone")
    checkout = obtain(source, cache_dir=tmp_path)
    assert checkout.fetch == Cloned(commit=_head(upstream))
    assert not (target / "junk").exists()


def test_repair_resets_an_interrupted_reset(upstream: Path, tmp_path: Path) -> None:
    checkout = obtain(GitRemote(url=_url(upstream)), cache_dir=tmp_path)
    advisory = checkout.path / "crates/foo/RUSTSEC-2020-0001.md"
    original = advisory.read_text()
    advisory.write_text("half-written")
    (checkout.path / "crates/foo/RUSTSEC-2099-0001.md").write_text("stray")
    repaired = repair_managed(checkout)
    assert repaired.clean
    assert advisory.read_text() == original
    assert not (checkout.path / "crates/foo/RUSTSEC-2099-0001.md").exists()


# --- local checkouts --------------------------------------------------------------------------


def test_local_checkout_is_used_as_is(upstream: Path) -> None:
    before = git(upstream, "status", "--porcelain")
    checkout = obtain(LocalCheckout(path=upstream), cache_dir=upstream / "unused")
    assert checkout.commit == _head(upstream)
    assert checkout.clean
    assert not checkout.managed
    assert checkout.fetch == NotFetched(reason="a local checkout is used as it is")
    assert git(upstream, "status", "--porcelain") == before
    assert not (upstream / "unused").exists()


def test_local_checkout_with_changes_is_not_clean(upstream: Path) -> None:
    (upstream / "crates/foo/RUSTSEC-2020-0001.md").write_text("changed")
    (upstream / "crates/new").mkdir()
    (upstream / "crates/new/RUSTSEC-2024-0001.md").write_text("untracked")
    (upstream / "README.md").write_text("outside crates/ and rust/: irrelevant")
    checkout = obtain(LocalCheckout(path=upstream), cache_dir=upstream)
    assert not checkout.clean
    assert checkout.modified_paths == frozenset(
        {"crates/foo/RUSTSEC-2020-0001.md", "crates/new/RUSTSEC-2024-0001.md"}
    )


def test_plain_directory_has_no_commit(tmp_path: Path, upstream: Path) -> None:
    plain = tmp_path / "plain"
    shutil.copytree(upstream, plain, ignore=shutil.ignore_patterns(".git"))
    checkout = obtain(LocalCheckout(path=plain), cache_dir=tmp_path)
    assert (checkout.commit, checkout.modified_paths, checkout.clean) == (None, None, False)
    # A database copied into some other repository is not that repository's commit.
    nested = upstream / "vendored"
    shutil.copytree(plain, nested)
    assert obtain(LocalCheckout(path=nested), cache_dir=tmp_path).commit is None


def test_directory_without_crates_is_refused(tmp_path: Path) -> None:
    with pytest.raises(AdvisoryDbError) as caught:
        obtain(LocalCheckout(path=tmp_path), cache_dir=tmp_path)
    assert str(caught.value) == f"{tmp_path}: not an advisory database: no crates/ directory"


# --- history ----------------------------------------------------------------------------------


def _local(repo: Path) -> Checkout:
    return obtain(LocalCheckout(path=repo), cache_dir=repo)


def test_file_times_take_first_and_last_non_merge_commits(upstream: Path) -> None:
    foo = "crates/foo/RUSTSEC-2020-0001.md"
    add_advisory(upstream, "newcrate", "RUSTSEC-2024-0100", when=BASE_TIME + DAY)
    (upstream / foo).write_text((upstream / foo).read_text() + "\nMore details.\n")
    commit_all(upstream, "Edit foo", when=BASE_TIME + 2 * DAY)
    git(upstream, "checkout", "--quiet", "-b", "side", "HEAD~1")
    add_advisory(upstream, "side", "RUSTSEC-2024-0101", when=BASE_TIME + 3 * DAY)
    git(upstream, "checkout", "--quiet", "main")
    git(upstream, "merge", "--quiet", "--no-ff", "-m", "merge", "side", when=BASE_TIME + 4 * DAY)
    times = file_commit_times(_local(upstream))
    assert times[foo] == (BASE_TIME, BASE_TIME + 2 * DAY)
    assert times["crates/newcrate/RUSTSEC-2024-0100.md"] == (BASE_TIME + DAY, BASE_TIME + DAY)
    # added on a branch: its own commit counts, not the merge
    assert times["crates/side/RUSTSEC-2024-0101.md"] == (BASE_TIME + 3 * DAY,) * 2
    assert commit_time(_local(upstream)) == datetime.datetime.fromtimestamp(
        BASE_TIME + 4 * DAY, tz=datetime.UTC
    )


# --- staleness --------------------------------------------------------------------------------

_T0 = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
_90 = datetime.timedelta(days=90)


@pytest.mark.parametrize(
    ("last", "now", "expected"),
    [
        (_T0, _T0 + datetime.timedelta(days=3), Fresh(age=datetime.timedelta(days=3))),
        (_T0, _T0 + _90, Fresh(age=_90)),
        (
            _T0,
            _T0 + _90 + datetime.timedelta(seconds=1),
            Stale(age=_90 + datetime.timedelta(seconds=1), max_age=_90),
        ),
        (_T0, _T0 - datetime.timedelta(days=1), Fresh(age=datetime.timedelta(0))),
        (
            None,
            _T0,
            UnknownAge(reason="the database is not a git checkout, so its age is unknown"),
        ),
    ],
)
def test_staleness(
    last: datetime.datetime | None, now: datetime.datetime, expected: object
) -> None:
    assert staleness(last, now=now, max_age=_90) == expected


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://bot:s3cret@git.example/advisory-db", "https://bot:***@git.example/advisory-db"),
        ("https://bot@git.example/advisory-db", "https://bot@git.example/advisory-db"),
        ("https://git.example/a@b", "https://git.example/a@b"),
        ("git@github.com:rustsec/advisory-db.git", "git@github.com:rustsec/advisory-db.git"),
    ],
)
def test_passwords_in_urls_are_never_shown(url: str, shown: str) -> None:
    assert describe_source(GitRemote(url=url)) == shown


def test_failing_url_with_password_is_redacted_in_git_errors(tmp_path: Path) -> None:
    url = "https://bot:s3cret@127.0.0.1:9/advisory-db"  # port 9 (discard): connection refused
    with pytest.raises(AdvisoryDbError) as caught:
        obtain(GitRemote(url=url), cache_dir=tmp_path, timeout=30)
    assert "s3cret" not in str(caught.value)
    assert str(caught.value).startswith("https://bot:***@127.0.0.1:9/advisory-db: git clone failed")
