"""What the resolver is asked and what it answers.

A :class:`RootRequest` names one published version and how it is depended on (its features,
whether its dev-dependencies count). The answer is a :class:`Resolved` with the package set
Cargo would write to ``Cargo.lock`` for a package depending on ``NAME = "=VERSION"``, or an
:class:`Unresolved` carrying the reason Cargo would fail.

>>> req = RootRequest(name="serde", version="1.0.100")
>>> req.describe()
'serde@1.0.100'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import total_ordering

from cratewatch.errors import CratewatchError
from cratewatch.semver import Version

__all__ = ["PackageId", "Resolution", "ResolutionFailed", "Resolved", "RootRequest", "Unresolved"]


class ResolutionFailed(CratewatchError):
    """No set of versions satisfies the requirements (Cargo would fail to write a lock file)."""


@total_ordering
@dataclass(frozen=True, slots=True, kw_only=True, eq=True)
class PackageId:
    """One package of a resolution: a crate name and one of its published versions."""

    name: str
    """The crate name as published."""
    version: Version
    """The chosen version."""

    def __lt__(self, other: PackageId) -> bool:
        return (self.name, self.version) < (other.name, other.version)

    def __str__(self) -> str:
        return f"{self.name}@{self.version}"


@dataclass(frozen=True, slots=True, kw_only=True)
class RootRequest:
    """The root of a resolution: ``NAME = "=VERSION"`` as a dependency of an empty package."""

    name: str
    """The crate to resolve."""
    version: str
    """Its exact version (as written; it must parse as a SemVer version to resolve)."""
    features: tuple[str, ...] = ()
    """Features of the root asked for explicitly (may name optional dependencies)."""
    all_features: bool = False
    """Ask for every feature of the root (including implicit optional-dependency features)."""
    default_features: bool = True
    """Whether the root's ``default`` feature is asked for."""
    include_dev: bool = False
    """Also resolve the root's dev-dependencies (Cargo would for a workspace member)."""

    def describe(self) -> str:
        """``name@version``, as the CLI and batch files spell a root."""
        return f"{self.name}@{self.version}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Resolved:
    """A successful resolution: the package set of the lock file Cargo would write."""

    request: RootRequest
    """What was resolved."""
    root: PackageId
    """The root package (also in :attr:`packages`)."""
    packages: tuple[PackageId, ...]
    """Every package of the lock file (the root included), sorted by name then version."""
    features: Mapping[PackageId, frozenset[str]] = field(hash=False, compare=False)
    """The features Cargo's lock-file resolution activates on each package."""
    dependencies: Mapping[PackageId, tuple[PackageId, ...]] = field(
        default_factory=dict, hash=False, compare=False
    )
    """The lock file's edges: each package -> the packages its normal and build dependencies
    resolved to (packages without dependencies are absent). The root's dev-dependencies are
    not here but in :attr:`dev_dependencies`."""
    dev_dependencies: tuple[PackageId, ...] = field(default=(), hash=False, compare=False)
    """What the root's dev-dependencies resolved to (with ``include_dev``; else empty)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Unresolved:
    """A failed resolution: Cargo would refuse to write a lock file, for this reason."""

    request: RootRequest
    """What was asked."""
    reason: str
    """Why no solution exists, in words close to Cargo's."""


Resolution = Resolved | Unresolved
"""The outcome of resolving one root."""
