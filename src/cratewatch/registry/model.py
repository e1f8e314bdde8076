"""Typed values for the lines of a crates.io index.

One line of an index file describes one published version of a crate; it becomes an
:class:`IndexEntry`. Each dependency of that version becomes an :class:`IndexDependency`.
These are plain values: parsing lives in :mod:`cratewatch.registry.parse`, reading in the
index backends.

>>> dep = IndexDependency(name="serde", package="serde", req="^1.0", kind=DepKind.NORMAL,
...                       target=None, optional=False, default_features=True, features=(),
...                       registry=None)
>>> dep.is_renamed
False
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cratewatch.semver import Version, VersionReq

__all__ = ["DepKind", "IndexConfig", "IndexDependency", "IndexEntry"]


class DepKind(StrEnum):
    """The kind of a dependency, as the index's ``kind`` key spells it."""

    NORMAL = "normal"
    BUILD = "build"
    DEV = "dev"


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexDependency:
    """One dependency of a published version (one element of an index line's ``deps``)."""

    name: str
    """The name the dependent uses (its ``Cargo.toml`` key); differs from ``package`` if renamed."""
    package: str
    """The real crate name: the index's ``package`` key when present, else ``name``."""
    req: str
    """The raw version requirement text; it may not parse (use :attr:`version_req`)."""
    kind: DepKind
    """Normal, build or dev; a missing ``kind`` in old index lines means normal."""
    target: str | None
    """A ``cfg(...)`` expression or a target triple; ``None`` means every target."""
    optional: bool
    """Whether the dependency is only enabled by a feature."""
    default_features: bool
    """Whether the dependency's default features are enabled."""
    features: tuple[str, ...]
    """Features of the dependency that the dependent enables."""
    registry: str | None
    """The index URL of another registry; ``None`` means the same registry."""

    @property
    def is_renamed(self) -> bool:
        """Whether the dependent refers to the crate under another name."""
        return self.name != self.package

    @property
    def version_req(self) -> VersionReq:
        """:attr:`req` parsed under Cargo's rules; raises ``InvalidVersionReq``."""
        from cratewatch.semver import VersionReq  # noqa: PLC0415 (keep model import-light)

        return VersionReq.parse(self.req)


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexEntry:
    """One line of an index file: one published version of a crate."""

    name: str
    """The crate name as published (original case)."""
    vers: str
    """The raw version text; :attr:`version` parses it."""
    deps: tuple[IndexDependency, ...]
    """Dependencies of this version, in index order."""
    features: Mapping[str, tuple[str, ...]] = field(hash=False)
    """Feature name -> what it enables; the index's ``features`` merged with ``features2``."""
    yanked: bool
    """Whether the version was yanked (still resolvable from an existing lock file only)."""
    links: str | None
    """The native library named by the ``links`` manifest key, if any."""
    rust_version: str | None
    """The minimum supported Rust version (``rust_version`` key), if declared."""
    cksum: str
    """SHA-256 of the ``.crate`` file, lowercase hex."""
    schema: int
    """The index's ``v`` field (format version); 1 when absent."""

    @property
    def version(self) -> Version:
        """:attr:`vers` parsed as a Cargo version; raises ``InvalidVersion``."""
        from cratewatch.semver import Version  # noqa: PLC0415 (keep model import-light)

        return Version.parse(self.vers)


@dataclass(frozen=True, slots=True, kw_only=True)
class IndexConfig:
    """The index's ``config.json``: where crates are downloaded from."""

    dl: str
    """Download URL or template (``{crate}``, ``{version}``, ``{prefix}``... markers)."""
    api: str | None
    """Base URL of the registry's web API; ``None`` when the registry has none."""
    auth_required: bool
    """Whether the registry requires authentication for every request (``auth-required``)."""
