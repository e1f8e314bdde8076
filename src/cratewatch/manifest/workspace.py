"""Workspaces: filling in what members inherit, and finding the member directories."""

from __future__ import annotations

import dataclasses
import fnmatch
import os
import posixpath
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cratewatch.manifest.model import (
    INHERITABLE_PACKAGE_FIELDS,
    Dependency,
    InvalidManifest,
    Manifest,
    PackageMetadata,
    Workspace,
    WorkspaceInherited,
)
from cratewatch.manifest.parse import load_manifest

__all__ = ["resolve_workspace_inheritance", "workspace_members"]

_MAX_DIRECTORIES = 100_000
"""Directories :func:`workspace_members` may list while expanding ``**`` before it stops."""

_RELATIVE_PATH_FIELDS = frozenset({"license_file", "readme"})


def resolve_workspace_inheritance(member: Manifest, root: Manifest) -> Manifest:
    """``member`` with every ``workspace = true`` field and dependency filled in from ``root``.

    Package fields take the root's ``[workspace.package]`` value (``readme`` and
    ``license-file`` paths made relative to the member). Dependencies take the root's
    ``[workspace.dependencies]`` entry, merged as cargo does: the member's ``features`` are
    added to the workspace's, ``optional`` is the member's, ``default-features = true`` in the
    member turns on default features the workspace turned off (a member's ``false`` cannot
    turn them off), and a ``path`` is made relative to the member.

    >>> from cratewatch.manifest import parse_manifest
    >>> root = parse_manifest('''
    ... [workspace]
    ... members = ["app"]
    ... package.edition = "2021"
    ... dependencies.serde = { version = "1", default-features = false, features = ["std"] }
    ... ''')
    >>> member = parse_manifest('''
    ... [package]
    ... name = "app"
    ... edition.workspace = true
    ... [dependencies]
    ... serde = { workspace = true, features = ["derive"], optional = true }
    ... ''', path="app/Cargo.toml")
    >>> resolved = resolve_workspace_inheritance(member, root)
    >>> resolved.package.edition
    '2021'
    >>> (dep,) = resolved.dependencies
    >>> str(dep.req), dep.features, dep.optional, dep.default_features
    ('^1', ('std', 'derive'), True, False)
    """
    if member.workspace_resolved:
        return member
    workspace = root.workspace
    if workspace is None:
        raise InvalidManifest(
            f"{root.path}: has no [workspace] table, so {member.path} cannot inherit from it"
        )
    resolver = _Resolver(member=member, root=root, workspace=workspace)
    package = None if member.package is None else resolver.package(member.package)
    dependencies = tuple(
        resolver.dependency(dep) if dep.workspace_inherited else dep for dep in member.dependencies
    )
    return dataclasses.replace(
        member, package=package, dependencies=dependencies, workspace_resolved=True
    )


@dataclasses.dataclass(frozen=True, slots=True, kw_only=True)
class _Resolver:
    member: Manifest
    root: Manifest
    workspace: Workspace

    def package(self, package: PackageMetadata) -> PackageMetadata:
        changes: dict[str, Any] = {}
        for key, attribute in INHERITABLE_PACKAGE_FIELDS:
            if not isinstance(getattr(package, attribute), WorkspaceInherited):
                continue
            value = getattr(self.workspace.package, attribute)
            if value is None:
                raise InvalidManifest(
                    f"{self.member.path}: package.{key}: inherits from the workspace, "
                    f"but {self.root.path} has no workspace.package.{key}"
                )
            if attribute in _RELATIVE_PATH_FIELDS and isinstance(value, str):
                value = self.rebase(value)
            changes[attribute] = value
        return dataclasses.replace(package, **changes) if changes else package

    def dependency(self, dep: Dependency) -> Dependency:
        base = self.workspace.dependencies.get(dep.name)
        if base is None:
            raise InvalidManifest(
                f"{self.member.path}: {_where(dep)}: inherits from the workspace, "
                f"but {self.root.path} has no workspace.dependencies.{dep.name}"
            )
        default_features = base.default_features
        if dep.default_features_explicit and dep.default_features:
            default_features = True
        return dataclasses.replace(
            base,
            name=dep.name,
            kind=dep.kind,
            target=dep.target,
            optional=dep.optional,
            default_features=default_features,
            default_features_explicit=(
                base.default_features_explicit or dep.default_features_explicit
            ),
            features=base.features + dep.features,
            path=None if base.path is None else self.rebase(base.path),
            workspace_inherited=True,
        )

    def rebase(self, path: str) -> str:
        """``path`` (relative to the workspace root) made relative to the member's directory."""
        if posixpath.isabs(path):
            return path
        root_dir = posixpath.dirname(_posix(self.root.path)) or "."
        member_dir = posixpath.dirname(_posix(self.member.path)) or "."
        return posixpath.relpath(posixpath.normpath(posixpath.join(root_dir, path)), member_dir)


def _where(dep: Dependency) -> str:
    table = {"normal": "dependencies", "dev": "dev-dependencies", "build": "build-dependencies"}
    prefix = "" if dep.target is None else f'target."{dep.target}".'
    return f"{prefix}{table[dep.kind.value]}.{dep.name}"


def _posix(path: str) -> str:
    return path.replace(os.sep, "/") if os.sep != "/" else path


# --- member discovery -------------------------------------------------------------------------


def workspace_members(root_dir: Path) -> list[Path]:
    """The member directories of the workspace whose root manifest is in ``root_dir``.

    The root itself comes first when its manifest has a ``[package]``; then the ``members``
    entries in order, each glob's matches sorted (``*``, ``?``, ``[...]`` within one path
    component, ``**`` across directories, hidden names included, as cargo's glob matches),
    minus the ``exclude`` paths and their subdirectories. Only existing directories inside
    the root are returned: a symlink that leads out of the root is dropped, and ``**`` does
    not descend through symlinks. (Cargo also adds path dependencies inside the root as
    members; that needs the members' manifests and is left to the caller.)
    """
    manifest = load_manifest(root_dir / "Cargo.toml")
    real_root = root_dir.resolve()
    found: list[Path] = []
    seen: set[Path] = set()
    if manifest.package is not None:
        found.append(root_dir)
        seen.add(real_root)
    workspace = manifest.workspace
    if workspace is None:
        return found
    excluded = [_normalized(real_root, entry) for entry in workspace.exclude]
    for pattern in workspace.members:
        for candidate in _expand(root_dir, pattern):
            real = candidate.resolve()
            if real in seen or not real.is_dir() or not real.is_relative_to(real_root):
                continue
            lexical = _normalized(real_root, str(candidate.relative_to(root_dir)))
            if not lexical.is_relative_to(real_root):
                continue
            if any(lexical == ex or lexical.is_relative_to(ex) for ex in excluded):
                continue
            seen.add(real)
            found.append(root_dir / lexical.relative_to(real_root))
    return found


def _normalized(real_root: Path, relative: str) -> Path:
    return Path(os.path.normpath(real_root / relative))


def _expand(root_dir: Path, pattern: str) -> list[Path]:
    parts = [part for part in pattern.replace("\\", "/").split("/") if part not in ("", ".")]
    if not parts or Path(pattern).is_absolute():
        return [root_dir] if not parts else []
    current = [root_dir]
    budget = [_MAX_DIRECTORIES]
    for part in parts:
        following: list[Path] = []
        for base in current:
            if part == "**":
                following.append(base)
                following.extend(_subdirectories(base, budget))
            elif not _has_magic(part):
                if os.path.lexists(base / part):
                    following.append(base / part)
            else:
                following.extend(
                    base / name for name in _listdir(base) if fnmatch.fnmatchcase(name, part)
                )
        current = following
    return current


def _has_magic(part: str) -> bool:
    return any(char in part for char in "*?[")


def _listdir(directory: Path) -> list[str]:
    try:
        return sorted(os.listdir(directory))
    except OSError:
        return []


def _subdirectories(base: Path, budget: list[int]) -> Iterator[Path]:
    """Every real (not symlinked) directory under ``base``, depth first, sorted."""
    try:
        entries = sorted(os.scandir(base), key=lambda entry: entry.name)
    except OSError:
        return
    for entry in entries:
        if budget[0] <= 0:
            return
        if entry.is_dir(follow_symlinks=False):
            budget[0] -= 1
            child = base / entry.name
            yield child
            yield from _subdirectories(child, budget)
