"""The advisory value types shared by the RustSec parser, the OSV import/export and audits.

An :class:`Advisory` is one file of the RustSec advisory database (or one imported OSV
record): which crate, which versions are patched or were never affected, and what kind of
problem it is (:class:`AdvisoryKind`).

>>> import datetime
>>> from cratewatch.semver import Version, VersionReq
>>> adv = Advisory(id="RUSTSEC-2020-0001", package="foo", date=datetime.date(2020, 1, 31),
...                title="Flaw", description="", patched=(VersionReq.parse(">= 1.2.3"),),
...                collection=Collection.CRATES, path="crates/foo/RUSTSEC-2020-0001.md")
>>> adv.kind, adv.affects(Version.parse("1.2.2")), adv.affects(Version.parse("1.2.3"))
(<AdvisoryKind.VULNERABILITY: 'vulnerability'>, True, False)
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from cratewatch.advisories.cvss import CvssScore
from cratewatch.advisories.ranges import AffectedRange, affected_ranges
from cratewatch.semver import Version, VersionReq

__all__ = [
    "DEFAULT_LICENSE",
    "Advisory",
    "AdvisoryKind",
    "AdvisoryOrigin",
    "Affected",
    "Collection",
    "kind_of",
]

DEFAULT_LICENSE = "CC0-1.0"
"""License of advisory content when the advisory names none (RustSec's default)."""


class AdvisoryKind(StrEnum):
    """What an advisory is about; derived from its ``informational`` field."""

    VULNERABILITY = "vulnerability"
    """No ``informational`` field: a security vulnerability."""
    UNSOUND = "unsound"
    """``informational = "unsound"``: safe code can cause undefined behaviour."""
    UNMAINTAINED = "unmaintained"
    """``informational = "unmaintained"``: the crate is abandoned."""
    NOTICE = "notice"
    """``informational = "notice"``: a security notice that is not a vulnerability."""
    OTHER = "other"
    """Any other ``informational`` value (RustSec leaves the list open)."""


class Collection(StrEnum):
    """Top-level directory of the advisory database an advisory lives in."""

    CRATES = "crates"
    """``crates/<name>/RUSTSEC-*.md``: advisories against crates.io crates."""
    RUST = "rust"
    """``rust/<component>/*.md``: advisories against the toolchain (std, cargo, rustdoc)."""


class AdvisoryOrigin(StrEnum):
    """Where an advisory was read from (and so where its :attr:`Advisory.ranges` come from)."""

    RUSTSEC = "rustsec"
    """A RustSec advisory file: ``patched``/``unaffected`` requirements, converted to ranges."""
    OSV = "osv"
    """An imported OSV record: versions are given as affected ``ranges``."""


def kind_of(informational: str | None) -> AdvisoryKind:
    """The :class:`AdvisoryKind` for a raw ``informational`` value.

    >>> kind_of(None), kind_of("unsound"), kind_of("something-new")
    (<AdvisoryKind.VULNERABILITY: 'vulnerability'>, <AdvisoryKind.UNSOUND: 'unsound'>, \
<AdvisoryKind.OTHER: 'other'>)
    """
    if informational is None:
        return AdvisoryKind.VULNERABILITY
    match informational:
        case "unsound":
            return AdvisoryKind.UNSOUND
        case "unmaintained":
            return AdvisoryKind.UNMAINTAINED
        case "notice":
            return AdvisoryKind.NOTICE
        case _:
            return AdvisoryKind.OTHER


@dataclass(frozen=True, slots=True, kw_only=True)
class Affected:
    """The ``[affected]`` section: what exactly is affected beyond the crate and versions."""

    arch: tuple[str, ...] = ()
    """CPU architectures the issue is specific to (empty: all)."""
    os: tuple[str, ...] = ()
    """Operating systems the issue is specific to (empty: all)."""
    functions: Mapping[str, tuple[VersionReq, ...]] = field(default_factory=dict, hash=False)
    """Canonical Rust paths of affected functions/types -> versions in which they are affected."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Advisory:
    """One security advisory (a RustSec advisory file or an imported OSV record)."""

    id: str
    """Advisory identifier: ``RUSTSEC-YYYY-NNNN`` (crates) or a CVE id (rust collection)."""
    package: str
    """Name of the affected crate (or toolchain component for the rust collection)."""
    date: datetime.date
    """Date the issue was reported."""
    title: str
    """One-line summary (the Markdown ``# heading``)."""
    description: str
    """Markdown text after the title."""
    url: str | None = None
    """Announcement URL (issue, blog post, PR)."""
    categories: tuple[str, ...] = ()
    """RustSec categories such as ``memory-corruption`` (the list is open-ended)."""
    keywords: tuple[str, ...] = ()
    """Free-form keywords."""
    aliases: tuple[str, ...] = ()
    """Ids of the same issue in other databases (CVE, GHSA)."""
    related: tuple[str, ...] = ()
    """Ids of related but different issues."""
    references: tuple[str, ...] = ()
    """Further URLs."""
    cvss: CvssScore | None = None
    """CVSS vector and score, when the advisory has one."""
    informational: str | None = None
    """Raw ``informational`` value (``notice``, ``unmaintained``, ``unsound`` or other)."""
    source: str | None = None
    """Cargo source id of the affected package (None: crates.io)."""
    withdrawn: datetime.date | None = None
    """Date the advisory was withdrawn; withdrawn advisories still match, callers filter."""
    license: str = DEFAULT_LICENSE
    """SPDX id of the advisory text's license (``CC0-1.0`` or ``CC-BY-4.0``)."""
    expect_deleted: bool = False
    """The crate is expected to disappear from crates.io (``expect-deleted``)."""
    affected: Affected = field(default_factory=Affected)
    """The ``[affected]`` section (empty when absent)."""
    patched: tuple[VersionReq, ...] = ()
    """Requirements matching versions that contain the fix."""
    unaffected: tuple[VersionReq, ...] = ()
    """Requirements matching versions that were never affected."""
    ranges: tuple[AffectedRange, ...] = ()
    """Affected versions as OSV intervals ``[introduced, fixed)``."""
    collection: Collection = Collection.CRATES
    """Database directory: ``crates`` or ``rust``."""
    path: str = ""
    """Repository-relative file (``crates/foo/RUSTSEC-2020-0001.md``) or OSV record id."""
    origin: AdvisoryOrigin = AdvisoryOrigin.RUSTSEC
    """RustSec file or OSV import; a RustSec advisory's :attr:`ranges` are derived from
    :attr:`patched`/:attr:`unaffected`, an OSV record's are read from the record."""

    @property
    def kind(self) -> AdvisoryKind:
        """Vulnerability, unsound, unmaintained, notice or other (from ``informational``)."""
        return kind_of(self.informational)

    @property
    def is_withdrawn(self) -> bool:
        """Whether the advisory was withdrawn (filed in error)."""
        return self.withdrawn is not None

    def __post_init__(self) -> None:
        if self.origin is AdvisoryOrigin.RUSTSEC and not self.ranges:
            # A RustSec advisory's ranges are a function of patched/unaffected; computing them
            # here keeps directly constructed advisories consistent with parsed ones.
            object.__setattr__(self, "ranges", affected_ranges(self.patched, self.unaffected))

    def affects(self, version: Version) -> bool:
        """Whether *version* of :attr:`package` is affected (ignores :attr:`withdrawn`).

        Exactly the rustsec crate's ``Versions::is_vulnerable``, which cargo-audit and
        cargo-deny use: affected when inside one of :attr:`ranges` (the intervals RustSec's
        OSV export derives from ``patched``/``unaffected``), compared by SemVer precedence.
        So ``1.3.0-alpha.1`` counts as patched by ``>= 1.2.3``, although Cargo's requirement
        matching would not let that requirement match a pre-release.
        """
        return any(r.contains(version) for r in self.ranges)
