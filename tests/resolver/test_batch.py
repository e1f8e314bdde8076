"""The batch file format: one root per line with options, exact errors naming file and line."""

from __future__ import annotations

import pytest

from cratewatch.resolver import RootRequest, Unresolved
from cratewatch.resolver.batch import InvalidBatchLine, parse_batch, parse_root, resolution_json


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("serde@1.0.100", RootRequest(name="serde", version="1.0.100")),
        (
            "serde@1.0.100 features=derive,rc",
            RootRequest(name="serde", version="1.0.100", features=("derive", "rc")),
        ),
        ("a_b-c@0.1.0-alpha.1+x", RootRequest(name="a_b-c", version="0.1.0-alpha.1+x")),
        (
            "tokio@0.2.21 all-features",
            RootRequest(name="tokio", version="0.2.21", all_features=True),
        ),
        (
            "rand@0.7.3  no-default-features   features=std",
            RootRequest(name="rand", version="0.7.3", features=("std",), default_features=False),
        ),
        ("rand@0.7.3 features=", RootRequest(name="rand", version="0.7.3")),
        ("  rand@0.7.3\t", RootRequest(name="rand", version="0.7.3")),
    ],
)
def test_valid_lines(text: str, expected: RootRequest) -> None:
    assert parse_batch(text, source="roots.txt") == [expected]


def test_comments_and_blank_lines_are_skipped_and_order_kept() -> None:
    text = "# header\nb@1.0.0\n\n   \n# another\na@2.0.0\n"
    assert [r.describe() for r in parse_batch(text, source="f")] == ["b@1.0.0", "a@2.0.0"]


def test_include_dev_applies_to_every_root() -> None:
    roots = parse_batch("a@1.0.0\nb@1.0.0 all-features\n", source="f", include_dev=True)
    assert all(r.include_dev for r in roots)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("serde", "expected NAME@VERSION, got 'serde'"),
        ("serde@", "expected NAME@VERSION, got 'serde@'"),
        ("se rde@1.0.0", "expected NAME@VERSION, got 'se'"),
        ("serde@1.0.0 fast", "unknown option 'fast' (expected features=a,b, all-features or "
         "no-default-features)"),
        ("serde@1.0.0 all-features features=x", "all-features cannot be combined with other "
         "options"),
        ("serde@1.0.0 all-features all-features", "option 'all-features' given twice"),
        ("serde@1.0.0 features=a features=b", "option 'features' given twice"),
        ("a/b@1.0.0", "expected NAME@VERSION, got 'a/b@1.0.0'"),
    ],
)  # fmt: skip
def test_invalid_lines_name_file_and_line(text: str, problem: str) -> None:
    with pytest.raises(InvalidBatchLine) as info:
        parse_batch(f"ok@1.0.0\n{text}\n", source="roots.txt")
    assert str(info.value) == f"roots.txt: line 2: {problem}"


def test_overlong_line_is_refused() -> None:
    with pytest.raises(InvalidBatchLine) as info:
        parse_batch("a@1.0.0 features=" + "x," * 40000, source="r")
    assert str(info.value) == "r: line 1: longer than 65536 characters"


def test_parse_root_on_the_command_line() -> None:
    assert parse_root("serde_json@1.0.56") == ("serde_json", "1.0.56")
    with pytest.raises(InvalidBatchLine) as info:
        parse_root("x" * 100)
    assert str(info.value) == f"root: expected NAME@VERSION, got '{'x' * 77}...'"


def test_error_json_shape() -> None:
    request = RootRequest(name="a", version="1.0.0")
    assert resolution_json(Unresolved(request=request, reason="why")) == {
        "root": {"name": "a", "version": "1.0.0"},
        "packages": [],
        "error": "why",
    }
