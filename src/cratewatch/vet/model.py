"""The values of cargo-vet's store (``supply-chain/``): config.toml, audits.toml, imports.lock.

The shapes follow cargo-vet's ``format.rs``: audit entries are full (``version``), delta
(``delta = "A -> B"``) or violations (``violation = "REQ"``); criteria have ``implies``;
``[policy]`` entries are keyed by crate name or ``"name:version"``; imports.lock caches the
imported audits files and the crates.io publisher records trusted entries rely on.

>>> VetVersion.parse("1.2.3@git:" + "a" * 40).git_rev == "a" * 40
True
>>> str(DeltaAudit(from_=VetVersion.parse("1.0.0"), to=VetVersion.parse("1.1.0")))
'1.0.0 -> 1.1.0'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from cratewatch.errors import ParseError
from cratewatch.semver import InvalidVersion, Version, VersionReq

__all__ = [
    "SAFE_TO_DEPLOY",
    "SAFE_TO_RUN",
    "AuditEntry",
    "AuditKind",
    "AuditsFile",
    "ConfigFile",
    "CratesPublisher",
    "CriteriaEntry",
    "DeltaAudit",
    "Exemption",
    "FullAudit",
    "ImportsLock",
    "InvalidVetStore",
    "PolicyEntry",
    "RemoteImport",
    "Store",
    "TrustEntry",
    "UnpublishedEntry",
    "VetVersion",
    "ViolationAudit",
    "WildcardEntry",
]

SAFE_TO_RUN = "safe-to-run"
"""Built-in criteria: the crate can be compiled, run and tested on a workstation or CI."""
SAFE_TO_DEPLOY = "safe-to-deploy"
"""Built-in criteria: the crate can ship in a product; implies ``safe-to-run``."""


class InvalidVetStore(ParseError):
    """A supply-chain file is malformed; the message names the file and the field."""


def _empty() -> Mapping[str, Any]:
    return MappingProxyType({})


@dataclass(frozen=True, slots=True, kw_only=True, order=True)
class VetVersion:
    """A version as cargo-vet writes it: semver, optionally ``@git:COMMIT``."""

    version: Version
    """The semver version."""
    git_rev: str | None = None
    """The 40-hex-digit commit of a git-sourced version."""

    @classmethod
    def parse(cls, text: str) -> VetVersion:
        """Parse ``1.2.3`` or ``1.2.3@git:COMMIT``; raises ``ValueError`` with the reason."""
        semver, at, rev = text.partition("@")
        git_rev = None
        if at:
            rev = rev.strip()
            if not rev.startswith("git:"):
                raise ValueError(f"{text!r}: unknown revision kind (expected @git:COMMIT)")
            git_rev = rev[4:]
            if len(git_rev) != 40 or any(c not in "0123456789abcdefABCDEF" for c in git_rev):
                raise ValueError(f"{text!r}: a git revision must be 40 hex digits")
        try:
            return cls(version=Version.parse(semver.strip()), git_rev=git_rev)
        except InvalidVersion as e:
            raise ValueError(f"{text!r} is not a valid version: {e.reason}") from e

    def __str__(self) -> str:
        return str(self.version) if self.git_rev is None else f"{self.version}@git:{self.git_rev}"


@dataclass(frozen=True, slots=True, kw_only=True)
class FullAudit:
    """``version = "X"``: the whole of version X was audited."""

    version: VetVersion
    """The audited version."""

    def __str__(self) -> str:
        return str(self.version)


@dataclass(frozen=True, slots=True, kw_only=True)
class DeltaAudit:
    """``delta = "A -> B"``: the changes from A to B were audited."""

    from_: VetVersion
    """The version the diff starts from."""
    to: VetVersion
    """The version it ends at."""

    def __str__(self) -> str:
        return f"{self.from_} -> {self.to}"


@dataclass(frozen=True, slots=True, kw_only=True)
class ViolationAudit:
    """``violation = "REQ"``: the matching versions fail the listed criteria."""

    req: VersionReq
    """The versions it covers."""
    text: str
    """The requirement as written."""

    def __str__(self) -> str:
        return self.text


AuditKind = FullAudit | DeltaAudit | ViolationAudit
"""What an audit entry certifies."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditEntry:
    """One ``[[audits.CRATE]]`` entry."""

    who: tuple[str, ...]
    """Who performed the audit (``Name <email>``)."""
    criteria: tuple[str, ...]
    """The criteria certified (or violated)."""
    kind: AuditKind
    """Full, delta or violation."""
    notes: str | None = None
    """Free-form notes."""
    importable: bool = True
    """Whether others importing this file see the entry (``importable = false`` hides it)."""
    aggregated_from: tuple[str, ...] = ()
    """Sources this entry was aggregated from (``cargo vet aggregate``)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CriteriaEntry:
    """A ``[criteria.NAME]`` definition."""

    description: str | None = None
    """What it means."""
    description_url: str | None = None
    """Where its description is published."""
    implies: tuple[str, ...] = ()
    """Criteria it implies."""
    aggregated_from: tuple[str, ...] = ()
    """Sources it was aggregated from."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TrustEntry:
    """A ``[[trusted.CRATE]]`` entry: versions a crates.io user published in a window."""

    criteria: tuple[str, ...]
    """The criteria trusted."""
    user_id: int
    """The crates.io user id."""
    start: dt.date
    """First publication day covered (UTC)."""
    end: dt.date
    """Last publication day covered (UTC)."""
    notes: str | None = None
    """Free-form notes."""
    aggregated_from: tuple[str, ...] = ()
    """Sources it was aggregated from."""


@dataclass(frozen=True, slots=True, kw_only=True)
class WildcardEntry:
    """A ``[[wildcard-audits.CRATE]]`` entry: like a trust entry, with auditors."""

    who: tuple[str, ...]
    """Who vouches."""
    criteria: tuple[str, ...]
    """The criteria certified."""
    user_id: int
    """The crates.io user id."""
    start: dt.date
    """First publication day covered."""
    end: dt.date
    """Last publication day covered."""
    renew: bool | None = None
    """Whether a renewal should be suggested."""
    notes: str | None = None
    """Free-form notes."""
    aggregated_from: tuple[str, ...] = ()
    """Sources it was aggregated from."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditsFile:
    """audits.toml (own, or one import's section of imports.lock)."""

    criteria: Mapping[str, CriteriaEntry] = field(default_factory=_empty)
    """Custom criteria."""
    wildcard_audits: Mapping[str, tuple[WildcardEntry, ...]] = field(default_factory=_empty)
    """Wildcard audits by crate."""
    audits: Mapping[str, tuple[AuditEntry, ...]] = field(default_factory=_empty)
    """Audit entries by crate."""
    trusted: Mapping[str, tuple[TrustEntry, ...]] = field(default_factory=_empty)
    """Trusted publishers by crate."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicyEntry:
    """A ``[policy.CRATE]`` or ``[policy."CRATE:VERSION"]`` table."""

    audit_as_crates_io: bool | None = None
    """Treat this first-party crate as a crates.io one (it then needs audits)."""
    criteria: tuple[str, ...] | None = None
    """Criteria the crate and its dependencies must meet (``None``: inherited/default)."""
    dev_criteria: tuple[str, ...] | None = None
    """Criteria its dev-dependencies must meet."""
    dependency_criteria: Mapping[str, tuple[str, ...]] = field(default_factory=_empty)
    """Per-dependency overrides."""
    notes: str | None = None
    """Free-form notes."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Exemption:
    """An ``[[exemptions.CRATE]]`` entry: a version used without the required audits."""

    version: VetVersion
    """The exempted version."""
    criteria: tuple[str, ...]
    """The criteria waived."""
    suggest: bool = True
    """Whether ``suggest`` may propose replacing it with an audit."""
    notes: str | None = None
    """Free-form notes."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoteImport:
    """An ``[imports.NAME]`` table."""

    urls: tuple[str, ...]
    """Where the foreign audits.toml is (one or several URLs; a path works too)."""
    exclude: tuple[str, ...] = ()
    """Crates whose entries are not imported."""
    criteria_map: Mapping[str, tuple[str, ...]] = field(default_factory=_empty)
    """Foreign criteria -> local criteria."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ConfigFile:
    """config.toml."""

    store_version: str | None = None
    """``[cargo-vet] version``."""
    default_criteria: str = SAFE_TO_DEPLOY
    """The criteria ``certify`` uses by default."""
    imports: Mapping[str, RemoteImport] = field(default_factory=_empty)
    """Imported audit sets by name."""
    policy: Mapping[str, PolicyEntry] = field(default_factory=_empty)
    """Policies by key (``name`` or ``name:version``)."""
    exemptions: Mapping[str, tuple[Exemption, ...]] = field(default_factory=_empty)
    """Exemptions by crate."""

    def policy_for(self, name: str, version: Version) -> PolicyEntry | None:
        """The policy of *name* at *version* (a versioned key wins over the bare name)."""
        return self.policy.get(f"{name}:{version}") or self.policy.get(name)


@dataclass(frozen=True, slots=True, kw_only=True, order=True)
class CratesPublisher:
    """A ``[[publisher.CRATE]]`` record: who published a version, when."""

    version: VetVersion
    """The published version."""
    when: dt.date
    """The publication day (UTC)."""
    user_id: int
    """The publisher's crates.io id."""
    user_login: str
    """The publisher's login."""
    user_name: str | None = None
    """The publisher's display name."""


@dataclass(frozen=True, slots=True, kw_only=True, order=True)
class UnpublishedEntry:
    """An ``[[unpublished.CRATE]]`` record: an unpublished version audited as another."""

    version: VetVersion
    """The version in the graph (not on crates.io)."""
    audited_as: VetVersion
    """The published version whose audits stand for it."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportsLock:
    """imports.lock."""

    unpublished: Mapping[str, tuple[UnpublishedEntry, ...]] = field(default_factory=_empty)
    """Unpublished versions by crate."""
    publisher: Mapping[str, tuple[CratesPublisher, ...]] = field(default_factory=_empty)
    """Publisher records by crate."""
    audits: Mapping[str, AuditsFile] = field(default_factory=_empty)
    """The imported audits files by import name."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Store:
    """The three files of a store."""

    path: Path
    """The store directory (``supply-chain``)."""
    config: ConfigFile
    """config.toml."""
    audits: AuditsFile
    """audits.toml."""
    imports: ImportsLock
    """imports.lock (empty when absent)."""
