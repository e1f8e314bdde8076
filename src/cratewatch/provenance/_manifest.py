"""The few manifest fields provenance needs, read leniently.

A crate's or a repository's ``Cargo.toml`` may be anything; provenance only needs the package
name, ``repository``, ``readme``, ``license-file`` and the workspace's inherited values. A
field of the wrong type counts as absent, and a file that is not TOML yields ``None``: the
check then reports what it could not find rather than failing on an unrelated field.

>>> facts = manifest_facts(b'[package]\\nname = "x"\\nreadme.workspace = true\\n')
>>> facts.name, facts.readme
('x', Inherited())
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from typing import Any

__all__ = ["MAX_MANIFEST_BYTES", "Inherited", "ManifestFacts", "ManifestReader", "manifest_facts"]

MAX_MANIFEST_BYTES = 4 * 1024 * 1024
"""Larger manifests are not read."""


@dataclass(frozen=True, slots=True)
class Inherited:
    """The field says ``workspace = true``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ManifestFacts:
    """What one ``Cargo.toml`` says about the package and its workspace."""

    name: str | None
    """``package.name``."""
    repository: str | None
    """``package.repository`` (``None`` when absent or inherited)."""
    readme: str | Inherited | None
    """``package.readme`` when it names a file."""
    license_file: str | Inherited | None
    """``package.license-file``."""
    is_workspace_root: bool
    """Whether the file has a ``[workspace]`` table."""
    workspace_readme: str | None
    """``workspace.package.readme`` (relative to this file's directory)."""
    workspace_license_file: str | None
    """``workspace.package.license-file``."""


def manifest_facts(data: bytes) -> ManifestFacts | None:
    """The facts of a manifest, or ``None`` when it is not readable TOML."""
    if len(data) > MAX_MANIFEST_BYTES:
        return None
    try:
        doc = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    package = _table(doc.get("package"))
    workspace = doc.get("workspace")
    inherited = _table(_table(workspace).get("package"))
    return ManifestFacts(
        name=_string(package.get("name")),
        repository=_string(package.get("repository")),
        readme=_path_field(package.get("readme")),
        license_file=_path_field(package.get("license-file")),
        is_workspace_root=isinstance(workspace, dict),
        workspace_readme=_string(inherited.get("readme")),
        workspace_license_file=_string(inherited.get("license-file")),
    )


def _table(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _string(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _path_field(value: object) -> str | Inherited | None:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and value.get("workspace") is True:
        return Inherited()
    return None


class ManifestReader:
    """:func:`manifest_facts` remembering what it read, for one check (the crate's original
    manifest is usually also the repository's ``Cargo.toml`` at the commit)."""

    def __init__(self) -> None:
        self._known: dict[bytes, ManifestFacts | None] = {}

    def facts(self, data: bytes) -> ManifestFacts | None:
        """The facts of *data*, parsed once."""
        if data not in self._known:
            self._known[data] = manifest_facts(data)
        return self._known[data]
