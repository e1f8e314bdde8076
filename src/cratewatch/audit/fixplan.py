"""The fix plan: for each vulnerable package, the smallest upgrade that fixes it and fits.

For a vulnerable ``NAME VERSION`` the plan looks at every published, non-yanked version of
NAME that no reported advisory affects, and picks the smallest one above the locked version
that every dependent's requirement accepts: that upgrade is ``cargo update -p NAME@VERSION
--precise FIXED``. When no such version exists, the plan names the smallest fixed version and
the dependents whose requirements block it (a semver-incompatible upgrade).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cratewatch.advisories.model import Advisory
from cratewatch.audit.model import AdvisoryFinding, AuditReport, FindingKind, FindingStatus
from cratewatch.errors import ParseError
from cratewatch.semver import Version, VersionReq

__all__ = [
    "Blocked",
    "Dependent",
    "FixStep",
    "NoFixedVersion",
    "PreciseUpdate",
    "Unknown",
    "plan_fixes",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Dependent:
    """A package that depends on the vulnerable one, with the requirement it states."""

    label: str
    """``name version`` of the dependent."""
    requirement: VersionReq | None
    """Its requirement on the vulnerable crate; None when it cannot be known (no index entry
    or manifest for a workspace member), which is shown rather than guessed."""


@dataclass(frozen=True, slots=True, kw_only=True)
class PreciseUpdate:
    """A compatible fix: every dependent accepts the fixed version."""

    name: str
    """Crate name."""
    current: Version
    """Locked version."""
    fixed: Version
    """Smallest non-affected version that every dependent accepts."""
    advisories: tuple[str, ...]
    """Advisory ids this update resolves."""

    @property
    def command(self) -> str:
        """The cargo command that applies the update."""
        return f"cargo update -p {self.name}@{self.current} --precise {self.fixed}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Blocked:
    """A fixed version exists but some dependents' requirements exclude it."""

    name: str
    """Crate name."""
    current: Version
    """Locked version."""
    fixed: Version
    """Smallest non-affected version above the locked one."""
    blockers: tuple[Dependent, ...]
    """Dependents whose requirement does not accept :attr:`fixed` (or is unknown)."""
    advisories: tuple[str, ...]
    """Advisory ids."""


@dataclass(frozen=True, slots=True, kw_only=True)
class NoFixedVersion:
    """No published version above the locked one is free of the advisories."""

    name: str
    """Crate name."""
    current: Version
    """Locked version."""
    advisories: tuple[str, ...]
    """Advisory ids."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Unknown:
    """The registry could not tell which versions exist."""

    name: str
    """Crate name."""
    current: Version
    """Locked version."""
    reason: str
    """Why."""
    advisories: tuple[str, ...]
    """Advisory ids."""


FixStep = PreciseUpdate | Blocked | NoFixedVersion | Unknown

PublishedVersions = Callable[[str], Sequence[tuple[str, bool]] | str]
"""name -> every published (version text, yanked) pair, or a reason string when unknown."""
DependentsOf = Callable[[str, Version], Sequence[Dependent]]
"""(name, version) -> the dependents of that locked package with their requirements."""


def plan_fixes(
    report: AuditReport,
    *,
    published: PublishedVersions,
    dependents: DependentsOf,
) -> tuple[FixStep, ...]:
    """One step per vulnerable (name, version) with reported vulnerability findings."""
    grouped: dict[tuple[str, Version], list[Advisory]] = {}
    for finding in report.findings:
        if (
            isinstance(finding, AdvisoryFinding)
            and finding.kind is FindingKind.VULNERABILITY
            and finding.status is FindingStatus.REPORTED
        ):
            key = (finding.package.name, finding.package.version)
            grouped.setdefault(key, []).append(finding.advisory)
    return tuple(
        _plan_one(name, version, advisories, published=published, dependents=dependents)
        for (name, version), advisories in sorted(grouped.items(), key=lambda kv: kv[0][0])
    )


def _plan_one(
    name: str,
    current: Version,
    advisories: list[Advisory],
    *,
    published: PublishedVersions,
    dependents: DependentsOf,
) -> FixStep:
    ids = tuple(a.id for a in advisories)
    found = published(name)
    if isinstance(found, str):
        return Unknown(name=name, current=current, reason=found, advisories=ids)
    candidates = sorted(
        v
        for v in _parsed(found)
        if v > current and not v.is_prerelease and not any(a.affects(v) for a in advisories)
    )
    if not candidates:
        return NoFixedVersion(name=name, current=current, advisories=ids)
    users = dependents(name, current)
    for candidate in candidates:
        if all(d.requirement is not None and d.requirement.matches(candidate) for d in users):
            return PreciseUpdate(name=name, current=current, fixed=candidate, advisories=ids)
    smallest = candidates[0]
    blockers = tuple(
        d for d in users if d.requirement is None or not d.requirement.matches(smallest)
    )
    return Blocked(name=name, current=current, fixed=smallest, blockers=blockers, advisories=ids)


def _parsed(found: Sequence[tuple[str, bool]]) -> list[Version]:
    versions = []
    for text, yanked in found:
        if yanked:
            continue
        try:
            versions.append(Version.parse(text))
        except ParseError:
            continue  # cargo never selects a version it cannot parse
    return versions
