"""Cargo.lock parsing (v1-v4), edge resolution, line numbers, errors and the dependency graph."""

from __future__ import annotations

import doctest
import hashlib
import itertools
import re
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cratewatch import _toml as toml_module
from cratewatch import lockfile as lockfile_module
from cratewatch import source_id as source_id_module
from cratewatch.errors import SourceError
from cratewatch.lockfile import (
    MAX_LOCKFILE_BYTES,
    GitBranch,
    GitTag,
    InvalidLockfile,
    Lockfile,
    Package,
    PackageId,
    load_lockfile,
    parse_lockfile,
)
from cratewatch.semver import Version
from cratewatch.source_id import SourceId

CRATES_IO = "registry+https://github.com/rust-lang/crates.io-index"


def _real_lockfiles(shared_data: Path) -> list[Path]:
    files = sorted((shared_data / "lockfiles").glob("*/Cargo.lock"))
    assert len(files) >= 14
    return files


def _names(packages: tuple[Package, ...]) -> list[str]:
    return [f"{p.name} {p.version}" for p in packages]


# --- the real lockfiles ---------------------------------------------------------------------


@pytest.mark.shared
def test_every_real_lockfile_parses_with_one_package_per_header(shared_data: Path) -> None:
    for file in _real_lockfiles(shared_data):
        text = file.read_text()
        header_lines = [n for n, line in enumerate(text.split("\n"), 1) if line == "[[package]]"]
        lock = load_lockfile(file)
        assert len(lock.packages) == len(header_lines), file
        assert [p.line for p in lock.packages] == header_lines, file
        sourceless = len(header_lines) - len(re.findall(r"^source = ", text, re.MULTILINE))
        assert len(lock.roots) == sourceless, file
        edges = len(re.findall(r'^ "', text, re.MULTILINE))
        assert sum(len(p.dependencies) for p in lock.packages) == edges, file


@pytest.mark.shared
def test_real_lockfile_formats_are_detected_as_cargo_does(shared_data: Path) -> None:
    for file in _real_lockfiles(shared_data):
        text = file.read_text()
        declared = re.search(r"^version = (\d+)$", text, re.MULTILINE)
        lock = load_lockfile(file)
        if declared:
            assert lock.version == int(declared.group(1)), file
        elif "\nchecksum = " in text:
            assert lock.version == 2, file
        else:
            assert lock.version == 1, file
    versions = {load_lockfile(f).version for f in _real_lockfiles(shared_data)}
    assert versions == {1, 2, 3, 4}


@pytest.mark.shared
def test_real_checksums_come_inline_or_from_metadata(shared_data: Path) -> None:
    for file in _real_lockfiles(shared_data):
        text = file.read_text()
        lock = load_lockfile(file)
        inline = re.findall(r'^checksum = "([0-9a-f]{64})"$', text, re.MULTILINE)
        in_metadata = re.findall(r'^"checksum [^"]*" = "([0-9a-f]{64})"$', text, re.MULTILINE)
        found = [p.checksum for p in lock.packages if p.checksum is not None]
        assert sorted(found) == sorted(inline or in_metadata), file
        assert found, file


@pytest.mark.shared
def test_real_graphs_are_consistent_and_every_package_reaches_a_root(shared_data: Path) -> None:
    for file in _real_lockfiles(shared_data):
        lock = load_lockfile(file)
        for package in lock.packages:
            for dep in lock.dependencies(package):
                assert package in lock.dependents(dep)
            paths = lock.paths_to_roots(package, limit=3)
            assert paths, f"{file}: {package.id} is unreachable"
            for path in paths:
                assert path[0] == package
                assert path[-1].is_local
                for child, parent in itertools.pairwise(path):
                    assert child in lock.dependencies(parent)
            lengths = [len(p) for p in paths]
            assert lengths == sorted(lengths)


@pytest.mark.shared
def test_real_git_sources_keep_their_reference(shared_data: Path) -> None:
    lock = load_lockfile(shared_data / "lockfiles/nushell__nushell/Cargo.lock")
    (reedline,) = [p for p in lock.find("reedline") if p.source is not None and p.source.is_git]
    assert reedline.source is not None
    assert reedline.source.reference == GitBranch(name="main")
    assert reedline.source.precise is not None
    assert len(reedline.source.precise) == 40
    registry = [p for p in lock.packages if p.source is not None and p.source.is_registry]
    assert all(p.source is not None and p.source.is_crates_io for p in registry)


# --- the fixtures -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "version"),
    [
        ("v2-git-refs.lock", 2),
        ("v3-git-refs.lock", 3),
        ("v4-git-refs.lock", 4),
    ],
)
def test_same_workspace_in_three_formats_gives_the_same_graph(
    assets: Path, fixture: str, version: int
) -> None:
    """v4 and v3 were written by cargo 1.95; cargo accepts the v2 one with --locked."""
    lock = load_lockfile(assets / "lockfile" / fixture)
    assert lock.version == version
    assert lock.path.endswith(fixture)
    (app,) = lock.find("app")
    (util,) = lock.find("util")
    branch = GitBranch(name="feat/x")
    tag = GitTag(name="v0.1.0")

    def refs(package: Package) -> list[tuple[str, object]]:
        return [
            (f"{d.name} {d.version}", d.source.reference if d.source else None)
            for d in lock.dependencies(package)
        ]

    assert refs(app) == [("gitdep-a 0.1.0", branch), ("gitdep-b 0.2.0", tag), ("util 0.3.0", None)]
    assert refs(util) == [("gitdep-a 0.1.0", tag), ("gitdep-b 0.3.0", branch)]
    assert [p.name for p in lock.roots] == ["app", "util"]
    assert _names(lock.patch_unused) == ["unused-patch 1.0.0"]
    assert lock.patch_unused[0].line == (40 if version == 2 else 42)


def test_v4_writes_git_query_values_url_encoded_and_v3_raw(assets: Path) -> None:
    v3 = load_lockfile(assets / "lockfile/v3-git-refs.lock")
    v4 = load_lockfile(assets / "lockfile/v4-git-refs.lock")
    assert [p.source for p in v3.packages] == [p.source for p in v4.packages]
    v4_text = (assets / "lockfile/v4-git-refs.lock").read_text()
    v3_text = (assets / "lockfile/v3-git-refs.lock").read_text()
    for package in v4.packages:
        if package.source is not None:
            assert f'source = "{package.source}"' in v4_text
            assert f'source = "{package.source.to_url(encoded=False)}"' in v3_text


def test_v1_takes_checksums_from_metadata_and_full_edges(assets: Path) -> None:
    lock = load_lockfile(assets / "lockfile/v1-registry.lock")
    assert lock.version == 1
    checksums = {p.name: p.checksum for p in lock.packages}
    # the fixture's fake checksums are sha256 of a label
    assert checksums["memchr"] == hashlib.sha256(b"cratewatch fixture memchr-2.2.1").hexdigest()
    assert checksums["regex-syntax"] is None  # "<none>" in [metadata]
    assert checksums["grep"] is None  # a path package has none
    assert checksums["vendored"] is None  # nor has a git package
    (ripgrep,) = lock.find("ripgrep")
    assert _names(lock.dependencies(ripgrep)) == [
        "grep 0.2.4",
        "master-dep 0.1.0",
        "regex 1.2.0",
        "vendored 0.1.0",
    ]
    assert ripgrep.line == 43


def test_v1_metadata_checksums_match_their_package(assets: Path) -> None:
    text = (assets / "lockfile/v1-registry.lock").read_text()
    lock = parse_lockfile(text)
    for package in lock.packages:
        if package.checksum is not None:
            assert f'"checksum {package.id}" = "{package.checksum}"' in text


def test_v1_edge_to_a_master_branch_spelled_as_the_default_branch(assets: Path) -> None:
    lock = load_lockfile(assets / "lockfile/v1-registry.lock")
    (master,) = lock.find("master-dep")
    assert master.source is not None
    assert master.source.reference == GitBranch(name="master")
    assert [p.name for p in lock.dependents(master)] == ["ripgrep"]


def test_sources_of_mixed_registries(assets: Path) -> None:
    lock = load_lockfile(assets / "lockfile/v4-sources.lock")
    serde = lock.find("serde", "1.0.200")
    assert len(serde) == 2
    assert all(p.source is not None and p.source.is_crates_io for p in serde)
    assert serde[0].source != serde[1].source
    (private,) = lock.find("private-crate")
    assert private.version == Version.parse("2.0.0-beta.1")
    assert private.source is not None
    assert private.source.is_registry
    assert not private.source.is_crates_io
    (app,) = lock.find("app")
    assert lock.dependencies(app)[3:] == serde
    (forked,) = lock.patch_unused
    assert forked.source is not None
    assert str(forked.source) == (
        "git+https://github.com/example/forked?rev=v0.4%2Bfix"
        "#1234abcd1234abcd1234abcd1234abcd1234abcd"
    )
    assert forked.source.precise == "1234abcd1234abcd1234abcd1234abcd1234abcd"
    assert forked.line == 50


# --- format detection -------------------------------------------------------------------------


def _pkg(name: str, version: str, source: str | None = None, *extra: str) -> str:
    lines = ["[[package]]", f'name = "{name}"', f'version = "{version}"']
    if source:
        lines.append(f'source = "{source}"')
    return "\n".join([*lines, *extra]) + "\n"


@pytest.mark.parametrize(
    ("text", "version"),
    [
        # full edges and no inline checksum: v1
        (
            _pkg("a", "0.1.0", None, f'dependencies = ["b 1.0.0 ({CRATES_IO})"]')
            + "\n"
            + _pkg("b", "1.0.0", CRATES_IO),
            1,
        ),
        # an inline checksum: v2
        (_pkg("a", "0.1.0") + "\n" + _pkg("b", "1.0.0", CRATES_IO, 'checksum = "00"'), 2),
        # an edge without version: v2
        (_pkg("a", "0.1.0", None, 'dependencies = ["b"]') + "\n" + _pkg("b", "1.0.0"), 2),
        # an edge leaving out the source of a registry package: v2
        (
            _pkg("a", "0.1.0", None, 'dependencies = ["b 1.0.0"]')
            + "\n"
            + _pkg("b", "1.0.0", CRATES_IO),
            2,
        ),
        # an edge to a path package never has a source: still v1
        (_pkg("a", "0.1.0", None, 'dependencies = ["b 1.0.0"]') + "\n" + _pkg("b", "1.0.0"), 1),
        # a checksum on an unused patch does not count: it is not a locked package
        (
            _pkg("a", "0.1.0")
            + "\n"
            + _pkg("b", "1.0.0")
            + '\n[[patch.unused]]\nname = "c"\nversion = "1.0.0"\nchecksum = "00"\n\n',
            1,
        ),
        # one package and a single final newline: how cargo tells a fresh v2 file
        (_pkg("a", "0.1.0"), 2),
        (_pkg("a", "0.1.0") + "\n", 1),
        ("version = 3\n" + _pkg("a", "0.1.0"), 3),
        ("version = 4\n" + _pkg("a", "0.1.0") + "\n", 4),
    ],
)
def test_format_detection(text: str, version: int) -> None:
    assert parse_lockfile(text).version == version


def test_metadata_checksums_in_a_v2_file_are_dropped_as_cargo_does() -> None:
    text = (
        _pkg("a", "0.1.0", None, 'dependencies = ["b"]')
        + "\n"
        + _pkg("b", "1.0.0", CRATES_IO, 'checksum = "inline"')
        + f'\n[metadata]\n"checksum b 1.0.0 ({CRATES_IO})" = "meta"\n'
    )
    lock = parse_lockfile(text)
    assert lock.version == 2
    assert [p.checksum for p in lock.packages] == [None, None]


def test_empty_lockfile() -> None:
    lock = parse_lockfile("version = 4\n")
    assert lock.packages == ()
    assert lock.roots == ()


def test_old_root_table_is_the_first_package() -> None:
    text = (
        '[root]\nname = "app"\nversion = "0.1.0"\n'
        f'dependencies = ["b 1.0.0 ({CRATES_IO})"]\n\n' + _pkg("b", "1.0.0", CRATES_IO)
    )
    lock = parse_lockfile(text)
    assert _names(lock.packages) == ["app 0.1.0", "b 1.0.0"]
    assert [p.line for p in lock.packages] == [1, 6]
    assert _names(lock.roots) == ["app 0.1.0"]


# --- line numbers -----------------------------------------------------------------------------


def test_lines_ignore_headers_inside_strings_and_comments() -> None:
    text = (
        "# [[package]] in a comment\n"  # 1
        'version = 4\n[metadata]\nnote = """\n[[package]]\n"""\n'  # 2-6
        "lit = '''\n[[package]]\n'''\n"  # 7-9
        'quoted = "[[package]]"\n'  # 10
        '[[ "package" ]]  # spaced and quoted\nname = "a"\nversion = "1.0.0"\n'  # 11-13
        "\n"
        '[[package]]\nname = "b"\nversion = "1.0.0"\n'  # 15-17
    )
    lock = parse_lockfile(text)
    assert [p.line for p in lock.packages] == [11, 15]


def test_lines_of_an_inline_package_array_point_at_the_assignment() -> None:
    text = 'version = 4\n\npackage = [\n  { name = "a", version = "1.0.0" },\n]\n'
    lock = parse_lockfile(text)
    assert [p.line for p in lock.packages] == [3]


# --- errors -----------------------------------------------------------------------------------

_ERRORS = [
    (
        "version = 4\n[[package]\n",
        "Cargo.lock: invalid TOML: Expected ']]' at the end of an array declaration "
        "(at line 2, column 10)",
    ),
    (
        "version = 5\n",
        "Cargo.lock: version: lock file version 5 is not supported "
        "(cargo writes 3 or 4, and no version key for the v1 and v2 formats)",
    ),
    ('version = "4"\n', "Cargo.lock: version: expected an integer, got '4'"),
    ("version = 4\npackage = [1]\n", "Cargo.lock: package[0]: expected a table, got 1"),
    ("version = 4\npackage = 3\n", "Cargo.lock: package: expected an array, got 3"),
    ("version = 4\n[[package]]\nversion = '1.0.0'\n", "Cargo.lock: package[0].name: missing"),
    (
        "version = 4\n[[package]]\nname = 'a'\nversion = 1\n",
        "Cargo.lock: package[0].version: expected a string, got 1",
    ),
    (
        "version = 4\n[[package]]\nname = 'a'\nversion = 'x.y'\n",
        "Cargo.lock: package[0].version: 'x.y' is not a valid version: "
        "unexpected character 'x' while parsing major version number",
    ),
    (
        "version = 4\n" + _pkg("a", "1.0.0", "svn+https://example.com/x"),
        "Cargo.lock: package[0].source: 'svn+https://example.com/x' is not a valid source id: "
        "unsupported source protocol 'svn'",
    ),
    (
        "version = 4\n" + _pkg("a", "1.0.0", "https://example.com/x"),
        "Cargo.lock: package[0].source: 'https://example.com/x' is not a valid source id: "
        "expected KIND+URL",
    ),
    (
        "version = 4\n" + _pkg("a", "1.0.0", "registry+crates io"),
        "Cargo.lock: package[0].source: 'registry+crates io' is not a valid source id: "
        "'crates io' is not a URL",
    ),
    (
        "version = 4\n" + _pkg("a", "1.0.0", None, "dependencies = 'b'"),
        "Cargo.lock: package[0].dependencies: expected an array, got 'b'",
    ),
    (
        "version = 4\n" + _pkg("a", "1.0.0", None, "dependencies = [1]"),
        "Cargo.lock: package[0].dependencies[0]: expected a string, got 1",
    ),
    (
        "version = 4\n"
        + "\n".join(_pkg(n, "1.0.0") for n in "abc")
        + "\n"
        + _pkg("d", "1.0.0", None, 'dependencies = ["foo"]'),
        "Cargo.lock: package[3].dependencies[0]: no package named 'foo' in the lockfile",
    ),
    (
        "version = 4\n"
        + _pkg("a", "1.0.0", None, 'dependencies = ["b"]')
        + _pkg("b", "1.0.0", CRATES_IO)
        + _pkg("b", "2.0.0", CRATES_IO),
        "Cargo.lock: package[0].dependencies[0]: 'b' is ambiguous: "
        "the lockfile has versions 1.0.0, 2.0.0",
    ),
    (
        "version = 4\n" + _pkg("a", "1.0.0", None, 'dependencies = ["a 2.0.0"]'),
        "Cargo.lock: package[0].dependencies[0]: no package 'a 2.0.0' in the lockfile "
        "(it has versions 1.0.0)",
    ),
    (
        "version = 4\n"
        + _pkg("a", "1.0.0", None, 'dependencies = ["b 1.0.0"]')
        + _pkg("b", "1.0.0", CRATES_IO)
        + _pkg("b", "1.0.0", "sparse+https://example.com/"),
        "Cargo.lock: package[0].dependencies[0]: 'b 1.0.0' is ambiguous: the lockfile has it "
        f"from {CRATES_IO}, sparse+https://example.com/",
    ),
    (
        "version = 4\n"
        + _pkg("a", "1.0.0", None, 'dependencies = ["b 1.0.0 (sparse+https://example.com/)"]')
        + _pkg("b", "1.0.0", CRATES_IO),
        "Cargo.lock: package[0].dependencies[0]: no package "
        "'b 1.0.0 (sparse+https://example.com/)' in the lockfile",
    ),
    (
        "version = 4\n" + _pkg("a", "1.0.0", None, 'dependencies = ["a 1.0.0 registry+x"]'),
        "Cargo.lock: package[0].dependencies[0]: 'a 1.0.0 registry+x' is not a package id: "
        "the source must be in (...)",
    ),
    (
        "version = 4\n" + _pkg("a", "1.0.0", None, 'dependencies = ["a 1.x"]'),
        "Cargo.lock: package[0].dependencies[0]: '1.x' is not a valid version: "
        "unexpected character 'x' while parsing minor version number",
    ),
    (
        "version = 4\n" + _pkg("a", "1.0.0", None, 'dependencies = [""]'),
        "Cargo.lock: package[0].dependencies[0]: '' is not a package id",
    ),
    (
        "version = 4\n" + _pkg("a", "1.0.0", CRATES_IO) + _pkg("a", "1.0.0", CRATES_IO),
        "Cargo.lock: package[1]: package 'a 1.0.0' is specified twice in the lockfile "
        "(also at package[0])",
    ),
    (
        "version = 4\n[patch]\nunused = [{ name = 'x' }]\n",
        "Cargo.lock: patch.unused[0].version: missing",
    ),
    (
        f'[metadata]\n"checksum a 1.0.0 ({CRATES_IO})" = 1\n',
        f'Cargo.lock: metadata."checksum a 1.0.0 ({CRATES_IO})": expected a string, got 1',
    ),
]


@pytest.mark.parametrize(("text", "message"), _ERRORS)
def test_errors_name_the_file_and_the_field(text: str, message: str) -> None:
    with pytest.raises(InvalidLockfile) as caught:
        parse_lockfile(text)
    assert str(caught.value) == message


def test_invalid_toml_reports_line_and_column() -> None:
    with pytest.raises(InvalidLockfile) as caught:
        parse_lockfile("version = 4\n[[package]]\nname = \n", path="x/Cargo.lock")
    assert str(caught.value) == "x/Cargo.lock: invalid TOML: Invalid value (at line 3, column 8)"
    assert caught.value.__cause__ is not None


def test_load_rejects_a_huge_file(tmp_path: Path) -> None:
    big = tmp_path / "Cargo.lock"
    with big.open("wb") as stream:
        stream.truncate(MAX_LOCKFILE_BYTES + 1)
    with pytest.raises(InvalidLockfile) as caught:
        load_lockfile(big)
    assert str(caught.value) == f"{big}: larger than 64 MiB; not a Cargo.lock"


def test_load_rejects_non_utf8(tmp_path: Path) -> None:
    bad = tmp_path / "Cargo.lock"
    bad.write_bytes(b"version = 4\n# \xff\n")
    with pytest.raises(InvalidLockfile) as caught:
        load_lockfile(bad)
    assert str(caught.value) == f"{bad}: not UTF-8 text (byte 14)"


def test_load_missing_file_is_a_source_error(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as caught:
        load_lockfile(tmp_path / "Cargo.lock")
    assert str(caught.value) == (
        f"{tmp_path / 'Cargo.lock'}: cannot read the lockfile: No such file or directory"
    )


# --- graph ------------------------------------------------------------------------------------

_DIAMOND = "version = 4\n" + "\n".join(
    [
        _pkg("app", "0.1.0", None, 'dependencies = ["left", "right", "tool"]'),
        _pkg("tool", "0.1.0", None, 'dependencies = ["right"]'),
        _pkg("left", "1.0.0", CRATES_IO, 'dependencies = ["leaf"]'),
        _pkg("right", "1.0.0", CRATES_IO, 'dependencies = ["mid"]'),
        _pkg("mid", "1.0.0", CRATES_IO, 'dependencies = ["leaf"]'),
        _pkg("leaf", "1.0.0", CRATES_IO, 'dependencies = ["cycle"]'),
        _pkg("cycle", "1.0.0", CRATES_IO, 'dependencies = ["leaf"]'),
    ]
)


def _paths(
    lock: Lockfile, name: str, *, limit: int = 10, roots: list[str] | None = None
) -> list[list[str]]:
    (package,) = lock.find(name)
    paths = lock.paths_to_roots(package, limit=limit, roots=roots)
    return [[p.name for p in path] for path in paths]


def test_paths_to_roots_shortest_first_stopping_at_the_first_root() -> None:
    lock = parse_lockfile(_DIAMOND)
    assert _names(lock.roots) == ["app 0.1.0", "tool 0.1.0"]
    assert _paths(lock, "leaf") == [
        ["leaf", "left", "app"],
        ["leaf", "mid", "right", "app"],
        ["leaf", "mid", "right", "tool"],
    ]
    assert _paths(lock, "leaf", limit=1) == [["leaf", "left", "app"]]
    assert _paths(lock, "leaf", limit=0) == []
    assert _paths(lock, "cycle") == [
        ["cycle", "leaf", "left", "app"],
        ["cycle", "leaf", "mid", "right", "app"],
        ["cycle", "leaf", "mid", "right", "tool"],
    ]
    assert _paths(lock, "app") == [["app"]]


def test_paths_to_explicit_roots() -> None:
    lock = parse_lockfile(_DIAMOND)
    assert _paths(lock, "leaf", roots=["tool"]) == [["leaf", "mid", "right", "tool"]]
    assert _paths(lock, "leaf", roots=["right"]) == [["leaf", "mid", "right"]]
    assert _paths(lock, "left", roots=["tool"]) == []
    with pytest.raises(KeyError, match="no package named 'nope'"):
        _paths(lock, "leaf", roots=["nope"])


def test_lookups() -> None:
    lock = parse_lockfile(_DIAMOND)
    (mid,) = lock.find("mid")
    assert lock.get(mid.id) is mid
    assert lock.find("mid", "1.0.0") == (mid,)
    assert lock.find("mid", Version.parse("2.0.0")) == ()
    assert lock.find("nope") == ()
    assert _names(lock.dependents(mid)) == ["right 1.0.0"]
    assert _names(lock.dependencies(mid.id)) == ["leaf 1.0.0"]
    assert str(mid.id) == f"mid 1.0.0 ({CRATES_IO})"
    ghost = PackageId(name="ghost", version=Version.parse("1.0.0"), source=None)
    with pytest.raises(KeyError, match=r"no package ghost 1\.0\.0"):
        lock.dependencies(ghost)


def test_roots_fall_back_to_packages_nothing_depends_on() -> None:
    text = "version = 4\n" + _pkg("a", "1.0.0", CRATES_IO, 'dependencies = ["b"]')
    text += _pkg("b", "1.0.0", CRATES_IO)
    lock = parse_lockfile(text)
    assert _names(lock.roots) == ["a 1.0.0"]
    assert _paths(lock, "b") == [["b", "a"]]


def test_replace_is_an_edge() -> None:
    text = "version = 4\n" + _pkg("app", "0.1.0", None, f'dependencies = ["a 1.0.0 ({CRATES_IO})"]')
    text += _pkg("a", "1.0.0", CRATES_IO, 'replace = "a 1.0.0 (git+https://example.com/a)"')
    text += _pkg("a", "1.0.0", "git+https://example.com/a#0123")
    lock = parse_lockfile(text)
    replaced = lock.packages[1]
    assert replaced.replace == lock.packages[2].id
    assert lock.dependencies(replaced) == (lock.packages[2],)
    paths = lock.paths_to_roots(lock.packages[2])
    assert [[p.name for p in path] for path in paths] == [["a", "a", "app"]]


# --- properties -------------------------------------------------------------------------------

_NAMES = ["a", "b", "c", "d", "e"]
_VERSIONS = ["1.0.0", "2.0.0"]
_SOURCES = [None, CRATES_IO, "sparse+https://index.crates.io/", "git+https://e.com/r?tag=x#1"]


@st.composite
def _graphs(draw: st.DrawFn) -> tuple[list[tuple[str, str, str | None]], set[tuple[int, int]]]:
    ids = draw(
        st.lists(
            st.tuples(
                st.sampled_from(_NAMES), st.sampled_from(_VERSIONS), st.sampled_from(_SOURCES)
            ),
            min_size=1,
            max_size=9,
            unique=True,
        )
    )
    n = len(ids)
    edges = draw(st.sets(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)), max_size=3 * n))
    return ids, edges


def _encode(
    ids: list[tuple[str, str, str | None]], edges: set[tuple[int, int]], version: int
) -> str:
    """Write a lockfile the way cargo's ``encodable_package_id`` abbreviates edges."""
    lines = [] if version <= 2 else [f"version = {version}"]
    for i, (name, ver, source) in enumerate(ids):
        deps = []
        for j in sorted(j for a, j in edges if a == i):
            dname, dver, dsource = ids[j]
            same_name = [x for x in ids if x[0] == dname]
            same_version = [x for x in same_name if x[1] == dver]
            text = f"{dname} {dver}"
            if dsource is not None:
                text += f" ({SourceId.parse(dsource).without_precise()})"
            if version >= 2 and len(same_version) == 1:
                text = dname if len(same_name) == 1 else f"{dname} {dver}"
            deps.append(text)
        lines += ["", "[[package]]", f'name = "{name}"', f'version = "{ver}"']
        if source is not None:
            lines.append(f'source = "{source}"')
        if deps:
            lines.append("dependencies = [" + ", ".join(f'"{d}"' for d in deps) + "]")
    return "\n".join(lines) + "\n\n"


@settings(max_examples=150, deadline=None)
@given(_graphs(), st.sampled_from([1, 2, 3, 4]))
def test_written_graphs_read_back(
    graph: tuple[list[tuple[str, str, str | None]], set[tuple[int, int]]], version: int
) -> None:
    ids, edges = graph
    lock = parse_lockfile(_encode(ids, edges, version))
    assert [(p.name, str(p.version), p.source and str(p.source)) for p in lock.packages] == ids
    for i, package in enumerate(lock.packages):
        expected = [lock.packages[j] for j in sorted(j for a, j in edges if a == i)]
        assert list(lock.dependencies(package)) == expected
    if version >= 3:
        assert lock.version == version


def _all_simple_paths(lock: Lockfile, start: Package, roots: set[Package]) -> list[list[Package]]:
    out: list[list[Package]] = []

    def walk(path: list[Package]) -> None:
        if path[-1] in roots:
            out.append(path)
            return
        for parent in lock.dependents(path[-1]):
            if parent not in path:
                walk([*path, parent])

    walk([start])
    return out


@settings(max_examples=150, deadline=None)
@given(_graphs(), st.integers(1, 6))
def test_paths_to_roots_are_the_shortest_simple_paths(
    graph: tuple[list[tuple[str, str, str | None]], set[tuple[int, int]]], limit: int
) -> None:
    ids, edges = graph
    lock = parse_lockfile(_encode(ids, edges, 4))
    roots = set(lock.roots)
    for package in lock.packages:
        found = lock.paths_to_roots(package, limit=limit)
        every = _all_simple_paths(lock, package, roots)
        assert len(found) == min(limit, len(every))
        assert [len(p) for p in found] == sorted(len(p) for p in every)[: len(found)]
        assert len(set(found)) == len(found)
        for path in found:
            assert list(path) in every


@pytest.mark.parametrize("module", [lockfile_module, source_id_module, toml_module])
def test_docstring_examples_run(module: ModuleType) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0


def test_paths_in_a_graph_with_astronomically_many_paths() -> None:
    """20 layers of 8 crates, each depending on every crate of the next layer: 8**19 paths."""
    layers = [[f"l{layer}x{i}" for i in range(8)] for layer in range(20)]
    entries = [
        _pkg(
            "root", "0.1.0", None, "dependencies = [" + ", ".join(f'"{n}"' for n in layers[0]) + "]"
        )
    ]
    for layer, names in enumerate(layers):
        below = layers[layer + 1] if layer + 1 < len(layers) else []
        deps = "dependencies = [" + ", ".join(f'"{n}"' for n in below) + "]"
        entries += [_pkg(name, "1.0.0", CRATES_IO, deps) for name in names]
    lock = parse_lockfile("version = 4\n" + "\n".join(entries))
    (bottom,) = lock.find("l19x7")
    paths = lock.paths_to_roots(bottom, limit=50)
    assert len(paths) == 50
    assert {len(path) for path in paths} == {21}
    assert len(set(paths)) == 50


def test_a_hand_built_lockfile_must_be_closed() -> None:
    version = Version.parse("1.0.0")
    ghost = PackageId(name="ghost", version=version, source=None)
    package = Package(
        name="a", version=version, source=None, checksum=None, dependencies=(ghost,), line=1
    )
    with pytest.raises(ValueError, match=r"x\.lock: an edge names ghost 1\.0\.0"):
        Lockfile(version=4, packages=(package,), patch_unused=(), path="x.lock")
