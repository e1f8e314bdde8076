"""Which popular crates a name imitates, and how.

A name is compared with the most popular crates (download counts or reverse dependencies):

* ``separator``: the same crate for crates.io (``serde-json`` / ``serde_json``, case);
* ``separator-dropped``: separators removed or added (``rustdecimal`` / ``rust_decimal``);
* ``homoglyph``: look-alike characters (``0``/``o``, ``1``/``l``/``i``, ``rn``/``m``, ``vv``/``w``);
* ``affix``: a popular name with ``-rs``, ``rust-``, ``-sys``, ``-cli``, ``-rust``... added
  or removed;
* ``reordered``: the same words in another order (``json-serde``);
* ``edit``: Damerau-Levenshtein distance 1 (2 for names of 10+ characters), names of 5+
  characters only.

Each candidate carries evidence (target, edit, popularity gap) and a score in [0, 1] that falls
when the name is itself popular or older than its target.

>>> from cratewatch.inspect.typosquat.popularity import Popularity, PopularityKind
>>> pop = Popularity.from_counts({"rust_decimal": 50_000_000, "serde": 400_000_000},
...                              source="example", kind=PopularityKind.DOWNLOADS)
>>> [(c.target, c.kind.value) for c in find_targets("rustdecimal", pop)]
[('rust_decimal', 'separator-dropped')]
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum

from rapidfuzz import process
from rapidfuzz.distance import DamerauLevenshtein, Levenshtein

from cratewatch.inspect.typosquat.popularity import Popularity, normalize

__all__ = ["DEFAULT_TOP", "Candidate", "MatchKind", "Matcher", "find_targets", "homoglyph_skeleton"]

DEFAULT_TOP = 5000
"""How many of the most popular crates are compared with."""

AFFIXES_PREFIX = ("rust-", "rs-", "lib-", "lib")
AFFIXES_SUFFIX = ("-rs", "-rust", "-sys", "-cli", "-lib", "-core", "-rust-lib")
_MIN_EDIT_LENGTH = 5
_LONG_NAME = 10
_HOMOGLYPH_SEQUENCES = (("rn", "m"), ("vv", "w"), ("cl", "d"))
_HOMOGLYPH_CHARS = str.maketrans({"0": "o", "1": "l", "i": "l", "|": "l", "5": "s", "3": "e"})


class MatchKind(StrEnum):
    """How a name relates to its target."""

    SEPARATOR = "separator"
    SEPARATOR_DROPPED = "separator-dropped"
    HOMOGLYPH = "homoglyph"
    AFFIX = "affix"
    REORDERED = "reordered"
    EDIT = "edit"


_BASE_SCORE = {
    MatchKind.SEPARATOR: 1.0,
    MatchKind.HOMOGLYPH: 0.95,
    MatchKind.SEPARATOR_DROPPED: 0.9,
    MatchKind.AFFIX: 0.75,
    MatchKind.REORDERED: 0.75,
    MatchKind.EDIT: 0.7,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Candidate:
    """A popular crate that a name may imitate, with the evidence."""

    name: str
    """The name being checked."""
    target: str
    """The popular crate it resembles (published spelling)."""
    kind: MatchKind
    """How they relate."""
    edit: str
    """The difference in words (``drops the '_' of rust_decimal``)."""
    distance: int
    """Damerau-Levenshtein distance between the normalized names."""
    target_popularity: int
    """The target's count (downloads or reverse dependencies)."""
    name_popularity: int | None
    """The name's own count; ``None`` when the source does not know it (a new crate)."""
    gap: float | None
    """target / max(name, 1); ``None`` when the name's count is unknown."""
    target_created: dt.datetime | None
    """When the target was first published, where known."""
    name_created: dt.datetime | None
    """When the name was first published, where known."""
    score: float
    """Suspicion in [0, 1]: the kind's weight, lowered when the name is itself popular or
    older than the target."""


def homoglyph_skeleton(name: str) -> str:
    """*name* with separators removed and look-alike characters folded.

    >>> homoglyph_skeleton("serde-j5on"), homoglyph_skeleton("c1ap"), homoglyph_skeleton("rnio")
    ('serdejson', 'dap', 'mlo')
    """
    text = _bare(normalize(name)).translate(_HOMOGLYPH_CHARS)
    for sequence, replacement in _HOMOGLYPH_SEQUENCES:
        text = text.replace(sequence, replacement)
    return text


def _bare(normalized: str) -> str:
    return normalized.replace("-", "")


def _tokens(normalized: str) -> list[str]:
    return [t for t in normalized.split("-") if t]


def _strip_affixes(normalized: str) -> set[str]:
    out: set[str] = set()
    for prefix in AFFIXES_PREFIX:
        if normalized.startswith(prefix) and len(normalized) > len(prefix) + 1:
            out.add(normalized[len(prefix) :].lstrip("-"))
    for suffix in AFFIXES_SUFFIX:
        if normalized.endswith(suffix) and len(normalized) > len(suffix) + 1:
            out.add(normalized[: -len(suffix)].rstrip("-"))
    return {o for o in out if o}


class Matcher:
    """The most popular crates of a :class:`Popularity`, indexed for fast comparisons.

    Build it once and call :meth:`find` for every name (``typosquat --scan``, ``watch``).
    """

    def __init__(self, popularity: Popularity, *, top: int = DEFAULT_TOP) -> None:
        self.popularity = popularity
        """Where the counts come from."""
        self._by_key: dict[str, str] = {}
        self._by_bare: dict[str, list[str]] = defaultdict(list)
        self._by_skeleton: dict[str, list[str]] = defaultdict(list)
        self._by_tokens: dict[tuple[str, ...], list[str]] = defaultdict(list)
        self._by_stripped: dict[str, list[str]] = defaultdict(list)
        for target in popularity.ranked(top):
            key = normalize(target)
            self._by_key[key] = target
            self._by_bare[_bare(key)].append(target)
            if len(_bare(key)) >= 3:
                self._by_skeleton[homoglyph_skeleton(target)].append(target)
            tokens = tuple(sorted(_tokens(key)))
            if len(tokens) >= 2:
                self._by_tokens[tokens].append(target)
            for stripped in _strip_affixes(key):
                self._by_stripped[stripped].append(target)
        self._bares = {target: _bare(key) for key, target in self._by_key.items()}

    def find(self, name: str, *, limit: int = 5) -> list[Candidate]:
        """Popular crates *name* may imitate, best first (at most *limit*)."""
        found: dict[str, Candidate] = {}
        for target, kind, edit in self._relations(name):
            if target == name:
                continue
            candidate = _candidate(name, target, kind, edit, self.popularity)
            kept = found.get(normalize(target))
            if kept is None or _BASE_SCORE[kind] > _BASE_SCORE[kept.kind]:
                found[normalize(target)] = candidate
        ordered = sorted(found.values(), key=lambda c: (-c.score, -c.target_popularity, c.target))
        return ordered[:limit]

    def _relations(self, name: str) -> Iterator[tuple[str, MatchKind, str]]:
        key = normalize(name)
        bare = _bare(key)
        same = self._by_key.get(key)
        if same is not None and same != name:
            yield same, MatchKind.SEPARATOR, _separator_edit(name, same)
        for target in self._by_bare.get(bare, ()):
            if normalize(target) != key:
                yield (
                    target,
                    MatchKind.SEPARATOR_DROPPED,
                    _dropped_edit(key, normalize(target), target),
                )
        if len(bare) >= 3:
            for target in self._by_skeleton.get(homoglyph_skeleton(name), ()):
                if _bare(normalize(target)) != bare:
                    yield target, MatchKind.HOMOGLYPH, f"swaps look-alike characters of {target}"
        for stripped in _strip_affixes(key):
            base = self._by_key.get(stripped)
            if base is not None:
                yield base, MatchKind.AFFIX, f"adds {_affix(key, stripped)!r} to {base}"
        if len(bare) >= _MIN_EDIT_LENGTH:
            for target in self._by_stripped.get(key, ()):
                affix = _affix(normalize(target), key)
                yield target, MatchKind.AFFIX, f"drops {affix!r} from {target}"
        tokens = tuple(sorted(_tokens(key)))
        for target in self._by_tokens.get(tokens, ()) if len(tokens) >= 2 else ():
            if normalize(target) != key:
                yield target, MatchKind.REORDERED, f"reorders the words of {target}"
        yield from self._edits(bare)

    def _edits(self, bare: str) -> Iterator[tuple[str, MatchKind, str]]:
        if len(bare) < _MIN_EDIT_LENGTH:
            return
        cutoff = 2 if len(bare) >= _LONG_NAME else 1
        for target_bare, distance, target in process.extract(
            bare, self._bares, scorer=DamerauLevenshtein.distance, score_cutoff=cutoff, limit=None
        ):
            if distance == 0 or len(target_bare) < _MIN_EDIT_LENGTH:
                continue
            yield (
                target,
                MatchKind.EDIT,
                _edit_description(bare, target_bare, target, int(distance)),
            )


def find_targets(
    name: str, popularity: Popularity, *, top: int = DEFAULT_TOP, limit: int = 5
) -> list[Candidate]:
    """Popular crates *name* may imitate, best first (see :class:`Matcher` for many names)."""
    return Matcher(popularity, top=top).find(name, limit=limit)


def _separator_edit(name: str, target: str) -> str:
    if name.lower() == target.lower():
        return f"differs from {target} only in case (crates.io treats them as one name)"
    return f"differs from {target} only in '-'/'_' (crates.io treats them as one name)"


def _dropped_edit(key: str, target_key: str, target: str) -> str:
    if key.count("-") < target_key.count("-"):
        return f"drops the separators of {target}"
    return f"adds separators to {target}"


def _affix(longer: str, shorter: str) -> str:
    if longer.startswith(shorter):
        return longer[len(shorter) :]
    if longer.endswith(shorter):
        return longer[: -len(shorter)]
    return longer.replace(shorter, "", 1)


def _edit_description(bare: str, target_bare: str, target: str, distance: int) -> str:
    plural = "s" if distance > 1 else ""
    if Levenshtein.distance(bare, target_bare) > distance:
        return f"{distance} edit{plural} from {target} (swapped letters)"
    ops = Levenshtein.editops(target_bare, bare)
    described = []
    for op in ops:
        if op.tag == "replace":
            described.append(f"{target_bare[op.src_pos]!r} -> {bare[op.dest_pos]!r}")
        elif op.tag == "insert":
            described.append(f"adds {bare[op.dest_pos]!r}")
        else:
            described.append(f"drops {target_bare[op.src_pos]!r}")
    return f"{distance} edit{plural} from {target} ({', '.join(described)})"


def _candidate(
    name: str, target: str, kind: MatchKind, edit: str, popularity: Popularity
) -> Candidate:
    target_count = popularity.count(target) or 0
    # a name equal to the target under crates.io rules has no count of its own
    own = popularity.count(name) if kind is not MatchKind.SEPARATOR else None
    gap = target_count / max(own, 1) if own is not None else None
    score = _BASE_SCORE[kind]
    if gap is not None:
        score *= min(1.0, max(0.0, math.log10(max(gap, 1.0)) / 3))
    target_created = popularity.created.get(normalize(target))
    name_created = popularity.created.get(normalize(name))
    if target_created and name_created and name_created < target_created:
        score *= 0.2  # the look-alike came first: not squatting on the target
    distance = int(DamerauLevenshtein.distance(normalize(name), normalize(target)))
    return Candidate(
        name=name,
        target=target,
        kind=kind,
        edit=edit,
        distance=distance,
        target_popularity=target_count,
        name_popularity=own,
        gap=gap,
        target_created=target_created,
        name_created=name_created,
        score=round(score, 3),
    )
