"""A Cargo-compatible dependency resolver for ecosystem-scale work (pure: no I/O of its own).

Give it a way to read index lines (any ``versions(name)`` of :mod:`cratewatch.registry`) and
ask for roots; it answers with the package set ``cargo generate-lockfile`` would write for a
package depending on ``NAME = "=VERSION"``. Everything learnt from the index (usable versions,
candidate lists, per-feature expansions) is memoised for the next root.

>>> from cratewatch.registry.model import IndexEntry
>>> line = IndexEntry(name="a", vers="1.0.0", deps=(), features={}, yanked=False,
...                   links=None, rust_version=None, cksum="", schema=1)
>>> Resolver(lambda name: (line,) if name == "a" else ()).resolve(
...     RootRequest(name="a", version="2.0.0")).reason
'failed to select a version for the requirement a = "=2.0.0" (required by the root): \
candidate versions found which didn\\'t match: 1.0.0'
"""

from __future__ import annotations

from cratewatch.resolver.engine import Resolver
from cratewatch.resolver.model import (
    PackageId,
    Resolution,
    ResolutionFailed,
    Resolved,
    RootRequest,
    Unresolved,
)
from cratewatch.resolver.platform import Target

__all__ = [
    "PackageId",
    "Resolution",
    "ResolutionFailed",
    "Resolved",
    "Resolver",
    "RootRequest",
    "Target",
    "Unresolved",
]
