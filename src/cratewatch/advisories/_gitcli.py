"""Running the git CLI for the advisory-database source: no shell, bounded time, one-line
errors with a tip, an environment that cannot point git at another repository, and a lock file
that serialises work on one clone.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import signal
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

from cratewatch.errors import AdvisoryDbError

__all__ = ["LOCAL_TIMEOUT", "locked", "redact", "run_git"]

LOCAL_TIMEOUT = 120.0
"""Seconds a local git command (status, log, reset) may take."""
_LOW_SPEED_LIMIT = "1000"  # bytes/s; below this for _LOW_SPEED_TIME seconds aborts a transfer
_LOW_SPEED_TIME = "30"
_STDERR_LINES = 3


def redact(url: str) -> str:
    """*url* with its password, if any, replaced by ``***``."""
    scheme, sep, rest = url.partition("://")
    authority, slash, path = rest.partition("/")
    userinfo, at, host = authority.rpartition("@")
    if not sep or not at or ":" not in userinfo:
        return url
    user = userinfo.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}{slash}{path}"


@contextlib.contextmanager
def locked(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive lock on *lock_path* (created if missing) for the block."""
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


def run_git(
    args: Sequence[str],
    *,
    cwd: Path,
    desc: str,
    timeout: float = LOCAL_TIMEOUT,
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
            detail = detail.replace(arg, redact(arg)) if "@" in arg else detail
        raise AdvisoryDbError(f"{desc}: {shown} failed: {detail}{_tip(network, cached)}")
    return out.decode("utf-8", "surrogateescape")


def _tip(network: bool, cached: bool) -> str:
    if not network:
        return ""
    if cached:
        return " (use --no-fetch to use the cached copy, or --db PATH)"
    return " (use --db PATH to use a local checkout or bundle of the advisory database)"
