"""What a provenance check finds: one typed outcome per status.

A :class:`ProvenanceResult` names the crate version, the repository and commit it was
compared with, and an :data:`Outcome`. Outcomes that compared files carry a
:class:`Comparison` (every crate file with its :class:`FileState`, the differences with
unified diffs, and the files of the repository's package directory the crate lacks); outcomes
that could not compare carry the reason.

>>> outcome = NoVcsInfo(reason="the crate has no .cargo_vcs_info.json")
>>> outcome.status, outcome.status.verified
(<Status.NO_VCS_INFO: 'no-vcs-info'>, False)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar, TypeAlias

__all__ = [
    "Comparison",
    "Dirty",
    "Errored",
    "FileCheck",
    "FileDiff",
    "FileState",
    "Match",
    "Mismatch",
    "MissingSubmodule",
    "NoRepository",
    "NoVcsInfo",
    "NotFoundInRepository",
    "Outcome",
    "ProvenanceResult",
    "RepositoryUnreachable",
    "RevisionNotFound",
    "Status",
    "SubmoduleMissing",
    "SymlinkCaveat",
]


class Status(StrEnum):
    """The verdict of a provenance check (the ``status`` field of the JSON output)."""

    MATCH = "match"
    """Every file of the crate is in the repository at the recorded commit."""
    SYMLINK_CAVEAT = "symlink-caveat"
    """A match, except that some files hold a symbolic link's target path instead of the
    target's content (what a checkout without symlink support packages)."""
    MISMATCH = "mismatch"
    """Some file of the crate differs from the repository or is not in it."""
    REVISION_NOT_FOUND = "revision-not-found"
    """The commit recorded in ``.cargo_vcs_info.json`` is not in the repository."""
    NO_VCS_INFO = "no-vcs-info"
    """The crate has no ``.cargo_vcs_info.json`` (old cargo, or packaged outside git)."""
    DIRTY = "dirty"
    """The crate was packaged from a working tree with uncommitted changes."""
    NO_REPOSITORY = "no-repository"
    """The crate declares no repository and none was given."""
    REPOSITORY_UNREACHABLE = "repository-unreachable"
    """The repository could not be cloned or fetched (private, gone, timed out)."""
    SUBMODULE_MISSING = "submodule-missing"
    """Files come from a git submodule whose repository or commit could not be reached."""
    NOT_FOUND_IN_REPOSITORY = "not-found-in-repository"
    """The commit exists but the package is not where it should be in it."""
    ERROR = "error"
    """The check itself failed; see the reason."""

    @property
    def verified(self) -> bool:
        """Whether the crate's content was found in its repository."""
        return self in (Status.MATCH, Status.SYMLINK_CAVEAT)


class FileState(StrEnum):
    """How one file of the crate compares with the repository."""

    MATCH = "match"
    """Identical to the blob at the expected place (possibly through links or a submodule)."""
    GENERATED = "generated"
    """Written by cargo when packaging; not compared."""
    SYMLINK_CAVEAT = "symlink-caveat"
    """The repository has a symbolic link here and the crate holds its target path as text."""
    DIFFERS = "differs"
    """The repository has this file with other content."""
    EXTRA = "extra"
    """The repository has no such file."""
    UNVERIFIED = "unverified"
    """Inside a submodule that could not be reached."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FileCheck:
    """One file of the crate and what it was compared with."""

    path: str
    """Path inside the crate (``/``-separated, relative to ``NAME-VERSION/``)."""
    state: FileState
    """The result of the comparison."""
    repo_path: str | None
    """Repository path whose content was compared (after links, outside-package copies and
    submodules); ``None`` when nothing was compared."""
    note: str | None = None
    """How the repository file was found or why it was not compared."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FileDiff:
    """A file of the crate that differs from the repository or is not in it."""

    path: str
    """Path inside the crate."""
    state: FileState
    """:attr:`FileState.DIFFERS` or :attr:`FileState.EXTRA`."""
    repo_path: str | None
    """The repository path it was compared with (``None`` for an extra file)."""
    crate_size: int
    """Bytes in the crate."""
    repo_size: int | None
    """Bytes in the repository (``None`` for an extra file)."""
    diff: str | None
    """Unified diff, repository -> crate (``None`` when the content is binary or too large)."""
    note: str | None = None
    """Why there is no diff, or that it was truncated."""


@dataclass(frozen=True, slots=True, kw_only=True)
class MissingSubmodule:
    """A git submodule the crate's files come from that could not be read."""

    path: str
    """The submodule's path in the repository."""
    url: str | None
    """Its URL from ``.gitmodules`` (``None`` when ``.gitmodules`` does not name it)."""
    commit: str
    """The commit the repository records for it."""
    reason: str
    """Why it could not be read."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Comparison:
    """Every file of the crate compared with the repository at the commit."""

    files: tuple[FileCheck, ...]
    """Each file of the crate, sorted by path."""
    differences: tuple[FileDiff, ...]
    """The files that differ or are extra, with diffs."""
    missing_from_crate: tuple[str, ...]
    """Files of the repository's package directory that the crate does not hold (information:
    ``include``/``exclude`` and ignore rules leave files out)."""
    missing_submodules: tuple[MissingSubmodule, ...] = ()
    """Submodules whose files could not be verified."""

    def count(self, state: FileState) -> int:
        """How many files are in *state*."""
        return sum(1 for f in self.files if f.state is state)


@dataclass(frozen=True, slots=True, kw_only=True)
class Match:
    """Every file matches."""

    status: ClassVar[Status] = Status.MATCH
    comparison: Comparison
    """The file-by-file comparison."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SymlinkCaveat:
    """A match but for files holding a link's target path."""

    status: ClassVar[Status] = Status.SYMLINK_CAVEAT
    comparison: Comparison
    """The file-by-file comparison."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Mismatch:
    """Some files differ or are not in the repository."""

    status: ClassVar[Status] = Status.MISMATCH
    comparison: Comparison
    """The file-by-file comparison."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Dirty:
    """Packaged with uncommitted changes (``--allow-dirty``)."""

    status: ClassVar[Status] = Status.DIRTY
    comparison: Comparison | None
    """The comparison with the recorded commit, when the repository could be read."""
    reason: str
    """What is known about the dirty state."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SubmoduleMissing:
    """Files come from a submodule that could not be reached; the rest matches."""

    status: ClassVar[Status] = Status.SUBMODULE_MISSING
    comparison: Comparison
    """The file-by-file comparison (see :attr:`Comparison.missing_submodules`)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RevisionNotFound:
    """The recorded commit is not in the repository."""

    status: ClassVar[Status] = Status.REVISION_NOT_FOUND
    reason: str
    """Where it was looked for."""


@dataclass(frozen=True, slots=True, kw_only=True)
class NoVcsInfo:
    """The crate carries no VCS information."""

    status: ClassVar[Status] = Status.NO_VCS_INFO
    reason: str
    """Why that usually happens."""


@dataclass(frozen=True, slots=True, kw_only=True)
class NoRepository:
    """No repository to compare with."""

    status: ClassVar[Status] = Status.NO_REPOSITORY
    reason: str
    """What was missing or unusable."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RepositoryUnreachable:
    """The repository could not be cloned or fetched."""

    status: ClassVar[Status] = Status.REPOSITORY_UNREACHABLE
    reason: str
    """The git failure (timeout, authentication, not found)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class NotFoundInRepository:
    """The package is not in the repository at the commit."""

    status: ClassVar[Status] = Status.NOT_FOUND_IN_REPOSITORY
    reason: str
    """Where it was looked for."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Errored:
    """The check failed."""

    status: ClassVar[Status] = Status.ERROR
    reason: str
    """The failure."""


Outcome: TypeAlias = (
    Match
    | SymlinkCaveat
    | Mismatch
    | Dirty
    | SubmoduleMissing
    | RevisionNotFound
    | NoVcsInfo
    | NoRepository
    | RepositoryUnreachable
    | NotFoundInRepository
    | Errored
)
"""Every outcome of a provenance check."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ProvenanceResult:
    """The provenance of one crate version."""

    name: str
    """Crate name."""
    version: str
    """Crate version."""
    origin: str
    """Where the crate's files came from (a file, a directory, a download URL)."""
    checksum: str | None
    """How the ``.crate`` was verified against the registry, when it came from one."""
    repository: str | None
    """The repository compared with (URL or local path), after normalisation."""
    declared_repository: str | None
    """``package.repository`` as the manifest states it."""
    commit: str | None
    """The commit from ``.cargo_vcs_info.json``."""
    path_in_vcs: str | None
    """``path_in_vcs`` from ``.cargo_vcs_info.json`` (``None`` when absent; ``""`` = root)."""
    package_path: str | None
    """Where the package was found in the repository (``""`` = root)."""
    outcome: Outcome
    """The verdict and its details."""

    @property
    def status(self) -> Status:
        """The verdict."""
        return self.outcome.status
