"""Turning audit inputs (a Cargo.lock, a cargo-auditable binary) into packages to match."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cratewatch.audit.engine import CRATES_IO, registry_key
from cratewatch.audit.model import AuditedPackage
from cratewatch.lockfile import Lockfile, Package

if TYPE_CHECKING:  # the binary-format readers are slow to import; only --bin needs them
    from cratewatch.binaries import AuditableDeps

__all__ = ["PackageSet", "from_binary", "from_lockfile"]

_PATH_LIMIT = 10


@dataclass(frozen=True, slots=True, kw_only=True)
class PackageSet:
    """The packages of one input and a way to explain how each got there."""

    packages: tuple[AuditedPackage, ...]
    """Every package of the input."""
    paths: Callable[[AuditedPackage], tuple[tuple[str, ...], ...]]
    """Dependency paths (root first) of a package of :attr:`packages`."""


def from_lockfile(lock: Lockfile, *, origin: str | None = None) -> PackageSet:
    """The packages of a Cargo.lock; paths come from its inverse dependency graph."""
    origin = origin if origin is not None else lock.path
    by_audited: dict[AuditedPackage, Package] = {}
    for package in lock.packages:
        source = package.source
        key = registry_key(source.url) if source is not None and source.is_registry else None
        if source is not None and source.is_crates_io:
            key = CRATES_IO
        audited = AuditedPackage(
            name=package.name,
            version=package.version,
            source=str(source) if source is not None else None,
            registry_key=key,
            origin=origin,
            line=package.line,
        )
        by_audited[audited] = package

    def paths(audited: AuditedPackage) -> tuple[tuple[str, ...], ...]:
        found = lock.paths_to_roots(by_audited[audited], limit=_PATH_LIMIT)
        return tuple(tuple(f"{p.name} {p.version}" for p in reversed(path)) for path in found)

    return PackageSet(packages=tuple(by_audited), paths=paths)


def from_binary(deps: AuditableDeps, *, origin: str) -> PackageSet:
    """The packages compiled into a binary, from its embedded cargo-auditable data."""
    from cratewatch.binaries import DependencyGraph  # noqa: PLC0415 (slow import, --bin only)

    seen: dict[AuditedPackage, None] = {}
    for package in deps.packages:
        audited = AuditedPackage(
            name=package.name,
            version=package.version,
            source=package.source,
            registry_key=CRATES_IO if package.is_crates_io else None,
            origin=origin,
        )
        seen.setdefault(audited)

    def paths(audited: AuditedPackage) -> tuple[tuple[str, ...], ...]:
        found = graph.paths(audited.name, audited.version, limit=_PATH_LIMIT)
        return tuple(tuple(_label(name) for name in chain) for chain in found)

    graph = DependencyGraph(deps)
    versions: dict[str, set[str]] = {}
    for package in deps.packages:
        versions.setdefault(package.name, set()).add(str(package.version))

    def _label(name: str) -> str:
        """``name version`` where the binary holds one version of the crate, else ``name``."""
        found = versions.get(name, set())
        return f"{name} {next(iter(found))}" if len(found) == 1 else name

    return PackageSet(packages=tuple(seen), paths=paths)
