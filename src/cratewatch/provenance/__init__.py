"""Does a published crate match its repository?

:func:`~cratewatch.provenance.check.check_provenance` compares every file of a ``.crate``
with the repository at the commit its ``.cargo_vcs_info.json`` records, reading git objects
directly (no checkout, no rebuild) from a cache of partial clones
(:class:`~cratewatch.provenance.repo.RepoCache`). :mod:`~cratewatch.provenance.batch` runs
many checks (threads or a Dask cluster) into a Parquet file;
:mod:`~cratewatch.provenance.site` turns that file into a static report site.
"""

from __future__ import annotations

from cratewatch.provenance.check import check_provenance, verdict
from cratewatch.provenance.model import (
    Comparison,
    Dirty,
    Errored,
    FileCheck,
    FileDiff,
    FileState,
    Match,
    Mismatch,
    MissingSubmodule,
    NoRepository,
    NotFoundInRepository,
    NoVcsInfo,
    Outcome,
    ProvenanceResult,
    RepositoryUnreachable,
    RevisionNotFound,
    Status,
    SubmoduleMissing,
    SymlinkCaveat,
)
from cratewatch.provenance.repo import (
    RepoCache,
    RepoLocation,
    RepositoryUnavailable,
    UnsupportedRepositoryUrl,
    location_from_manifest,
    location_from_user,
)
from cratewatch.provenance.vcsinfo import InvalidVcsInfo, VcsInfo, parse_vcs_info

__all__ = [
    "Comparison",
    "Dirty",
    "Errored",
    "FileCheck",
    "FileDiff",
    "FileState",
    "InvalidVcsInfo",
    "Match",
    "Mismatch",
    "MissingSubmodule",
    "NoRepository",
    "NoVcsInfo",
    "NotFoundInRepository",
    "Outcome",
    "ProvenanceResult",
    "RepoCache",
    "RepoLocation",
    "RepositoryUnavailable",
    "RepositoryUnreachable",
    "RevisionNotFound",
    "Status",
    "SubmoduleMissing",
    "SymlinkCaveat",
    "UnsupportedRepositoryUrl",
    "VcsInfo",
    "check_provenance",
    "location_from_manifest",
    "location_from_user",
    "parse_vcs_info",
    "verdict",
]
