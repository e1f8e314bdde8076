"""Index lines -> IndexEntry: field rules, Cargo's defaults, and exact error messages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cratewatch.errors import ParseError
from cratewatch.registry.model import DepKind, IndexConfig, IndexDependency
from cratewatch.registry.parse import (
    InvalidIndexEntry,
    InvalidIndexFile,
    parse_config,
    parse_index_file,
    parse_index_line,
)

CKSUM = "ab" * 32


def _line(**fields: Any) -> str:
    base: dict[str, Any] = {
        "name": "serde",
        "vers": "1.0.0",
        "deps": [],
        "cksum": CKSUM,
        "features": {},
        "yanked": False,
    }
    base.update(fields)
    return json.dumps({k: v for k, v in base.items() if v is not _DROP})


_DROP = object()


def _dep(**fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "name": "serde_derive",
        "req": "^1.0",
        "features": [],
        "optional": False,
        "default_features": True,
        "target": None,
        "kind": "normal",
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not _DROP}


def test_fixture_file_parses_with_every_field(assets: Path) -> None:
    data = (assets / "registry" / "index" / "de" / "mo" / "demo").read_bytes()
    first, yanked, beta = parse_index_file(data, source="de/mo/demo", crate="demo")

    assert (first.name, first.vers, first.yanked, first.schema) == ("Demo", "0.1.0", False, 1)
    # a dependency without `kind` (old index lines) is a normal one
    assert first.deps[0].kind is DepKind.NORMAL
    assert first.links is None
    assert first.rust_version is None

    assert yanked.yanked
    assert yanked.links == "demo-sys"
    renamed, other_registry = yanked.deps
    assert (renamed.name, renamed.package, renamed.is_renamed) == ("syn1", "syn", True)
    assert renamed.kind is DepKind.NORMAL  # "kind": null
    assert other_registry.registry == "https://other.example.test/index"
    assert not other_registry.is_renamed

    # features2 is merged into features; features2 wins on a shared key, as in Cargo
    assert dict(beta.features) == {
        "default": ("std",),
        "std": ("syn?/printing",),
        "parse": ("dep:syn",),
    }
    assert (beta.schema, beta.rust_version) == (2, "1.60")
    assert str(beta.version) == "1.0.0-beta.1"
    assert beta.version.is_prerelease


def test_dependency_fields_and_cargo_defaults() -> None:
    deps = [
        _dep(name="winapi", features=["winuser"], target="cfg(windows)", optional=True),
        _dep(name="cc", kind="build", default_features=False),
        _dep(name="insta", kind="dev"),
        {"name": "bare", "req": "*"},  # only the keys Cargo requires
    ]
    (entry,) = parse_index_file(_line(deps=deps).encode(), source="se/rd/serde")
    assert entry.deps == (
        IndexDependency(
            name="winapi",
            package="winapi",
            req="^1.0",
            kind=DepKind.NORMAL,
            target="cfg(windows)",
            optional=True,
            default_features=True,
            features=("winuser",),
            registry=None,
        ),
        IndexDependency(
            name="cc",
            package="cc",
            req="^1.0",
            kind=DepKind.BUILD,
            target=None,
            optional=False,
            default_features=False,
            features=(),
            registry=None,
        ),
        IndexDependency(
            name="insta",
            package="insta",
            req="^1.0",
            kind=DepKind.DEV,
            target=None,
            optional=False,
            default_features=True,
            features=(),
            registry=None,
        ),
        IndexDependency(
            name="bare",
            package="bare",
            req="*",
            kind=DepKind.NORMAL,
            target=None,
            optional=False,
            default_features=True,
            features=(),
            registry=None,
        ),
    )


def test_only_cargo_required_top_level_keys() -> None:
    line = json.dumps({"name": "a", "vers": "0.1.0", "deps": [], "cksum": CKSUM})
    entry = parse_index_line(line, source="1/a", lineno=1)
    assert (entry.features, entry.yanked, entry.links, entry.schema) == ({}, False, None, 1)


def test_unparsable_versions_and_requirements_stay_raw() -> None:
    # real 2020 index strings that Cargo's semver rejects: kept as text, parsed on demand
    line = _line(vers="0.3.0-alpha.01", deps=[_dep(req="^0.51-oldsyn")])
    (entry,) = parse_index_file(line.encode(), source="se/rd/serde")
    assert entry.vers == "0.3.0-alpha.01"
    assert entry.deps[0].req == "^0.51-oldsyn"
    with pytest.raises(ParseError):
        _ = entry.version
    with pytest.raises(ParseError):
        _ = entry.deps[0].version_req


def test_blank_lines_are_skipped_and_line_numbers_count_them() -> None:
    data = f"\n{_line()}\n   \n{_line(vers='oops', yanked=3)}\n".encode()
    with pytest.raises(InvalidIndexEntry) as info:
        parse_index_file(data, source="se/rd/serde")
    assert str(info.value) == "se/rd/serde: line 4: yanked: expected a boolean, got 3"


def test_repeated_dependencies_are_shared_within_a_file() -> None:
    data = "\n".join(_line(vers=f"1.0.{i}", deps=[_dep()]) for i in range(3)).encode()
    entries = parse_index_file(data, source="se/rd/serde")
    assert entries[0].deps[0] is entries[1].deps[0] is entries[2].deps[0]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (_line(deps=[_dep(), _dep(), _dep(req=3)]), "deps[2].req: expected a string, got 3"),
        (_line(deps=[_dep(req=_DROP)]), "deps[0].req: missing"),
        (_line(deps=[_dep(name=None)]), "deps[0].name: expected a string, got null"),
        (
            _line(deps=[_dep(kind="runtime")]),
            "deps[0].kind: expected one of 'normal', 'build', 'dev', got \"runtime\"",
        ),
        (
            _line(deps=[_dep(kind=["dev"])]),
            "deps[0].kind: expected one of 'normal', 'build', 'dev', got an array",
        ),
        (_line(deps=[_dep(optional="yes")]), 'deps[0].optional: expected a boolean, got "yes"'),
        (
            _line(deps=[_dep(default_features=1)]),
            "deps[0].default_features: expected a boolean, got 1",
        ),
        (_line(deps=[_dep(features=["a", 2])]), "deps[0].features[1]: expected a string, got 2"),
        (
            _line(deps=[_dep(features="std")]),
            'deps[0].features: expected an array of strings, got "std"',
        ),
        (_line(deps=[_dep(target=7)]), "deps[0].target: expected a string, got 7"),
        (_line(deps=[_dep(package={})]), "deps[0].package: expected a string, got an object"),
        (_line(deps=[_dep(registry=False)]), "deps[0].registry: expected a string, got false"),
        (_line(deps=["serde"]), 'deps[0]: expected an object, got "serde"'),
        (_line(deps={}), "deps: expected an array, got an object"),
        (_line(deps=_DROP), "deps: missing"),
        (_line(name=_DROP), "name: missing"),
        (_line(name="evil"), "name: expected 'serde' (the file's crate), got \"evil\""),
        (_line(vers=1.0), "vers: expected a string, got 1.0"),
        (_line(cksum=_DROP), "cksum: missing"),
        (_line(links=["x"]), "links: expected a string, got an array"),
        (_line(rust_version=1.6), "rust_version: expected a string, got 1.6"),
        (_line(v=0), "v: expected a positive integer, got 0"),
        (_line(v="2"), 'v: expected a positive integer, got "2"'),
        (_line(features=[]), "features: expected an object, got an array"),
        (
            _line(features={"std": "alloc"}),
            'features.std: expected an array of strings, got "alloc"',
        ),
        (_line(features2={"x": [None]}), "features2.x[0]: expected a string, got null"),
        (
            _line(features={"default": ["x" * 100, 5]}),
            "features.default[1]: expected a string, got 5",
        ),
        ('["serde"]', "expected an object, got an array"),
        (
            '{"name": "serde",',
            "invalid JSON: Expecting property name enclosed in double quotes (column 18)",
        ),
        ("[" * 100_000 + "]" * 100_000, "invalid JSON: nested too deeply"),
        (
            _line(v=1).replace('"v": 1', '"v": 1' + "0" * 5000),
            "invalid JSON: Exceeds the limit (4300 digits) for integer string conversion: "
            "value has 5001 digits; use sys.set_int_max_str_digits() to increase the limit",
        ),
        (_line(cksum="x" * 100), None),
    ],
)
def test_malformed_lines_name_file_line_and_field(line: str, message: str | None) -> None:
    data = f"{_line(vers='0.9.0')}\n{_line(vers='0.9.1')}\n{line}\n".encode()
    if message is None:
        assert len(parse_index_file(data, source="se/rd/serde", crate="serde")) == 3
        return
    with pytest.raises(InvalidIndexEntry) as info:
        parse_index_file(data, source="se/rd/serde", crate="serde")
    assert str(info.value) == f"se/rd/serde: line 3: {message}"
    assert isinstance(info.value, ParseError)


def test_got_values_are_shortened() -> None:
    with pytest.raises(InvalidIndexEntry) as info:
        parse_index_line(_line(links=1, vers=["x"] * 3), source="f", lineno=9)
    assert str(info.value) == "f: line 9: vers: expected a string, got an array"
    with pytest.raises(InvalidIndexEntry) as info:
        parse_index_line(_line(yanked="y" * 500), source="f", lineno=1)
    assert (
        str(info.value)
        == 'f: line 1: yanked: expected a boolean, got "yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy...'
    )


def test_name_check_ignores_ascii_case_only() -> None:
    (entry,) = parse_index_file(_line(name="SerDe").encode(), source="se/rd/serde", crate="serde")
    assert entry.name == "SerDe"
    # the Kelvin sign lowercases to an ASCII "k", but it is not the crate "key"
    with pytest.raises(InvalidIndexEntry) as info:
        parse_index_file(_line(name="\u212aey").encode(), source="3/k/key", crate="key")
    assert str(info.value) == (
        "3/k/key: line 1: name: expected 'key' (the file's crate), got \"\\u212aey\""
    )


def test_size_bounds() -> None:
    big = _line(features={"f": ["x" * 2000]})
    with pytest.raises(InvalidIndexEntry) as info:
        parse_index_file(f"{_line()}\n{big}\n".encode(), source="s", max_line_bytes=1000)
    assert str(info.value) == f"s: line 2: line is {len(big)} bytes, more than the limit of 1000"
    with pytest.raises(InvalidIndexEntry) as info:
        parse_index_line(big.encode(), source="s", lineno=5, max_line_bytes=1000)
    assert str(info.value) == f"s: line 5: line is {len(big)} bytes, more than the limit of 1000"
    data = f"{_line()}\n".encode() * 10
    with pytest.raises(InvalidIndexFile) as file_info:
        parse_index_file(data, source="s", max_file_bytes=100)
    assert str(file_info.value) == f"s: index file is {len(data)} bytes, more than the limit of 100"


def test_multibyte_lines_are_measured_in_bytes() -> None:
    line = _line(features={"f": ["é" * 400]})  # 400 characters, 800 bytes in UTF-8
    assert len(parse_index_file(line.encode(), source="s", max_line_bytes=len(line) + 1)) == 1


def test_invalid_utf8_names_its_line() -> None:
    data = _line().encode() + b"\n" + _line(links="x").encode().replace(b'"x"', b'"\xff"')
    with pytest.raises(InvalidIndexFile) as info:
        parse_index_file(data, source="se/rd/serde")
    assert str(info.value) == "se/rd/serde: line 2: not valid UTF-8"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            b'{"dl": "https://static.crates.io/crates", "api": "https://crates.io"}',
            IndexConfig(
                dl="https://static.crates.io/crates", api="https://crates.io", auth_required=False
            ),
        ),
        (
            b'{"dl": "https://x.test/{crate}/{version}", "auth-required": true}',
            IndexConfig(dl="https://x.test/{crate}/{version}", api=None, auth_required=True),
        ),
    ],
)
def test_config(data: bytes, expected: IndexConfig) -> None:
    assert parse_config(data, source="config.json") == expected


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"api": "https://crates.io"}', "config.json: dl: missing"),
        (b'{"dl": 3}', "config.json: dl: expected a string, got 3"),
        (
            b'{"dl": "x", "auth-required": "no"}',
            'config.json: auth-required: expected a boolean, got "no"',
        ),
        (b"[]", "config.json: expected an object, got an array"),
    ],
)
def test_bad_config(data: bytes, message: str) -> None:
    with pytest.raises(InvalidIndexFile) as info:
        parse_config(data, source="config.json")
    assert str(info.value) == message


_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
_deps = st.fixed_dictionaries(
    {
        "name": _text,
        "req": _text,
        "features": st.lists(_text, max_size=3),
        "optional": st.booleans(),
        "default_features": st.booleans(),
        "target": st.none() | _text,
        "kind": st.sampled_from([None, "normal", "build", "dev"]),
    },
    optional={"package": _text, "registry": st.none() | _text},
)
_entries = st.fixed_dictionaries(
    {
        "name": _text,
        "vers": _text,
        "deps": st.lists(_deps, max_size=4),
        "cksum": _text,
        "features": st.dictionaries(_text, st.lists(_text, max_size=3), max_size=3),
    },
    optional={
        "yanked": st.booleans(),
        "links": st.none() | _text,
        "features2": st.dictionaries(_text, st.lists(_text, max_size=3), max_size=3),
        "v": st.integers(min_value=1, max_value=3),
        "rust_version": _text,
    },
)


@given(st.lists(_entries, min_size=1, max_size=4))
def test_every_valid_line_round_trips(raw: list[dict[str, Any]]) -> None:
    data = "\n".join(json.dumps(e) for e in raw).encode()
    entries = parse_index_file(data, source="x")
    assert len(entries) == len(raw)
    for entry, obj in zip(entries, raw, strict=True):
        assert (entry.name, entry.vers, entry.cksum) == (obj["name"], obj["vers"], obj["cksum"])
        assert entry.yanked is obj.get("yanked", False)
        assert entry.schema == obj.get("v", 1)
        merged = {**obj["features"], **obj.get("features2", {})}
        assert entry.features == {k: tuple(v) for k, v in merged.items()}
        for dep, raw_dep in zip(entry.deps, obj["deps"], strict=True):
            assert dep.name == raw_dep["name"]
            assert dep.package == raw_dep.get("package", raw_dep["name"])
            assert dep.kind.value == (raw_dep["kind"] or "normal")
            assert dep.features == tuple(raw_dep["features"])
            assert dep.registry == raw_dep.get("registry")
