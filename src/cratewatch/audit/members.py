"""The workspace member manifests beside a Cargo.lock (for requirements the fix plan needs)."""

from __future__ import annotations

from pathlib import Path

from cratewatch.manifest import (
    Manifest,
    load_manifest,
    resolve_workspace_inheritance,
    workspace_members,
)

__all__ = ["member_manifests"]


def member_manifests(project: Path) -> dict[str, Manifest]:
    """Package name -> manifest for the root package and every member found on disk.

    Members listed by the workspace but absent from disk are left out (their requirements
    then show as unknown). Malformed manifests raise ``InvalidManifest``.
    """
    root_path = project / "Cargo.toml"
    if not root_path.is_file():
        return {}
    root = load_manifest(root_path)
    found: dict[str, Manifest] = {}
    if root.package is not None:
        found[root.package.name] = root
    if root.workspace is None:
        return found
    for member_dir in workspace_members(project):
        path = member_dir / "Cargo.toml"
        if member_dir.resolve() == project.resolve() or not path.is_file():
            continue
        member = resolve_workspace_inheritance(load_manifest(path), root)
        if member.package is not None:
            found.setdefault(member.package.name, member)
    return found
