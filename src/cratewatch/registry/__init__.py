"""The crates.io index: typed entries and git, sparse and directory backends.

:mod:`~cratewatch.registry.model` holds the values (:class:`IndexEntry`,
:class:`IndexDependency`, :class:`DepKind`, :class:`IndexConfig`);
:func:`~cratewatch.registry.index.open_index` opens any backend from a spec string and returns
an :class:`~cratewatch.registry.index.Index`.

>>> from cratewatch.registry import open_index
>>> with open_index("tests/assets/registry/index") as index:  # doctest: +SKIP
...     index.versions("syn")[-1].vers
'1.0.1'
"""

from __future__ import annotations

from cratewatch.registry.index import (
    CRATES_IO_SPARSE,
    CrateNotFound,
    Found,
    Index,
    Lookup,
    Missing,
    open_index,
)
from cratewatch.registry.model import DepKind, IndexConfig, IndexDependency, IndexEntry
from cratewatch.registry.parse import InvalidIndexEntry, InvalidIndexFile
from cratewatch.registry.paths import InvalidCrateName, index_path

__all__ = [
    "CRATES_IO_SPARSE",
    "CrateNotFound",
    "DepKind",
    "Found",
    "Index",
    "IndexConfig",
    "IndexDependency",
    "IndexEntry",
    "InvalidCrateName",
    "InvalidIndexEntry",
    "InvalidIndexFile",
    "Lookup",
    "Missing",
    "index_path",
    "open_index",
]
