"""Look-alike detection against download counts, table-driven."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cratewatch.inspect.typosquat.match import Matcher, MatchKind, homoglyph_skeleton
from cratewatch.inspect.typosquat.popularity import Popularity, PopularityKind, load_popularity
from tests.conftest import ASSETS

POPULARITY = load_popularity(ASSETS / "typosquat" / "downloads.csv")
MATCHER = Matcher(POPULARITY)

CASES = [
    # name, target, kind, edit
    ("rustdecimal", "rust_decimal", MatchKind.SEPARATOR_DROPPED,
     "drops the separators of rust_decimal"),
    ("lazystatic", "lazy_static", MatchKind.SEPARATOR_DROPPED,
     "drops the separators of lazy_static"),
    ("ser-de", "serde", MatchKind.SEPARATOR_DROPPED, "adds separators to serde"),
    ("serde-json", "serde_json", MatchKind.SEPARATOR,
     "differs from serde_json only in '-'/'_' (crates.io treats them as one name)"),
    ("Serde", "serde", MatchKind.SEPARATOR,
     "differs from serde only in case (crates.io treats them as one name)"),
    ("c1ap", "clap", MatchKind.HOMOGLYPH, "swaps look-alike characters of clap"),
    ("tok1o", "tokio", MatchKind.HOMOGLYPH, "swaps look-alike characters of tokio"),
    ("t0kio", "tokio", MatchKind.HOMOGLYPH, "swaps look-alike characters of tokio"),
    ("rnio", "mio", MatchKind.HOMOGLYPH, "swaps look-alike characters of mio"),
    ("serde-rs", "serde", MatchKind.AFFIX, "adds '-rs' to serde"),
    ("rust-serde", "serde", MatchKind.AFFIX, "adds 'rust-' to serde"),
    ("tokio-cli", "tokio", MatchKind.AFFIX, "adds '-cli' to tokio"),
    ("reqwest-rust", "reqwest", MatchKind.AFFIX, "adds '-rust' to reqwest"),
    ("clap-sys", "clap", MatchKind.AFFIX, "adds '-sys' to clap"),
    ("json-serde", "serde_json", MatchKind.REORDERED, "reorders the words of serde_json"),
    ("reqwset", "reqwest", MatchKind.EDIT, "1 edit from reqwest (swapped letters)"),
    ("reqest", "reqwest", MatchKind.EDIT, "1 edit from reqwest (drops 'w')"),
    ("tokioo", "tokio", MatchKind.EDIT, "1 edit from tokio (adds 'o')"),
    ("serde-jsom", "serde_json", MatchKind.EDIT, "1 edit from serde_json ('n' -> 'm')"),
    ("seerde-jsonn", "serde_json", MatchKind.EDIT, "2 edits from serde_json (adds 'e', adds 'n')"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "target", "kind", "edit"), CASES)
def test_look_alikes(name: str, target: str, kind: MatchKind, edit: str) -> None:
    best = MATCHER.find(name)[0]
    assert (best.target, best.kind, best.edit) == (target, kind, edit)
    assert best.score >= 0.5
    own = None if kind is MatchKind.SEPARATOR else POPULARITY.count(name)
    assert best.name_popularity == own  # only rustdecimal has (120) downloads
    assert best.target_popularity == POPULARITY.count(target)


@pytest.mark.parametrize("name", ["syn", "rand", "mio", "serde", "zzz-unrelated", "time"])
def test_popular_or_unrelated_names_raise_nothing(name: str) -> None:
    assert [c for c in MATCHER.find(name) if c.score >= 0.5] == []


def test_short_names_only_match_exactly_shaped_look_alikes() -> None:
    # "sin" is one edit from "syn" but names under five letters are not edit-matched
    assert MATCHER.find("sin") == []


def test_a_known_crate_is_scored_by_its_popularity_gap() -> None:
    # rustdecimal has 120 downloads against 50M: a gap of ~416,667, full score
    best = MATCHER.find("rustdecimal")[0]
    assert (best.name_popularity, best.target_popularity) == (120, 50_000_000)
    assert best.gap == pytest.approx(50_000_000 / 120)
    assert best.score == 0.9
    # rand_core is itself popular: a tiny gap, almost no suspicion
    (core,) = [c for c in MATCHER.find("rand_core") if c.target == "rand"]
    assert core.kind is MatchKind.AFFIX
    assert core.score < 0.1


def test_an_older_look_alike_is_not_a_squatter() -> None:
    created = {
        "serde": dt.datetime(2015, 1, 1, tzinfo=dt.UTC),
        "serdee": dt.datetime(2014, 1, 1, tzinfo=dt.UTC),
    }
    pop = Popularity.from_counts(
        {"serde": 1_000_000}, source="t", kind=PopularityKind.DOWNLOADS, created=created
    )
    (candidate,) = Matcher(pop).find("serdee")
    assert candidate.score == pytest.approx(0.7 * 0.2)
    assert (candidate.name_created, candidate.target_created) == (
        created["serdee"],
        created["serde"],
    )


def test_limit_and_order() -> None:
    found = MATCHER.find("serde-rs", limit=10)
    scores = [c.score for c in found]
    assert scores == sorted(scores, reverse=True)
    assert len(MATCHER.find("serde-rs", limit=1)) == 1


@given(st.from_regex(r"[a-z][a-z0-9_-]{0,20}", fullmatch=True))
def test_skeleton_ignores_separators_and_case(name: str) -> None:
    assert homoglyph_skeleton(name) == homoglyph_skeleton(name.upper().replace("_", "-"))
    assert "-" not in homoglyph_skeleton(name)
