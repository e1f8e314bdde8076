"""The values an audit produces: findings, their kinds and statuses, the settings behind them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum

from cratewatch.advisories.model import Advisory, AdvisoryKind
from cratewatch.semver import Version

__all__ = [
    "AdvisoryFinding",
    "AuditReport",
    "AuditSettings",
    "AuditedPackage",
    "Finding",
    "FindingKind",
    "FindingStatus",
    "IgnoreRule",
    "Severity",
    "YankedCheck",
    "YankedChecked",
    "YankedFinding",
    "YankedNotRequested",
    "YankedUnavailable",
    "finding_kind_of",
]


class FindingKind(StrEnum):
    """What a finding is about; the JSON report uses these values."""

    VULNERABILITY = "vulnerability"
    UNSOUND = "unsound"
    UNMAINTAINED = "unmaintained"
    NOTICE = "notice"
    YANKED = "yanked"


class FindingStatus(StrEnum):
    """Whether a finding counts against the run."""

    REPORTED = "reported"
    """Shown, and fails the run when its kind is denied."""
    IGNORED = "ignored"
    """Matched an ignore rule that has not expired."""
    NOT_BUILT = "not-built"
    """The package is in the lockfile but not built for the chosen features/target."""
    BELOW_THRESHOLD = "below-threshold"
    """The advisory's CVSS severity is below ``--severity-threshold``."""


class Severity(IntEnum):
    """CVSS qualitative severity rating scale, ordered."""

    NONE = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @classmethod
    def parse(cls, text: str) -> Severity:
        """``Severity.parse("high") is Severity.HIGH``; raises ``ValueError`` on other text."""
        try:
            return cls[text.strip().upper()]
        except KeyError:
            choices = ", ".join(s.name.lower() for s in cls)
            raise ValueError(f"unknown severity {text!r} (expected one of {choices})") from None


def finding_kind_of(kind: AdvisoryKind) -> FindingKind:
    """The finding kind an advisory of *kind* produces (informational "other" reads as a notice)."""
    match kind:
        case AdvisoryKind.VULNERABILITY:
            return FindingKind.VULNERABILITY
        case AdvisoryKind.UNSOUND:
            return FindingKind.UNSOUND
        case AdvisoryKind.UNMAINTAINED:
            return FindingKind.UNMAINTAINED
        case AdvisoryKind.NOTICE | AdvisoryKind.OTHER:
            return FindingKind.NOTICE


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditedPackage:
    """A package as the auditor sees it, whichever input (lockfile, binary) it came from."""

    name: str
    """Crate name."""
    version: Version
    """Exact version."""
    source: str | None
    """Cargo's source id text (``registry+https://...``), or None for workspace/path packages."""
    registry_key: str | None
    """``crates.io`` or the normalised index URL for registry packages; None for path/git ones."""
    origin: str = ""
    """The input the package came from (a Cargo.lock or binary path)."""
    line: int | None = None
    """1-based line of the package's entry in the input file (Cargo.lock), when known."""


@dataclass(frozen=True, slots=True, kw_only=True)
class IgnoreRule:
    """An advisory the user chose to ignore, with why and until when."""

    id: str
    """Advisory id (or alias) to ignore."""
    reason: str = ""
    """Why it is ignored; shown in reports."""
    until: dt.date | None = None
    """Last day the ignore holds; after it the finding comes back, with a note."""
    origin: str = "command line"
    """Where the rule came from (``--ignore`` or a config file path)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditSettings:
    """Everything that changes which findings are reported and which fail the run."""

    ignore: tuple[IgnoreRule, ...] = ()
    """Ignore rules."""
    deny: frozenset[FindingKind] = frozenset({FindingKind.VULNERABILITY})
    """Kinds that fail the run; vulnerabilities always do."""
    informational: frozenset[FindingKind] = frozenset(
        {FindingKind.UNSOUND, FindingKind.UNMAINTAINED, FindingKind.NOTICE, FindingKind.YANKED}
    )
    """Non-vulnerability kinds that are reported at all."""
    target_os: frozenset[str] = frozenset()
    """Only advisories for these operating systems (empty: all)."""
    target_arch: frozenset[str] = frozenset()
    """Only advisories for these CPU architectures (empty: all)."""
    severity_threshold: Severity = Severity.NONE
    """Vulnerabilities with a CVSS rating below this are marked below-threshold."""
    today: dt.date = field(default_factory=dt.date.today)
    """The date ignore expiries are judged against."""
    not_built: frozenset[tuple[str, str]] = frozenset()
    """(name, version) of lockfile packages not built for the chosen features/target."""


@dataclass(frozen=True, slots=True, kw_only=True)
class AdvisoryFinding:
    """A package version affected by an advisory."""

    advisory: Advisory
    """The matching advisory."""
    package: AuditedPackage
    """The affected package."""
    kind: FindingKind
    """The finding's kind, from the advisory."""
    status: FindingStatus
    """Whether it counts."""
    note: str = ""
    """Why the status is what it is (ignore reason, expiry, threshold)."""
    paths: tuple[tuple[str, ...], ...] = ()
    """Dependency paths from a workspace root down to the package, as ``name version`` strings."""

    @property
    def id(self) -> str:
        """The advisory id."""
        return self.advisory.id


@dataclass(frozen=True, slots=True, kw_only=True)
class YankedFinding:
    """A package version that its registry has yanked."""

    package: AuditedPackage
    """The yanked package."""
    status: FindingStatus
    """Whether it counts."""
    note: str = ""
    """Why the status is what it is."""
    paths: tuple[tuple[str, ...], ...] = ()
    """Dependency paths from a workspace root down to the package."""
    kind: FindingKind = FindingKind.YANKED
    """Always ``yanked``."""

    @property
    def id(self) -> str:
        """A stable id for the finding (yanked findings have no advisory)."""
        return f"yanked:{self.package.name}@{self.package.version}"


Finding = AdvisoryFinding | YankedFinding


@dataclass(frozen=True, slots=True, kw_only=True)
class YankedChecked:
    """The registry was asked about every crates.io package."""

    yanked: frozenset[tuple[str, str]]
    """(name, version) pairs that are yanked."""


@dataclass(frozen=True, slots=True, kw_only=True)
class YankedUnavailable:
    """Yanked status could not be determined; the rest of the audit still ran."""

    reason: str
    """Why (offline, index unreachable ...)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class YankedNotRequested:
    """The user turned the yanked check off."""


YankedCheck = YankedChecked | YankedUnavailable | YankedNotRequested


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditReport:
    """The outcome of auditing one package set."""

    findings: tuple[Finding, ...]
    """Every finding, reported or not, sorted by package then id."""
    package_count: int
    """How many packages were audited."""
    settings: AuditSettings
    """The settings used."""
    unused_ignores: tuple[IgnoreRule, ...]
    """Ignore rules that matched nothing (stale config)."""
    yanked_check: YankedCheck
    """What happened to the yanked check."""

    @property
    def failing(self) -> tuple[Finding, ...]:
        """Reported findings of a denied kind: the run fails when this is non-empty."""
        deny = self.settings.deny | {FindingKind.VULNERABILITY}
        return tuple(
            f for f in self.findings if f.status is FindingStatus.REPORTED and f.kind in deny
        )

    def counts(self) -> dict[str, int]:
        """Reported findings per kind (every kind present, zero when none)."""
        counts = {kind.value: 0 for kind in FindingKind}
        for finding in self.findings:
            if finding.status is FindingStatus.REPORTED:
                counts[finding.kind.value] += 1
        return counts
