"""Typosquatting: names that imitate popular crates.

:mod:`.popularity` loads download counts (CSV, crates.io db-dump) or computes reverse-dependency
counts from the index; :mod:`.match` finds the popular crates a name imitates;
:mod:`.history` finds when crates first appeared in a git index.
"""

from __future__ import annotations

from cratewatch.inspect.typosquat.match import Candidate, MatchKind, find_targets
from cratewatch.inspect.typosquat.popularity import Popularity, PopularityKind

__all__ = ["Candidate", "MatchKind", "Popularity", "PopularityKind", "find_targets"]
