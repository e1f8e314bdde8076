"""The exception hierarchy: one root, one base per layer.

Every error cratewatch raises on bad input or an unavailable resource derives from
:class:`CratewatchError`, so the CLI can turn any of them into one clear line and an exit code.
Messages start with the input they concern (a file, a URL, a crate) and chain the cause.
"""

from __future__ import annotations

__all__ = [
    "AdvisoryDbError",
    "CratewatchError",
    "ParseError",
    "PolicyError",
    "RegistryError",
    "SourceError",
]


class CratewatchError(Exception):
    """Root of every error cratewatch raises on purpose."""


class ParseError(CratewatchError, ValueError):
    """Untrusted input (a version, a Cargo.lock, a manifest, an advisory) is malformed."""


class SourceError(CratewatchError):
    """A data source (git repository, HTTP server, cache, file) could not be read."""


class AdvisoryDbError(SourceError):
    """The advisory database could not be obtained or loaded."""


class RegistryError(SourceError):
    """The crates.io index (git, sparse or directory) could not be read."""


class PolicyError(CratewatchError):
    """A policy configuration (deny.toml, audit.toml) is invalid."""
