"""parse_audit_json: the auditable-serde format, its defaults, and one exact error per fault."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cratewatch.binaries import (
    AuditableDeps,
    BinaryPackage,
    DependencyKind,
    InvalidBinary,
    parse_audit_json,
)
from cratewatch.semver import Version
from tests.binaries.payloads import SAMPLE, audit_json, package

ORIGIN = "app: .dep-v0"


def _parse(document: object) -> AuditableDeps:
    return parse_audit_json(json.dumps(document).encode(), origin=ORIGIN)


def test_sample_tree() -> None:
    deps = parse_audit_json(audit_json(SAMPLE), origin=ORIGIN)
    assert deps.format == 1
    assert deps.binary_format is None
    assert deps.packages[0] == BinaryPackage(
        name="app",
        version=Version.parse("0.1.0"),
        source="local",
        kind=DependencyKind.RUNTIME,
        dependencies=(1, 2, 5, 6),
        root=True,
    )
    assert deps.packages[8] == BinaryPackage(
        name="proc-macro2",
        version=Version.parse("1.0.86"),
        source="crates.io",
        kind=DependencyKind.BUILD,
        dependencies=(),
        root=False,
    )
    assert [p.is_crates_io for p in deps.packages] == [
        False, True, True, True, True, False, True, True, True,
    ]  # fmt: skip


def test_defaults_of_omitted_fields() -> None:
    """auditable-serde's own doc example: only name, version and source."""
    deps = _parse({"packages": [{"name": "adler", "version": "0.2.3", "source": "registry"}]})
    assert deps.format == 0
    (adler,) = deps.packages
    assert adler.kind is DependencyKind.RUNTIME
    assert adler.dependencies == ()
    assert adler.root is False
    assert adler.source == "registry"
    assert adler.is_crates_io is False


def test_unknown_keys_and_unknown_sources_are_kept_open() -> None:
    deps = _parse(
        {
            "packages": [{"name": "a", "version": "1.0.0", "source": "svn", "checksum": "x"}],
            "format": 8,
            "future": {"anything": [1, 2]},
        }
    )
    assert deps.format == 8
    assert deps.packages[0].source == "svn"


def test_empty_package_list() -> None:
    assert _parse({"packages": []}) == AuditableDeps(packages=(), format=0)


_RANGE = "expected an integer from 0 to 4294967295"
_GOOD = {"name": "libc", "version": "0.2.155", "source": "crates.io"}


def _with(**fields: Any) -> dict[str, Any]:
    """A document whose second package has ``fields`` replaced (None removes a field)."""
    bad = {**_GOOD, **fields}
    bad = {k: v for k, v in bad.items() if v is not None}
    return {"packages": [package("app", "0.1.0", "local", root=True), bad]}


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "expected an object, got an array"),
        ({}, "packages: required field is missing"),
        ({"packages": {}}, "packages: expected an array, got an object"),
        ({"packages": [], "format": -1}, f"format: {_RANGE}, got -1"),
        ({"packages": [], "format": 2**32}, f"format: {_RANGE}, got 4294967296"),
        ({"packages": [], "format": "1"}, 'format: expected an integer, got "1"'),
        ({"packages": [], "format": 1.0}, "format: expected an integer, got 1.0"),
        ({"packages": [], "format": True}, "format: expected an integer, got true"),
        ({"packages": [3]}, "packages[0]: expected an object, got 3"),
        (_with(version=3), "packages[1].version: expected a string, got 3"),
        (_with(version=None), "packages[1].version: required field is missing"),
        (_with(name=None), "packages[1].name: required field is missing"),
        (_with(source=None), "packages[1].source: required field is missing"),
        (_with(name=""), 'packages[1].name: not a valid crate name: ""'),
        (_with(name="lib c"), 'packages[1].name: not a valid crate name: "lib c"'),
        (_with(name="\x1b[31mred"), 'packages[1].name: not a valid crate name: "\\u001b[31mred"'),
        (_with(name="9lives"), 'packages[1].name: not a valid crate name: "9lives"'),
        (_with(name=["libc"]), "packages[1].name: expected a string, got an array"),
        (_with(source=""), 'packages[1].source: not a valid source: ""'),
        (_with(source="git\n"), 'packages[1].source: not a valid source: "git\\n"'),
        (_with(source=None, kind="build"), "packages[1].source: required field is missing"),
        (_with(kind="dev"), 'packages[1].kind: expected "runtime" or "build", got "dev"'),
        (_with(kind="Runtime"), 'packages[1].kind: expected "runtime" or "build", got "Runtime"'),
        (_with(kind=None, root=1), "packages[1].root: expected true or false, got 1"),
        (_with(dependencies=1), "packages[1].dependencies: expected an array, got 1"),
        (_with(dependencies=[0, "1"]), 'packages[1].dependencies[1]: expected an integer, got "1"'),
        (_with(dependencies=[-1]), f"packages[1].dependencies[0]: {_RANGE}, got -1"),
        (_with(dependencies=[2]), "packages[1].dependencies[0]: no package has index 2 "
                                  "(there are 2)"),
        (_with(dependencies=[1]), "packages[1].dependencies: dependency cycle: libc 0.2.155 -> "
                                  "libc 0.2.155"),
        (_with(root=True), "packages[1].root: more than one root package (packages[0] is one too)"),
        (
            _with(version="0.2"),
            "packages[1].version: invalid version '0.2': "
            "unexpected end of input while parsing minor version number",
        ),
        (
            _with(version="1.0.0-01"),
            "packages[1].version: invalid version '1.0.0-01': "
            "invalid leading zero in pre-release identifier",
        ),
    ],
)  # fmt: skip
def test_field_errors(document: object, message: str) -> None:
    with pytest.raises(InvalidBinary) as caught:
        _parse(document)
    assert str(caught.value) == f"{ORIGIN}: {message}"


def test_long_values_are_shortened_in_messages() -> None:
    with pytest.raises(InvalidBinary) as caught:
        _parse(_with(source="s" * 80 + "\n"))
    assert str(caught.value) == (
        f'{ORIGIN}: packages[1].source: not a valid source: "{"s" * 60}..."'
    )


def test_cycle_is_named_in_dependency_order() -> None:
    packages = [
        package("app", "0.1.0", "local", dependencies=[1], root=True),
        package("a", "1.0.0", dependencies=[2]),
        package("b", "2.0.0", dependencies=[3]),
        package("c", "3.0.0", dependencies=[1]),
    ]
    with pytest.raises(InvalidBinary) as caught:
        parse_audit_json(audit_json(packages), origin=ORIGIN)
    assert str(caught.value) == (
        f"{ORIGIN}: packages[1].dependencies: dependency cycle: "
        "a 1.0.0 -> b 2.0.0 -> c 3.0.0 -> a 1.0.0"
    )


def test_long_chain_is_checked_without_recursion() -> None:
    count = 10_000  # ten times Python's recursion limit
    packages = [package(f"p{i}", "1.0.0", dependencies=[i + 1]) for i in range(count - 1)]
    packages.append(package(f"p{count - 1}", "1.0.0"))
    deps = parse_audit_json(audit_json(packages), origin=ORIGIN)
    assert len(deps.packages) == count
    packages[-1] = package(f"p{count - 1}", "1.0.0", dependencies=[0])
    with pytest.raises(InvalidBinary) as caught:
        parse_audit_json(audit_json(packages), origin=ORIGIN)
    assert str(caught.value) == (
        f"{ORIGIN}: packages[0].dependencies: dependency cycle: "
        + " -> ".join(f"p{i} 1.0.0" for i in range(7))
        + f" -> ... ({count - 7} more) -> p0 1.0.0"
    )


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"", "invalid JSON: Expecting value: line 1 column 1 (char 0)"),
        (b'{"packages": [}', "invalid JSON: Expecting value: line 1 column 15 (char 14)"),
        (b'{"packages": []} x', "invalid JSON: Extra data: line 1 column 18 (char 17)"),
        (b'{"packages": [], "format": NaN}', "invalid JSON: NaN is not valid JSON"),
        (b'{"packages": [], "format": -Infinity}', "invalid JSON: -Infinity is not valid JSON"),
        (b'{"packages": [], "packages": []}', 'duplicate key "packages"'),
        (
            b'{"packages": [{"name": "a", "name": "b", "version": "1.0.0", "source": "local"}]}',
            'packages[0]: duplicate key "name"',
        ),
        (b"\xff{}", "the data is not UTF-8 text: 'utf-8' codec can't decode byte 0xff "
                    "in position 0: invalid start byte"),
        (b"[" * 100_000 + b"]" * 100_000, "invalid JSON: nested too deeply"),
    ],
)  # fmt: skip
def test_json_errors(raw: bytes, message: str) -> None:
    with pytest.raises(InvalidBinary) as caught:
        parse_audit_json(raw, origin=ORIGIN)
    assert str(caught.value) == f"{ORIGIN}: {message}"


def test_duplicate_keys_in_ignored_fields_are_ignored() -> None:
    deps = parse_audit_json(b'{"packages": [], "extra": {"k": 1, "k": 2}}', origin=ORIGIN)
    assert deps.packages == ()


_NAMES = st.from_regex(r"[a-z][a-z0-9_-]{0,20}", fullmatch=True)
_VERSIONS = st.tuples(st.integers(0, 2**64 - 1), st.integers(0, 999), st.integers(0, 999)).map(
    lambda t: f"{t[0]}.{t[1]}.{t[2]}"
)


@st.composite
def _trees(draw: st.DrawFn) -> list[dict[str, Any]]:
    """Random acyclic trees: a package only depends on packages after it."""
    count = draw(st.integers(1, 12))
    packages = []
    for i in range(count):
        later = list(range(i + 1, count))
        deps = draw(st.lists(st.sampled_from(later), unique=True)) if later else []
        packages.append(
            package(
                draw(_NAMES),
                draw(_VERSIONS),
                draw(st.sampled_from(["crates.io", "git", "local", "registry"])),
                dependencies=sorted(deps),
                kind=draw(st.sampled_from([None, "runtime", "build"])),
                root=i == 0,
            )
        )
    return packages


@given(_trees(), st.sampled_from([None, 0, 1, 8]))
def test_round_trip(packages: list[dict[str, Any]], version_format: int | None) -> None:
    deps = parse_audit_json(audit_json(packages, version_format), origin=ORIGIN)
    assert deps.format == (version_format or 0)
    assert [
        {
            "name": p.name,
            "version": str(p.version),
            "source": p.source,
            "kind": p.kind.value,
            "dependencies": list(p.dependencies),
            "root": p.root,
        }
        for p in deps.packages
    ] == [{"kind": "runtime", "dependencies": [], "root": False, **p} for p in packages]
