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

import contextlib
import datetime
import fcntl
import hashlib
import os
import re
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import assert_never

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

_LOCAL_TIMEOUT = 120.0
_LOW_SPEED_LIMIT = "1000"  # bytes/s; below this for _LOW_SPEED_TIME seconds aborts a transfer
_LOW_SPEED_TIME = "30"
_SCP_LIKE = re.compile(r"[A-Za-z0-9._-]+@[A-Za-z0-9._-]+:.+")
_TEMP_SUFFIX = ".tmp-"
_UPSTREAM_REF = "refs/cratewatch/upstream"
_STDERR_LINES = 3


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
            return _redact(url)
        case GitBundle(path=path) | LocalCheckout(path=path):
            return str(path)
        case _:
            assert_never(source)


def _redact(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    authority, slash, path = rest.partition("/")
    userinfo, at, host = authority.rpartition("@")
    if not sep or not at or ":" not in userinfo:
        return url
    user = userinfo.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}{slash}{path}"


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
    toplevel = _git(["rev-parse", "--show-toplevel"], cwd=path, desc=str(path), check=False).strip()
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
    with _locked(target.with_name(target.name + ".lock")):
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
    with _locked(checkout.path.with_name(checkout.path.name + ".lock")):
        commit, modified = _status(checkout.path, desc)
        if modified:
            _git(["reset", "--quiet", "--hard", "HEAD"], cwd=checkout.path, desc=desc)
            _git(["clean", "--quiet", "-d", "--force"], cwd=checkout.path, desc=desc)
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
        _git(
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
    _git(
        ["fetch", "--quiet", "--no-tags", "--", remote, f"+HEAD:{_UPSTREAM_REF}"],
        cwd=target,
        desc=desc,
        timeout=timeout,
        network=True,
        cached=True,
    )
    _git(["reset", "--quiet", "--hard", _UPSTREAM_REF], cwd=target, desc=desc)


def _head(repo: Path) -> str | None:
    if not (repo / ".git").is_dir():  # else git would find an enclosing repository
        return None
    out = _git(
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
    out = _git(
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
    out = _git(
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
    out = _git(
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


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    with open(lock_path, "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


# Variables that point git at another repository (``git rev-parse --local-env-vars``).
_REPO_ENV_VARS = frozenset(
    {
        "GIT_ALTERNATE_OBJECT_DIRECTORIES",
        "GIT_CONFIG",
        "GIT_CONFIG_PARAMETERS",
        "GIT_CONFIG_COUNT",
        "GIT_OBJECT_DIRECTORY",
        "GIT_DIR",
        "GIT_WORK_TREE",
        "GIT_IMPLICIT_WORK_TREE",
        "GIT_GRAFT_FILE",
        "GIT_INDEX_FILE",
        "GIT_NO_REPLACE_OBJECTS",
        "GIT_REPLACE_REF_BASE",
        "GIT_PREFIX",
        "GIT_INTERNAL_SUPER_PREFIX",
        "GIT_SHALLOW_FILE",
        "GIT_COMMON_DIR",
    }
)


def _git_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _REPO_ENV_VARS}
    env.update(GIT_TERMINAL_PROMPT="0", LC_ALL="C", GIT_ASKPASS="", SSH_ASKPASS="")
    return env


def _git(
    args: Sequence[str],
    *,
    cwd: Path,
    desc: str,
    timeout: float = _LOCAL_TIMEOUT,
    network: bool = False,
    cached: bool = False,
    check: bool = True,
) -> str:
    """Run git (no shell) in its own process group; kill the group on timeout."""
    command = [
        "git",
        "-c",
        "core.fsmonitor=false",
        "-c",
        f"http.lowSpeedLimit={_LOW_SPEED_LIMIT}",
        "-c",
        f"http.lowSpeedTime={_LOW_SPEED_TIME}",
        *args,
    ]
    shown = "git " + " ".join(args[:1])
    try:
        proc = subprocess.Popen(
            command,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=_git_env(),
            start_new_session=True,
        )
    except OSError as e:
        raise AdvisoryDbError(f"{desc}: cannot run git: {e}") from e
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as e:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise AdvisoryDbError(
            f"{desc}: {shown} timed out after {timeout:g}s{_tip(network, cached)}"
        ) from e
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        raise
    if proc.returncode != 0:
        if not check:
            return ""
        message = err.decode("utf-8", "replace").strip().splitlines()[-_STDERR_LINES:]
        detail = "; ".join(line.strip() for line in message) or f"exit status {proc.returncode}"
        for arg in args:  # git may echo a URL it was given, password included
            detail = detail.replace(arg, _redact(arg)) if "@" in arg else detail
        raise AdvisoryDbError(f"{desc}: {shown} failed: {detail}{_tip(network, cached)}")
    return out.decode("utf-8", "surrogateescape")


def _tip(network: bool, cached: bool) -> str:
    if not network:
        return ""
    if cached:
        return " (use --no-fetch to use the cached copy, or --db PATH)"
    return " (use --db PATH to use a local checkout or bundle of the advisory database)"
