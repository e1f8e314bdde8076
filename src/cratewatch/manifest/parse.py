"""Reading a Cargo.toml into a :class:`~cratewatch.manifest.model.Manifest`.

Cargo's spellings are accepted as cargo accepts them: ``dev-dependencies`` or
``dev_dependencies`` (the dashed one wins when both are written), likewise
``build-dependencies``, ``default-features``, ``proc-macro`` and ``crate-type``;
``[project]`` for ``[package]``. Every problem raises one
:class:`~cratewatch.manifest.model.InvalidManifest` naming the file and the dotted path.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

from cratewatch._textfile import read_text_file
from cratewatch._toml import Fields, describe, key_path, load_toml
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
from cratewatch.semver import InvalidVersion, InvalidVersionReq, Version, VersionReq

__all__ = ["MAX_MANIFEST_BYTES", "load_manifest", "parse_manifest"]

MAX_MANIFEST_BYTES = 16 * 1024 * 1024
"""The largest Cargo.toml :func:`load_manifest` reads."""

_T = TypeVar("_T")

_GIT_REFS = ("branch", "tag", "rev")

_KIND_TABLES: tuple[tuple[DepKind, str, str], ...] = (
    (DepKind.NORMAL, "dependencies", "dependencies"),
    (DepKind.DEV, "dev-dependencies", "dev_dependencies"),
    (DepKind.BUILD, "build-dependencies", "build_dependencies"),
)


def load_manifest(path: Path) -> Manifest:
    """Read and parse the Cargo.toml at ``path`` (at most :data:`MAX_MANIFEST_BYTES`).

    An unreadable file raises :class:`~cratewatch.errors.SourceError`; a file that is too
    large, not UTF-8 or malformed raises :class:`InvalidManifest`.
    """
    text = read_text_file(
        path,
        limit=MAX_MANIFEST_BYTES,
        what="manifest",
        error=InvalidManifest,
        not_a="Cargo.toml",
    )
    return parse_manifest(text, path=str(path))


def parse_manifest(text: str, *, path: str = "Cargo.toml") -> Manifest:
    """Parse the text of a Cargo.toml; ``path`` names the file in errors and in the result.

    >>> m = parse_manifest('''
    ... [package]
    ... name = "app"
    ... version = "0.1.0"
    ... edition.workspace = true
    ... [dependencies]
    ... serde = { version = "1", features = ["derive"] }
    ... json = { package = "serde_json", version = "1.0.100", optional = true }
    ... ''')
    >>> m.package.name, m.package.edition
    ('app', WorkspaceInherited())
    >>> [(d.name, d.package, str(d.req), d.optional) for d in m.dependencies]
    [('serde', 'serde', '^1', False), ('json', 'serde_json', '^1.0.100', True)]
    >>> parse_manifest('[dependencies]\\nserde = "^x"\\n')
    Traceback (most recent call last):
        ...
    cratewatch.manifest.model.InvalidManifest: Cargo.toml: dependencies.serde: '^x' is not a \
valid version requirement: unexpected character 'x' while parsing major version number
    """
    return _Parser(path).manifest(load_toml(text, path, InvalidManifest))


class _Parser:
    def __init__(self, path: str) -> None:
        self.path = path
        self.f = Fields(path, InvalidManifest)

    def manifest(self, doc: dict[str, Any]) -> Manifest:
        f = self.f
        package_key = "package" if "package" in doc else "project" if "project" in doc else None
        package = None
        if package_key is not None:
            package = self.package(f.as_table(doc[package_key], package_key), package_key)
        dependencies = self.dependency_tables(doc, "", None)
        targets = f.table(doc, "target", "") or {}
        for target, platform in targets.items():
            where = key_path("target", target)
            dependencies += self.dependency_tables(f.as_table(platform, where), where, target)
        workspace = doc.get("workspace")
        inherits = bool(package and package.inherits) or any(
            d.workspace_inherited for d in dependencies
        )
        return Manifest(
            path=self.path,
            package=package,
            lib=self.lib(doc),
            bins=tuple(
                self.binary(entry, f"bin[{i}]") for i, entry in enumerate(f.array(doc, "bin", ""))
            ),
            dependencies=tuple(dependencies),
            features=self.features(doc),
            workspace=None if workspace is None else self.workspace(workspace),
            patch=self.patch(doc),
            replace=MappingProxyType(f.table(doc, "replace", "") or {}),
            workspace_resolved=not inherits,
        )

    # --- [package] ----------------------------------------------------------------------------

    def package(self, table: dict[str, Any], where: str) -> PackageMetadata:
        f = self.f

        def inheritable(key: str, read: Callable[[object, str], _T]) -> Inheritable[_T] | None:
            return self.inheritable(table, key, where, read)

        def strings(key: str) -> Inheritable[tuple[str, ...]]:
            value = inheritable(key, f.as_strings)
            return () if value is None else value

        return PackageMetadata(
            name=f.string(table, "name", where),
            version=inheritable("version", self.version),
            authors=strings("authors"),
            description=inheritable("description", f.as_string),
            license=inheritable("license", f.as_string),
            license_file=inheritable("license-file", f.as_string),
            repository=inheritable("repository", f.as_string),
            homepage=inheritable("homepage", f.as_string),
            documentation=inheritable("documentation", f.as_string),
            readme=inheritable("readme", self.string_or_bool),
            build=self.build(table.get("build"), key_path(where, "build")),
            links=f.opt_string(table, "links", where),
            edition=inheritable("edition", f.as_string),
            rust_version=inheritable("rust-version", f.as_string),
            publish=inheritable("publish", self.publish),
            keywords=strings("keywords"),
            categories=strings("categories"),
            include=inheritable("include", f.as_strings),
            exclude=inheritable("exclude", f.as_strings),
        )

    def inheritable(
        self,
        table: Mapping[str, Any],
        key: str,
        where: str,
        read: Callable[[object, str], _T],
    ) -> Inheritable[_T] | None:
        value = table.get(key)
        if value is None:
            return None
        at = key_path(where, key)
        if isinstance(value, dict) and "workspace" in value:
            self.workspace_true(value, at)
            return WorkspaceInherited()
        return read(value, at)

    def workspace_true(self, table: Mapping[str, Any], where: str) -> None:
        if not self.f.as_bool(table["workspace"], key_path(where, "workspace")):
            self.f.fail(key_path(where, "workspace"), "`workspace` cannot be false")

    def version(self, value: object, where: str) -> Version:
        text = self.f.as_string(value, where)
        try:
            return Version.parse(text)
        except InvalidVersion as e:
            self.f.fail(where, f"{describe(text)} is not a valid version: {e.reason}")

    def string_or_bool(self, value: object, where: str) -> str | bool:
        if isinstance(value, str | bool):
            return value
        raise self.f.mismatch(value, "a string or a boolean", where)

    def publish(self, value: object, where: str) -> bool | tuple[str, ...]:
        if isinstance(value, bool):
            return value
        if isinstance(value, list):
            return self.f.as_strings(value, where)
        raise self.f.mismatch(value, "a boolean or an array of registry names", where)

    def build(self, value: object, where: str) -> BuildScript:
        if value is None:
            return DetectBuildScript()
        found = self.string_or_bool(value, where)
        if found is False:
            return NoBuildScript()
        return BuildScriptPath(path="build.rs" if found is True else found)

    # --- targets ------------------------------------------------------------------------------

    def lib(self, doc: Mapping[str, Any]) -> Library | None:
        f = self.f
        table = f.table(doc, "lib", "")
        if table is None:
            return None
        proc_macro = _first_of(f.opt_bool, table, "proc-macro", "proc_macro", "lib")
        crate_types = f.strings(
            table, "crate-type" if "crate-type" in table else "crate_type", "lib"
        )
        return Library(
            name=f.opt_string(table, "name", "lib"),
            path=f.opt_string(table, "path", "lib"),
            proc_macro=bool(proc_macro),
            crate_types=crate_types,
        )

    def binary(self, entry: object, where: str) -> Binary:
        f = self.f
        table = f.as_table(entry, where)
        return Binary(
            name=f.string(table, "name", where),
            path=f.opt_string(table, "path", where),
            required_features=f.strings(table, "required-features", where),
        )

    # --- dependencies -------------------------------------------------------------------------

    def dependency_tables(
        self, table: Mapping[str, Any], where: str, target: str | None
    ) -> list[Dependency]:
        out = []
        for kind, dashed, underscored in _KIND_TABLES:
            key = dashed if dashed in table else underscored
            deps = self.f.table(table, key, where)
            for name, spec in (deps or {}).items():
                at = key_path(key_path(where, key), name)
                out.append(self.dependency(name, spec, at, kind, target))
        return out

    def dependency(
        self, name: str, spec: object, where: str, kind: DepKind, target: str | None
    ) -> Dependency:
        f = self.f
        if isinstance(spec, str):
            return _simple(name, self.req(spec, where), kind, target)
        if not isinstance(spec, dict):
            f.expect(spec, "a version string or a table", where)
        default_features = _first_of(
            f.opt_bool, spec, "default-features", "default_features", where
        )
        optional = bool(f.opt_bool(spec, "optional", where))
        features = f.strings(spec, "features", where)
        inherited = "workspace" in spec
        if inherited:
            self.workspace_true(spec, where)
        version = None if inherited else f.opt_string(spec, "version", where)
        git = None if inherited else f.opt_string(spec, "git", where)
        path = None if inherited else f.opt_string(spec, "path", where)
        refs = {k: None if inherited else f.opt_string(spec, k, where) for k in _GIT_REFS}
        if not inherited and version is None and git is None and path is None:
            f.fail(where, "needs a `version`, `path`, `git` or `workspace = true`")
        if git is not None and path is not None:
            f.fail(where, "only one of `git` or `path` is allowed")
        if sum(value is not None for value in refs.values()) > 1:
            f.fail(where, "only one of `branch`, `tag` or `rev` is allowed")
        package = None if inherited else f.opt_string(spec, "package", where)
        return Dependency(
            name=name,
            package=package or name,
            req=None if version is None else self.req(version, key_path(where, "version")),
            kind=kind,
            target=target,
            optional=optional,
            default_features=default_features is not False,
            default_features_explicit=default_features is not None,
            features=features,
            path=path,
            git=git,
            branch=refs["branch"],
            tag=refs["tag"],
            rev=refs["rev"],
            registry=None if inherited else f.opt_string(spec, "registry", where),
            workspace_inherited=inherited,
        )

    def req(self, text: str, where: str) -> VersionReq:
        try:
            return VersionReq.parse(text)
        except InvalidVersionReq as e:
            self.f.fail(where, f"{describe(text)} is not a valid version requirement: {e.reason}")

    # --- the rest -----------------------------------------------------------------------------

    def features(self, doc: Mapping[str, Any]) -> Mapping[str, tuple[str, ...]]:
        table = self.f.table(doc, "features", "") or {}
        return MappingProxyType(
            {name: self.f.as_strings(v, key_path("features", name)) for name, v in table.items()}
        )

    def workspace(self, value: object) -> Workspace:
        f = self.f
        table = f.as_table(value, "workspace")
        package = f.table(table, "package", "workspace") or {}
        dependencies = {}
        for name, spec in (f.table(table, "dependencies", "workspace") or {}).items():
            where = key_path("workspace.dependencies", name)
            if isinstance(spec, dict) and "workspace" in spec:
                f.fail(where, "a workspace dependency cannot inherit from the workspace")
            dependencies[name] = self.dependency(name, spec, where, DepKind.NORMAL, None)
        return Workspace(
            members=f.strings(table, "members", "workspace"),
            exclude=f.strings(table, "exclude", "workspace"),
            default_members=f.strings(table, "default-members", "workspace"),
            resolver=f.opt_string(table, "resolver", "workspace"),
            package=self.workspace_package(package),
            dependencies=MappingProxyType(dependencies),
        )

    def workspace_package(self, table: Mapping[str, Any]) -> WorkspacePackage:
        f = self.f
        where = "workspace.package"

        def get(key: str, read: Callable[[object, str], _T]) -> _T | None:
            value = table.get(key)
            return None if value is None else read(value, key_path(where, key))

        return WorkspacePackage(
            version=get("version", self.version),
            authors=get("authors", f.as_strings),
            description=get("description", f.as_string),
            license=get("license", f.as_string),
            license_file=get("license-file", f.as_string),
            repository=get("repository", f.as_string),
            homepage=get("homepage", f.as_string),
            documentation=get("documentation", f.as_string),
            readme=get("readme", self.string_or_bool),
            edition=get("edition", f.as_string),
            rust_version=get("rust-version", f.as_string),
            publish=get("publish", self.publish),
            keywords=get("keywords", f.as_strings),
            categories=get("categories", f.as_strings),
            include=get("include", f.as_strings),
            exclude=get("exclude", f.as_strings),
        )

    def patch(self, doc: Mapping[str, Any]) -> Mapping[str, Mapping[str, Any]]:
        table = self.f.table(doc, "patch", "") or {}
        if table and doc.get("replace"):
            self.f.fail("replace", "cannot be used together with [patch] (cargo refuses both)")
        return MappingProxyType(
            {
                source: MappingProxyType(self.f.as_table(crates, key_path("patch", source)))
                for source, crates in table.items()
            }
        )


def _simple(name: str, req: VersionReq, kind: DepKind, target: str | None) -> Dependency:
    return Dependency(
        name=name,
        package=name,
        req=req,
        kind=kind,
        target=target,
        optional=False,
        default_features=True,
        default_features_explicit=False,
        features=(),
        path=None,
        git=None,
        branch=None,
        tag=None,
        rev=None,
        registry=None,
        workspace_inherited=False,
    )


def _first_of(
    read: Callable[[Mapping[str, Any], str, str], _T | None],
    table: Mapping[str, Any],
    dashed: str,
    underscored: str,
    where: str,
) -> _T | None:
    """Cargo's rule for a key with two spellings: the dashed one wins when both are set."""
    value = read(table, dashed, where)
    return read(table, underscored, where) if value is None else value
