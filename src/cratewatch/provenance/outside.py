"""Files cargo copies into a package from outside its directory.

``readme = "../README.md"`` and ``license-file = "../LICENSE"`` (also inherited from
``[workspace.package]``, where they are relative to the workspace root) name files outside the
package; cargo puts them at the root of the ``.crate`` under their file name. This module maps
those root file names back to their repository paths, reading the original manifest and, for
inherited values, the workspace root's ``Cargo.toml`` at the same commit.
"""

from __future__ import annotations

from cratewatch.errors import CratewatchError
from cratewatch.provenance._manifest import (
    MAX_MANIFEST_BYTES,
    Inherited,
    ManifestFacts,
    ManifestReader,
)
from cratewatch.provenance.tree import Found, TreeResolver

__all__ = ["outside_package_files"]


def outside_package_files(
    resolver: TreeResolver,
    *,
    package_path: str,
    manifest: bytes | None,
    reader: ManifestReader | None = None,
) -> dict[str, tuple[str, str]]:
    """``crate root file name -> (repository path, field)`` for files from outside the package.

    *manifest* is the crate's ``Cargo.toml.orig`` (or ``Cargo.toml`` for old crates). Paths that
    stay inside the package or leave the repository are left out.
    """
    reader = reader if reader is not None else ManifestReader()
    facts = reader.facts(manifest) if manifest is not None else None
    if facts is None:
        return {}
    result: dict[str, tuple[str, str]] = {}
    workspace: tuple[str, ManifestFacts] | None = None
    for field, declared in (("readme", facts.readme), ("license-file", facts.license_file)):
        base, value = package_path, declared
        if isinstance(value, Inherited):
            if workspace is None:
                workspace = _workspace_root(resolver, package_path, reader)
            if workspace is None:
                continue
            base = workspace[0]
            root = workspace[1]
            value = root.workspace_readme if field == "readme" else root.workspace_license_file
        if not isinstance(value, str):
            continue
        joined = _join(base, value)
        if joined is None or _inside(joined, package_path):
            continue
        result.setdefault(joined.rsplit("/", 1)[-1], (joined, field))
    return result


def _workspace_root(
    resolver: TreeResolver, package_path: str, reader: ManifestReader
) -> tuple[str, ManifestFacts] | None:
    """The nearest directory at or above *package_path* whose manifest has ``[workspace]``."""
    parts = package_path.split("/") if package_path else []
    for depth in range(len(parts), -1, -1):
        directory = "/".join(parts[:depth])
        found = resolver.resolve(f"{directory}/Cargo.toml" if directory else "Cargo.toml")
        if not isinstance(found, Found):
            continue
        try:
            blobs = found.tip.repo.read_blobs([found.oid], max_bytes=MAX_MANIFEST_BYTES)
        except CratewatchError:
            return None
        data = blobs.get(found.oid)
        if data is None:
            return None
        facts = reader.facts(data)
        if facts is not None and facts.is_workspace_root:
            return directory, facts
    return None


def _join(base: str, relative: str) -> str | None:
    if relative.startswith("/") or "\\" in relative or "\x00" in relative:
        return None
    parts = base.split("/") if base else []
    for part in relative.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
        else:
            parts.append(part)
    return "/".join(parts) or None


def _inside(path: str, package_path: str) -> bool:
    return not package_path or path.startswith(package_path + "/")
