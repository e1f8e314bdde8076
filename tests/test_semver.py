"""cratewatch.semver against the Rust semver crate: its own test tables, golden results it
computed (tests/assets/semver/crate_oracle.json), Hypothesis properties and the real 2020 index.
"""

from __future__ import annotations

import copy
import doctest
import itertools
import json
import pickle
import random
import subprocess
from collections.abc import Callable, Iterator
from functools import cmp_to_key
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import cratewatch.semver
import cratewatch.semver._req
import cratewatch.semver._version
from cratewatch.errors import ParseError
from cratewatch.semver import (
    Comparator,
    InvalidVersion,
    InvalidVersionReq,
    Op,
    Version,
    VersionReq,
)

U64_MAX = 2**64 - 1


def v(text: str) -> Version:
    return Version.parse(text)


def req(text: str) -> VersionReq:
    return VersionReq.parse(text)


def version_reason(text: str) -> str:
    with pytest.raises(InvalidVersion) as info:
        Version.parse(text)
    return info.value.reason


def req_reason(text: str) -> str:
    with pytest.raises(InvalidVersionReq) as info:
        VersionReq.parse(text)
    return info.value.reason


# ------------------------------------------------------------------------------------------
# Version parsing: tests/test_version.rs


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty string, expected a semver version"),
        ("  ", "unexpected character ' ' while parsing major version number"),
        ("1", "unexpected end of input while parsing major version number"),
        ("1.2", "unexpected end of input while parsing minor version number"),
        ("1.2.3-", "empty identifier segment in pre-release identifier"),
        ("a.b.c", "unexpected character 'a' while parsing major version number"),
        ("1.2.3 abc", "unexpected character ' ' after patch version number"),
        ("1.2.3-01", "invalid leading zero in pre-release identifier"),
        ("5.1.5++", "empty identifier segment in build metadata"),
        ("07", "invalid leading zero in major version number"),
        ("75774777777757777757", "value of major version number exceeds u64::MAX"),
        ("8\0", "unexpected character '\\0' after major version number"),
        # the two version strings of the 2020 index that Cargo rejects
        ("0.0.1-001", "invalid leading zero in pre-release identifier"),
        ("0.3.0-alpha.01", "invalid leading zero in pre-release identifier"),
        # no leading `v`, no whitespace, no partial versions, empty identifiers
        ("v1.2.3", "unexpected character 'v' while parsing major version number"),
        (" 1.2.3", "unexpected character ' ' while parsing major version number"),
        ("1.2.3\n", "unexpected character '\\n' after patch version number"),
        ("1.2.3-a..b", "empty identifier segment in pre-release identifier"),
        ("1.2.3-a.", "empty identifier segment in pre-release identifier"),
        ("1.2.3+", "empty identifier segment in build metadata"),
        ("1.2.3-a+b_c", "unexpected character '_' after build metadata"),
        ("01.2.3", "invalid leading zero in major version number"),
        ("1.02.3", "invalid leading zero in minor version number"),
        ("1.2.00", "invalid leading zero in patch version number"),
        ("1.2.18446744073709551616", "value of patch version number exceeds u64::MAX"),
        ("1.2.3.4", "unexpected character '.' after patch version number"),
        ("1.2.3+4\u00ff", "unexpected character '\u00ff' after build metadata"),
        ("1.2.3-\u0301", "empty identifier segment in pre-release identifier"),
        ("1.2.3+a\u00a0", "unexpected character '\\u{a0}' after build metadata"),
        ("1.2.3+a'", "unexpected character '\\'' after build metadata"),
    ],
)
def test_version_parse_errors(text: str, reason: str) -> None:
    assert version_reason(text) == reason


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        ("1.2.3", (1, 2, 3, "", "")),
        ("1.2.3-alpha1", (1, 2, 3, "alpha1", "")),
        ("1.2.3+build5", (1, 2, 3, "", "build5")),
        ("1.2.3+5build", (1, 2, 3, "", "5build")),
        ("1.2.3-alpha1+build5", (1, 2, 3, "alpha1", "build5")),
        ("1.2.3-1.alpha1.9+build5.7.3aedf", (1, 2, 3, "1.alpha1.9", "build5.7.3aedf")),
        ("1.2.3-0a.alpha1.9+05build.7.3aedf", (1, 2, 3, "0a.alpha1.9", "05build.7.3aedf")),
        ("0.4.0-beta.1+0851523", (0, 4, 0, "beta.1", "0851523")),
        ("1.1.0-beta-10", (1, 1, 0, "beta-10", "")),
        ("0.0.0", (0, 0, 0, "", "")),
        ("18446744073709551615.0.0", (U64_MAX, 0, 0, "", "")),
        ("1.2.3-0", (1, 2, 3, "0", "")),
        ("1.2.3--", (1, 2, 3, "-", "")),
        ("1.2.3+00.01", (1, 2, 3, "", "00.01")),
    ],
)
def test_version_parse(text: str, fields: tuple[int, int, int, str, str]) -> None:
    parsed = v(text)
    assert (parsed.major, parsed.minor, parsed.patch, parsed.pre, parsed.build) == fields
    assert parsed == Version(*fields)
    assert str(parsed) == text
    assert parsed.is_prerelease == bool(fields[3])


def test_version_error_message_shows_input_and_caret() -> None:
    with pytest.raises(InvalidVersion) as info:
        Version.parse("0.3.0-alpha.01")
    assert str(info.value) == (
        "invalid version '0.3.0-alpha.01': invalid leading zero in pre-release identifier\n"
        "    0.3.0-alpha.01\n"
        "                ^"
    )
    assert isinstance(info.value, ParseError)
    assert isinstance(info.value, ValueError)
    assert info.value.offset == 12
    copied = pickle.loads(pickle.dumps(info.value))  # e.g. across a process pool
    assert (type(copied), str(copied), copied.reason) == (
        InvalidVersion,
        str(info.value),
        info.value.reason,
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "invalid version '': empty string, expected a semver version\n    \n    ^"),
        (
            "1.2",
            "invalid version '1.2': unexpected end of input while parsing minor version number\n"
            "    1.2\n"
            "       ^",
        ),
        (
            "8\0",
            "invalid version '8\\0': unexpected character '\\0' after major version number\n"
            "    8\\0\n"
            "     ^",
        ),
        (
            "1.2.3\t+x",
            "invalid version '1.2.3\\t+x': unexpected character '\\t' after patch version number\n"
            "    1.2.3\\t+x\n"
            "         ^",
        ),
    ],
)
def test_version_error_messages_escape_invisible_characters(text: str, message: str) -> None:
    with pytest.raises(InvalidVersion) as info:
        Version.parse(text)
    assert str(info.value) == message


def test_long_input_is_shown_as_a_window_around_the_error() -> None:
    text = "1.2.3-" + "a" * 500 + "!" + "b" * 500
    with pytest.raises(InvalidVersion) as info:
        Version.parse(text)
    first, shown, caret = str(info.value).split("\n")
    assert first.startswith("invalid version '...")
    assert first.endswith("...': unexpected character '!' after pre-release identifier")
    assert len(shown) < 120
    assert shown[len(caret) - 1] == "!"


def test_version_ordering_table() -> None:
    # tests/test_version.rs test_lt/test_le/test_gt/test_ge
    assert v("0.0.0") < v("1.2.3-alpha2")
    assert v("1.0.0") < v("1.2.3-alpha2")
    assert v("1.2.0") < v("1.2.3-alpha2")
    assert v("1.2.3-alpha1") < v("1.2.3")
    assert v("1.2.3-alpha1") < v("1.2.3-alpha2")
    assert not v("1.2.3-alpha2") < v("1.2.3-alpha2")
    assert v("1.2.3+23") < v("1.2.3+42")
    assert v("1.2.3-alpha2") <= v("1.2.3-alpha2")
    assert v("1.2.3+23") <= v("1.2.3+42")
    assert v("1.2.3") > v("1.2.3-alpha2")
    assert not v("1.2.3+23") > v("1.2.3+42")
    assert v("1.2.3-alpha2") >= v("1.2.3-alpha1")
    assert not v("1.2.3+23") >= v("1.2.3+42")


@pytest.mark.parametrize(
    "ascending",
    [
        # SemVer spec, section 11
        [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
        ],
        # numbers, then numeric < alphanumeric, ASCII order (uppercase first), longer wins
        ["0.9.10", "0.10.0", "1.0.0-2", "1.0.0-10", "1.0.0-Z", "1.0.0-a", "1.0.0-a.0", "2.0.0"],
        # build metadata tie-break: the crate's BuildMetadata order
        [
            "1.0.0",
            "1.0.0+0",
            "1.0.0+00",
            "1.0.0+1",
            "1.0.0+01",
            "1.0.0+001",
            "1.0.0+2",
            "1.0.0+02",
            "1.0.0+10",
            "1.0.0+a",
            "1.0.0+a.0",
            "1.0.0+b",
        ],
    ],
)
def test_version_total_order(ascending: list[str]) -> None:
    versions = [v(s) for s in ascending]
    shuffled = random.Random(len(versions)).sample(versions, len(versions))
    assert sorted(shuffled) == versions
    for low, high in itertools.pairwise(versions):
        assert low < high
        assert low != high


def test_equality_and_hash_count_build_metadata() -> None:
    assert v("1.2.3+23") != v("1.2.3+42")
    assert v("1.0.0+1") != v("1.0.0+001")
    assert v("1.2.3-alpha1+42") == v("1.2.3-alpha1+42")
    assert {v("1.0.0"), v("1.0.0+a"), Version(1, 0, 0)} == {v("1.0.0"), v("1.0.0+a")}
    assert v("1.0.0") != "1.0.0"


def test_version_is_immutable_picklable_and_cached() -> None:
    version = v("1.2.3-rc.1+b")
    with pytest.raises(AttributeError):
        version.major = 2
    assert pickle.loads(pickle.dumps(version)) == version
    assert copy.deepcopy(version) == version
    assert repr(version) == "Version.parse('1.2.3-rc.1+b')"
    assert Version.parse("1.2.3-rc.1+b") is version


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        ((1, 2, 3, "01"), "invalid leading zero in pre-release identifier"),
        ((1, 2, 3, "a..b"), "empty identifier segment in pre-release identifier"),
        ((1, 2, 3, "1.b\0"), "unexpected character in pre-release identifier"),
        ((1, 2, 3, "", "a b"), "unexpected character in build metadata"),
        ((1, -1, 3), "minor must be an int in 0..=u64::MAX"),
        ((1, 2, 2**64), "patch must be an int in 0..=u64::MAX"),
        ((True, 2, 3), "major must be an int in 0..=u64::MAX"),
    ],
)
def test_version_constructor_validates(args: tuple[Any, ...], reason: str) -> None:
    with pytest.raises(InvalidVersion) as info:
        Version(*args)
    assert info.value.reason == reason


# ------------------------------------------------------------------------------------------
# Requirements: tests/test_version_req.rs


MATCH_TABLE: list[tuple[str, str | None, list[str], list[str]]] = [
    # (requirement, its Display or None, versions matched, versions not matched)
    ("1.0.0", "^1.0.0", ["1.0.0", "1.1.0", "1.0.1"], ["0.9.9", "0.10.0", "0.1.0", "1.0.0-pre"]),
    ("=1.0.0", "=1.0.0", ["1.0.0"], ["1.0.1", "0.9.9", "0.10.0", "0.1.0", "1.0.0-pre"]),
    ("=0.9.0", "=0.9.0", ["0.9.0"], ["0.9.1", "1.9.0", "0.0.9", "0.9.0-pre"]),
    ("=0.0.2", "=0.0.2", ["0.0.2"], ["0.0.1", "0.0.3", "0.0.2-pre"]),
    (
        "=0.1.0-beta2.a",
        "=0.1.0-beta2.a",
        ["0.1.0-beta2.a"],
        ["0.9.1", "0.1.0", "0.1.1-beta2.a", "0.1.0-beta2"],
    ),
    ("=0.1.0+meta", "=0.1.0", ["0.1.0", "0.1.0+meta", "0.1.0+any"], []),
    (">= 1.0.0", ">=1.0.0", ["1.0.0", "2.0.0"], ["0.1.0", "0.0.1", "1.0.0-pre", "2.0.0-pre"]),
    (
        ">= 2.1.0-alpha2",
        ">=2.1.0-alpha2",
        ["2.1.0-alpha2", "2.1.0-alpha3", "2.1.0", "3.0.0"],
        ["2.0.0", "2.1.0-alpha1", "2.0.0-alpha2", "3.0.0-alpha2"],
    ),
    ("< 1.0.0", "<1.0.0", ["0.1.0", "0.0.1"], ["1.0.0", "1.0.0-beta", "1.0.1", "0.9.9-alpha"]),
    (
        "<= 2.1.0-alpha2",
        None,
        ["2.1.0-alpha2", "2.1.0-alpha1", "2.0.0", "1.0.0"],
        ["2.1.0", "2.2.0-alpha1", "2.0.0-alpha2", "1.0.0-alpha2"],
    ),
    (">1.0.0-alpha, <1.0.0", None, ["1.0.0-beta"], []),
    (">1.0.0-alpha, <1.0", None, [], ["1.0.0-beta"]),
    (">1.0.0-alpha, <1", None, [], ["1.0.0-beta"]),
    ("> 0.0.9, <= 2.5.3", ">0.0.9, <=2.5.3", ["0.0.10", "1.0.0", "2.5.3"], ["0.0.8", "2.5.4"]),
    ("0.3.0, 0.4.0", "^0.3.0, ^0.4.0", [], ["0.0.8", "0.3.0", "0.4.0"]),
    ("<= 0.2.0, >= 0.5.0", "<=0.2.0, >=0.5.0", [], ["0.0.8", "0.3.0", "0.5.1"]),
    ("0.1.0, 0.1.4, 0.1.6", "^0.1.0, ^0.1.4, ^0.1.6", ["0.1.6", "0.1.9"], ["0.1.0", "0.1.4"]),
    (
        ">=0.5.1-alpha3, <0.6",
        ">=0.5.1-alpha3, <0.6",
        ["0.5.1-alpha3", "0.5.1-alpha4", "0.5.1-beta", "0.5.1", "0.5.5"],
        ["0.5.1-alpha1", "0.5.2-alpha3", "0.5.5-pre", "0.5.0-pre", "0.6.0", "0.6.0-pre"],
    ),
    ("~1", None, ["1.0.0", "1.0.1", "1.1.1"], ["0.9.1", "2.9.0", "0.0.9"]),
    ("~1.2", None, ["1.2.0", "1.2.1"], ["1.1.1", "1.3.0", "0.0.9"]),
    ("~1.2.2", None, ["1.2.2", "1.2.4"], ["1.2.1", "1.9.0", "1.0.9", "2.0.1", "0.1.3"]),
    (
        "~1.2.3-beta.2",
        None,
        ["1.2.3", "1.2.4", "1.2.3-beta.2", "1.2.3-beta.4"],
        ["1.3.3", "1.1.4", "1.2.3-beta.1", "1.2.4-beta.2"],
    ),
    (
        "^1",
        None,
        ["1.1.2", "1.1.0", "1.2.1", "1.0.1"],
        ["0.9.1", "2.9.0", "0.1.4", "1.0.0-beta1", "0.1.0-alpha", "1.0.1-pre"],
    ),
    ("^1.1", None, ["1.1.2", "1.1.0", "1.2.1"], ["0.9.1", "2.9.0", "1.0.1", "0.1.4"]),
    (
        "^1.1.2",
        None,
        ["1.1.2", "1.1.4", "1.2.1"],
        ["0.9.1", "2.9.0", "1.1.1", "0.0.1", "1.1.2-alpha1", "1.1.3-alpha1", "2.9.0-alpha1"],
    ),
    (
        "^0.1.2",
        None,
        ["0.1.2", "0.1.4"],
        ["0.9.1", "2.9.0", "1.1.1", "0.0.1", "0.1.2-beta", "0.1.3-alpha", "0.2.0-pre"],
    ),
    (
        "^0.5.1-alpha3",
        None,
        ["0.5.1-alpha3", "0.5.1-alpha4", "0.5.1-beta", "0.5.1", "0.5.5"],
        ["0.5.1-alpha1", "0.5.2-alpha3", "0.5.5-pre", "0.5.0-pre", "0.6.0"],
    ),
    ("^0.0.2", None, ["0.0.2"], ["0.9.1", "2.9.0", "1.1.1", "0.0.1", "0.1.4"]),
    ("^0.0", None, ["0.0.2", "0.0.0"], ["0.9.1", "2.9.0", "1.1.1", "0.1.4"]),
    ("^0", None, ["0.9.1", "0.0.2", "0.0.0"], ["2.9.0", "1.1.1"]),
    (
        "^1.4.2-beta.5",
        None,
        ["1.4.2", "1.4.3", "1.4.2-beta.5", "1.4.2-beta.6", "1.4.2-c"],
        ["0.9.9", "2.0.0", "1.4.2-alpha", "1.4.2-beta.4", "1.4.3-beta.5"],
    ),
    ("*", "*", ["0.9.1", "2.9.0", "0.0.9", "1.0.1", "1.1.1"], ["1.0.0-pre"]),
    ("1.*", "1.*", ["1.2.0", "1.2.1", "1.1.1", "1.3.0"], ["0.0.9", "1.2.0-pre"]),
    ("1.2.*", "1.2.*", ["1.2.0", "1.2.2", "1.2.4"], ["1.9.0", "1.0.9", "2.0.1", "0.1.3"]),
    ("=2.1.1-really.0", None, ["2.1.1-really.0"], []),
    ("0.*.*", "0.*", ["0.5.0"], []),
    ("0.0.*", "0.0.*", [], []),
    # partial versions with every operator, as the brief spells them out
    ("^0.0.3", "^0.0.3", ["0.0.3"], ["0.0.4", "0.0.2", "0.1.0"]),
    ("~1", "~1", ["1.0.0", "1.9.9"], ["2.0.0", "0.9.9"]),
    ("<1.2", "<1.2", ["1.1.99", "0.0.0"], ["1.2.0", "1.2.1", "1.1.99-rc"]),
    (">1.2", ">1.2", ["1.3.0", "2.0.0"], ["1.2.99", "1.2.0"]),
    ("<=1.2", "<=1.2", ["1.2.99", "1.0.0"], ["1.3.0"]),
    (">=1.2", ">=1.2", ["1.2.0", "3.0.0"], ["1.1.9"]),
    (">1", ">1", ["2.0.0"], ["1.9.9"]),
    ("<=1", "<=1", ["1.9.9"], ["2.0.0"]),
    ("=1", "=1", ["1.0.0", "1.9.9"], ["2.0.0", "1.5.0-pre"]),
    (">=1.*", ">=1", ["1.0.0", "5.0.0"], ["0.9.0"]),
    ("^1.*", "^1", ["1.0.0", "1.9.0"], ["2.0.0"]),
    ("=1.2, >=1.2.5-a", None, ["1.2.7"], ["1.2.5-b", "1.2.4"]),
    (">=1.2.5-a, =1.2.5-b", None, ["1.2.5-b"], ["1.2.5-a", "1.2.5", "1.2.6"]),
    ("<1.2.3-beta", None, ["1.2.3-alpha", "1.2.2"], ["1.2.3-beta", "1.2.3", "1.2.2-alpha"]),
    ("<=1.2.3-beta", None, ["1.2.3-beta", "1.2.2"], ["1.2.3-beta.1", "1.2.3"]),
    (">1.2.3-beta", None, ["1.2.3-beta.1", "1.2.3", "1.2.4"], ["1.2.3-beta", "1.2.4-rc"]),
    ("  >= 1.0.0 ,  < 2  ", ">=1.0.0, <2", ["1.5.0"], ["2.0.0"]),
    ("18446744073709551615", None, ["18446744073709551615.0.0"], []),
]


@pytest.mark.parametrize(("text", "display", "matched", "unmatched"), MATCH_TABLE)
def test_requirement_table(
    text: str, display: str | None, matched: list[str], unmatched: list[str]
) -> None:
    parsed = req(text)
    if display is not None:
        assert str(parsed) == display
    for s in matched:
        assert parsed.matches(v(s)), s
    for s in unmatched:
        assert not parsed.matches(v(s)), s


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "unexpected end of input while parsing major version number"),
        ("> 0.1.0,", "unexpected end of input while parsing major version number"),
        ("> 0.3.0, ,", "unexpected character ',' while parsing major version number"),
        ("1.2.3 - 2.3.4", "expected comma after patch version number, found '-'"),
        ("> 0.0.9 <= 2.5.3", "expected comma after patch version number, found '<'"),
        ("1.2.3 1.2.4", "expected comma after patch version number, found '1'"),
        ("=1.2.3 || =2.3.4", "expected comma after patch version number, found '|'"),
        ("1.1 || =1.2.3", "expected comma after minor version number, found '|'"),
        ("6.* || 8.* || >= 10.*", "expected comma after minor version number, found '|'"),
        ("\0", "unexpected character '\\0' while parsing major version number"),
        (">= >= 0.0.2", "unexpected character '>' while parsing major version number"),
        (">== 0.0.2", "unexpected character '=' while parsing major version number"),
        ("a.0.0", "unexpected character 'a' while parsing major version number"),
        ("1.0.0-", "empty identifier segment in pre-release identifier"),
        (">=", "unexpected end of input while parsing major version number"),
        ("*.1", "unexpected character after wildcard in version req"),
        ("1.*.1", "unexpected character after wildcard in version req"),
        (">=1.*.1", "unexpected character after wildcard in version req"),
        ("*, 0.20.0-any", "wildcard req (*) must be the only comparator in the version req"),
        ("0.20.0-any, *", "wildcard req (*) must be the only comparator in the version req"),
        ("0.20.0-any, *, 1.0", "wildcard req (*) must be the only comparator in the version req"),
        ("x , 1", "wildcard req (x) must be the only comparator in the version req"),
        (">=*", "unexpected character '*' while parsing major version number"),
        # the three requirement strings of the 2020 index that Cargo rejects
        ("^0-.11.0", "expected comma after major version number, found '-'"),
        ("^0.51-oldsyn", "expected comma after minor version number, found '-'"),
        ("~2.0-2.2", "expected comma after minor version number, found '-'"),
        ("1.2.3\t", "expected comma after patch version number, found '\\t'"),
        ("\t1.2.3", "unexpected character '\\t' while parsing major version number"),
        ("v1.2.3", "unexpected character 'v' while parsing major version number"),
        (">=1.2.x3", "expected comma after patch version number, found '3'"),
        (
            ", ".join(f">{i}" for i in range(1, 34)),
            "excessive number of version comparators",
        ),
    ],
)
def test_requirement_parse_errors(text: str, reason: str) -> None:
    assert req_reason(text) == reason


def test_thirty_two_comparators_are_the_limit() -> None:
    parsed = req(", ".join(f">={i}" for i in range(32)))
    assert len(parsed.comparators) == 32
    assert parsed.matches(v("31.0.0"))
    assert not parsed.matches(v("30.9.9"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            ">=1.2.x3",
            "invalid version requirement '>=1.2.x3': expected comma after patch version number,"
            " found '3'\n"
            "    >=1.2.x3\n"
            "           ^",
        ),
        (
            "1.*.1",
            "invalid version requirement '1.*.1': unexpected character after wildcard in version"
            " req\n"
            "    1.*.1\n"
            "        ^",
        ),
        (
            "1.0, *",
            "invalid version requirement '1.0, *': wildcard req (*) must be the only comparator"
            " in the version req\n"
            "    1.0, *\n"
            "         ^",
        ),
        (
            "^0.51-oldsyn",
            "invalid version requirement '^0.51-oldsyn': expected comma after minor version"
            " number, found '-'\n"
            "    ^0.51-oldsyn\n"
            "         ^",
        ),
        (
            "> 0.1.0,",
            "invalid version requirement '> 0.1.0,': unexpected end of input while parsing major"
            " version number\n"
            "    > 0.1.0,\n"
            "            ^",
        ),
    ],
)
def test_requirement_error_message_shows_input_and_caret(text: str, message: str) -> None:
    with pytest.raises(InvalidVersionReq) as info:
        VersionReq.parse(text)
    assert str(info.value) == message
    assert isinstance(info.value, ParseError)


@pytest.mark.parametrize("op", ["=", ">", ">=", "<", "<=", "~", "^"])
@pytest.mark.parametrize(
    "tail",
    ["1-1a", "1+1a", "1-01a", "1+01", "1-1+1", "1-1-1+1-1-1", "1-1a+1a", "1-1a-1a+1a-1a-1a"],
)
def test_leading_digit_in_pre_and_build(op: str, tail: str) -> None:
    parsed = req(f"{op} 1.2.{tail}")
    assert parsed.comparators[0].op == Op(op)


@pytest.mark.parametrize(
    ("same", "other"),
    [("*", ["x", "X", " * "]), ("1.*", ["1.x", "1.X", "1.*.*"]), ("1.2.*", ["1.2.x", "1.2.X"])],
)
def test_wildcard_spellings_are_equal(same: str, other: list[str]) -> None:
    for text in other:
        assert req(text) == req(same)
        assert hash(req(text)) == hash(req(same))


def test_requirement_value_semantics() -> None:
    assert req("*") is VersionReq.STAR
    assert VersionReq.STAR.comparators == ()
    assert VersionReq() == VersionReq.STAR
    assert req("^1") == req("^1")
    assert req("^1") != req("^2")
    assert req("1") == req("^1")
    parsed = req(">=1.2, <1.5")
    assert repr(parsed) == "VersionReq.parse('>=1.2, <1.5')"
    assert pickle.loads(pickle.dumps(parsed)) == parsed
    assert VersionReq(parsed.comparators) == parsed
    assert VersionReq.parse(">=1.2, <1.5") is parsed
    with pytest.raises(AttributeError):
        parsed.comparators = ()


@pytest.mark.parametrize(
    ("text", "display", "fields"),
    [
        ("1.2.3-alpha", "^1.2.3-alpha", (Op.CARET, 1, 2, 3, "alpha")),
        ("2.X", "2.*", (Op.WILDCARD, 2, None, None, "")),
        ("2", "^2", (Op.CARET, 2, None, None, "")),
        ("2.x.x", "2.*", (Op.WILDCARD, 2, None, None, "")),
        ("  >= 1.2 ", ">=1.2", (Op.GREATER_EQ, 1, 2, None, "")),
        ("~1.2.3+build", "~1.2.3", (Op.TILDE, 1, 2, 3, "")),
    ],
)
def test_comparator_parse(
    text: str, display: str, fields: tuple[Op, int, int | None, int | None, str]
) -> None:
    comparator = Comparator.parse(text)
    assert str(comparator) == display
    assert comparator == Comparator(*fields)
    assert (
        comparator.op,
        comparator.major,
        comparator.minor,
        comparator.patch,
        comparator.pre,
    ) == fields


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("1.2.3-01", "invalid leading zero in pre-release identifier"),
        ("1.2.3+4.", "empty identifier segment in build metadata"),
        (">", "unexpected end of input while parsing major version number"),
        ("1.", "unexpected end of input while parsing minor version number"),
        ("1.*.", "unexpected character after wildcard in version req"),
        ("1.2.3+4\u00ff", "unexpected character '\u00ff' after build metadata"),
        ("1.2, 1.3", "unexpected character ',' after minor version number"),
    ],
)
def test_comparator_parse_errors(text: str, reason: str) -> None:
    with pytest.raises(InvalidVersionReq) as info:
        Comparator.parse(text)
    assert info.value.reason == reason


def test_comparator_matches_applies_the_pre_release_rule_alone() -> None:
    assert Comparator.parse(">=1.2.3-alpha").matches(v("1.2.3-beta"))
    assert not Comparator.parse(">=1.2.3-alpha").matches(v("1.2.4-beta"))
    assert Comparator.parse("^1.2").matches(v("1.9.0"))
    assert not Comparator.parse("^1.2").matches(v("1.9.0-rc"))
    assert Comparator(Op.LESS, 2, None, None).matches(v("1.9.9"))


@pytest.mark.parametrize(
    ("kwargs", "reason"),
    [
        ({"op": Op.EXACT, "major": 1, "minor": None, "patch": 2}, "a patch number needs a minor"),
        ({"op": Op.EXACT, "major": 1, "minor": 2, "patch": None, "pre": "a"}, "a pre-release"),
        ({"op": Op.EXACT, "major": 1, "minor": 2, "patch": 3, "pre": "01"}, "invalid leading"),
        ({"op": Op.EXACT, "major": -1, "minor": None, "patch": None}, "version numbers must"),
    ],
)
def test_comparator_constructor_validates(kwargs: dict[str, Any], reason: str) -> None:
    with pytest.raises(InvalidVersionReq) as info:
        Comparator(**kwargs)
    assert info.value.reason.startswith(reason)


def test_op_values_are_the_written_operators() -> None:
    assert [op.value for op in Op] == ["=", ">", ">=", "<", "<=", "~", "^", "*"]
    assert Comparator("~", 1, 2, None).op is Op.TILDE  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------
# golden results computed by the crate itself


@pytest.fixture(scope="module")
def oracle(assets: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((assets / "semver" / "crate_oracle.json").read_text())
    return data


def _outcome(parse: Any, error: type[Exception], text: str) -> str:
    try:
        return f"ok {parse(text)}"
    except error as e:
        return f"err {e.reason}"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("section", "parse", "error"),
    [
        ("versions", Version.parse, InvalidVersion),
        ("requirements", VersionReq.parse, InvalidVersionReq),
        ("comparators", Comparator.parse, InvalidVersionReq),
    ],
)
def test_parse_agrees_with_the_crate(
    oracle: dict[str, Any], section: str, parse: Any, error: type[Exception]
) -> None:
    cases = oracle[section]
    assert len(cases) > 250
    wrong = [(text, want) for text, want in cases if _outcome(parse, error, text) != want]
    assert wrong == []


@pytest.mark.parametrize("section", ["matches", "matches_prerelease"])
def test_matches_agrees_with_the_crate(oracle: dict[str, Any], section: str) -> None:
    cases = oracle[section]
    assert sum(1 for *_, want in cases if want) > 500
    wrong = [(r, s, want) for r, s, want in cases if req(r).matches(v(s)) != want]
    assert wrong == []


def test_ordering_agrees_with_the_crate(oracle: dict[str, Any]) -> None:
    def sign(a: Version, b: Version) -> int:
        return -1 if a < b else 1 if a > b else 0

    wrong = [(a, b, want) for a, b, want in oracle["order"] if sign(v(a), v(b)) != want]
    assert wrong == []


# ------------------------------------------------------------------------------------------
# Hypothesis properties

_small = st.one_of(st.integers(0, 12), st.integers(0, U64_MAX))
_alnum = st.text("0123456789abcxyzABZ-", min_size=1, max_size=6).filter(lambda s: not s.isdigit())
_numeric = st.integers(0, 10**25).map(str)
_pre = st.lists(st.one_of(_numeric, _alnum), max_size=3).map(".".join)
_build = st.lists(st.text("0123456789ab-", min_size=1, max_size=4), max_size=3).map(".".join)
versions = st.builds(Version, _small, _small, _small, _pre, _build)
release_versions = st.builds(Version, _small, _small, _small, st.just(""), _build)


def _sign(x: int) -> int:
    return (x > 0) - (x < 0)


def _all_digits(text: str) -> bool:
    return all(ch in "0123456789" for ch in text)


def _cmp_pre_identifier(x: str, y: str) -> int:
    if _all_digits(x) and _all_digits(y):
        return _sign(int(x) - int(y))
    if _all_digits(x) or _all_digits(y):
        return -1 if _all_digits(x) else 1
    return (x > y) - (x < y)


def _cmp_build_identifier(x: str, y: str) -> int:
    if _all_digits(x) and _all_digits(y):  # by value, then the shorter spelling first
        return _sign(int(x or "0") - int(y or "0")) or _sign(len(x) - len(y))
    if _all_digits(x) or _all_digits(y):
        return -1 if _all_digits(x) else 1
    return (x > y) - (x < y)


def _cmp_dotted(left: str, right: str, cmp: Callable[[str, str], int]) -> int:
    xs, ys = left.split("."), right.split(".")
    for x, y in zip(xs, ys, strict=False):
        if result := cmp(x, y):
            return result
    return _sign(len(xs) - len(ys))


def _reference_cmp(a: Version, b: Version) -> int:
    """SemVer precedence written out from the spec and the crate's impls.rs, pairwise."""
    for x, y in ((a.major, b.major), (a.minor, b.minor), (a.patch, b.patch)):
        if x != y:
            return _sign(x - y)
    if a.pre != b.pre:
        if not a.pre or not b.pre:
            return 1 if not a.pre else -1
        return _cmp_dotted(a.pre, b.pre, _cmp_pre_identifier)
    return _cmp_dotted(a.build, b.build, _cmp_build_identifier)


@given(versions)
def test_str_round_trips(version: Version) -> None:
    again = Version.parse(str(version))
    assert again == version
    assert (again.major, again.minor, again.patch, again.pre, again.build) == (
        version.major,
        version.minor,
        version.patch,
        version.pre,
        version.build,
    )


@given(versions, versions)
def test_order_matches_the_reference(a: Version, b: Version) -> None:
    expected = _reference_cmp(a, b)
    assert (a < b, a == b, a > b) == (expected < 0, expected == 0, expected > 0)
    assert (a <= b, a >= b, a != b) == (expected <= 0, expected >= 0, expected != 0)
    if a == b:
        assert hash(a) == hash(b)


@given(st.lists(versions, max_size=12))
def test_sorting_is_a_total_order(items: list[Version]) -> None:
    ordered = sorted(items)
    assert ordered == sorted(items, key=cmp_to_key(_reference_cmp))
    for low, high in itertools.pairwise(ordered):
        assert low <= high
        assert not high < low


@given(versions)
def test_a_version_matches_requirements_naming_it(version: Version) -> None:
    core = f"{version.major}.{version.minor}.{version.patch}"
    written = f"{core}-{version.pre}" if version.pre else core
    for op in ("=", ">=", "<=", "^", "~", ""):
        assert req(f"{op}{written}").matches(version), op
    for op in (">", "<"):
        assert not req(f"{op}{written}").matches(version), op
    assert VersionReq.STAR.matches(version) is not version.is_prerelease
    assert req(f"{version.major}.*").matches(version) is not version.is_prerelease


def _desugar(c: Comparator) -> list[tuple[str, Version]]:  # noqa: PLR0911 - one per op
    """The Cargo book's reading of a comparator as plain bounds on full versions."""
    major, minor, patch = c.major, c.minor, c.patch
    low = Version(major, minor or 0, patch or 0, c.pre)
    if minor is None:
        next_up = Version(major + 1, 0, 0)
    elif patch is None:
        next_up = Version(major, minor + 1, 0)
    else:
        next_up = Version(major, minor, patch + 1)
    if c.op in (Op.EXACT, Op.WILDCARD):
        return [("=", low)] if patch is not None else [(">=", low), ("<", next_up)]
    if c.op is Op.GREATER:
        return [(">", low)] if patch is not None else [(">=", next_up)]
    if c.op is Op.GREATER_EQ:
        return [(">=", low)]
    if c.op is Op.LESS:
        return [("<", low)]
    if c.op is Op.LESS_EQ:
        return [("<=", low)] if patch is not None else [("<", next_up)]
    if c.op is Op.TILDE:
        upper = Version(major + 1, 0, 0) if minor is None else Version(major, minor + 1, 0)
        return [(">=", low), ("<", upper)]
    if major > 0 or minor is None:
        upper = Version(major + 1, 0, 0)
    elif minor > 0 or patch is None:
        upper = Version(0, minor + 1, 0)
    else:
        upper = Version(0, 0, patch + 1)
    return [(">=", low), ("<", upper)]


def _holds(op: str, version: Version, bound: Version) -> bool:
    plain = Version(version.major, version.minor, version.patch, version.pre)
    return {
        "=": plain == bound,
        ">": plain > bound,
        ">=": plain >= bound,
        "<": plain < bound,
        "<=": plain <= bound,
    }[op]


_ops = st.sampled_from(list(Op))
_num = st.integers(0, 3)


@st.composite
def comparators(draw: st.DrawFn) -> Comparator:
    op = draw(_ops)
    major = draw(_num)
    minor = draw(st.one_of(st.none(), _num))
    patch = None if minor is None else draw(st.one_of(st.none(), _num))
    if op is Op.WILDCARD and patch is not None:
        patch = None
    pre = draw(st.sampled_from(["", "", "alpha", "beta.1", "0"])) if patch is not None else ""
    return Comparator(op, major, minor, patch, pre)


_small_pre = st.sampled_from(["", "", "alpha", "beta.1", "beta.2", "0"])
small_versions = st.builds(Version, _num, _num, _num, _small_pre)


@st.composite
def requirements_and_versions(draw: st.DrawFn) -> tuple[list[Comparator], Version]:
    """Comparators and a version, often on or next to a comparator's own numbers."""
    terms = draw(st.lists(comparators(), max_size=3))
    near = [t for t in terms if t.patch is not None]
    use_near: bool = draw(st.booleans())
    if near and use_near:
        t = draw(st.sampled_from(near))
        bump = draw(st.sampled_from([(0, 0, 0), (0, 0, 1), (0, 1, 0), (1, 0, 0)]))
        numbers = (t.major + bump[0], (t.minor or 0) + bump[1], (t.patch or 0) + bump[2])
        opt_in: bool = draw(st.booleans())
        if numbers != (t.major, t.minor, t.patch) and opt_in:  # opt the bumped triple in
            terms.append(Comparator(Op.GREATER_EQ, *numbers, "alpha"))
        return terms, Version(*numbers, draw(_small_pre))
    return terms, draw(small_versions)


@settings(max_examples=300)
@given(st.lists(comparators(), max_size=3), small_versions)
def test_release_matching_equals_the_desugared_bounds(
    terms: list[Comparator], version: Version
) -> None:
    requirement = VersionReq(terms)
    assert VersionReq.parse(str(requirement)) == requirement
    if version.is_prerelease:
        return  # the desugaring is only exact for releases; see the next property
    expected = all(_holds(op, version, bound) for t in terms for op, bound in _desugar(t))
    assert requirement.matches(version) == expected
    assert all(t.matches(version) for t in terms) == expected


def _pre_cmp(a: str, b: str) -> int:
    left, right = Version(0, 0, 0, a), Version(0, 0, 0, b)
    return (left > right) - (left < right)


def _crate_matches_impl(c: Comparator, v: Version) -> bool:
    """eval.rs ``matches_impl`` written out again: the comparator alone, numbers then pre."""
    numbers = [(v.major, c.major), (v.minor, c.minor), (v.patch, c.patch)]
    given = [(mine, theirs) for mine, theirs in numbers if theirs is not None]
    first_difference = next(((m, t) for m, t in given if m != t), None)
    pre = _pre_cmp(v.pre, c.pre)
    exact = first_difference is None and pre == 0
    if c.op in (Op.EXACT, Op.WILDCARD):
        return exact
    if c.op in (Op.GREATER, Op.GREATER_EQ, Op.LESS, Op.LESS_EQ):
        if first_difference is not None:
            m, t = first_difference
            strictly = m > t if c.op in (Op.GREATER, Op.GREATER_EQ) else m < t
        elif len(given) < 3:  # a partial comparator with equal numbers is not greater/less
            strictly = False
        else:
            strictly = pre > 0 if c.op in (Op.GREATER, Op.GREATER_EQ) else pre < 0
        return strictly or (c.op in (Op.GREATER_EQ, Op.LESS_EQ) and exact)
    if c.op is Op.TILDE:
        if v.major != c.major or (c.minor is not None and v.minor != c.minor):
            return False
        if c.patch is not None and v.patch != c.patch:
            return v.patch > c.patch
        return pre >= 0
    return _crate_matches_caret(c, v, pre)


def _crate_matches_caret(c: Comparator, v: Version, pre: int) -> bool:
    """The first non-zero number given must stay, what follows may grow."""
    if v.major != c.major:
        return False
    if c.minor is None:
        return True
    if c.patch is None:
        return v.minor >= c.minor if c.major else v.minor == c.minor
    if c.major == 0 and v.minor != c.minor:
        return False
    if c.major == 0 and c.minor == 0 and v.patch != c.patch:
        return False
    mine, theirs = (v.minor, v.patch), (c.minor, c.patch)
    return mine > theirs or (mine == theirs and pre >= 0)


@settings(max_examples=300)
@given(requirements_and_versions())
def test_matching_equals_the_crates_definition(case: tuple[list[Comparator], Version]) -> None:
    terms, version = case
    each = all(_crate_matches_impl(t, version) for t in terms)
    opted_in = any(
        t.pre and (t.major, t.minor, t.patch) == (version.major, version.minor, version.patch)
        for t in terms
    )
    assert VersionReq(terms).matches(version) == (each and (not version.pre or opted_in))
    for t in terms:
        assert t.matches(version) == (
            _crate_matches_impl(t, version)
            and (not version.pre or bool(t.pre))
            and (
                not version.pre
                or (t.major, t.minor, t.patch) == (version.major, version.minor, version.patch)
            )
        )


def _every_small_comparator() -> Iterator[Comparator]:
    for op in Op:
        for major in (0, 1):
            for minor in (None, 0, 1):
                for patch in (None, 0, 1) if minor is not None else (None,):
                    if op is Op.WILDCARD and patch is not None:
                        continue
                    for pre in ("", "alpha", "beta.1") if patch is not None else ("",):
                        yield Comparator(op, major, minor, patch, pre)


def test_every_small_comparator_against_the_crates_definition() -> None:
    """Exhaustive over a small domain: each comparator alone, and beside a comparator that
    opts the version's triple in, so that its pre-release behaviour decides."""
    versions = [
        Version(major, minor, patch, pre)
        for major in (0, 1, 2)
        for minor in (0, 1, 2)
        for patch in (0, 1, 2)
        for pre in ("", "alpha", "alpha.1", "beta.1", "rc")
    ]
    for term in _every_small_comparator():
        alone = VersionReq([term])
        for version in versions:
            expected = _crate_matches_impl(term, version)
            if not version.pre:
                assert alone.matches(version) == expected, (term, version)
                continue
            triple = (version.major, version.minor, version.patch)
            opt_in = Comparator(Op.GREATER_EQ, *triple, "alpha")
            assert VersionReq([term, opt_in]).matches(version) == expected, (term, version)


_soup = st.text(st.sampled_from(list("0123456789.-+*xX^~=<>, abZ\0\t|\u00ff")), max_size=24)


@given(_soup)
def test_parsers_accept_or_raise_their_error(text: str) -> None:
    version_error: InvalidVersion | None = None
    try:
        assert str(Version.parse(text)) == text
    except InvalidVersion as e:
        version_error = e
    if version_error is not None:
        assert 0 <= version_error.offset <= len(text)
        assert str(version_error).startswith("invalid version '")
    req_error: InvalidVersionReq | None = None
    try:
        requirement = VersionReq.parse(text)
        assert VersionReq.parse(str(requirement)) == requirement
    except InvalidVersionReq as e:
        req_error = e
    if req_error is not None:
        assert 0 <= req_error.offset <= len(text)
        assert str(req_error).startswith("invalid version requirement '")


# ------------------------------------------------------------------------------------------
# the real index and the docstring examples


def _index_lines(bundle: Path, into: Path) -> Iterator[dict[str, Any]]:
    """Every JSON line of every file of the index in ``bundle`` (one ``git cat-file`` stream)."""
    subprocess.run(
        ["git", "clone", "--quiet", "--bare", str(bundle), str(into)],
        check=True,
        capture_output=True,
    )
    command = ["git", "cat-file", "--batch-all-objects", "--batch", "--unordered"]
    with subprocess.Popen(command, cwd=into, stdout=subprocess.PIPE) as git:
        assert git.stdout is not None
        while header := git.stdout.readline():
            _, kind, size = header.split()
            data = git.stdout.read(int(size) + 1)
            if kind != b"blob" or not data.startswith(b"{"):
                continue  # trees, the commit, config.json's siblings that are not index files
            for line in data.splitlines():
                try:
                    yield json.loads(line)
                except ValueError:
                    break  # a stray non-index file (the 2020 index has a few)


@pytest.mark.shared
def test_real_index_parses_except_the_five_known_strings(shared_data: Path, tmp_path: Path) -> None:
    count = 0
    versions: set[str] = set()
    requirements: set[str] = set()
    for line in _index_lines(shared_data / "crates-io-index-2020.bundle", tmp_path / "index"):
        count += 1
        versions.add(line["vers"])
        requirements.update(dep["req"] for dep in line["deps"])
    assert count == 259_132
    bad_versions = set()
    for text in versions:
        try:
            Version.parse(text)
        except InvalidVersion:
            bad_versions.add(text)
    bad_requirements = set()
    for text in requirements:
        try:
            VersionReq.parse(text)
        except InvalidVersionReq:
            bad_requirements.add(text)
    assert bad_versions == {"0.0.1-001", "0.3.0-alpha.01"}
    assert bad_requirements == {"^0-.11.0", "^0.51-oldsyn", "~2.0-2.2"}


@pytest.mark.parametrize(
    "module",
    [
        cratewatch.semver,
        cratewatch.semver._version,  # Version.parse
        cratewatch.semver._req,  # VersionReq.parse
    ],
)
def test_docstring_examples(module: ModuleType) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted >= 2
    assert result.failed == 0
