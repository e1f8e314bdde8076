"""Detecting the license of a LICENSE/COPYING file from its text, with a confidence score.

The texts are SPDX's, for the licenses common in the Rust ecosystem (see
``scripts/gen_license_texts.py``, which writes ``data/license-texts.json.gz`` from the npm
package ``spdx-license-list``; no offline Python package ships the SPDX texts). A file and each
template are normalized the same way (case, punctuation, quotes, British spellings, copyright
and placeholder lines dropped) and compared as multisets of word pairs: the score is their
Dice coefficient, as askalono (cargo-deny's detector) computes it. When extra text around the
license (a title, a notice) lowers the score, lines are trimmed from either end while that
raises it. ``GPL-2.0-only`` and ``GPL-2.0-or-later`` share one text; the ``-only`` id is
reported.

:func:`clarify_hash` is cargo-deny's hash of a license file for ``[[licenses.clarify]]``.

>>> detect_license(license_text("MIT").replace("<year> <copyright holders>", "2024 Jane")).license
'MIT'
>>> clarify_hash(b"line\\r\\n") == clarify_hash(b"line") == clarify_hash(b"line\\n")
True
"""

from __future__ import annotations

import functools
import gzip
import itertools
import json
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources

import xxhash

__all__ = [
    "LicenseMatch",
    "clarify_hash",
    "detect_license",
    "known_texts",
    "license_text",
    "normalize_words",
]

_DATA = "license-texts.json.gz"
_MAX_TEXT = 512 * 1024
_TRIM_STEPS = 400
_GOOD_ENOUGH = 0.98

_COPYRIGHT = re.compile(
    r"^\s*(?:copyright\b.*(?:\d{4}|\(c\)|©|<)|\(c\)|©|all rights reserved)", re.IGNORECASE
)
_PLACEHOLDER = re.compile(r"<[^<>\n]{1,60}>|\[(?:yyyy|year|name[^\]]{0,60}|fullname|owner)\]", re.I)
_SPELLINGS = {
    "licence": "license",
    "licences": "licenses",
    "licenced": "licensed",
    "licensor": "licensor",
    "organisation": "organization",
    "organisations": "organizations",
    "favour": "favor",
    "behaviour": "behavior",
    "recognised": "recognized",
    "authorised": "authorized",
    "unauthorised": "unauthorized",
    "centre": "center",
    "colour": "color",
}
_QUOTES = str.maketrans(
    {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"}
)
_WORD = re.compile(r"[a-z0-9]+")


@dataclass(frozen=True, slots=True, kw_only=True)
class LicenseMatch:
    """The closest known license text."""

    license: str
    """Its SPDX id."""
    score: float
    """The Dice coefficient of the word pairs, 0.0 to 1.0."""


def normalize_words(text: str) -> list[list[str]]:
    """The words of each line of *text*, normalized (empty and copyright lines dropped)."""
    text = unicodedata.normalize("NFKC", text[:_MAX_TEXT]).translate(_QUOTES)
    lines = []
    for raw in text.splitlines():
        if _COPYRIGHT.match(raw):
            continue
        words = [_SPELLINGS.get(w, w) for w in _WORD.findall(_PLACEHOLDER.sub(" ", raw).lower())]
        if words:
            lines.append(words)
    return lines


def _bigrams(lines: Sequence[Sequence[str]]) -> Counter[tuple[str, str]]:
    words = [w for line in lines for w in line]
    return Counter(itertools.pairwise(words))


def _dice(
    a: Counter[tuple[str, str]], a_total: int, b: Counter[tuple[str, str]], b_total: int
) -> float:
    if a_total + b_total == 0:
        return 0.0
    if len(a) > len(b):
        a, b = b, a
    shared = sum(min(count, b[gram]) for gram, count in a.items() if gram in b)
    return 2.0 * shared / (a_total + b_total)


@functools.cache
def known_texts() -> Mapping[str, str]:
    """The SPDX license texts shipped, by id."""
    data = resources.files("cratewatch.policy").joinpath("data", _DATA).read_bytes()
    doc = json.loads(gzip.decompress(data))
    return {key: str(value) for key, value in doc["licenses"].items()}


def license_text(license_id: str) -> str:
    """The shipped text of one license (``KeyError`` when not shipped)."""
    return known_texts()[license_id]


@functools.cache
def _templates() -> tuple[tuple[str, Counter[tuple[str, str]], int], ...]:
    built = []
    for key, text in sorted(known_texts().items()):
        grams = _bigrams(normalize_words(text))
        built.append((key, grams, sum(grams.values())))
    return tuple(built)


def detect_license(text: str) -> LicenseMatch:
    """The best-matching known license of *text*, with its score."""
    lines = normalize_words(text)
    best = _best(lines)
    if best.score >= _GOOD_ENOUGH or len(lines) < 2:
        return best
    trimmed = _trim(lines, best.license)
    return trimmed if trimmed.score > best.score else best


def _best(lines: Sequence[Sequence[str]]) -> LicenseMatch:
    grams = _bigrams(lines)
    total = sum(grams.values())
    scored = [
        LicenseMatch(license=key, score=_dice(grams, total, template, size))
        for key, template, size in _templates()
    ]
    return max(
        scored,
        key=lambda m: (m.score, -len(m.license)),
        default=LicenseMatch(license="", score=0.0),
    )


def _trim(lines: list[list[str]], key: str) -> LicenseMatch:
    """Drop lines from either end while that raises the score against template *key*."""
    template, size = next((g, s) for k, g, s in _templates() if k == key)
    start, end = 0, len(lines)

    def score(lo: int, hi: int) -> float:
        grams = _bigrams(lines[lo:hi])
        return _dice(grams, sum(grams.values()), template, size)

    current = score(start, end)
    for _ in range(_TRIM_STEPS):
        options = []
        if end - start > 1:
            options.append((score(start + 1, end), start + 1, end))
            options.append((score(start, end - 1), start, end - 1))
        better = max(options, default=None)
        if better is None or better[0] <= current:
            break
        current, start, end = better
    return LicenseMatch(license=key, score=current)


def clarify_hash(content: bytes | str) -> int:
    """cargo-deny's hash of a license file: xxHash32 (seed 0) of its text with every line
    ending made ``\\n`` (and a final one added)."""
    if isinstance(content, bytes):
        content = content.decode("utf-8", "replace")
    lines = content.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    normalized = "".join(line.rstrip("\r\n") + "\n" for line in lines)
    return xxhash.xxh32(normalized.encode()).intdigest()
