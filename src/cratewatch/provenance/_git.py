"""Running the git CLI against repositories named by untrusted manifests.

No shell; the process runs in its own group and the group is killed on timeout; prompts and
credential helpers are off (``GIT_TERMINAL_PROMPT=0``, ``credential.helper=``, ssh in batch
mode) so a private repository fails at once instead of waiting for a password; a transfer
slower than ``http.lowSpeedLimit`` for ``http.lowSpeedTime`` seconds is abandoned; variables
that could point git at another repository are removed.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

from cratewatch._git import (
    REPO_ENV_VARS,
    GitNotStarted,
    clean_env,
    failure_detail,
    redact,
    run_in_group,
)
from cratewatch.errors import SourceError

__all__ = ["GitCommandFailed", "GitTimeout", "git_env", "redact", "run_git"]

_LOW_SPEED_LIMIT = "1000"  # bytes/s
# GIT_NAMESPACE also changes which refs git sees.
_REMOVED_ENV_VARS = REPO_ENV_VARS | {"GIT_NAMESPACE"}


class GitCommandFailed(SourceError):
    """A git command exited with an error."""


class GitTimeout(GitCommandFailed):
    """A git command took longer than allowed."""


def git_env() -> dict[str, str]:
    """The environment git runs with."""
    return clean_env(
        _REMOVED_ENV_VARS,
        GIT_TERMINAL_PROMPT="0",
        GIT_ASKPASS="",
        SSH_ASKPASS="",
        GIT_SSH_COMMAND="ssh -o BatchMode=yes -o StrictHostKeyChecking=yes",
        LC_ALL="C",
    )


def run_git(
    args: Sequence[str],
    *,
    cwd: Path,
    desc: str,
    timeout: float,
    low_speed_time: int = 30,
    stdin: bytes | None = None,
    allow_file: bool = False,
) -> bytes:
    """Run ``git ARGS`` in *cwd*; return stdout. Raises :class:`GitTimeout` or
    :class:`GitCommandFailed` with a one-line message starting with *desc*.

    Local paths and ``file://`` URLs are refused unless *allow_file* (a location the user
    chose, never one read from a manifest); the ``ext::`` transport is always refused.
    """
    command = [
        "git",
        "-c",
        "core.fsmonitor=false",
        "-c",
        "credential.helper=",
        "-c",
        "core.askPass=",
        "-c",
        f"http.lowSpeedLimit={_LOW_SPEED_LIMIT}",
        "-c",
        f"http.lowSpeedTime={low_speed_time}",
        "-c",
        "protocol.ext.allow=never",
        "-c",
        f"protocol.file.allow={'always' if allow_file else 'never'}",
        *args,
    ]
    shown = "git " + (args[0] if args else "")
    try:
        returncode, out, err = run_in_group(
            command, cwd=cwd, env=git_env(), timeout=timeout, stdin=stdin
        )
    except GitNotStarted as e:
        raise GitCommandFailed(f"{desc}: cannot run git: {e.error}") from e.error
    except subprocess.TimeoutExpired as e:
        raise GitTimeout(f"{desc}: {shown} timed out after {timeout:g}s") from e
    if returncode != 0:
        detail = failure_detail(err, returncode, args)
        raise GitCommandFailed(f"{desc}: {shown} failed: {detail}")
    return out
