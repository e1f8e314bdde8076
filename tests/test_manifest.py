"""Cargo.toml parsing: package metadata, targets, every dependency kind and spelling, errors."""

from __future__ import annotations

import doctest
import shutil
import tomllib
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import tomlkit
from hypothesis import given, settings
from hypothesis import strategies as st

import cratewatch.manifest
import cratewatch.manifest.parse
import cratewatch.manifest.workspace
from cratewatch.errors import SourceError
from cratewatch.lockfile import load_lockfile
from cratewatch.manifest import (
    MAX_MANIFEST_BYTES,
    Binary,
    BuildScriptPath,
    Dependency,
    DepKind,
    DetectBuildScript,
    InvalidManifest,
    Library,
    Manifest,
    NoBuildScript,
    WorkspaceInherited,
    load_manifest,
    parse_manifest,
    resolve_workspace_inheritance,
)
from cratewatch.semver import Version, VersionReq
from tests.manifest_cargo import cargo_dependencies, cargo_metadata, needs_cargo, our_dependencies

_KIND_KEYS = {
    DepKind.NORMAL: ("dependencies",),
    DepKind.DEV: ("dev-dependencies", "dev_dependencies"),
    DepKind.BUILD: ("build-dependencies", "build_dependencies"),
}


def _real_manifests(shared_data: Path) -> list[Path]:
    files = sorted((shared_data / "lockfiles").glob("*/Cargo.toml"))
    assert len(files) >= 14
    return files


def _count_dependencies(doc: dict[str, Any]) -> int:
    """Entries in the dependency tables, counted straight from tomllib's output."""
    tables = [doc, *doc.get("target", {}).values()]
    total = 0
    for table in tables:
        for keys in _KIND_KEYS.values():
            present = [k for k in keys if k in table]
            if present:
                total += len(table[present[0]])
    return total


# --- the real manifests -----------------------------------------------------------------------


@pytest.mark.shared
def test_every_real_manifest_parses(shared_data: Path) -> None:
    for file in _real_manifests(shared_data):
        doc = tomllib.loads(file.read_text())
        manifest = load_manifest(file)
        assert len(manifest.dependencies) == _count_dependencies(doc), file
        assert (manifest.package is None) == ("package" not in doc), file
        assert (manifest.workspace is None) == ("workspace" not in doc), file
        assert dict(manifest.features) == {
            k: tuple(v) for k, v in doc.get("features", {}).items()
        }, file
        if manifest.workspace is not None:
            ws = doc["workspace"]
            assert list(manifest.workspace.members) == ws.get("members", []), file
            assert set(manifest.workspace.dependencies) == set(ws.get("dependencies", {})), file


@pytest.mark.shared
def test_real_dependencies_are_satisfied_by_their_lockfile(shared_data: Path) -> None:
    """Every dependency of a root manifest (inheritance resolved) is locked at a version its
    requirement matches, from git when it says git; the package is a lockfile root."""
    for file in _real_manifests(shared_data):
        manifest = load_manifest(file)
        if manifest.workspace is not None:
            manifest = resolve_workspace_inheritance(manifest, manifest)
        assert manifest.workspace_resolved, file
        lock = load_lockfile(file.with_name("Cargo.lock"))
        if manifest.package is not None:
            assert manifest.package.name in {p.name for p in lock.roots}, file
        for dep in manifest.dependencies:
            locked = [p for p in lock.find(dep.package) if dep.effective_req.matches(p.version)]
            assert locked, f"{file}: {dep.name}"
            if dep.git is not None:
                assert any(p.source and p.source.url == dep.git for p in locked), dep.name
            if dep.path is not None:
                assert any(p.source is None for p in locked), dep.name


@pytest.mark.shared
def test_real_inheritance_fills_every_inherited_field(shared_data: Path) -> None:
    nushell = load_manifest(shared_data / "lockfiles/nushell__nushell/Cargo.toml")
    assert nushell.package is not None
    assert nushell.package.version == WorkspaceInherited()
    assert not nushell.workspace_resolved
    resolved = resolve_workspace_inheritance(nushell, nushell)
    assert resolved.package is not None
    assert resolved.package.inherits == ()
    assert resolved.package.version == Version.parse("0.114.2")
    assert resolved.package.edition == "2024"
    (cli,) = [d for d in resolved.dependencies if d.name == "nu-cli"]
    assert cli.path == "crates/nu-cli"
    assert cli.req == VersionReq.parse("0.114.2")
    assert cli.default_features is False
    assert cli.workspace_inherited


# --- the full fixture -------------------------------------------------------------------------


@pytest.fixture
def full(assets: Path) -> Manifest:
    return load_manifest(assets / "manifest/full.toml")


def test_package_metadata(full: Manifest) -> None:
    package = full.package
    assert package is not None
    assert package.name == "full"
    assert package.version == Version.parse("1.2.3-rc.1+build.5")
    assert package.authors == ("A <a@example.com>", "B")
    assert package.description == "A package that uses every field.\n"
    assert package.license == "MIT OR Apache-2.0"
    assert package.license_file == "LICENSE.txt"
    assert package.repository == "https://github.com/example/full"
    assert package.homepage == "https://example.com"
    assert package.documentation == "https://docs.rs/full"
    assert package.readme is False
    assert package.build == BuildScriptPath(path="tools/build.rs")
    assert package.links == "z"
    assert package.edition == "2021"
    assert package.rust_version == "1.70"
    assert package.publish == ("internal",)
    assert package.keywords == ("one", "two")
    assert package.categories == ("development-tools",)
    assert package.include == ("src/**",)
    assert package.exclude is None
    assert package.inherits == ()


def test_targets(full: Manifest) -> None:
    assert full.lib == Library(
        name="full_lib", path="src/full.rs", proc_macro=True, crate_types=("proc-macro",)
    )
    assert full.bins == (
        Binary(name="full-cli", path="src/bin/cli.rs", required_features=("cli",)),
        Binary(name="helper", path=None, required_features=()),
    )


def test_features_patch_and_profile(full: Manifest) -> None:
    assert dict(full.features) == {
        "default": ("cli",),
        "cli": ("dep:renamed", "features/a"),
        "empty": (),
    }
    assert set(full.patch) == {"crates-io", "https://github.com/example/tagged"}
    assert dict(full.patch["crates-io"]) == {"plain": {"git": "https://github.com/example/plain"}}
    assert full.workspace is None
    assert full.workspace_resolved
    assert not full.is_virtual


_FULL_DEPENDENCIES = [
    # name, package, req, kind, target, optional, default features, features, source
    ("plain", "plain", "^1.0", DepKind.NORMAL, None, False, True, (), None),
    ("exact", "exact", "=0.4.2", DepKind.NORMAL, None, False, True, (), None),
    ("renamed", "real-name", "^0.3", DepKind.NORMAL, None, True, True, (), None),
    ("features", "features", "^2", DepKind.NORMAL, None, False, False, ("a", "b"), None),
    ("underscored", "underscored", "^3", DepKind.NORMAL, None, False, False, (), None),
    ("local", "local", None, DepKind.NORMAL, None, False, True, (), "path:../local"),
    (
        "local-versioned",
        "local-versioned",
        "^0.1.0",
        DepKind.NORMAL,
        None,
        False,
        True,
        (),
        "path:../lv",
    ),
    ("branchy", "branchy", None, DepKind.NORMAL, None, False, True, (), "branch:dev"),
    ("tagged", "tagged", None, DepKind.NORMAL, None, False, True, (), "tag:v1.0.0"),
    ("pinned", "pinned", None, DepKind.NORMAL, None, False, True, (), "rev:0123abc"),
    ("default-branch", "default-branch", None, DepKind.NORMAL, None, False, True, (), "git"),
    ("private", "private", "^1", DepKind.NORMAL, None, False, True, (), "registry:my-registry"),
    ("table-form", "table-form", ">=1.2, <1.5", DepKind.NORMAL, None, False, True, ("x",), None),
    ("dev-underscored", "dev-underscored", "^0.1", DepKind.DEV, None, False, True, (), None),
    ("cc", "cc", "^1.0.83", DepKind.BUILD, None, False, True, (), None),
    ("winapi", "winapi", "^0.3", DepKind.NORMAL, "cfg(windows)", False, True, ("winuser",), None),
    (
        "linux-only",
        "linux-only",
        "^0.1",
        DepKind.DEV,
        "x86_64-unknown-linux-gnu",
        False,
        True,
        (),
        None,
    ),
    ("pkg-config", "pkg-config", "^0.3", DepKind.BUILD, "cfg(unix)", False, True, (), None),
]


def _source(dep: Dependency) -> str | None:
    if dep.path is not None:
        return f"path:{dep.path}"
    for key, value in (("branch", dep.branch), ("tag", dep.tag), ("rev", dep.rev)):
        if value is not None:
            return f"{key}:{value}"
    if dep.git is not None:
        return "git"
    return None if dep.registry is None else f"registry:{dep.registry}"


def test_every_dependency_in_file_order(full: Manifest) -> None:
    found = [
        (
            d.name,
            d.package,
            None if d.req is None else str(d.req),
            d.kind,
            d.target,
            d.optional,
            d.default_features,
            d.features,
            _source(d),
        )
        for d in full.dependencies
    ]
    assert found == _FULL_DEPENDENCIES
    assert not any(d.workspace_inherited for d in full.dependencies)
    assert [d.name for d in full.dependencies_of(DepKind.BUILD)] == ["cc", "pkg-config"]
    (local,) = [d for d in full.dependencies if d.name == "local"]
    assert local.effective_req == VersionReq.STAR


@needs_cargo
def test_full_fixture_agrees_with_cargo_metadata(
    assets: Path, tmp_path: Path, full: Manifest
) -> None:
    """Real cargo reads the same fixture; its `cargo metadata` must say what we parsed."""
    root = tmp_path / "full"
    for directory in ("src/bin", "tools", ".cargo"):
        (root / directory).mkdir(parents=True)
    for file in ("src/full.rs", "src/main.rs", "src/bin/cli.rs", "src/bin/helper.rs"):
        (root / file).touch()
    (root / "tools/build.rs").touch()
    shutil.copy(assets / "manifest/full.toml", root / "Cargo.toml")
    (root / ".cargo/config.toml").write_text(
        '[registries.my-registry]\nindex = "sparse+https://crates.example.com/index/"\n'
    )
    for name, directory in (("local", "local"), ("local-versioned", "lv")):
        (tmp_path / directory / "src").mkdir(parents=True)
        (tmp_path / directory / "src/lib.rs").touch()
        (tmp_path / directory / "Cargo.toml").write_text(
            f'[package]\nname = "{name}"\nversion = "0.1.0"\n'
        )
    (package,) = cargo_metadata(root, tmp_path / "cargo-home")["packages"]
    assert full.package is not None
    assert package["version"] == str(full.package.version)
    assert package["links"] == full.package.links
    assert full.package.publish == ("internal",)
    assert package["publish"] == ["internal"]
    assert package["features"] == {k: list(v) for k, v in full.features.items()}
    assert our_dependencies(full, root) == cargo_dependencies(package)


# --- small manifests --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "build"),
    [
        ("", DetectBuildScript()),
        ("build = false", NoBuildScript()),
        ("build = true", BuildScriptPath(path="build.rs")),
        ('build = "b.rs"', BuildScriptPath(path="b.rs")),
    ],
)
def test_build_script(text: str, build: object) -> None:
    manifest = parse_manifest(f'[package]\nname = "a"\n{text}\n')
    assert manifest.package is not None
    assert manifest.package.build == build


def test_virtual_manifest_and_project_alias() -> None:
    virtual = parse_manifest('[workspace]\nmembers = ["a"]\n')
    assert virtual.is_virtual
    assert virtual.package is None
    old = parse_manifest('[project]\nname = "old"\nversion = "0.1.0"\n')
    assert old.package is not None
    assert old.package.name == "old"
    assert old.package.version == Version.parse("0.1.0")


def test_inherited_fields_stay_marked_until_resolved() -> None:
    manifest = parse_manifest(
        '[package]\nname = "m"\nversion = { workspace = true }\nauthors.workspace = true\n'
        "[dev-dependencies]\nx = { workspace = true, optional = true, features = ['f'] }\n"
    )
    assert manifest.package is not None
    assert manifest.package.version == WorkspaceInherited()
    assert manifest.package.authors == WorkspaceInherited()
    assert manifest.package.inherits == ("version", "authors")
    assert not manifest.workspace_resolved
    (x,) = manifest.dependencies
    assert (x.workspace_inherited, x.req, x.optional, x.features, x.kind) == (
        True,
        None,
        True,
        ("f",),
        DepKind.DEV,
    )


_ERRORS = [
    (
        "[package\n",
        "Cargo.toml: invalid TOML: Expected ']' at the end of a table declaration "
        "(at line 1, column 9)",
    ),
    ("package = 3\n", "Cargo.toml: package: expected a table, got 3"),
    ("[package]\nversion = '1.0.0'\n", "Cargo.toml: package.name: missing"),
    (
        "[package]\nname = 'a'\nversion = '1.0'\n",
        "Cargo.toml: package.version: '1.0' is not a valid version: "
        "unexpected end of input while parsing minor version number",
    ),
    (
        "[package]\nname = 'a'\nversion = { workspace = false }\n",
        "Cargo.toml: package.version.workspace: `workspace` cannot be false",
    ),
    (
        "[package]\nname = 'a'\nversion = { path = 'x' }\n",
        "Cargo.toml: package.version: expected a string, got a table",
    ),
    (
        "[package]\nname = 'a'\nbuild = 1\n",
        "Cargo.toml: package.build: expected a string or a boolean, got 1",
    ),
    (
        "[package]\nname = 'a'\nauthors = 'me'\n",
        "Cargo.toml: package.authors: expected an array, got 'me'",
    ),
    (
        "[package]\nname = 'a'\nkeywords = [1]\n",
        "Cargo.toml: package.keywords[0]: expected a string, got 1",
    ),
    (
        "[package]\nname = 'a'\npublish = 'yes'\n",
        "Cargo.toml: package.publish: expected a boolean or an array of registry names, got 'yes'",
    ),
    (
        "[dependencies]\nserde = '^x'\n",
        "Cargo.toml: dependencies.serde: '^x' is not a valid version requirement: "
        "unexpected character 'x' while parsing major version number",
    ),
    (
        "[dependencies]\nserde = { version = '1.0.' }\n",
        "Cargo.toml: dependencies.serde.version: '1.0.' is not a valid version requirement: "
        "unexpected end of input while parsing patch version number",
    ),
    (
        "[dependencies]\nserde = 1\n",
        "Cargo.toml: dependencies.serde: expected a version string or a table, got 1",
    ),
    (
        "[dependencies]\nserde = {}\n",
        "Cargo.toml: dependencies.serde: needs a `version`, `path`, `git` or `workspace = true`",
    ),
    (
        "[dependencies]\nx = { git = 'https://e.com/x', path = 'x' }\n",
        "Cargo.toml: dependencies.x: only one of `git` or `path` is allowed",
    ),
    (
        "[dependencies]\nx = { git = 'https://e.com/x', tag = 't', rev = 'r' }\n",
        "Cargo.toml: dependencies.x: only one of `branch`, `tag` or `rev` is allowed",
    ),
    (
        "[dependencies]\nx = { version = '1', features = 'a' }\n",
        "Cargo.toml: dependencies.x.features: expected an array, got 'a'",
    ),
    (
        "[dependencies]\nx = { version = '1', optional = 'yes' }\n",
        "Cargo.toml: dependencies.x.optional: expected a boolean, got 'yes'",
    ),
    (
        "[dev-dependencies]\nx = { workspace = false }\n",
        "Cargo.toml: dev-dependencies.x.workspace: `workspace` cannot be false",
    ),
    (
        "[target.'cfg(unix)'.build_dependencies]\nx = '='\n",
        "Cargo.toml: target.\"cfg(unix)\".build_dependencies.x: '=' is not a valid version "
        "requirement: unexpected end of input while parsing major version number",
    ),
    ("target = 1\n", "Cargo.toml: target: expected a table, got 1"),
    ("[target]\nunix = 1\n", "Cargo.toml: target.unix: expected a table, got 1"),
    ("[features]\ndefault = 'a'\n", "Cargo.toml: features.default: expected an array, got 'a'"),
    ("[lib]\nproc-macro = 'yes'\n", "Cargo.toml: lib.proc-macro: expected a boolean, got 'yes'"),
    ("[[bin]]\npath = 'x.rs'\n", "Cargo.toml: bin[0].name: missing"),
    ("bin = [1]\n", "Cargo.toml: bin[0]: expected a table, got 1"),
    ("workspace = []\n", "Cargo.toml: workspace: expected a table, got an array"),
    ("[workspace]\nmembers = 'a'\n", "Cargo.toml: workspace.members: expected an array, got 'a'"),
    (
        "[workspace.dependencies]\nx = { workspace = true }\n",
        "Cargo.toml: workspace.dependencies.x: a workspace dependency cannot inherit from the "
        "workspace",
    ),
    (
        "[workspace.package]\nversion = 'one'\n",
        "Cargo.toml: workspace.package.version: 'one' is not a valid version: "
        "unexpected character 'o' while parsing major version number",
    ),
    ("[patch]\ncrates-io = 1\n", "Cargo.toml: patch.crates-io: expected a table, got 1"),
    (
        "[patch.crates-io]\na = { path = 'a' }\n[replace]\n'a:1.0.0' = { path = 'a' }\n",
        "Cargo.toml: replace: cannot be used together with [patch] (cargo refuses both)",
    ),
]


@pytest.mark.parametrize(("text", "message"), _ERRORS)
def test_errors_name_the_file_and_the_field(text: str, message: str) -> None:
    with pytest.raises(InvalidManifest) as caught:
        parse_manifest(text)
    assert str(caught.value) == message


def test_load_errors(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as missing:
        load_manifest(tmp_path / "Cargo.toml")
    assert str(missing.value) == (
        f"{tmp_path / 'Cargo.toml'}: cannot read the manifest: No such file or directory"
    )
    big = tmp_path / "big.toml"
    with big.open("wb") as stream:
        stream.truncate(MAX_MANIFEST_BYTES + 1)
    with pytest.raises(InvalidManifest) as too_big:
        load_manifest(big)
    assert str(too_big.value) == f"{big}: larger than 16 MiB; not a Cargo.toml"
    latin = tmp_path / "latin.toml"
    latin.write_bytes(b"[package]\nname = '\xe9'\n")
    with pytest.raises(InvalidManifest) as not_utf8:
        load_manifest(latin)
    assert str(not_utf8.value) == f"{latin}: not UTF-8 text (byte 18)"


# --- properties -------------------------------------------------------------------------------

_NAMES = st.from_regex(r"[a-z][a-z0-9_-]{0,12}", fullmatch=True)
_REQS = st.sampled_from(["1", "^1.2", "~0.3.1", "=2.0.0", ">=1, <2", "*", "0.1.0-alpha.1"])


@st.composite
def _specs(draw: st.DrawFn) -> dict[str, Any]:
    spec: dict[str, Any] = {}
    source = draw(st.sampled_from(["version", "path", "git", "workspace"]))
    if source == "workspace":
        spec["workspace"] = True
    else:
        if source != "version":
            spec[source] = draw(st.sampled_from(["../x", "https://example.com/x.git"]))
        if source == "git" and draw(st.booleans()):
            spec[draw(st.sampled_from(["branch", "tag", "rev"]))] = draw(_NAMES)
        if source == "version" or draw(st.booleans()):
            spec["version"] = draw(_REQS)
        if draw(st.booleans()):
            spec["package"] = draw(_NAMES)
        if draw(st.booleans()):
            spec["registry"] = draw(_NAMES)
    if draw(st.booleans()):
        spec["optional"] = draw(st.booleans())
    if draw(st.booleans()):
        key = draw(st.sampled_from(["default-features", "default_features"]))
        spec[key] = draw(st.booleans())
    if draw(st.booleans()):
        spec["features"] = draw(st.lists(_NAMES, max_size=3))
    return spec


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(_NAMES, _specs(), max_size=6),
    st.sampled_from(list(_KIND_KEYS)),
    st.one_of(st.none(), st.sampled_from(["cfg(unix)", "x86_64-pc-windows-msvc"])),
)
def test_written_dependency_tables_read_back(
    deps: dict[str, dict[str, Any]], kind: DepKind, target: str | None
) -> None:
    doc = tomlkit.document()
    table_key = _KIND_KEYS[kind][-1]
    if target is None:
        doc[table_key] = deps
    else:
        doc["target"] = {target: {table_key: deps}}
    manifest = parse_manifest(tomlkit.dumps(doc))
    assert [d.name for d in manifest.dependencies] == list(deps)
    for dep in manifest.dependencies:
        spec = deps[dep.name]
        inherited = spec.get("workspace", False)
        assert dep.kind is kind
        assert dep.target == target
        assert dep.workspace_inherited is inherited
        assert dep.package == spec.get("package", dep.name)
        assert dep.req == (VersionReq.parse(spec["version"]) if "version" in spec else None)
        assert dep.optional is spec.get("optional", False)
        written = spec.get("default-features", spec.get("default_features"))
        assert dep.default_features is (written is not False)
        assert dep.default_features_explicit is (written is not None)
        assert dep.features == tuple(spec.get("features", ()))
        assert (dep.path, dep.git, dep.registry) == (
            spec.get("path"),
            spec.get("git"),
            spec.get("registry"),
        )
        assert (dep.branch, dep.tag, dep.rev) == (
            spec.get("branch"),
            spec.get("tag"),
            spec.get("rev"),
        )
    assert manifest.workspace_resolved is not any(s.get("workspace") for s in deps.values())


@pytest.mark.parametrize(
    "module",
    [cratewatch.manifest, cratewatch.manifest.parse, cratewatch.manifest.workspace],
)
def test_docstring_examples_run(module: ModuleType) -> None:
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0
    assert result.failed == 0
