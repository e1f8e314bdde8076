"""Checking names (given, or newly published since a date) against the popular crates.

>>> from cratewatch.inspect.typosquat.popularity import Popularity, PopularityKind
>>> pop = Popularity.from_counts({"rust_decimal": 5_000_000}, source="example",
...                              kind=PopularityKind.DOWNLOADS)
>>> [s.name for s in check_names(["rustdecimal", "unrelated"], Matcher(pop))]
['rustdecimal']
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from cratewatch.inspect.typosquat.history import (
    HistoryUnavailable,
    first_seen,
    new_crates_since,
)
from cratewatch.inspect.typosquat.match import Candidate, Matcher
from cratewatch.inspect.typosquat.popularity import Popularity, normalize

__all__ = ["DEFAULT_MIN_SCORE", "NewNames", "Suspect", "check_names", "new_names"]

DEFAULT_MIN_SCORE = 0.5
"""Candidates scoring below this are not reported."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Suspect:
    """A name that imitates one or more popular crates."""

    name: str
    """The name checked."""
    first_seen: dt.datetime | None
    """When it was first published, where known."""
    candidates: tuple[Candidate, ...]
    """The crates it imitates, best first."""


@dataclass(frozen=True, slots=True, kw_only=True)
class NewNames:
    """Crates first published since a date."""

    names: tuple[tuple[str, dt.datetime], ...]
    """(name, first publication), oldest first."""
    dates_from: str
    """Where the dates come from (git history or db-dump ``created_at``)."""


def check_names(
    names: Iterable[str],
    matcher: Matcher,
    *,
    min_score: float = DEFAULT_MIN_SCORE,
    seen: dict[str, dt.datetime] | None = None,
    index_repo: Path | None = None,
) -> list[Suspect]:
    """The names with at least one candidate scoring *min_score* or more.

    *seen* gives first-publication times already known; with *index_repo* (a git index) the
    missing ones, and those of the targets, are looked up in its history.
    """
    suspects: list[Suspect] = []
    for name in names:
        candidates = [c for c in matcher.find(name) if c.score >= min_score]
        if not candidates:
            continue
        when = (seen or {}).get(name) or matcher.popularity.created.get(normalize(name))
        if when is None and index_repo is not None:
            when = _first_seen(index_repo, name)
        if index_repo is not None:
            candidates = [_dated(c, index_repo, when) for c in candidates]
        suspects.append(Suspect(name=name, first_seen=when, candidates=tuple(candidates)))
    return suspects


def _first_seen(repo: Path, name: str) -> dt.datetime | None:
    try:
        return first_seen(repo, name)
    except HistoryUnavailable:
        return None


def _dated(candidate: Candidate, repo: Path, when: dt.datetime | None) -> Candidate:
    target_created = candidate.target_created or _first_seen(repo, candidate.target)
    return replace(
        candidate, target_created=target_created, name_created=when or candidate.name_created
    )


def new_names(
    since: dt.datetime, *, popularity: Popularity | None, index_repo: Path | None
) -> NewNames:
    """Crates first published at or after *since*.

    Dates come from the db-dump's ``created_at`` when *popularity* has them, else from the
    git history of *index_repo*. Raises
    :class:`~cratewatch.inspect.typosquat.history.HistoryUnavailable` explaining why neither
    can date publications.
    """
    if popularity is not None and popularity.created:
        names = sorted(
            (
                (popularity.display_name(key), when)
                for key, when in popularity.created.items()
                if when >= since
            ),
            key=lambda item: (item[1], item[0]),
        )
        return NewNames(names=tuple(names), dates_from=f"created_at in {popularity.source}")
    if index_repo is None:
        raise HistoryUnavailable(
            "--since needs publish dates: give a git index (its commit history dates each "
            "publish) or --popularity with a crates.io db-dump (created_at)"
        )
    found = new_crates_since(index_repo, since)
    return NewNames(
        names=tuple((c.name, c.first_seen) for c in found),
        dates_from=f"git history of {index_repo}",
    )
