"""Crate name -> index path rules (Cargo's layout) and crate name validation."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cratewatch.errors import ParseError
from cratewatch.registry.paths import (
    InvalidCrateName,
    index_path,
    is_crate_file,
    validate_crate_name,
)


@pytest.mark.parametrize(
    ("name", "path"),
    [
        ("a", "1/a"),
        ("A", "1/a"),
        ("cc", "2/cc"),
        ("syn", "3/s/syn"),
        ("Syn", "3/s/syn"),
        ("serde", "se/rd/serde"),
        ("Inflector", "in/fl/inflector"),
        ("rand", "ra/nd/rand"),
        ("proc-macro2", "pr/oc/proc-macro2"),
        ("a-b_c", "a-/b_/a-b_c"),
    ],
)
def test_index_path_follows_cargo_layout(name: str, path: str) -> None:
    assert index_path(name) == path


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "crate name '': must not be empty"),
        ("../etc", "crate name '../etc': only ASCII letters, digits, '-' and '_' are allowed"),
        ("se/rd", "crate name 'se/rd': only ASCII letters, digits, '-' and '_' are allowed"),
        ("naïve", "crate name 'naïve': only ASCII letters, digits, '-' and '_' are allowed"),
        (
            "has space",
            "crate name 'has space': only ASCII letters, digits, '-' and '_' are allowed",
        ),
        ("1abc", "crate name '1abc': must start with an ASCII letter"),
        ("_x", "crate name '_x': only ASCII letters, digits, '-' and '_' are allowed"),
        ("a" * 65, f"crate name '{'a' * 65}': longer than 64 characters"),
    ],
)
def test_invalid_names_are_refused_with_a_reason(name: str, message: str) -> None:
    with pytest.raises(InvalidCrateName) as info:
        index_path(name)
    assert str(info.value) == message
    assert isinstance(info.value, ParseError)


def test_a_huge_name_is_shortened_in_the_message() -> None:
    with pytest.raises(InvalidCrateName) as info:
        validate_crate_name("x" * 10_000)
    assert len(str(info.value)) < 150


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("se/rd/serde", True),
        ("1/a", True),
        ("3/s/syn", True),
        ("config.json", False),
        ("README.md/eee", False),
        ("iso/build90.sh", False),
        ("se/rd/Serde", False),
        ("3/t/syn", False),
        ("sy/n/syn", False),
    ],
)
def test_is_crate_file(path: str, expected: bool) -> None:
    assert is_crate_file(path) is expected


_names = st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,63}", fullmatch=True)


@given(_names)
def test_path_is_lowercase_and_ends_with_the_name(name: str) -> None:
    path = index_path(name)
    parts = path.split("/")
    assert path == path.lower()
    assert parts[-1] == name.lower()
    assert is_crate_file(path)
    if len(name) >= 4:
        assert parts[:2] == [name[:2].lower(), name[2:4].lower()]
    else:
        assert parts[0] == str(len(name))


@given(_names, _names)
def test_case_insensitive_names_share_a_path(a: str, b: str) -> None:
    assert (index_path(a) == index_path(b)) == (a.lower() == b.lower())
