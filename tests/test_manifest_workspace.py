"""Workspace inheritance (checked against real cargo) and workspace member discovery."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cratewatch.manifest import (
    DepKind,
    InvalidManifest,
    WorkspaceInherited,
    load_manifest,
    parse_manifest,
    resolve_workspace_inheritance,
    workspace_members,
)
from cratewatch.semver import Version, VersionReq
from tests.manifest_cargo import cargo_dependencies, cargo_metadata, needs_cargo, our_dependencies


def _copy_workspace(assets: Path, tmp_path: Path) -> Path:
    root = tmp_path / "workspace"
    shutil.copytree(assets / "manifest/workspace", root)
    for directory in (root, root / "crates/core", root / "crates/cli"):
        (directory / "src").mkdir()
        (directory / "src/lib.rs").touch()
    return root


# --- inheritance ------------------------------------------------------------------------------


@needs_cargo
def test_fixture_workspace_resolves_as_cargo_does(assets: Path, tmp_path: Path) -> None:
    root_dir = _copy_workspace(assets, tmp_path)
    root = load_manifest(root_dir / "Cargo.toml")
    metadata = cargo_metadata(root_dir, tmp_path / "cargo-home")
    by_manifest = {Path(p["manifest_path"]).resolve(): p for p in metadata["packages"]}
    assert len(by_manifest) == 3
    for manifest_path, cargo in by_manifest.items():
        member = resolve_workspace_inheritance(load_manifest(manifest_path), root)
        assert member.workspace_resolved
        assert member.package is not None
        assert str(member.package.version) == cargo["version"]
        assert member.package.edition == cargo["edition"]
        assert member.package.rust_version == cargo["rust_version"]
        assert member.package.license_file == cargo["license_file"]
        assert member.package.readme == cargo["readme"]
        if member.package.publish is False:
            assert cargo["publish"] == []
        assert our_dependencies(member, manifest_path.parent) == cargo_dependencies(cargo), (
            manifest_path
        )


def test_fixture_member_fields(assets: Path) -> None:
    root = load_manifest(assets / "manifest/workspace/Cargo.toml")
    member = load_manifest(assets / "manifest/workspace/crates/core/Cargo.toml")
    assert member.package is not None
    assert member.package.inherits == (
        "version",
        "authors",
        "license-file",
        "readme",
        "edition",
        "rust-version",
        "publish",
    )
    resolved = resolve_workspace_inheritance(member, root)
    package = resolved.package
    assert package is not None
    assert package.version == Version.parse("0.9.0")
    assert package.authors == ("The Team",)
    assert package.license_file == "../../LICENSE"
    assert package.readme == "../../docs/README.md"
    assert package.publish is False
    assert package.description == "not inherited"
    assert package.license is None  # the member does not inherit it
    deps = {d.name: d for d in resolved.dependencies}
    assert deps["serde"].features == ("std", "derive")
    assert deps["serde"].optional
    assert not deps["serde"].default_features
    assert deps["forked"].git == "https://github.com/example/forked"
    assert deps["forked"].branch == "fix"
    assert deps["anyhow"].kind is DepKind.DEV
    assert deps["anyhow"].target == "cfg(unix)"
    assert all(d.workspace_inherited for d in resolved.dependencies)


def test_path_dependencies_are_made_relative_to_the_member(assets: Path) -> None:
    root = load_manifest(assets / "manifest/workspace/Cargo.toml")
    cli = load_manifest(assets / "manifest/workspace/crates/cli/Cargo.toml")
    (core,) = [d for d in resolve_workspace_inheritance(cli, root).dependencies if d.name == "core"]
    assert core.path == "../core"
    assert core.req == VersionReq.parse("0.9.0")
    (own,) = resolve_workspace_inheritance(root, root).dependencies
    assert own.path == "crates/core"


# member's default-features (None: not written) x the workspace's -> cargo's result
_DEFAULT_FEATURES = [
    (None, None, True),
    (None, True, True),
    (None, False, False),
    (True, None, True),
    (True, True, True),
    (True, False, True),
    (False, None, True),
    (False, True, True),
    (False, False, False),
]


def _flag(value: bool | None) -> str:
    return "" if value is None else f", default-features = {str(value).lower()}"


def _merge_workspace(cases: list[tuple[bool | None, bool | None, bool]]) -> tuple[str, str]:
    root = '[workspace]\nmembers = ["m"]\nresolver = "2"\n[workspace.dependencies]\n'
    member = '[package]\nname = "m"\nversion = "0.1.0"\nedition = "2021"\n[dependencies]\n'
    for i, (mine, theirs, _) in enumerate(cases):
        root += f'd{i} = {{ version = "1", features = ["w"]{_flag(theirs)} }}\n'
        optional = "true" if i % 2 == 0 else "false"
        flags = f'features = ["m"], optional = {optional}{_flag(mine)}'
        member += f"d{i} = {{ workspace = true, {flags} }}\n"
    return root, member


def test_default_features_merge_table() -> None:
    root_text, member_text = _merge_workspace(_DEFAULT_FEATURES)
    root = parse_manifest(root_text)
    member = parse_manifest(member_text, path="m/Cargo.toml")
    resolved = resolve_workspace_inheritance(member, root)
    for i, (dep, (_, _, expected)) in enumerate(
        zip(resolved.dependencies, _DEFAULT_FEATURES, strict=True)
    ):
        assert dep.name == f"d{i}"
        assert dep.default_features is expected, _DEFAULT_FEATURES[i]
        assert dep.features == ("w", "m")
        assert dep.optional is (i % 2 == 0)
        assert dep.req == VersionReq.parse("1")


@needs_cargo
def test_default_features_merge_table_matches_cargo(tmp_path: Path) -> None:
    root_text, member_text = _merge_workspace(_DEFAULT_FEATURES)
    (tmp_path / "ws/m/src").mkdir(parents=True)
    (tmp_path / "ws/Cargo.toml").write_text(root_text)
    (tmp_path / "ws/m/Cargo.toml").write_text(member_text)
    (tmp_path / "ws/m/src/lib.rs").touch()
    (package,) = cargo_metadata(tmp_path / "ws", tmp_path / "cargo-home")["packages"]
    resolved = resolve_workspace_inheritance(
        load_manifest(tmp_path / "ws/m/Cargo.toml"), load_manifest(tmp_path / "ws/Cargo.toml")
    )
    assert our_dependencies(resolved, tmp_path / "ws/m") == cargo_dependencies(package)


def test_resolving_twice_changes_nothing(assets: Path) -> None:
    root = load_manifest(assets / "manifest/workspace/Cargo.toml")
    member = load_manifest(assets / "manifest/workspace/crates/core/Cargo.toml")
    once = resolve_workspace_inheritance(member, root)
    assert resolve_workspace_inheritance(once, root) == once
    plain = parse_manifest('[package]\nname = "p"\n[dependencies]\nx = "1"\n')
    assert resolve_workspace_inheritance(plain, root) is plain


@pytest.mark.parametrize(
    ("root", "member", "message"),
    [
        (
            '[package]\nname = "r"\n',
            '[package]\nname = "m"\nversion.workspace = true\n',
            "Cargo.toml: has no [workspace] table, so m/Cargo.toml cannot inherit from it",
        ),
        (
            "[workspace]\n",
            '[package]\nname = "m"\nhomepage.workspace = true\n',
            "m/Cargo.toml: package.homepage: inherits from the workspace, "
            "but Cargo.toml has no workspace.package.homepage",
        ),
        (
            "[workspace.dependencies]\nother = '1'\n",
            "[target.'cfg(unix)'.build-dependencies]\nx.workspace = true\n",
            'm/Cargo.toml: target."cfg(unix)".build-dependencies.x: inherits from the '
            "workspace, but Cargo.toml has no workspace.dependencies.x",
        ),
    ],
)
def test_inheritance_errors(root: str, member: str, message: str) -> None:
    with pytest.raises(InvalidManifest) as caught:
        resolve_workspace_inheritance(
            parse_manifest(member, path="m/Cargo.toml"), parse_manifest(root)
        )
    assert str(caught.value) == message


def test_unresolved_marker_survives_without_resolution() -> None:
    member = parse_manifest('[package]\nname = "m"\nrust-version.workspace = true\n')
    assert member.package is not None
    assert member.package.rust_version == WorkspaceInherited()


# --- member discovery -------------------------------------------------------------------------


def _crate(directory: Path, name: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "Cargo.toml").write_text(f'[package]\nname = "{name}"\nversion = "0.1.0"\n')
    (directory / "src").mkdir(exist_ok=True)
    (directory / "src/lib.rs").touch()


def _layout(root: Path, members: str, exclude: str = "[]", package: bool = False) -> None:
    root.mkdir(parents=True, exist_ok=True)
    text = f"[workspace]\nmembers = {members}\nexclude = {exclude}\n"
    if package:
        text += '[package]\nname = "root"\nversion = "0.1.0"\n'
        (root / "src").mkdir(exist_ok=True)
        (root / "src/lib.rs").touch()
    (root / "Cargo.toml").write_text(text)


def _relative(root: Path, found: list[Path]) -> list[str]:
    return [str(path.relative_to(root)) for path in found]


def test_members_expand_globs_minus_exclude(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    _layout(root, '["crates/*", "tools/cli", "missing/*", "nope"]', '["crates/old"]', True)
    for name in ("b", "a", ".hidden", "old", "old/inner"):
        _crate(root / "crates" / name, name.replace("/", "-").lstrip("."))
    _crate(root / "tools/cli", "cli")
    (root / "crates/README.md").write_text("a file, not a member")
    assert _relative(root, workspace_members(root)) == [
        ".",
        "crates/.hidden",
        "crates/a",
        "crates/b",
        "tools/cli",
    ]


def test_members_recursive_glob_and_duplicates(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    _layout(root, '["libs/**", "libs/x", "./libs/x/", "l?bs/[xy]"]')
    _crate(root / "libs/x", "x")
    _crate(root / "libs/x/nested", "nested")
    _crate(root / "libs/y", "y")
    assert _relative(root, workspace_members(root)) == [
        "libs",
        "libs/x",
        "libs/x/nested",
        "libs/x/nested/src",
        "libs/x/src",
        "libs/y",
        "libs/y/src",
    ]


def test_members_never_leave_the_root(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    _crate(outside / "evil", "evil")
    root = tmp_path / "ws"
    _layout(root, '["crates/*", "../outside/evil", "/etc", "linked/**"]')
    _crate(root / "crates/good", "good")
    (root / "crates/escape").symlink_to(outside / "evil", target_is_directory=True)
    (root / "crates/alias").symlink_to(root / "crates/good", target_is_directory=True)
    (root / "linked").symlink_to(outside, target_is_directory=True)
    (root / "crates/good/loop").symlink_to(root / "crates", target_is_directory=True)
    found = workspace_members(root)
    # the alias resolves inside the root: it is kept, and the directory it names is not
    # listed twice
    assert _relative(root, found) == ["crates/alias"]


def test_members_of_a_plain_package_and_of_nothing(tmp_path: Path) -> None:
    _crate(tmp_path / "single", "single")
    assert workspace_members(tmp_path / "single") == [tmp_path / "single"]
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty/Cargo.toml").write_text("[workspace]\n")
    assert workspace_members(tmp_path / "empty") == []


@needs_cargo
def test_members_match_cargo(tmp_path: Path) -> None:
    root = tmp_path / "ws"
    _layout(root, '["crates/*", "tools/[ab]*", "apps/**/bin?"]', '["crates/skip"]', True)
    for path in ("crates/one", "crates/two", "crates/.dot", "tools/alpha", "tools/beta"):
        _crate(root / path, path.split("/")[-1].lstrip("."))
    for path in ("apps/x/bin1", "apps/y/z/bin2", "crates/skip"):
        _crate(root / path, path.replace("/", "-"))
    (root / "tools/gamma").mkdir()
    metadata = cargo_metadata(root, tmp_path / "cargo-home")
    cargo_dirs = sorted(
        str(Path(p["manifest_path"]).parent.relative_to(root.resolve()))
        for p in metadata["packages"]
    )
    assert sorted(_relative(root, workspace_members(root))) == cargo_dirs
