"""``cratewatch watch``: follow an index and inspect every new publish as it appears.

A :class:`Watcher` polls a :class:`~cratewatch.watch.follow.Follower`, downloads each new
version's ``.crate`` (from the index's ``dl``, checked against the index checksum), inspects it,
checks new names for typosquatting, and returns alerts plus the state to save. Resuming from a
saved :class:`~cratewatch.watch.state.WatchState` continues after the last commit seen.

>>> watcher = Watcher(follower, fetcher_for=lambda dl: CrateFetcher(cache, dl=dl))  # doctest: +SKIP
>>> poll = watcher.poll(load_state(path))  # doctest: +SKIP
>>> save_state(path, poll.state)  # doctest: +SKIP
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cratewatch.errors import CratewatchError, RegistryError
from cratewatch.inspect.model import Severity
from cratewatch.inspect.targets import inspect_entry_source
from cratewatch.inspect.typosquat.match import Matcher
from cratewatch.registry.crates import CrateFetcher
from cratewatch.registry.index import Index
from cratewatch.watch.alerts import build_alert
from cratewatch.watch.follow import Follower, Publish
from cratewatch.watch.state import WatchState

__all__ = ["Poll", "Watcher"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Poll:
    """The result of one poll."""

    alerts: tuple[dict[str, Any], ...] = field(hash=False)
    """Alert documents to emit, in publish order."""
    publishes: int
    """New versions seen."""
    inspected: int
    """Of which inspected."""
    notes: tuple[str, ...]
    """Messages for the user."""
    state: WatchState
    """The state to save."""
    complete: bool
    """False when more commits are waiting (poll again without sleeping)."""


class Watcher:
    """Turns new publishes into alerts."""

    def __init__(
        self,
        follower: Follower,
        *,
        fetcher_for: Callable[[str], CrateFetcher],
        matcher_for: Callable[[Index], Matcher] | None = None,
        alert_on: Severity = Severity.HIGH,
        emit_all: bool = False,
        min_score: float = 0.5,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self.follower = follower
        """Where publishes come from."""
        self._fetcher_for = fetcher_for
        self._matcher_for = matcher_for
        self._matcher: Matcher | None = None
        self._notes: list[str] = []
        self._alert_on = alert_on
        self._emit_all = emit_all
        self._min_score = min_score
        self._clock = clock

    def poll(self, state: WatchState | None) -> Poll:
        """One round: fetch the index, inspect what is new, return alerts and the new state."""
        if state is not None and state.index != self.follower.source:
            raise RegistryError(
                f"the state file follows {state.index}, not {self.follower.source}; use "
                "another --state file"
            )
        step = self.follower.step(
            state.last_commit if state else None, state.known if state else {}
        )
        alerts: list[dict[str, Any]] = []
        self._notes = list(step.notes)
        inspected = 0
        if step.publishes:
            dl = self.follower.index().config().dl
            with self._fetcher_for(dl) as fetcher:
                for publish in step.publishes:
                    alert = self._check(fetcher, publish)
                    inspected += alert["inspected"]
                    if self._emit_all or alert["reasons"]:
                        alerts.append(alert)
        new_state = WatchState(
            index=self.follower.source,
            last_commit=step.head or (state.last_commit if state else None),
            known=step.known,
            polls=(state.polls if state else 0) + 1,
            updated=self._clock().isoformat(timespec="seconds"),
        )
        return Poll(
            alerts=tuple(alerts),
            publishes=len(step.publishes),
            inspected=inspected,
            notes=tuple(self._notes),
            state=new_state,
            complete=step.complete,
        )

    def _typosquat_matcher(self) -> Matcher | None:
        """Built on first use (reverse dependencies need the index as polled)."""
        if self._matcher is None and self._matcher_for is not None:
            factory, self._matcher_for = self._matcher_for, None
            try:
                self._matcher = factory(self.follower.index())
            except CratewatchError as e:
                self._notes.append(f"typosquat check off: {e}")
        return self._matcher

    def _check(self, fetcher: CrateFetcher, publish: Publish) -> dict[str, Any]:
        entry = publish.entry
        outcome = inspect_entry_source(fetcher, entry.name, entry.vers, entry.cksum)
        candidates = []
        matcher = self._typosquat_matcher() if publish.new_crate else None
        if matcher is not None:
            candidates = [c for c in matcher.find(entry.name) if c.score >= self._min_score]
        return build_alert(
            publish, outcome, candidates, alert_on=self._alert_on, index=self.follower.source
        )
