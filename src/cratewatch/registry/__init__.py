"""The crates.io index: typed entries and git, sparse and directory backends.

:mod:`~cratewatch.registry.model` holds the values (:class:`IndexEntry`,
:class:`IndexDependency`, :class:`DepKind`); :func:`~cratewatch.registry.index.open_index`
opens any backend from a spec string.
"""

from __future__ import annotations

from cratewatch.registry.model import DepKind, IndexDependency, IndexEntry

__all__ = ["DepKind", "IndexDependency", "IndexEntry"]
