"""Affected intervals from patched/unaffected requirements, as RustSec's OSV export has them."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from cratewatch.advisories.ranges import (
    UNBOUNDED_START,
    AffectedRange,
    UnsupportedRange,
    affected_ranges,
    next_version,
)
from cratewatch.errors import ParseError
from cratewatch.semver import Version, VersionReq


def _reqs(texts: list[str]) -> list[VersionReq]:
    return [VersionReq.parse(t) for t in texts]


def _events(ranges: tuple[AffectedRange, ...]) -> list[tuple[str, str | None]]:
    return [(str(r.introduced), None if r.fixed is None else str(r.fixed)) for r in ranges]


# (advisory, patched, unaffected, the [introduced, fixed) pairs RustSec publishes for it on
# its `osv` branch and osv.dev). The requirements are copied from the advisory files.
REAL_ADVISORIES = [
    ("RUSTSEC-2019-0009", [">= 0.6.10"], ["< 0.6.5"], [("0.6.5", "0.6.10")]),
    ("RUSTSEC-2017-0008", [], [], [("0.0.0-0", None)]),
    ("RUSTSEC-2020-0055", [], ["> 0"], [("0.0.0-0", "0.0.1-0")]),
    ("RUSTSEC-2018-0004", ["^0.3.2", ">= 0.4.1"], [], [("0.0.0-0", "0.3.2"), ("0.4.0-0", "0.4.1")]),
    (
        "RUSTSEC-2017-0005",
        ["< 0.6.0", "^0.6.2", ">= 0.7.6"],
        [],
        [("0.6.0", "0.6.2"), ("0.7.0-0", "0.7.6")],
    ),
    (
        "RUSTSEC-2020-0091",
        [">= 0.4.8, < 1.0.0-0", ">= 1.1.0"],
        ["< 0.4.2"],
        [("0.4.2", "0.4.8"), ("1.0.0-0", "1.1.0")],
    ),
    (
        "RUSTSEC-2022-0055",
        [">= 0.2.8, < 0.3.0-rc.1", ">= 0.3.0-rc.2"],
        [],
        [("0.0.0-0", "0.2.8"), ("0.3.0-rc.1", "0.3.0-rc.2")],
    ),
    (
        "RUSTSEC-2021-0081",
        ["^ 2.2.1", ">= 3.0.0-beta.9"],
        [],
        [("0.0.0-0", "2.2.1"), ("3.0.0-0", "3.0.0-beta.9")],
    ),
    ("RUSTSEC-2018-0011", [">= 3.6.0"], ["<= 3.5.0"], [("3.5.1-0", "3.6.0")]),
    (
        # touching ranges `< 1.2.0` / `>= 1.2.0` give RustSec's empty interval [1.2.0, 1.2.0)
        "RUSTSEC-2023-0039",
        [">= 1.0.2, < 1.1.0", ">= 1.1.5, < 1.2.0", ">= 1.2.0"],
        [],
        [("0.0.0-0", "1.0.2"), ("1.1.0", "1.1.5"), ("1.2.0", "1.2.0")],
    ),
    (
        "RUSTSEC-2020-0071",
        [">= 0.2.23"],
        ["=0.2.0", "=0.2.1", "=0.2.2", "=0.2.3", "=0.2.4", "=0.2.5", "=0.2.6"],
        [
            ("0.0.0-0", "0.2.0"),
            ("0.2.1-0", "0.2.1"),
            ("0.2.2-0", "0.2.2"),
            ("0.2.3-0", "0.2.3"),
            ("0.2.4-0", "0.2.4"),
            ("0.2.5-0", "0.2.5"),
            ("0.2.6-0", "0.2.6"),
            ("0.2.7-0", "0.2.23"),
        ],
    ),
]


@pytest.mark.parametrize(
    ("advisory", "patched", "unaffected", "expected"),
    REAL_ADVISORIES,
    ids=[row[0] for row in REAL_ADVISORIES],
)
def test_real_advisories_match_rustsec_osv_export(
    advisory: str,
    patched: list[str],
    unaffected: list[str],
    expected: list[tuple[str, str | None]],
) -> None:
    assert _events(affected_ranges(_reqs(patched), _reqs(unaffected))) == expected


# RustSec's unit tests for single requirements (src/osv/unaffected_range.rs), seen through the
# complement: the affected ranges around one unaffected requirement.
SINGLE_REQUIREMENTS = [
    ("^1.2.3", [("0.0.0-0", "1.2.3"), ("2.0.0-0", None)]),
    ("^1.2", [("0.0.0-0", "1.2.0"), ("2.0.0-0", None)]),
    ("^1", [("0.0.0-0", "1.0.0"), ("2.0.0-0", None)]),
    ("^0.2.3", [("0.0.0-0", "0.2.3"), ("0.3.0-0", None)]),
    ("^0.2", [("0.0.0-0", "0.2.0"), ("0.3.0-0", None)]),
    ("^0.0.3", [("0.0.0-0", "0.0.3"), ("0.0.4-0", None)]),
    ("^0.0", [("0.0.0-0", "0.0.0"), ("0.1.0-0", None)]),
    ("^0", [("0.0.0-0", "0.0.0"), ("1.0.0-0", None)]),
    ("1.2.3", [("0.0.0-0", "1.2.3"), ("2.0.0-0", None)]),  # bare = caret
    ("~1.2.3", [("0.0.0-0", "1.2.3"), ("1.3.0-0", None)]),
    ("~1.2", [("0.0.0-0", "1.2.0"), ("1.3.0-0", None)]),
    ("~1", [("0.0.0-0", "1.0.0"), ("2.0.0-0", None)]),
    ("=1.0", [("0.0.0-0", "1.0.0"), ("1.0.1-0", None)]),
    ("=1.2.3-rc.1", [("0.0.0-0", "1.2.3-rc.1"), ("1.2.3-rc.1.0", None)]),
    (">= 1.2.3", [("0.0.0-0", "1.2.3")]),
    ("> 1.2.3", [("0.0.0-0", "1.2.4-0")]),
    ("> 1.2.3-alpha", [("0.0.0-0", "1.2.3-alpha.0")]),
    ("< 1.2.3", [("1.2.3", None)]),
    ("<= 1.2.3", [("1.2.4-0", None)]),
    (">= 1.0.0, < 2.0.0", [("0.0.0-0", "1.0.0"), ("2.0.0", None)]),
    ("> 1.0.0, <= 2.0.0", [("0.0.0-0", "1.0.1-0"), ("2.0.1-0", None)]),
    ("<= 1.0.0, >= 1.0.0", [("0.0.0-0", "1.0.0"), ("1.0.1-0", None)]),
    ("*", []),
]


@pytest.mark.parametrize(("req", "expected"), SINGLE_REQUIREMENTS)
def test_single_unaffected_requirement(req: str, expected: list[tuple[str, str | None]]) -> None:
    assert _events(affected_ranges([], _reqs([req]))) == expected


def test_patched_and_unaffected_are_interchangeable() -> None:
    a = affected_ranges(_reqs([">= 1.4.0"]), _reqs(["< 1.0.0"]))
    b = affected_ranges([], _reqs([">= 1.4.0", "< 1.0.0"]))
    c = affected_ranges(_reqs(["< 1.0.0", ">= 1.4.0"]), [])
    assert (
        a
        == b
        == c
        == (AffectedRange(introduced=Version.parse("1.0.0"), fixed=Version.parse("1.4.0")),)
    )


@pytest.mark.parametrize(
    ("unaffected", "expected"),
    [
        # RustSec refuses these ("Overlapping version ranges"); cratewatch merges them.
        (["< 1.5.0", ">= 1.0.0, < 2.0.0"], [("2.0.0", None)]),
        (["^1.2.0", "^1.4.0", ">= 3.0.0"], [("0.0.0-0", "1.2.0"), ("2.0.0-0", "3.0.0")]),
        (["<= 1.0.0", ">= 1.0.0, < 1.1.0"], [("1.1.0", None)]),
        (["=1.0.0", "=1.0.0"], [("0.0.0-0", "1.0.0"), ("1.0.1-0", None)]),
        (["< 1.0.0", "< 2.0.0"], [("2.0.0", None)]),
        ([">= 1.0.0", "> 0.5.0", ">= 3.0.0"], [("0.0.0-0", "0.5.1-0")]),
        (["*", ">= 1.0.0"], []),
    ],
)
def test_overlapping_unaffected_ranges_are_merged(
    unaffected: list[str], expected: list[tuple[str, str | None]]
) -> None:
    assert _events(affected_ranges([], _reqs(unaffected))) == expected


@pytest.mark.parametrize(
    ("req", "message"),
    [
        (
            ">= 1.0.0, < 2.0.0, < 3.0.0",
            ">=1.0.0, <2.0.0, <3.0.0: too many comparators in one requirement (at most 2)",
        ),
        (">= 1.0.0, > 1.5.0", ">=1.0.0, >1.5.0: more than one lower bound in one requirement"),
        ("< 1.0.0, <= 1.5.0", "<1.0.0, <=1.5.0: more than one upper bound in one requirement"),
        (
            "^1.0.0, < 1.5.0",
            "^1.0.0, <1.5.0: a requirement that sets both bounds ('=', '^', '~') "
            "must be alone in its range",
        ),
        ("1.*", "1.*: unsupported operator in '1.*'"),
        (
            ">= 2.0.0, < 1.0.0",
            ">=2.0.0, <1.0.0: invalid range: the lower bound must not be above the upper bound",
        ),
        (
            ">= 1.0.0, < 1.0.0",
            ">=1.0.0, <1.0.0: invalid range: the lower bound must not be above the upper bound",
        ),
    ],
)
def test_unsupported_requirements_are_refused(req: str, message: str) -> None:
    with pytest.raises(UnsupportedRange) as info:
        affected_ranges(_reqs([req]), [])
    assert str(info.value) == message
    assert isinstance(info.value, ParseError)


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("1.2.3", "1.2.4-0"),
        ("1.2.3+build.5", "1.2.4-0"),
        ("1.2.3-9", "1.2.3-9.0"),
        ("1.2.3-4.5.6", "1.2.3-4.5.6.0"),
        ("1.2.3-alpha1", "1.2.3-alpha1.0"),
        ("1.2.3-alpha.1.foo", "1.2.3-alpha.1.foo.0"),
    ],
)
def test_next_version_is_the_lowest_higher_version(version: str, expected: str) -> None:
    v = Version.parse(version)
    nxt = next_version(v)
    assert str(nxt) == expected
    assert nxt > v


def test_next_version_has_nothing_in_between() -> None:
    # RustSec's own checks: "intuitive" successors are all above the computed one
    assert next_version(Version.parse("1.2.3-9")) < Version.parse("1.2.3-10")
    assert next_version(Version.parse("1.2.3-9")) < Version.parse("1.2.3-9.0.0.0")
    assert next_version(Version.parse("1.2.3-alpha1")) < Version.parse("1.2.3-alpha1-")
    assert next_version(Version.parse("1.2.3")) < Version.parse("1.2.4-alpha")


@pytest.mark.parametrize(
    ("introduced", "fixed", "text"),
    [
        ("0.10.0", "0.10.3", ">= 0.10.0, < 0.10.3"),
        ("0.0.0-0", "1.0.2", "< 1.0.2"),
        ("1.2.0", None, ">= 1.2.0"),
        ("0.0.0-0", None, "*"),
        ("3.5.1-0", "3.6.0", ">= 3.5.1-0, < 3.6.0"),
    ],
)
def test_human_form(introduced: str, fixed: str | None, text: str) -> None:
    r = AffectedRange(
        introduced=Version.parse(introduced),
        fixed=None if fixed is None else Version.parse(fixed),
    )
    assert str(r) == text


@pytest.mark.parametrize(
    ("version", "inside"),
    [
        ("0.9.9", False),
        ("0.10.0-rc.1", False),
        ("0.10.0", True),
        ("0.10.2", True),
        ("0.10.3-alpha", True),
        ("0.10.3", False),
        ("1.0.0", False),
    ],
)
def test_contains_is_half_open(version: str, inside: bool) -> None:
    r = AffectedRange(introduced=Version.parse("0.10.0"), fixed=Version.parse("0.10.3"))
    assert r.contains(Version.parse(version)) is inside
    assert not r.is_empty


def test_unbounded_and_empty_ranges() -> None:
    everything = AffectedRange(introduced=UNBOUNDED_START, fixed=None)
    assert everything.contains(Version.parse("0.0.0-0"))
    assert everything.contains(Version.parse("0.0.0-alpha"))
    assert everything.contains(Version.parse("99999.0.0"))
    empty = AffectedRange(introduced=Version.parse("1.2.0"), fixed=Version.parse("1.2.0"))
    assert empty.is_empty
    assert not empty.contains(Version.parse("1.2.0"))


# --- Agreement with Cargo's matching (what cargo-audit does) ---------------------------------

_NUM = st.integers(min_value=0, max_value=3)
_PRE = st.sampled_from(["", "", "", "0", "alpha", "alpha.1", "rc.2"])


@st.composite
def _versions(draw: st.DrawFn, *, pre: st.SearchStrategy[str] = _PRE) -> Version:
    return Version(major=draw(_NUM), minor=draw(_NUM), patch=draw(_NUM), pre=draw(pre), build="")


_RELEASES = _versions(pre=st.just(""))


def _text(v: Version) -> str:
    return str(v)


@st.composite
def _requirements(draw: st.DrawFn) -> VersionReq:
    """Requirement shapes found in advisory-db, restricted to where Cargo and RustSec agree.

    Partial versions are only drawn for operators that read them alike (``>=``, ``<``, ``^``,
    ``~``); ``>``, ``<=`` and ``=`` take full versions.
    """
    shape = draw(st.sampled_from(["lower", "upper", "both", "caret", "tilde", "exact"]))
    a = draw(_versions())
    if shape == "lower":
        op = draw(st.sampled_from([">=", ">"]))
        return VersionReq.parse(f"{op} {_text(a)}")
    if shape == "upper":
        op = draw(st.sampled_from(["<", "<="]))
        return VersionReq.parse(f"{op} {_text(a)}")
    if shape == "both":
        b = draw(_versions().filter(lambda b: b > a))
        low = draw(st.sampled_from([">=", ">"]))
        high = draw(st.sampled_from(["<", "<="]))
        return VersionReq.parse(f"{low} {_text(a)}, {high} {_text(b)}")
    if shape == "exact":
        return VersionReq.parse(f"={_text(a)}")
    op = "^" if shape == "caret" else "~"
    parts = draw(st.integers(min_value=1, max_value=3))
    text = ".".join(str(n) for n in (a.major, a.minor, a.patch)[:parts])
    if parts == 3 and a.pre:
        text += f"-{a.pre}"
    return VersionReq.parse(f"{op}{text}")


_REQ_LISTS = st.lists(_requirements(), max_size=4)


@given(_REQ_LISTS, _REQ_LISTS, _RELEASES)
@example(
    [VersionReq.parse(">= 1.0.0, < 1.1.0"), VersionReq.parse(">= 1.1.0")],
    [],
    Version.parse("1.1.0"),
)
def test_ranges_agree_with_cargo_matching_on_releases(
    patched: list[VersionReq], unaffected: list[VersionReq], version: Version
) -> None:
    """For a release, "inside a range" is exactly "matched by no patched/unaffected req"."""
    matched = any(req.matches(version) for req in (*patched, *unaffected))
    inside = any(r.contains(version) for r in affected_ranges(patched, unaffected))
    assert inside is not matched


@given(_REQ_LISTS, _REQ_LISTS, _versions())
def test_ranges_never_flag_a_version_cargo_calls_patched(
    patched: list[VersionReq], unaffected: list[VersionReq], version: Version
) -> None:
    """Pre-releases included: a version some requirement matches is outside every range."""
    if any(req.matches(version) for req in (*patched, *unaffected)):
        assert not any(r.contains(version) for r in affected_ranges(patched, unaffected))


@given(_REQ_LISTS, _REQ_LISTS)
def test_ranges_are_sorted_and_disjoint(
    patched: list[VersionReq], unaffected: list[VersionReq]
) -> None:
    ranges = affected_ranges(patched, unaffected)
    for low, high in itertools.pairwise(ranges):
        assert low.fixed is not None
        assert low.introduced <= low.fixed <= high.introduced


@pytest.mark.parametrize(
    ("patched", "unaffected", "version", "cargo_affected", "osv_affected"),
    [
        # Cargo: a requirement matches a pre-release only of the x.y.z it names, so cargo-audit
        # flags 1.3.0-beta as not patched; by SemVer precedence it is above the fix.
        ([">= 1.2.0"], [], "1.3.0-beta", True, False),
        (["^1.2.0"], [], "1.4.0-rc.1", True, False),
        # Cargo reads `> 0` as `>= 1.0.0`; RustSec as `> 0.0.0` (RUSTSEC-2020-0055).
        ([], ["> 0"], "0.5.0", True, False),
        # Cargo reads `<= 1.2` as `< 1.3.0-0`; RustSec as `<= 1.2.0`.
        ([], ["<= 1.2"], "1.2.5", False, True),
        # Cargo reads `=1.2` as `>= 1.2.0, < 1.3.0-0`; RustSec as exactly 1.2.0.
        ([], ["=1.2"], "1.2.5", False, True),
    ],
)
def test_documented_disagreements_with_cargo(
    patched: list[str],
    unaffected: list[str],
    version: str,
    cargo_affected: bool,
    osv_affected: bool,
) -> None:
    v = Version.parse(version)
    reqs = _reqs(patched) + _reqs(unaffected)
    assert (not any(r.matches(v) for r in reqs)) is cargo_affected
    ranges = affected_ranges(_reqs(patched), _reqs(unaffected))
    assert any(r.contains(v) for r in ranges) is osv_affected
