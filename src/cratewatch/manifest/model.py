"""The values a Cargo.toml parses into (see :mod:`cratewatch.manifest.parse`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, TypeAlias, TypeVar

from cratewatch.errors import ParseError
from cratewatch.registry.model import DepKind
from cratewatch.semver import Version, VersionReq

__all__ = [
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
]

_T = TypeVar("_T")


def _empty() -> Mapping[str, Any]:
    return MappingProxyType({})


class InvalidManifest(ParseError):
    """A Cargo.toml is malformed, or what it inherits from its workspace is missing."""


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkspaceInherited:
    """The field says ``field.workspace = true``: its value lives in the workspace root.

    :func:`cratewatch.manifest.resolve_workspace_inheritance` replaces it with that value.
    """


Inheritable: TypeAlias = _T | WorkspaceInherited
"""A ``[package]`` field that may be ``{ workspace = true }``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildScriptPath:
    """``build = "path"`` (or ``build = true``, which means ``build.rs``)."""

    path: str
    """The build script, relative to the package root."""


@dataclass(frozen=True, slots=True, kw_only=True)
class NoBuildScript:
    """``build = false``: the package has no build script, even if ``build.rs`` exists."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DetectBuildScript:
    """No ``build`` key: cargo uses ``build.rs`` next to Cargo.toml when that file exists.

    Checking the file is left to the caller (parsing reads no other file).
    """


BuildScript: TypeAlias = BuildScriptPath | NoBuildScript | DetectBuildScript
"""What the ``build`` key says about the package's build script."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PackageMetadata:
    """The ``[package]`` table (``[project]`` in old manifests)."""

    name: str
    """The package name."""
    version: Inheritable[Version] | None
    """The version; ``None`` when absent (cargo then uses 0.0.0 and refuses to publish)."""
    authors: Inheritable[tuple[str, ...]] = ()
    """The ``authors`` list."""
    description: Inheritable[str] | None = None
    """The ``description``."""
    license: Inheritable[str] | None = None
    """The SPDX ``license`` expression, as written."""
    license_file: Inheritable[str] | None = None
    """The ``license-file`` path, relative to the package root."""
    repository: Inheritable[str] | None = None
    """The ``repository`` URL."""
    homepage: Inheritable[str] | None = None
    """The ``homepage`` URL."""
    documentation: Inheritable[str] | None = None
    """The ``documentation`` URL."""
    readme: Inheritable[str | bool] | None = None
    """The ``readme`` path, or ``false``/``true`` (``true`` means README.md); ``None`` when
    absent (cargo then looks for README.md, README.txt or README)."""
    build: BuildScript = field(default_factory=DetectBuildScript)
    """The build script."""
    links: str | None = None
    """The native library named by ``links``."""
    edition: Inheritable[str] | None = None
    """The Rust edition; ``None`` when absent (cargo's default is 2015)."""
    rust_version: Inheritable[str] | None = None
    """The ``rust-version`` (minimum supported Rust version), as written."""
    publish: Inheritable[bool | tuple[str, ...]] | None = None
    """``false``, ``true`` or the registries it may be published to; ``None`` when absent
    (publishable anywhere)."""
    keywords: Inheritable[tuple[str, ...]] = ()
    """The ``keywords``."""
    categories: Inheritable[tuple[str, ...]] = ()
    """The ``categories``."""
    include: Inheritable[tuple[str, ...]] | None = None
    """The ``include`` patterns of the packaged files; ``None`` when absent."""
    exclude: Inheritable[tuple[str, ...]] | None = None
    """The ``exclude`` patterns of the packaged files; ``None`` when absent."""

    @property
    def inherits(self) -> tuple[str, ...]:
        """The TOML keys of the fields that say ``workspace = true``."""
        return tuple(
            key
            for key, attribute in INHERITABLE_PACKAGE_FIELDS
            if isinstance(getattr(self, attribute), WorkspaceInherited)
        )


INHERITABLE_PACKAGE_FIELDS: tuple[tuple[str, str], ...] = (
    ("version", "version"),
    ("authors", "authors"),
    ("description", "description"),
    ("license", "license"),
    ("license-file", "license_file"),
    ("repository", "repository"),
    ("homepage", "homepage"),
    ("documentation", "documentation"),
    ("readme", "readme"),
    ("edition", "edition"),
    ("rust-version", "rust_version"),
    ("publish", "publish"),
    ("keywords", "keywords"),
    ("categories", "categories"),
    ("include", "include"),
    ("exclude", "exclude"),
)
"""(TOML key, attribute) of the ``[package]`` fields cargo lets a member inherit."""


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkspacePackage:
    """``[workspace.package]``: values members inherit; ``None`` where the root sets none."""

    version: Version | None = None
    """``version``."""
    authors: tuple[str, ...] | None = None
    """``authors``."""
    description: str | None = None
    """``description``."""
    license: str | None = None
    """``license``."""
    license_file: str | None = None
    """``license-file``, relative to the workspace root."""
    repository: str | None = None
    """``repository``."""
    homepage: str | None = None
    """``homepage``."""
    documentation: str | None = None
    """``documentation``."""
    readme: str | bool | None = None
    """``readme``, a path relative to the workspace root or a boolean."""
    edition: str | None = None
    """``edition``."""
    rust_version: str | None = None
    """``rust-version``."""
    publish: bool | tuple[str, ...] | None = None
    """``publish``."""
    keywords: tuple[str, ...] | None = None
    """``keywords``."""
    categories: tuple[str, ...] | None = None
    """``categories``."""
    include: tuple[str, ...] | None = None
    """``include``."""
    exclude: tuple[str, ...] | None = None
    """``exclude``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Dependency:
    """One dependency, of any kind and target, as the manifest declares it."""

    name: str
    """The key in the dependency table: the name the code uses."""
    package: str
    """The real crate name: the ``package`` key when renamed, else ``name``."""
    req: VersionReq | None
    """The ``version`` requirement. ``None`` when none is written: a path- or git-only
    dependency (cargo matches any version, see :attr:`effective_req`), or a
    ``workspace = true`` one before :func:`~cratewatch.manifest.resolve_workspace_inheritance`
    fills it in."""
    kind: DepKind
    """Normal, build or dev."""
    target: str | None
    """The ``[target.X]`` key (a ``cfg(...)`` expression or a triple); ``None``: every target."""
    optional: bool
    """Whether only a feature enables it."""
    default_features: bool
    """Whether its default features are enabled (``default-features``/``default_features``)."""
    default_features_explicit: bool
    """Whether the manifest wrote ``default-features`` (cargo needs it to merge inherited
    dependencies)."""
    features: tuple[str, ...]
    """The features of the dependency it enables."""
    path: str | None
    """The ``path`` of a local dependency, relative to the package root."""
    git: str | None
    """The ``git`` repository URL."""
    branch: str | None
    """The git ``branch``."""
    tag: str | None
    """The git ``tag``."""
    rev: str | None
    """The git ``rev``."""
    registry: str | None
    """The ``registry`` name (``None``: crates.io, or the default registry)."""
    workspace_inherited: bool
    """Whether it is declared ``workspace = true`` (resolved or not)."""

    @property
    def effective_req(self) -> VersionReq:
        """The requirement cargo applies: :attr:`req`, or ``*`` when none is written."""
        return VersionReq.STAR if self.req is None else self.req


@dataclass(frozen=True, slots=True, kw_only=True)
class Library:
    """The ``[lib]`` table."""

    name: str | None
    """The library target name; ``None``: the package name with ``-`` as ``_``."""
    path: str | None
    """The source path; ``None``: ``src/lib.rs``."""
    proc_macro: bool
    """``proc-macro = true``: the library is a procedural macro run by the compiler."""
    crate_types: tuple[str, ...]
    """The ``crate-type`` list (empty: cargo's default ``lib``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Binary:
    """One ``[[bin]]`` table."""

    name: str
    """The binary name."""
    path: str | None
    """The source path; ``None``: cargo's default for the name."""
    required_features: tuple[str, ...]
    """Features that must be enabled to build it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Workspace:
    """The ``[workspace]`` table."""

    members: tuple[str, ...]
    """``members`` paths and globs, relative to the workspace root."""
    exclude: tuple[str, ...]
    """``exclude`` paths."""
    default_members: tuple[str, ...]
    """``default-members`` paths."""
    resolver: str | None
    """The feature ``resolver`` version, as written."""
    package: WorkspacePackage
    """``[workspace.package]``."""
    dependencies: Mapping[str, Dependency]
    """``[workspace.dependencies]`` by key (normal kind, every target)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Manifest:
    """A parsed Cargo.toml."""

    path: str
    """The file name errors use; paths inside are relative to its directory."""
    package: PackageMetadata | None
    """``[package]``; ``None`` in a virtual manifest (a workspace root without a package)."""
    lib: Library | None
    """``[lib]``; ``None`` when absent (cargo then infers ``src/lib.rs`` if it exists)."""
    bins: tuple[Binary, ...]
    """``[[bin]]`` tables (cargo also infers ``src/main.rs`` and ``src/bin/*``)."""
    dependencies: tuple[Dependency, ...]
    """Every dependency: normal, dev and build, then the target-specific ones, in file order."""
    features: Mapping[str, tuple[str, ...]]
    """``[features]``."""
    workspace: Workspace | None
    """``[workspace]``; ``None`` when the manifest is not a workspace root."""
    patch: Mapping[str, Mapping[str, Any]] = field(default_factory=_empty)
    """``[patch.<source>]`` tables, raw (source -> crate -> spec)."""
    replace: Mapping[str, Any] = field(default_factory=_empty)
    """``[replace]``, raw (package id spec -> spec)."""
    workspace_resolved: bool = True
    """``False`` while some field or dependency says ``workspace = true`` and
    :func:`~cratewatch.manifest.resolve_workspace_inheritance` has not filled it in."""

    @property
    def is_virtual(self) -> bool:
        """Whether this is a workspace root without a package."""
        return self.package is None

    def dependencies_of(self, kind: DepKind) -> tuple[Dependency, ...]:
        """The dependencies of one kind, every target."""
        return tuple(d for d in self.dependencies if d.kind is kind)
