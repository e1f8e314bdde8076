"""``check advisories``: crates with advisories against them, and yanked crate versions.

Matching is :func:`cratewatch.audit.engine.audit_packages` (cargo-audit's rules: the crate's
registry, withdrawn advisories skipped, the patched/unaffected versions); cargo-deny's
semantics sit on top. Every matched advisory is an error unless an ``ignore`` entry names it
(by id or alias; a note then), except that unmaintained and unsound advisories only apply to
the crates their scope selects (``workspace``: direct dependencies of workspace members,
``transitive``: the others). With the deprecated 0.14 keys, each kind gets its lint level and
vulnerabilities below ``severity-threshold`` are ignored. Several databases (``db-urls``) are
checked and an advisory found in more than one is reported once. ``ignore`` entries that
matched nothing are reported (``unused-ignored-advisory``), as are ignored ids no database
knows. Yanked versions come from a :data:`YankLookup` the caller provides (a registry index);
a database older than ``maximum-db-staleness`` fails the check.

>>> from cratewatch.policy.config import parse_config
>>> from cratewatch.policy.graph import CrateGraph
>>> check_advisories(CrateGraph(krates=(), edges=(), roots=()), parse_config(""), databases=())
()
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cratewatch.advisories.database import AdvisoryDatabase
from cratewatch.advisories.model import Advisory
from cratewatch.audit.engine import audit_packages, registry_key
from cratewatch.audit.model import (
    AdvisoryFinding,
    AuditedPackage,
    AuditSettings,
    FindingKind,
    FindingStatus,
    YankedNotRequested,
)
from cratewatch.audit.model import (
    Severity as CvssSeverity,
)
from cratewatch.policy.config.model import AdvisoryIgnore, PolicyConfig, Scope
from cratewatch.policy.diagnostics import Check, Diagnostic, LintLevel, Severity
from cratewatch.policy.graph import CrateGraph, Krate
from cratewatch.policy.labels import Labeller, crate_ref, labels

__all__ = ["YankFailed", "YankLookup", "YankStatus", "check_advisories"]


@dataclass(frozen=True, slots=True, kw_only=True)
class YankFailed:
    """The registry could not say whether the crate version is yanked."""

    reason: str
    """Why (offline, index unreachable...)."""


YankStatus = bool | YankFailed
"""Whether a crate version is yanked, or why that is unknown."""
YankLookup = Callable[[Krate], YankStatus]
"""Asks the crate's registry whether a version is yanked (registry crates only)."""

_MESSAGES = {
    FindingKind.VULNERABILITY: ("vulnerability", "security vulnerability detected"),
    FindingKind.NOTICE: ("notice", "notice advisory detected"),
    FindingKind.UNMAINTAINED: ("unmaintained", "unmaintained advisory detected"),
    FindingKind.UNSOUND: ("unsound", "unsound advisory detected"),
}


def check_advisories(
    graph: CrateGraph,
    config: PolicyConfig,
    *,
    databases: Sequence[AdvisoryDatabase],
    yanked: YankLookup | None = None,
    now: dt.datetime | None = None,
) -> tuple[Diagnostic, ...]:
    """Run the advisories check against *databases* (and the yanked check with *yanked*)."""
    cfg = config.advisories
    labeller = Labeller(config_path=config.path, lockfile=graph.lockfile)
    out: list[Diagnostic] = []
    out.extend(_staleness(databases, cfg.maximum_db_staleness, now or dt.datetime.now(dt.UTC)))
    packages = [_audited(k) for k in graph.krates]
    by_key = {
        (p.name, str(p.version), p.source): k for p, k in zip(packages, graph.krates, strict=True)
    }
    ignore_hits = [False] * len(cfg.ignore)
    seen: set[tuple[str, str]] = set()
    settings = AuditSettings(
        informational=frozenset(
            {FindingKind.UNSOUND, FindingKind.UNMAINTAINED, FindingKind.NOTICE}
        ),
    )
    for db in databases:
        report = audit_packages(
            [p for p in packages if p.registry_key is not None],
            db,
            settings,
            paths=lambda _p: (),
            yanked_check=YankedNotRequested(),
        )
        for finding in report.findings:
            if (
                not isinstance(finding, AdvisoryFinding)
                or finding.status is not FindingStatus.REPORTED
            ):
                continue
            krate = by_key[
                (finding.package.name, str(finding.package.version), finding.package.source)
            ]
            key = (finding.advisory.id, krate.id)
            if key in seen:
                continue
            seen.add(key)
            out.extend(
                _diagnose(graph, krate, finding, config, labeller=labeller, ignore_hits=ignore_hits)
            )
    out.extend(_unused_ignores(config, databases, ignore_hits, labeller))
    if yanked is not None and cfg.yanked is not LintLevel.ALLOW and not cfg.disable_yank_checking:
        out.extend(_yanked(graph, config, yanked, labeller))
    return tuple(out)


def _audited(krate: Krate) -> AuditedPackage:
    source = krate.source
    key = registry_key(source.to_url()) if source is not None and source.is_registry else None
    return AuditedPackage(
        name=krate.name,
        version=krate.version,
        source=None if source is None else source.to_url(),
        registry_key=key,
        line=krate.lock_line,
    )


def _in_scope(graph: CrateGraph, krate: Krate, scope: Scope) -> bool:
    if scope is Scope.ALL:
        return True
    if scope is Scope.NONE:
        return False
    direct = graph.is_direct_workspace_dependency(graph.index(krate.id))
    return direct if scope is Scope.WORKSPACE else not direct


def _level(finding: AdvisoryFinding, config: PolicyConfig) -> LintLevel | None:
    """The lint level of a match, ``None`` when its scope or threshold leaves it out."""
    cfg = config.advisories
    match finding.kind:
        case FindingKind.VULNERABILITY:
            threshold = cfg.severity_threshold
            cvss = finding.advisory.cvss
            below = (
                threshold is not None
                and cvss is not None
                and CvssSeverity.parse(cvss.severity) < CvssSeverity.parse(threshold)
            )
            if below:
                return None
            return cfg.vulnerability
        case FindingKind.NOTICE:
            return cfg.notice
        case FindingKind.UNMAINTAINED:
            return cfg.unmaintained_level
        case FindingKind.UNSOUND:
            return cfg.unsound_level
        case FindingKind.YANKED:
            return cfg.yanked


def _diagnose(
    graph: CrateGraph,
    krate: Krate,
    finding: AdvisoryFinding,
    config: PolicyConfig,
    *,
    labeller: Labeller,
    ignore_hits: list[bool],
) -> list[Diagnostic]:
    cfg = config.advisories
    advisory = finding.advisory
    scope = {FindingKind.UNMAINTAINED: cfg.unmaintained, FindingKind.UNSOUND: cfg.unsound}.get(
        finding.kind
    )
    if scope is not None and not _in_scope(graph, krate, scope):
        return []
    level = _level(finding, config)
    out = []
    names = {advisory.id, *advisory.aliases}
    ignored = next((n for n, rule in enumerate(cfg.ignore) if rule.id.value in names), None)
    if ignored is not None:
        ignore_hits[ignored] = True
        rule = cfg.ignore[ignored]
        out.append(
            Diagnostic(
                code="advisory-ignored",
                severity=Severity.NOTE,
                check=Check.ADVISORIES,
                message="advisory ignored",
                crates=(crate_ref(krate),),
                notes=(f"ID: {advisory.id}",)
                + ((f"reason: {rule.reason.value}",) if rule.reason else ()),
                labels=labels(
                    labeller.config(rule.id.at, "advisory ignored here"),
                    None
                    if rule.reason is None
                    else labeller.config(rule.reason.at, "ignore reason", primary=False),
                ),
            )
        )
        severity = Severity.NOTE
    elif level is None:
        severity = Severity.NOTE
    else:
        severity = level.severity
    code, label = _MESSAGES[finding.kind]
    out.append(
        Diagnostic(
            code=code,
            severity=severity,
            check=Check.ADVISORIES,
            message=advisory.title,
            crates=(crate_ref(krate),),
            notes=_notes(advisory, krate),
            labels=labels(labeller.lock(krate, label)),
        )
    )
    return out


def _notes(advisory: Advisory, krate: Krate) -> tuple[str, ...]:
    notes = [f"ID: {advisory.id}"]
    if advisory.id.startswith("RUSTSEC-"):
        notes.append(f"Advisory: https://rustsec.org/advisories/{advisory.id}")
    if advisory.description.strip():
        notes.append(advisory.description.strip())
    if advisory.url:
        notes.append(f"Announcement: {advisory.url}")
    if advisory.cvss is not None:
        notes.append(f"Severity: {advisory.cvss.base_score} ({advisory.cvss.severity})")
    if advisory.patched:
        fixed = " OR ".join(str(req) for req in advisory.patched)
        notes.append(f"Solution: Upgrade to {fixed} (try `cargo update -p {krate.name}`)")
    else:
        notes.append("Solution: No safe upgrade is available!")
    return tuple(notes)


def _unused_ignores(
    config: PolicyConfig,
    databases: Sequence[AdvisoryDatabase],
    hits: list[bool],
    labeller: Labeller,
) -> list[Diagnostic]:
    cfg = config.advisories
    out = []
    for hit, rule in zip(hits, cfg.ignore, strict=True):
        if hit:
            continue
        if databases and not any(_known(db, rule) for db in databases):
            out.append(
                Diagnostic(
                    code="unknown-advisory",
                    severity=Severity.WARNING,
                    check=Check.ADVISORIES,
                    message="advisory not found in any advisory database",
                    labels=labels(labeller.config(rule.id.at, "unknown advisory")),
                )
            )
        if cfg.unused_ignored_advisory is not LintLevel.ALLOW:
            out.append(
                Diagnostic(
                    code="advisory-not-detected",
                    severity=cfg.unused_ignored_advisory.severity,
                    check=Check.ADVISORIES,
                    message="advisory was not encountered",
                    labels=labels(
                        labeller.config(rule.id.at, "no crate matched advisory criteria")
                    ),
                )
            )
    return out


def _known(db: AdvisoryDatabase, rule: AdvisoryIgnore) -> bool:
    wanted = rule.id.value
    return db.get(wanted) is not None or any(wanted in a.aliases for a in db.advisories)


def _yanked(
    graph: CrateGraph, config: PolicyConfig, lookup: YankLookup, labeller: Labeller
) -> list[Diagnostic]:
    cfg = config.advisories
    hits = [False] * len(cfg.ignore_yanked)
    out = []
    for krate in graph.krates:
        if krate.source is None or not krate.source.is_registry:
            continue
        status = lookup(krate)
        if isinstance(status, YankFailed):
            out.append(
                Diagnostic(
                    code="index-failure",
                    severity=Severity.WARNING,
                    check=Check.ADVISORIES,
                    message="unable to check for yanked crates",
                    crates=(crate_ref(krate),),
                    notes=(status.reason,),
                    labels=labels(
                        labeller.lock(krate, "crate whose registry we failed to query"),
                        labeller.config(cfg.yanked_at, "lint level defined here", primary=False),
                    ),
                )
            )
            continue
        if not status:
            continue
        ignore = next((n for n, e in enumerate(cfg.ignore_yanked) if e.spec.matches(krate)), None)
        if ignore is not None:
            hits[ignore] = True
            out.append(
                Diagnostic(
                    code="yanked-ignored",
                    severity=Severity.NOTE,
                    check=Check.ADVISORIES,
                    message=f"yanked crate '{krate.name} = {krate.version}' detected, but ignored",
                    crates=(crate_ref(krate),),
                    labels=labels(
                        labeller.config(cfg.ignore_yanked[ignore].spec.at, "yanked ignore")
                    ),
                )
            )
            continue
        out.append(
            Diagnostic(
                code="yanked",
                severity=cfg.yanked.severity,
                check=Check.ADVISORIES,
                message=f"detected yanked crate (try `cargo update -p {krate.name}`)",
                crates=(crate_ref(krate),),
                labels=labels(labeller.lock(krate, "yanked version")),
            )
        )
    for hit, entry in zip(hits, cfg.ignore_yanked, strict=True):
        if not hit and cfg.unused_ignored_advisory is not LintLevel.ALLOW:
            out.append(
                Diagnostic(
                    code="yanked-not-detected",
                    severity=cfg.unused_ignored_advisory.severity,
                    check=Check.ADVISORIES,
                    message="yanked crate was not encountered",
                    labels=labels(labeller.config(entry.spec.at, "yanked crate not detected")),
                )
            )
    return out


def _staleness(
    databases: Sequence[AdvisoryDatabase], maximum: dt.timedelta, now: dt.datetime
) -> list[Diagnostic]:
    out = []
    for db in databases:
        last = db.info.last_commit_time
        if last is None or now - last <= maximum:
            continue
        age = (now - last).days
        out.append(
            Diagnostic(
                code="advisory-db-stale",
                severity=Severity.ERROR,
                check=Check.ADVISORIES,
                message=(
                    f"{db.info.source}: the advisory database's last commit is {age} days old, "
                    f"more than maximum-db-staleness ({maximum.days} days)"
                ),
                notes=(
                    "fetch the database again (cratewatch db update) or raise maximum-db-staleness",
                ),
            )
        )
    return out
