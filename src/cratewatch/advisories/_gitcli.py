"""Running the git CLI for the advisory-database source: no shell, bounded time, one-line
errors with a tip, an environment that cannot point git at another repository, and a lock file
that serialises work on one clone.
"""

from __future__ import annotations

import contextlib
import fcntl
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path

from cratewatch._git import (
    REPO_ENV_VARS,
    GitNotStarted,
    clean_env,
    failure_detail,
    redact,
    run_in_group,
)
from cratewatch.errors import AdvisoryDbError

__all__ = ["LOCAL_TIMEOUT", "locked", "redact", "run_git"]

LOCAL_TIMEOUT = 120.0
"""Seconds a local git command (status, log, reset) may take."""
_LOW_SPEED_LIMIT = "1000"  # bytes/s; below this for _LOW_SPEED_TIME seconds aborts a transfer
_LOW_SPEED_TIME = "30"


@contextlib.contextmanager
def locked(lock_path: Path) -> Iterator[None]:
    """Hold an exclusive lock on *lock_path* (created if missing) for the block."""
    with open(lock_path, "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _git_env() -> dict[str, str]:
    return clean_env(
        REPO_ENV_VARS, GIT_TERMINAL_PROMPT="0", LC_ALL="C", GIT_ASKPASS="", SSH_ASKPASS=""
    )


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
        returncode, out, err = run_in_group(command, cwd=cwd, env=_git_env(), timeout=timeout)
    except GitNotStarted as e:
        raise AdvisoryDbError(f"{desc}: cannot run git: {e.error}") from e.error
    except subprocess.TimeoutExpired as e:
        raise AdvisoryDbError(
            f"{desc}: {shown} timed out after {timeout:g}s{_tip(network, cached)}"
        ) from e
    if returncode != 0:
        if not check:
            return ""
        detail = failure_detail(err, returncode, args)
        raise AdvisoryDbError(f"{desc}: {shown} failed: {detail}{_tip(network, cached)}")
    return out.decode("utf-8", "surrogateescape")


def _tip(network: bool, cached: bool) -> str:
    if not network:
        return ""
    if cached:
        return " (use --no-fetch to use the cached copy, or --db PATH)"
    return " (use --db PATH to use a local checkout or bundle of the advisory database)"
