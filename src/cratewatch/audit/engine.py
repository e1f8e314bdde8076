"""Matching packages against advisories: the heart of ``cratewatch audit`` (no I/O, no printing).

The rules follow cargo-audit (the rustsec crate's ``Query``), with the differences documented
in the README: ignores can carry a reason and an expiry date, findings below the severity
threshold or in packages that are not built are kept with a status instead of dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from cratewatch.advisories.database import AdvisoryDatabase
from cratewatch.advisories.model import Advisory, AdvisoryKind
from cratewatch.audit.model import (
    AdvisoryFinding,
    AuditedPackage,
    AuditReport,
    AuditSettings,
    Finding,
    FindingKind,
    FindingStatus,
    IgnoreRule,
    Severity,
    YankedCheck,
    YankedChecked,
    YankedFinding,
    finding_kind_of,
)

__all__ = ["CRATES_IO", "PathsOf", "audit_packages", "registry_key"]

CRATES_IO = "crates.io"
"""The registry key both spellings of crates.io normalise to."""

_CRATES_IO_URLS = frozenset(
    {
        "https://github.com/rust-lang/crates.io-index",
        "https://index.crates.io",
    }
)

PathsOf = Callable[[AuditedPackage], tuple[tuple[str, ...], ...]]


def registry_key(url: str) -> str:
    """Normalise a registry index URL so that equal registries compare equal.

    >>> registry_key("sparse+https://index.crates.io/")
    'crates.io'
    >>> registry_key("registry+https://github.com/rust-lang/crates.io-index")
    'crates.io'
    """
    bare = url.split("+", 1)[1] if url.startswith(("registry+", "sparse+")) else url
    bare = bare.rstrip("/")
    bare = bare.removesuffix(".git")
    return CRATES_IO if bare in _CRATES_IO_URLS else bare


def audit_packages(
    packages: Sequence[AuditedPackage],
    db: AdvisoryDatabase,
    settings: AuditSettings,
    *,
    paths: PathsOf,
    yanked_check: YankedCheck,
) -> AuditReport:
    """Match every package against *db* and judge each match under *settings*.

    *paths* gives the dependency paths of a package (only called for packages with findings);
    *yanked_check* is the outcome of asking the registry which versions are yanked.
    """
    findings: list[Finding] = []
    used_rules: set[IgnoreRule] = set()
    for package in packages:
        if package.registry_key is None:
            continue
        for advisory in db.for_package(package.name):
            if not _applies(advisory, package, settings):
                continue
            finding = _judge(advisory, package, settings, paths, used_rules)
            findings.append(finding)
        if isinstance(yanked_check, YankedChecked) and (
            FindingKind.YANKED in settings.informational
            and (package.name, str(package.version)) in yanked_check.yanked
        ):
            findings.append(_judge_yanked(package, settings, paths))
    findings.sort(key=_sort_key)
    unused = tuple(rule for rule in settings.ignore if rule not in used_rules)
    return AuditReport(
        findings=tuple(findings),
        package_count=len(packages),
        settings=settings,
        unused_ignores=unused,
        yanked_check=yanked_check,
    )


def _applies(advisory: Advisory, package: AuditedPackage, settings: AuditSettings) -> bool:
    if advisory.withdrawn is not None or advisory.collection != "crates":
        return False
    wanted_registry = registry_key(advisory.source) if advisory.source else CRATES_IO
    if package.registry_key != wanted_registry:
        return False
    kind = finding_kind_of(advisory.kind)
    if kind is not FindingKind.VULNERABILITY and kind not in settings.informational:
        return False
    if not _targets_overlap(advisory.affected.os, settings.target_os):
        return False
    if not _targets_overlap(advisory.affected.arch, settings.target_arch):
        return False
    return advisory.affects(package.version)


def _targets_overlap(affected: Iterable[str], wanted: frozenset[str]) -> bool:
    affected_set = frozenset(affected)
    return not (affected_set and wanted) or bool(affected_set & wanted)


def _judge(
    advisory: Advisory,
    package: AuditedPackage,
    settings: AuditSettings,
    paths: PathsOf,
    used_rules: set[IgnoreRule],
) -> AdvisoryFinding:
    kind = finding_kind_of(advisory.kind)
    status, note = FindingStatus.REPORTED, ""
    names = {advisory.id, *advisory.aliases}
    rule = next((r for r in settings.ignore if r.id in names), None)
    if rule is not None:
        used_rules.add(rule)
        if rule.until is not None and rule.until < settings.today:
            note = f"ignore expired on {rule.until.isoformat()} ({rule.origin})"
        else:
            status = FindingStatus.IGNORED
            until = f" until {rule.until.isoformat()}" if rule.until else ""
            note = f"ignored{until} ({rule.origin})" + (f": {rule.reason}" if rule.reason else "")
    if status is FindingStatus.REPORTED and _below_threshold(advisory, settings.severity_threshold):
        status = FindingStatus.BELOW_THRESHOLD
        note = f"severity below the threshold {settings.severity_threshold.name.lower()}"
    if status is FindingStatus.REPORTED and _not_built(package, settings):
        status, note = FindingStatus.NOT_BUILT, "not built with the selected features and target"
    return AdvisoryFinding(
        advisory=advisory,
        package=package,
        kind=kind,
        status=status,
        note=note,
        paths=paths(package),
    )


def _judge_yanked(
    package: AuditedPackage, settings: AuditSettings, paths: PathsOf
) -> YankedFinding:
    status, note = FindingStatus.REPORTED, ""
    if _not_built(package, settings):
        status, note = FindingStatus.NOT_BUILT, "not built with the selected features and target"
    return YankedFinding(package=package, status=status, note=note, paths=paths(package))


def _below_threshold(advisory: Advisory, threshold: Severity) -> bool:
    """Advisories without CVSS data always pass the threshold, as in cargo-audit."""
    if advisory.kind is not AdvisoryKind.VULNERABILITY or advisory.cvss is None:
        return False
    return Severity.parse(advisory.cvss.severity) < threshold


def _not_built(package: AuditedPackage, settings: AuditSettings) -> bool:
    return (package.name, str(package.version)) in settings.not_built


def _sort_key(finding: Finding) -> tuple[str, tuple[int, int, int], str]:
    version = finding.package.version
    return (finding.package.name, (version.major, version.minor, version.patch), finding.id)
