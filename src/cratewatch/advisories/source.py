"""Obtaining the advisory database: a git URL, a git bundle or a local checkout.

A database *source* is one of

- :class:`GitRemote` -- a git URL (default :data:`DEFAULT_DATABASE_URL`), cloned into the
  cache directory and updated with ``git fetch`` + a hard reset to the remote's default branch;
- :class:`GitBundle` -- a ``git bundle`` file, cloned into the cache like a URL; fetching
  re-reads the bundle;
- :class:`LocalCheckout` -- a directory used as it is and never modified.

Clones are atomic: git clones into a temporary directory beside the target, which is then
renamed into place, so an interrupted clone never leaves a half database (a temporary
directory left behind by a killed process is removed by the next clone). Clones and fetches
of one source are serialised with a lock file. Network operations time out, and their errors
end with a tip (``--no-fetch``, ``--db PATH``).

>>> parse_source("https://github.com/rustsec/advisory-db")
GitRemote(url='https://github.com/rustsec/advisory-db')
"""

from __future__ import annotations

import datetime
import hashlib
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import assert_never

from cratewatch.advisories._gitcli import locked, redact, run_git
from cratewatch.errors import AdvisoryDbError

__all__ = [
    "DEFAULT_DATABASE_URL",
    "DEFAULT_MAX_AGE_DAYS",
    "DEFAULT_NETWORK_TIMEOUT",
    "Checkout",
    "Cloned",
    "DatabaseSource",
    "FetchResult",
    "Fetched",
    "Fresh",
    "GitBundle",
    "GitRemote",
    "LocalCheckout",
    "NotFetched",
    "Stale",
    "Staleness",
    "UnknownAge",
    "checkout_path",
    "commit_time",
    "describe_source",
    "file_commit_times",
    "obtain",
    "parse_source",
    "repair_managed",
    "staleness",
]

DEFAULT_DATABASE_URL = "https://github.com/rustsec/advisory-db"
"""The upstream RustSec advisory database."""
DEFAULT_NETWORK_TIMEOUT = 300.0
"""Seconds a clone or fetch may take before it is killed."""
DEFAULT_MAX_AGE_DAYS = 90
"""A database whose last commit is older than this many days is stale."""

_SCP_LIKE = re.compile(r"[A-Za-z0-9._-]+@[A-Za-z0-9._-]+:.+")
_TEMP_SUFFIX = ".tmp-"
_UPSTREAM_REF = "refs/cratewatch/upstream"


@dataclass(frozen=True, slots=True, kw_only=True)
class GitRemote:
    """A git URL cloned into the cache directory."""

    url: str
    """Anything ``git clone`` accepts: ``https://``, ``ssh://``, ``file://``, ``user@host:path``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class GitBundle:
    """A ``git bundle`` file cloned into the cache directory."""

    path: Path
    """Absolute path of the bundle."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LocalCheckout:
    """A directory holding the database, used as it is (never fetched or modified)."""

    path: Path
    """Absolute path of the directory (with ``crates/`` and ``rust/``)."""


DatabaseSource = GitRemote | GitBundle | LocalCheckout
"""Where the advisory database comes from."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Cloned:
    """The source was cloned into the cache (it was not there before)."""

    commit: str
    """Commit checked out."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Fetched:
    """The cached clone was fetched and reset to the remote's default branch."""

    previous: str
    """Commit before the fetch."""
    current: str
    """Commit after the fetch (equal to :attr:`previous` when already up to date)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class NotFetched:
    """Nothing was fetched."""

    reason: str
    """Why: fetching was turned off, or the source is a local checkout."""


FetchResult = Cloned | Fetched | NotFetched
"""What :func:`obtain` did to get the database."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Checkout:
    """A database working tree ready to be read."""

    source: DatabaseSource
    """Where it came from."""
    path: Path
    """The working tree (``crates/`` and ``rust/`` inside)."""
    commit: str | None
    """Commit of ``HEAD``; None when the directory is not the top of a git repository."""
    modified_paths: frozenset[str] | None
    """Repository-relative files under ``crates/``/``rust/`` that differ from :attr:`commit`
    (empty when clean); None when unknown (not a git repository)."""
    managed: bool
    """Whether cratewatch owns this clone (in the cache) or it is the user's checkout."""
    fetch: FetchResult
    """What was done to obtain it."""

    @property
    def clean(self) -> bool:
        """Whether the files are exactly those of :attr:`commit` (so results may be cached)."""
        return self.commit is not None and self.modified_paths == frozenset()


@dataclass(frozen=True, slots=True, kw_only=True)
class Fresh:
    """The last commit is recent enough."""

    age: datetime.timedelta
    """Time since the last commit."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Stale:
    """The last commit is older than the allowed age."""

    age: datetime.timedelta
    """Time since the last commit."""
    max_age: datetime.timedelta
    """The allowed age."""


@dataclass(frozen=True, slots=True, kw_only=True)
class UnknownAge:
    """The age cannot be told."""

    reason: str
    """Why, e.g. the directory is not a git repository."""


Staleness = Fresh | Stale | UnknownAge
"""How old the database is compared with the allowed age."""


def staleness(
    last_commit_time: datetime.datetime | None,
    *,
    now: datetime.datetime,
    max_age: datetime.timedelta,
) -> Staleness:
    """Compare the database's last commit time with *max_age*.

    >>> t = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
    >>> staleness(t, now=t + datetime.timedelta(days=91), max_age=datetime.timedelta(days=90))
    Stale(age=datetime.timedelta(days=91), max_age=datetime.timedelta(days=90))
    """
    if last_commit_time is None:
        return UnknownAge(reason="the database is not a git checkout, so its age is unknown")
    age = max(now - last_commit_time, datetime.timedelta(0))
    return Stale(age=age, max_age=max_age) if age > max_age else Fresh(age=age)


def parse_source(spec: str) -> DatabaseSource:
    """Classify a ``--db`` value: an existing directory, an existing file (a git bundle),
    or a git URL (``scheme://...`` or ``user@host:path``).
    """
    if "://" in spec or _SCP_LIKE.fullmatch(spec):
        return GitRemote(url=spec)
    path = Path(spec).expanduser()
    if path.is_dir():
        return LocalCheckout(path=path.resolve())
    if path.is_file():
        return GitBundle(path=path.resolve())
    raise AdvisoryDbError(
        f"{spec}: not an advisory database: expected a directory, a git bundle file or a git URL"
    )


def describe_source(source: DatabaseSource) -> str:
    """A short human description of *source*: its path, or its URL without any password.

    >>> describe_source(GitRemote(url="https://bot:s3cret@git.example/advisory-db"))
    'https://bot:***@git.example/advisory-db'
    """
    match source:
        case GitRemote(url=url):
            return redact(url)
        case GitBundle(path=path) | LocalCheckout(path=path):
            return str(path)
        case _:
            assert_never(source)


def checkout_path(source: DatabaseSource, cache_dir: Path) -> Path:
    """Where the working tree of *source* is: the directory itself for a local checkout,
    else ``cache_dir/advisory-db/<hash of the URL or bundle path>``.
    """
    match source:
        case LocalCheckout(path=path):
            return path
        case GitRemote(url=url):
            key = "url:" + url
        case GitBundle(path=path):
            key = "bundle:" + str(path)
        case _:
            assert_never(source)
    return cache_dir / "advisory-db" / hashlib.sha256(key.encode()).hexdigest()[:20]


def obtain(
    source: DatabaseSource,
    *,
    cache_dir: Path,
    fetch: bool = True,
    timeout: float = DEFAULT_NETWORK_TIMEOUT,
) -> Checkout:
    """Make the database of *source* available as a working tree and describe it.

    With ``fetch=True`` a URL or bundle is cloned into the cache (first use) or fetched and
    reset to the remote's default branch; with ``fetch=False`` the cached clone is used as it
    is, and its absence is an error. A local checkout is never fetched or modified.
    Raises :class:`~cratewatch.errors.AdvisoryDbError` when git fails or times out.
    """
    match source:
        case LocalCheckout(path=path):
            return _local_checkout(source, path)
        case GitRemote(url=remote) | GitBundle(path=remote):
            return _managed_checkout(source, str(remote), cache_dir, fetch=fetch, timeout=timeout)
        case _:
            assert_never(source)


def _local_checkout(source: LocalCheckout, path: Path) -> Checkout:
    if not (path / "crates").is_dir():
        raise AdvisoryDbError(f"{path}: not an advisory database: no crates/ directory")
    not_fetched = NotFetched(reason="a local checkout is used as it is")
    toplevel = run_git(
        ["rev-parse", "--show-toplevel"], cwd=path, desc=str(path), check=False
    ).strip()
    if not toplevel or Path(toplevel).resolve() != path.resolve():
        return Checkout(
            source=source,
            path=path,
            commit=None,
            modified_paths=None,
            managed=False,
            fetch=not_fetched,
        )
    commit, modified = _status(path, str(path))
    return Checkout(
        source=source,
        path=path,
        commit=commit,
        modified_paths=modified,
        managed=False,
        fetch=not_fetched,
    )


def _managed_checkout(
    source: GitRemote | GitBundle, remote: str, cache_dir: Path, *, fetch: bool, timeout: float
) -> Checkout:
    desc = describe_source(source)
    target = checkout_path(source, cache_dir)
    if not fetch:
        commit = _head(target) if target.is_dir() else None
        if commit is None:
            raise AdvisoryDbError(
                f"{desc}: no cached copy of the advisory database in {target}; "
                "run without --no-fetch (or `cratewatch db update`) to download it, "
                "or use --db PATH"
            )
        return Checkout(
            source=source,
            path=target,
            commit=commit,
            modified_paths=frozenset(),
            managed=True,
            fetch=NotFetched(reason="fetching was turned off (--no-fetch)"),
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    with locked(target.with_name(target.name + ".lock")):
        previous = _head(target) if target.is_dir() else None
        if previous is None:
            if target.exists():
                shutil.rmtree(target)  # ours, and not a usable clone: start over
            _clone(remote, target, desc, timeout=timeout)
            commit = _require_head(target, desc)
            result: FetchResult = Cloned(commit=commit)
        else:
            _fetch(remote, target, desc, timeout=timeout)
            commit = _require_head(target, desc)
            result = Fetched(previous=previous, current=commit)
    return Checkout(
        source=source,
        path=target,
        commit=commit,
        modified_paths=frozenset(),
        managed=True,
        fetch=result,
    )


def repair_managed(checkout: Checkout) -> Checkout:
    """Make a cratewatch-owned clone match its ``HEAD`` again (after an interrupted reset).

    Called before the files are parsed, so the parse really is the commit it is cached under.
    """
    if not checkout.managed:
        return checkout
    desc = describe_source(checkout.source)
    with locked(checkout.path.with_name(checkout.path.name + ".lock")):
        commit, modified = _status(checkout.path, desc)
        if modified:
            run_git(["reset", "--quiet", "--hard", "HEAD"], cwd=checkout.path, desc=desc)
            run_git(["clean", "--quiet", "-d", "--force"], cwd=checkout.path, desc=desc)
            commit, modified = _status(checkout.path, desc)
    return Checkout(
        source=checkout.source,
        path=checkout.path,
        commit=commit,
        modified_paths=modified,
        managed=True,
        fetch=checkout.fetch,
    )


def _clone(remote: str, target: Path, desc: str, *, timeout: float) -> None:
    parent = target.parent
    for stale in parent.glob(target.name + _TEMP_SUFFIX + "*"):
        shutil.rmtree(stale, ignore_errors=True)  # left by an interrupted clone; we hold the lock
    temp = Path(tempfile.mkdtemp(prefix=target.name + _TEMP_SUFFIX, dir=parent))
    try:
        run_git(
            ["clone", "--quiet", "--no-tags", "--single-branch", "--", remote, str(temp)],
            cwd=parent,
            desc=desc,
            timeout=timeout,
            network=True,
            cached=False,
        )
        os.rename(temp, target)
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise


def _fetch(remote: str, target: Path, desc: str, *, timeout: float) -> None:
    run_git(
        ["fetch", "--quiet", "--no-tags", "--", remote, f"+HEAD:{_UPSTREAM_REF}"],
        cwd=target,
        desc=desc,
        timeout=timeout,
        network=True,
        cached=True,
    )
    run_git(["reset", "--quiet", "--hard", _UPSTREAM_REF], cwd=target, desc=desc)


def _head(repo: Path) -> str | None:
    if not (repo / ".git").is_dir():  # else git would find an enclosing repository
        return None
    out = run_git(
        ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"], cwd=repo, desc=str(repo), check=False
    ).strip()
    return out or None


def _require_head(repo: Path, desc: str) -> str:
    commit = _head(repo)
    if commit is None:
        raise AdvisoryDbError(f"{desc}: the clone in {repo} has no commit checked out")
    return commit


def _status(repo: Path, desc: str) -> tuple[str | None, frozenset[str]]:
    """``(HEAD commit, modified files under crates/ and rust/)`` from one ``git status``."""
    out = run_git(
        [
            "status",
            "--porcelain=v2",
            "--branch",
            "-z",
            "--untracked-files=all",
            "--",
            "crates",
            "rust",
        ],
        cwd=repo,
        desc=desc,
    )
    commit: str | None = None
    modified: set[str] = set()
    records = out.split("\0")
    i = 0
    while i < len(records):
        record = records[i]
        i += 1
        if record.startswith("# branch.oid "):
            oid = record.removeprefix("# branch.oid ")
            commit = None if oid == "(initial)" else oid
        elif record.startswith(("1 ", "u ")):
            modified.add(record.split(" ", 8 if record[0] == "1" else 10)[-1])
        elif record.startswith("2 "):
            modified.add(record.split(" ", 9)[-1])
            modified.add(records[i])  # the original path follows a rename record
            i += 1
        elif record.startswith(("? ", "! ")):
            modified.add(record[2:])
    return commit, frozenset(modified)


def commit_time(checkout: Checkout) -> datetime.datetime | None:
    """Committer time of the checkout's ``HEAD`` (UTC); None when it is not a git checkout."""
    if checkout.commit is None:
        return None
    out = run_git(
        ["show", "--no-patch", "--format=%ct", checkout.commit],
        cwd=checkout.path,
        desc=describe_source(checkout.source),
    )
    return datetime.datetime.fromtimestamp(int(out.strip()), tz=datetime.UTC)


def file_commit_times(checkout: Checkout) -> dict[str, tuple[int, int]]:
    """``path -> (first, last)`` committer times (Unix seconds) of every file under
    ``crates/`` and ``rust/`` ever touched by a non-merge commit reachable from ``HEAD``.

    One ``git log --name-only`` pass over the history (the ``rustsec`` crate's
    ``GitModificationTimes`` rule: merges are ignored, times are the commits' committer times).
    """
    if checkout.commit is None:
        return {}
    out = run_git(
        [
            "log",
            "--no-merges",
            "--no-renames",
            "--format=%x01%ct",
            "-z",
            "--name-only",
            checkout.commit,
            "--",
            "crates",
            "rust",
        ],
        cwd=checkout.path,
        desc=describe_source(checkout.source),
    )
    times: dict[str, tuple[int, int]] = {}
    when = 0
    for token in out.split("\0"):
        if token.startswith("\x01"):
            when = int(token[1:])
            continue
        name = token.lstrip("\n")
        if not name:
            continue
        seen = times.get(name)
        times[name] = (when, when) if seen is None else (min(seen[0], when), max(seen[1], when))
    return times
