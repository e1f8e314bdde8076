"""Pydantic models of the JSON API, for its OpenAPI description and response checks.

The OSV models describe exactly what :func:`~cratewatch.advisories.osv.advisory_to_osv`
produces (the records RustSec publishes); the API sends those records pre-serialised, so
these models document and test the shape rather than build it.
"""

from __future__ import annotations

import datetime
from typing import Literal

from pydantic import BaseModel, Field

__all__ = [
    "AdvisorySummary",
    "CvssModel",
    "DatabaseModel",
    "ErrorDetail",
    "ErrorResponse",
    "MaxSeverity",
    "OsvRecord",
    "SearchAdvisory",
    "SearchCrate",
    "SearchResponse",
    "VersionStatus",
]

Rating = Literal["none", "low", "medium", "high", "critical"]
Kind = Literal["vulnerability", "unsound", "unmaintained", "notice", "other"]


class ErrorDetail(BaseModel):
    """What went wrong."""

    code: str = Field(description="Stable machine-readable code, e.g. `crate_not_found`.")
    message: str = Field(description="A sentence for people, naming the input concerned.")


class ErrorResponse(BaseModel):
    """The shape of every error answer."""

    error: ErrorDetail


class OsvPackage(BaseModel):
    """The affected package."""

    ecosystem: Literal["crates.io"]
    name: str
    purl: str


class OsvEvent(BaseModel):
    """One event of a range: exactly one of the fields is present."""

    introduced: str | None = None
    fixed: str | None = None


class OsvRange(BaseModel):
    """Affected versions as SEMVER events."""

    type: Literal["SEMVER"]
    events: list[OsvEvent]


class OsvAffects(BaseModel):
    """RustSec's `[affected]` section."""

    arch: list[str]
    os: list[str]
    functions: list[str]


class OsvEcosystemSpecific(BaseModel):
    """RustSec's ecosystem-specific block."""

    affects: OsvAffects
    affected_functions: None = None


class OsvAffectedDatabaseSpecific(BaseModel):
    """RustSec's per-package database-specific block."""

    categories: list[str]
    cvss: str | None
    informational: str | None


class OsvAffected(BaseModel):
    """The affected package and versions."""

    package: OsvPackage
    ecosystem_specific: OsvEcosystemSpecific
    database_specific: OsvAffectedDatabaseSpecific
    ranges: list[OsvRange]
    versions: list[str]


class OsvSeverity(BaseModel):
    """A CVSS vector."""

    type: Literal["CVSS_V2", "CVSS_V3", "CVSS_V4"]
    score: str


class OsvReference(BaseModel):
    """A typed URL."""

    type: Literal["ADVISORY", "PACKAGE", "REPORT", "WEB"]
    url: str


class OsvRecord(BaseModel):
    """An OSV record exactly as RustSec publishes it (https://ossf.github.io/osv-schema/)."""

    id: str
    modified: str = Field(description="Last commit that changed the advisory file (RFC 3339).")
    published: str = Field(description="Advisory date at 12:00:00Z.")
    withdrawn: str | None = Field(None, description="Present only for withdrawn advisories.")
    aliases: list[str]
    related: list[str]
    summary: str
    details: str = Field(description="Markdown description.")
    severity: list[OsvSeverity]
    affected: list[OsvAffected]
    references: list[OsvReference]
    database_specific: dict[str, str]


class CvssModel(BaseModel):
    """A CVSS vector with its base score and rating."""

    vector: str
    version: str = Field(description="CVSS version: 2.0, 3.0, 3.1 or 4.0.")
    base_score: float
    rating: Rating


class AdvisorySummary(BaseModel):
    """One advisory in a version status."""

    id: str
    kind: Kind
    title: str
    aliases: list[str]
    date: datetime.date
    cvss: CvssModel | None


class MaxSeverity(BaseModel):
    """The highest counted CVSS score among advisories affecting a version."""

    advisory: str = Field(description="The advisory the score comes from.")
    rating: Rating
    base_score: float
    cvss_version: str
    vector: str


class DatabaseModel(BaseModel):
    """The database state an answer comes from."""

    commit: str | None = Field(description="advisory-db commit; null when not a git checkout.")
    last_commit_time: datetime.datetime | None
    advisories: int = Field(description="Advisories against crates.io crates (withdrawn included).")
    crates: int = Field(description="Crates with at least one advisory.")


class VersionStatus(BaseModel):
    """Whether one version of a crate is affected by advisories."""

    crate: str
    version: str
    affected: bool = Field(
        description="Whether a vulnerability or unsoundness advisory affects it."
    )
    advisories: list[AdvisorySummary] = Field(
        description="Vulnerability and unsoundness advisories affecting the version."
    )
    informational: list[AdvisorySummary] = Field(
        description="Unmaintained, notice and other informational advisories applying to it."
    )
    max_severity: MaxSeverity | None
    severity_method: str
    database: DatabaseModel


class SearchCrate(BaseModel):
    """A crate matching a search."""

    name: str
    advisories: int = Field(description="Advisories on its Security tab (withdrawn not counted).")


class SearchAdvisory(BaseModel):
    """An advisory matching a search."""

    id: str
    package: str
    title: str
    kind: Kind
    aliases: list[str]
    withdrawn: bool


class SearchResponse(BaseModel):
    """Search results."""

    query: str
    crates: list[SearchCrate]
    advisories: list[SearchAdvisory]
