"""Keeping the served database current without a restart.

:class:`DatabaseReloader` holds the current :class:`~cratewatch.web.snapshot.Snapshot`.
Reading it is free; at most every ``interval`` seconds a read also starts (in a background
thread, never blocking the request) a cheap check of the source's ``HEAD``
(:func:`head_probe`: ``git rev-parse`` for a checkout, ``git bundle list-heads`` for a
bundle, ``git ls-remote`` for a URL). Only when that commit differs from the one served is
the database loaded again (fetching a URL or bundle) and the snapshot swapped in one
assignment. A failed check or load keeps the current snapshot and is reported through
``on_error``.

>>> reloader = DatabaseReloader(load, head_probe(source), interval=60.0)  # doctest: +SKIP
>>> reloader.snapshot().commit  # doctest: +SKIP
'3f1c...'
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import assert_never

from cratewatch.advisories.database import AdvisoryDatabase
from cratewatch.advisories.source import DatabaseSource, GitBundle, GitRemote, LocalCheckout
from cratewatch.errors import AdvisoryDbError, CratewatchError
from cratewatch.web.snapshot import Snapshot, build_snapshot

__all__ = ["DEFAULT_RELOAD_INTERVAL", "DatabaseReloader", "HeadProbe", "head_probe"]

DEFAULT_RELOAD_INTERVAL = 60.0
"""Seconds between two checks of the source's ``HEAD``."""

HeadProbe = Callable[[], str | None]
"""Returns the source's current commit (None when it cannot tell); raises AdvisoryDbError."""

_LOCAL_TIMEOUT = 10.0
_REMOTE_TIMEOUT = 30.0


def _git_out(args: list[str], *, cwd: Path | None, timeout: float, desc: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(GIT_TERMINAL_PROMPT="0", LC_ALL="C")
    try:
        result = subprocess.run(
            ["git", *args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        raise AdvisoryDbError(f"{desc}: cannot check for a new commit: {e}") from e
    if result.returncode != 0:
        detail = result.stderr.decode(errors="replace").strip().splitlines()
        raise AdvisoryDbError(
            f"{desc}: cannot check for a new commit: "
            f"{detail[-1] if detail else f'git exit status {result.returncode}'}"
        )
    return result.stdout.decode(errors="replace")


def _first_head(listing: str) -> str | None:
    """The commit of ``HEAD`` in ``<sha> <ref>`` lines, else of the first ref."""
    rows = [line.split() for line in listing.splitlines() if line and not line.startswith("ref:")]
    rows = [row for row in rows if len(row) == 2]
    for sha, ref in rows:
        if ref == "HEAD":
            return sha
    return rows[0][0] if rows else None


def head_probe(source: DatabaseSource) -> HeadProbe:
    """A cheap check of the commit *source* would give now (no download, no checkout)."""
    match source:
        case LocalCheckout(path=path):

            def local() -> str | None:
                if not (path / ".git").exists():
                    return None
                out = _git_out(
                    ["rev-parse", "--verify", "--quiet", "HEAD^{commit}"],
                    cwd=path,
                    timeout=_LOCAL_TIMEOUT,
                    desc=str(path),
                )
                return out.strip() or None

            return local
        case GitBundle(path=bundle):

            def bundled() -> str | None:
                out = _git_out(
                    ["bundle", "list-heads", str(bundle)],
                    cwd=bundle.parent,
                    timeout=_LOCAL_TIMEOUT,
                    desc=str(bundle),
                )
                return _first_head(out)

            return bundled
        case GitRemote(url=url):

            def remote() -> str | None:
                out = _git_out(
                    ["ls-remote", "--", url, "HEAD"], cwd=None, timeout=_REMOTE_TIMEOUT, desc=url
                )
                return _first_head(out)

            return remote
        case _:
            assert_never(source)


class DatabaseReloader:
    """The current snapshot, checked against the source at most every *interval* seconds."""

    def __init__(
        self,
        load: Callable[[], AdvisoryDatabase],
        probe: HeadProbe | None,
        *,
        interval: float = DEFAULT_RELOAD_INTERVAL,
        initial: AdvisoryDatabase | None = None,
        on_error: Callable[[CratewatchError], None] = lambda error: None,
        on_reload: Callable[[Snapshot], None] = lambda snapshot: None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """*load* obtains the database (fetching when the source is remote); *probe* tells
        the source's current commit (None: never reload). *initial* avoids a first load.
        """
        self._load = load
        self._probe = probe
        self._interval = interval
        self._on_error = on_error
        self._on_reload = on_reload
        self._clock = clock
        self._snapshot = build_snapshot(initial if initial is not None else load())
        self._checked = clock()
        self._lock = threading.Lock()
        self._running = False
        self._unreached: str | None = None
        self.last_error: CratewatchError | None = None
        """The error of the last failed check or load (None after a success)."""

    def snapshot(self) -> Snapshot:
        """The current snapshot; starts a background check when one is due."""
        current = self._snapshot
        if self._probe is not None and self._interval >= 0:
            now = self._clock()
            if now - self._checked >= self._interval:
                self._start_check(now)
        return current

    def _start_check(self, now: float) -> None:
        with self._lock:
            if self._running or now - self._checked < self._interval:
                return
            self._running = True
            self._checked = now
        thread = threading.Thread(target=self._check_in_thread, name="cratewatch-db-check")
        thread.daemon = True
        thread.start()

    def _check_in_thread(self) -> None:
        try:
            self.check_now()
        finally:
            with self._lock:
                self._running = False
                self._checked = self._clock()

    def check_now(self) -> bool:
        """Check the source now and reload when its commit changed; True when reloaded."""
        if self._probe is None:
            return False
        try:
            head = self._probe()
            if head is None or head in (self._snapshot.commit, self._unreached):
                self.last_error = None
                return False
            fresh = build_snapshot(self._load())
        except CratewatchError as e:
            self.last_error = e
            self._on_error(e)
            return False
        # A load that does not reach the probed commit (say, a fetch that was turned off) is
        # not retried until the source moves again.
        self._unreached = head if fresh.commit != head else None
        self._snapshot = fresh
        self.last_error = None
        self._on_reload(fresh)
        return True
