"""Offline cargo projects around REAL Cargo.lock files, for running cargo-deny on real graphs.

Every registry package of the lockfile becomes a vendored stub crate ``NAME-VERSION/`` whose
Cargo.toml declares what the published crate declared, read from the 2020 crates.io index line
of that exact version: every dependency (rename, requirement, kind, target, optional,
default-features, features) and the ``[features]`` table; ``lib.rs`` is empty (build scripts,
``links`` and proc-macros do not change the resolve). Its ``.cargo-checksum.json`` declares the
lockfile's own checksum, so cargo accepts the lockfile as it is: :func:`build_real_project`
runs ``cargo metadata --locked --offline`` and checks that the file's bytes did not change.

Workspace members the shared data does not include (ripgrep's ``globset``, ``grep``...) are
synthesized from the index line of the member's locked version, with dependencies on other
members turned into ``path`` dependencies.

cargo 1.65 (which cargo-deny 0.14.2 needs) predates lockfile version 4; for a v4 lockfile the
project keeps a copy whose only change is the ``version = 4`` line, after checking that the
original is accepted unchanged by the cargo on PATH.

>>> project = build_real_project(  # doctest: +SKIP
...     Path("/tmp/demo"), DEMO, index, cargo=Path("cargo"), old_cargo=Path("cargo-1.65"))
"""

from __future__ import annotations

import json
import subprocess
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cratewatch.lockfile import Lockfile, parse_lockfile
from cratewatch.registry.index import Index
from cratewatch.registry.model import DepKind, IndexDependency, IndexEntry
from tests.policy.cargo_project import CRATES_IO, CargoProject, VendoredCrate, cargo_env

__all__ = [
    "LockedInput",
    "RealProject",
    "as_v3",
    "build_real_project",
    "member_manifest",
    "stub_manifest",
]

_SECTIONS = {
    DepKind.NORMAL: "dependencies",
    DepKind.BUILD: "build-dependencies",
    DepKind.DEV: "dev-dependencies",
}
_EXTRA_FILES = ("build.rs", "src/main.rs", "tests/tests.rs")
"""Target files a root manifest may name explicitly (created empty when absent)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LockedInput:
    """A real project as the data has it: its root Cargo.toml and Cargo.lock."""

    name: str
    """A label for reports."""
    manifest: Path
    """The root Cargo.toml."""
    lockfile: Path
    """The real Cargo.lock."""
    sources: Path | None = None
    """A directory whose ``src/`` is copied (the demo project's own sources), if any."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RealProject:
    """A project on disk whose Cargo.lock cargo accepts with ``--locked --offline``."""

    input: LockedInput
    """What it was built from."""
    cargo: CargoProject
    """The project (root, CARGO_HOME, vendored crates)."""
    lockfile: Lockfile
    """The parsed original lockfile."""
    lock_version_rewritten: bool
    """Whether the project's Cargo.lock is a v3 copy of a v4 original (for cargo 1.65)."""

    @property
    def root(self) -> Path:
        """The project directory."""
        return self.cargo.root


def stub_manifest(entry: IndexEntry) -> str:
    """The dependency tables and ``[features]`` of a published version, as Cargo.toml text
    (without ``[package]``)."""
    return _render(_dependency_tables(entry.deps, {}, {}) | _features(entry))


def member_manifest(entry: IndexEntry, member_dirs: Mapping[str, str], own_dir: str) -> str:
    """A workspace member's Cargo.toml from its published index line: dependencies on other
    members (*member_dirs*: crate name -> workspace-relative directory) become path ones."""
    depth = len(Path(own_dir).parts)
    paths = {name: "/".join([".."] * depth + [d]) for name, d in member_dirs.items()}
    doc: dict[str, Any] = {
        "package": {"name": entry.name, "version": entry.vers, "edition": "2018"},
    }
    doc |= _dependency_tables(entry.deps, paths, {})
    doc |= _features(entry)
    return _render(doc)


def _render(doc: Mapping[str, Any]) -> str:
    """TOML text of a manifest made by this module: ``[package]`` scalars, dependency tables
    of inline tables (also under ``[target.X]``) and ``[features]`` lists (tomlkit takes
    over a second per hundred manifests)."""
    lines: list[str] = []

    def table(header: str, entries: Mapping[str, Any]) -> None:
        lines.append(f"[{header}]")
        lines.extend(f"{_key(k)} = {_value(v)}" for k, v in entries.items())
        lines.append("")

    for name, entries in doc.items():
        if name == "target":
            for target, sections in entries.items():
                for section, deps in sections.items():
                    table(f"target.{_key(target)}.{section}", deps)
        else:
            table(name, entries)
    return "\n".join(lines)


def _key(key: str) -> str:
    return json.dumps(key, ensure_ascii=False)


def _value(value: object) -> str:
    """A TOML value: JSON string escapes are valid TOML basic-string escapes (non-ASCII text
    is kept as it is, so no surrogate ``\\u`` escapes)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML form for {value!r}")


def _dependency_tables(
    deps: tuple[IndexDependency, ...], paths: Mapping[str, str], doc: dict[str, Any]
) -> dict[str, Any]:
    for dep in deps:
        spec: dict[str, Any] = {"version": dep.req}
        if dep.is_renamed:
            spec["package"] = dep.package
        if dep.package in paths:
            spec["path"] = paths[dep.package]
        if dep.optional:
            spec["optional"] = True
        if not dep.default_features:
            spec["default-features"] = False
        features = [f for f in dep.features if f]  # old index lines list "": cargo skips it
        if features:
            spec["features"] = features
        if dep.registry is not None:
            spec["registry-index"] = dep.registry
        table = doc
        if dep.target is not None:
            table = doc.setdefault("target", {}).setdefault(dep.target, {})
        table.setdefault(_SECTIONS[dep.kind], {})[dep.name] = spec
    return doc


def _features(entry: IndexEntry) -> dict[str, Any]:
    if not entry.features:
        return {}
    return {"features": {name: list(values) for name, values in entry.features.items()}}


def _entry(index: Index, name: str, version: str) -> IndexEntry:
    for entry in index.versions(name):
        if entry.vers == version:
            return entry
    raise LookupError(f"{name} {version} is not in the index")


def build_real_project(
    root: Path, data: LockedInput, index: Index, *, cargo: Path, old_cargo: Path
) -> RealProject:
    """Write the project for *data* under *root* and check that both cargos accept its
    lockfile unchanged (the original with *cargo*, the project's copy with *old_cargo*)."""
    original = data.lockfile.read_bytes()
    lock = parse_lockfile(original.decode(), path=str(data.lockfile))
    root_text = data.manifest.read_text()
    root_doc = tomllib.loads(root_text)
    member_dirs = _member_dirs(root_doc, lock)
    members = {"": root_text}
    for name, directory in member_dirs.items():
        if directory == "":
            continue
        version = next(str(p.version) for p in lock.packages if p.name == name and not p.source)
        members[directory] = member_manifest(_entry(index, name, version), member_dirs, directory)
    files: dict[str, str | bytes] = {"Cargo.lock": original}
    if data.sources is not None:
        for file in sorted((data.sources / "src").rglob("*")):
            if file.is_file():
                files[str(file.relative_to(data.sources))] = file.read_bytes()
    for relative in _EXTRA_FILES:
        files.setdefault(relative, "")
    project = CargoProject(root, members=members, files=files)
    for package in lock.packages:
        if package.source is None:
            continue
        if str(package.source) != CRATES_IO or package.checksum is None:
            raise ValueError(f"{package.name} {package.version}: not a crates.io package")
        entry = _entry(index, package.name, str(package.version))
        project.add(
            VendoredCrate(
                name=package.name,
                version=str(package.version),
                package="",
                body=stub_manifest(entry),
                sha256=package.checksum,
            )
        )
    project.write(cargo=cargo)
    lock_path = root / "Cargo.lock"
    lock_path.write_bytes(original)  # write() runs cargo without --locked (v1 gets upgraded)
    _check_locked(cargo, project, lock_path, original)
    rewritten = lock.version >= 4
    if rewritten:
        lock_path.write_bytes(as_v3(original))
    _check_locked(old_cargo, project, lock_path, lock_path.read_bytes())
    return RealProject(input=data, cargo=project, lockfile=lock, lock_version_rewritten=rewritten)


def _member_dirs(root_doc: Mapping[str, Any], lock: Lockfile) -> dict[str, str]:
    """Crate name -> workspace-relative directory of every path package in the lockfile."""
    root_name = root_doc.get("package", {}).get("name")
    listed = root_doc.get("workspace", {}).get("members", [])
    dirs: dict[str, str] = {}
    for package in lock.packages:
        if package.source is not None:
            continue
        if package.name == root_name:
            dirs[package.name] = ""
        else:
            matches = [d for d in listed if Path(d).name == package.name]
            if len(matches) != 1:
                raise ValueError(f"{package.name}: no single workspace member directory")
            dirs[package.name] = matches[0]
    return dirs


def as_v3(text: bytes) -> bytes:
    """The v4 lockfile *text* as v3: for crates.io-only lockfiles the encodings differ only in
    the version line (v4 changed how git source URLs are escaped)."""
    if b"\nversion = 4\n" not in text or b"git+" in text:
        raise ValueError("expected a v4 lockfile without git sources")
    return text.replace(b"\nversion = 4\n", b"\nversion = 3\n", 1)


def _check_locked(cargo: Path, project: CargoProject, lock_path: Path, expected: bytes) -> None:
    done = subprocess.run(
        [str(cargo), "metadata", "--format-version", "1", "--locked", "--offline"],
        cwd=project.root,
        env=cargo_env(project.home),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{cargo} metadata --locked failed in {project.root}:\n{done.stderr}")
    if lock_path.read_bytes() != expected:
        raise RuntimeError(f"{cargo} changed {lock_path}")
