"""Running the git CLI as a subprocess, shared by the advisory-database source and provenance.

No shell; git runs in its own process group and the whole group is killed when the time runs
out or the caller is interrupted; variables that could point git at another repository are
removed from its environment. Callers build the command line and turn the outcome into their
own one-line errors.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Sequence
from pathlib import Path

__all__ = [
    "REPO_ENV_VARS",
    "GitNotStarted",
    "clean_env",
    "failure_detail",
    "redact",
    "run_in_group",
]

REPO_ENV_VARS = frozenset(
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
"""Variables that point git at another repository (``git rev-parse --local-env-vars``)."""

_STDERR_LINES = 3


class GitNotStarted(Exception):
    """git could not be started at all (not installed, *cwd* missing...)."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error
        """The error from starting the process."""


def redact(url: str) -> str:
    """*url* with its password, if any, replaced by ``***``.

    >>> redact("https://me:secret@example.org/repo.git")
    'https://me:***@example.org/repo.git'
    """
    scheme, sep, rest = url.partition("://")
    authority, slash, path = rest.partition("/")
    userinfo, at, host = authority.rpartition("@")
    if not sep or not at or ":" not in userinfo:
        return url
    user = userinfo.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}{slash}{path}"


def clean_env(removed: frozenset[str], **settings: str) -> dict[str, str]:
    """This process's environment without the variables in *removed*, plus *settings*."""
    env = {k: v for k, v in os.environ.items() if k not in removed}
    env.update(settings)
    return env


def run_in_group(
    command: Sequence[str],
    *,
    cwd: Path,
    env: dict[str, str],
    timeout: float,
    stdin: bytes | None = None,
) -> tuple[int, bytes, bytes]:
    """Run *command* (no shell) in its own process group; return (exit status, stdout, stderr).

    Raises :class:`GitNotStarted` if it cannot start, and :class:`subprocess.TimeoutExpired`
    after killing the group if it takes longer than *timeout* seconds.
    """
    try:
        proc = subprocess.Popen(
            command,
            cwd=cwd,
            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            start_new_session=True,
        )
    except OSError as e:
        raise GitNotStarted(e) from e
    try:
        out, err = proc.communicate(input=stdin, timeout=timeout)
    except BaseException:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise
    return proc.returncode, out, err


def failure_detail(err: bytes, returncode: int, args: Sequence[str]) -> str:
    """The last lines of git's *err* joined on one line (or the exit status), URLs in *args*
    redacted: git may echo a URL it was given, password included."""
    lines = err.decode("utf-8", "replace").strip().splitlines()[-_STDERR_LINES:]
    detail = "; ".join(line.strip() for line in lines) or f"exit status {returncode}"
    for arg in args:
        if "@" in arg:
            detail = detail.replace(arg, redact(arg))
    return detail
