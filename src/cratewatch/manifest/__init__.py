"""Cargo.toml: package metadata, targets, dependencies of every kind, features, workspaces.

:func:`parse_manifest` / :func:`load_manifest` read one manifest as written: fields that say
``workspace = true`` stay :class:`WorkspaceInherited` (and such dependencies keep
``workspace_inherited=True`` without a requirement) until
:func:`resolve_workspace_inheritance` fills them in from the workspace root.
:func:`workspace_members` finds the member directories of a workspace.

>>> m = parse_manifest('''
... [package]
... name = "tool"
... version = "1.2.0"
... build = false
... [lib]
... proc-macro = true
... [target.'cfg(unix)'.dev-dependencies]
... nix = { git = "https://github.com/nix-rust/nix", tag = "v0.29.0" }
... ''')
>>> m.package.build, m.lib.proc_macro
(NoBuildScript(), True)
>>> (nix,) = m.dependencies
>>> nix.kind, nix.target, nix.req, nix.tag
(<DepKind.DEV: 'dev'>, 'cfg(unix)', None, 'v0.29.0')
"""

from cratewatch.manifest.model import (
    Binary,
    BuildScript,
    BuildScriptPath,
    Dependency,
    DepKind,
    DetectBuildScript,
    Inheritable,
    InvalidManifest,
    Library,
    Manifest,
    NoBuildScript,
    PackageMetadata,
    Workspace,
    WorkspaceInherited,
    WorkspacePackage,
)
from cratewatch.manifest.parse import MAX_MANIFEST_BYTES, load_manifest, parse_manifest
from cratewatch.manifest.workspace import resolve_workspace_inheritance, workspace_members

__all__ = [
    "MAX_MANIFEST_BYTES",
    "Binary",
    "BuildScript",
    "BuildScriptPath",
    "DepKind",
    "Dependency",
    "DetectBuildScript",
    "Inheritable",
    "InvalidManifest",
    "Library",
    "Manifest",
    "NoBuildScript",
    "PackageMetadata",
    "Workspace",
    "WorkspaceInherited",
    "WorkspacePackage",
    "load_manifest",
    "parse_manifest",
    "resolve_workspace_inheritance",
    "workspace_members",
]
