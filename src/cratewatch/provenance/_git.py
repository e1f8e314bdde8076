"""Running the git CLI against repositories named by untrusted manifests.

No shell; the process runs in its own group and the group is killed on timeout; prompts and
credential helpers are off (``GIT_TERMINAL_PROMPT=0``, ``credential.helper=``, ssh in batch
mode) so a private repository fails at once instead of waiting for a password; a transfer
slower than ``http.lowSpeedLimit`` for ``http.lowSpeedTime`` seconds is abandoned; variables
that could point git at another repository are removed.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Sequence
from pathlib import Path

from cratewatch.errors import SourceError

__all__ = ["GitCommandFailed", "GitTimeout", "git_env", "redact", "run_git"]

_LOW_SPEED_LIMIT = "1000"  # bytes/s
_STDERR_LINES = 3

# Variables that point git at another repository (``git rev-parse --local-env-vars``) or
# change how it reads configuration.
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
        "GIT_NAMESPACE",
    }
)


class GitCommandFailed(SourceError):
    """A git command exited with an error."""


class GitTimeout(GitCommandFailed):
    """A git command took longer than allowed."""


def redact(text: str) -> str:
    """*text* (a URL) with any password replaced by ``***``."""
    scheme, sep, rest = text.partition("://")
    authority, slash, path = rest.partition("/")
    userinfo, at, host = authority.rpartition("@")
    if not sep or not at or ":" not in userinfo:
        return text
    user = userinfo.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}{slash}{path}"


def git_env() -> dict[str, str]:
    """The environment git runs with."""
    env = {k: v for k, v in os.environ.items() if k not in _REPO_ENV_VARS}
    env.update(
        GIT_TERMINAL_PROMPT="0",
        GIT_ASKPASS="",
        SSH_ASKPASS="",
        GIT_SSH_COMMAND="ssh -o BatchMode=yes -o StrictHostKeyChecking=yes",
        LC_ALL="C",
    )
    return env


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
        proc = subprocess.Popen(
            command,
            cwd=cwd,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=git_env(),
            start_new_session=True,
        )
    except OSError as e:
        raise GitCommandFailed(f"{desc}: cannot run git: {e}") from e
    try:
        out, err = proc.communicate(input=stdin, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        _kill(proc)
        raise GitTimeout(f"{desc}: {shown} timed out after {timeout:g}s") from e
    except BaseException:
        _kill(proc)
        raise
    if proc.returncode != 0:
        lines = err.decode("utf-8", "replace").strip().splitlines()[-_STDERR_LINES:]
        detail = "; ".join(line.strip() for line in lines) or f"exit status {proc.returncode}"
        for arg in args:  # git may echo a URL it was given, password included
            if "@" in arg:
                detail = detail.replace(arg, redact(arg))
        raise GitCommandFailed(f"{desc}: {shown} failed: {detail}")
    return out


def _kill(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate()
