"""Audit findings as VEX statements: which component is affected by which advisory, and why not.

:func:`statements_from_report` turns an :class:`~cratewatch.audit.model.AuditReport` into
:class:`VexStatement` values the SBOM writers embed (CycloneDX ``vulnerabilities``, SPDX
security references) or write alone (``cratewatch sbom --vex-only``):

* a reported (or below-threshold) finding: the component is **affected**;
* a finding in a package the selected features/target never build: **not affected**,
  justification ``code_not_present``;
* an ignored finding whose ignore reason starts with a CycloneDX justification
  (``code_not_reachable: we never call X``; ``-`` may replace ``_``): **not affected** with that
  justification, the rest of the reason as detail;
* any other ignored finding: **will not fix**, the ignore reason as detail.

One statement per advisory and analysis; its ``affects`` lists every affected component.

>>> justification_of("code-not-reachable: only the CLI calls it")
('code_not_reachable', 'only the CLI calls it')
>>> justification_of("upstream is dead") is None
True
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import assert_never

from cratewatch.advisories.cvss import CvssScore
from cratewatch.audit.model import AdvisoryFinding, AuditReport, FindingStatus, IgnoreRule
from cratewatch.sbom.model import ComponentGraph

__all__ = [
    "JUSTIFICATIONS",
    "VexState",
    "VexStatement",
    "justification_of",
    "rustsec_url",
    "statements_from_report",
]

JUSTIFICATIONS = (
    "code_not_present",
    "code_not_reachable",
    "requires_configuration",
    "requires_dependency",
    "requires_environment",
    "protected_by_compiler",
    "protected_at_runtime",
    "protected_at_perimeter",
    "protected_by_mitigating_control",
)
"""CycloneDX impact-analysis justifications an ignore reason may start with."""

NOT_BUILT_DETAIL = "not built with the selected features and target"


class VexState(StrEnum):
    """What the statement says about the affected components."""

    AFFECTED = "affected"
    """The finding stands (no analysis is written)."""
    NOT_AFFECTED = "not_affected"
    """The vulnerable code is not present or not reachable (with a justification)."""
    WILL_NOT_FIX = "will_not_fix"
    """Ignored on purpose, without a justification: the risk is accepted."""


@dataclass(frozen=True, slots=True, kw_only=True)
class VexStatement:
    """One advisory against one or more components, with one analysis."""

    ref: str
    """Unique id of the statement (the advisory id, suffixed when split by analysis)."""
    id: str
    """The advisory id (``RUSTSEC-YYYY-NNNN``)."""
    kind: str
    """The finding kind (vulnerability, unsound, unmaintained, notice)."""
    title: str
    """The advisory title."""
    description: str
    """The advisory text (Markdown)."""
    url: str
    """The advisory's page on rustsec.org."""
    references: tuple[str, ...]
    """Further URLs (the announcement first)."""
    aliases: tuple[str, ...]
    """CVE / GHSA ids of the same issue."""
    cvss: CvssScore | None
    """The CVSS rating, when the advisory has one."""
    published: dt.date
    """The advisory date."""
    affects: tuple[tuple[str, str], ...]
    """(component ref, version) of every affected component."""
    state: VexState
    """The analysis."""
    justification: str | None = None
    """One of :data:`JUSTIFICATIONS` (not-affected statements)."""
    detail: str | None = None
    """Why (the ignore reason, or the not-built note)."""
    status: FindingStatus = FindingStatus.REPORTED
    """The audit status behind the analysis."""


def rustsec_url(advisory_id: str) -> str:
    """The advisory's page on rustsec.org."""
    return f"https://rustsec.org/advisories/{advisory_id}.html"


def justification_of(reason: str) -> tuple[str, str] | None:
    """``(justification, detail)`` when *reason* starts with a justification and a colon."""
    head, colon, rest = reason.partition(":")
    key = head.strip().lower().replace("-", "_")
    if not colon or key not in JUSTIFICATIONS:
        return None
    return key, rest.strip()


def statements_from_report(report: AuditReport, graph: ComponentGraph) -> tuple[VexStatement, ...]:
    """The advisory findings of *report* as statements about the components of *graph*
    (findings in packages the graph does not have are left out; yanked findings too)."""
    groups: dict[tuple[str, VexState, str | None, str | None, FindingStatus], list[AdvisoryFinding]]
    groups = {}
    for finding in report.findings:
        if not isinstance(finding, AdvisoryFinding):
            continue
        package = finding.package
        component = graph.find(package.name, str(package.version), package.source)
        if component is None:
            continue
        state, justification, detail = _analysis(finding, report.settings.ignore)
        key = (finding.id, state, justification, detail, finding.status)
        groups.setdefault(key, []).append(finding)
    statements: list[VexStatement] = []
    used: dict[str, int] = {}
    for (advisory_id, state, justification, detail, status), findings in sorted(
        groups.items(), key=lambda item: (item[0][0], item[0][1].value, item[0][4].value)
    ):
        advisory = findings[0].advisory
        n = used.get(advisory_id, 0)
        used[advisory_id] = n + 1
        affects = {(_ref(graph, f), str(f.package.version)) for f in findings if _ref(graph, f)}
        statements.append(
            VexStatement(
                ref=advisory_id if n == 0 else f"{advisory_id}:{n + 1}",
                id=advisory_id,
                kind=findings[0].kind.value,
                title=advisory.title,
                description=advisory.description,
                url=rustsec_url(advisory_id),
                references=tuple(
                    dict.fromkeys(
                        ([advisory.url] if advisory.url else []) + list(advisory.references)
                    )
                ),
                aliases=advisory.aliases,
                cvss=advisory.cvss,
                published=advisory.date,
                affects=tuple(sorted(affects)),
                state=state,
                justification=justification,
                detail=detail,
                status=status,
            )
        )
    return tuple(statements)


def _ref(graph: ComponentGraph, finding: AdvisoryFinding) -> str:
    package = finding.package
    component = graph.find(package.name, str(package.version), package.source)
    return "" if component is None else component.ref


def _analysis(
    finding: AdvisoryFinding, rules: Sequence[IgnoreRule]
) -> tuple[VexState, str | None, str | None]:
    match finding.status:
        case FindingStatus.NOT_BUILT:
            return VexState.NOT_AFFECTED, "code_not_present", NOT_BUILT_DETAIL
        case FindingStatus.IGNORED:
            names = {finding.advisory.id, *finding.advisory.aliases}
            rule = next((r for r in rules if r.id in names), None)
            reason = rule.reason if rule is not None and rule.reason else finding.note
            parsed = justification_of(reason)
            if parsed is not None:
                return VexState.NOT_AFFECTED, parsed[0], parsed[1] or None
            return VexState.WILL_NOT_FIX, None, reason or None
        case FindingStatus.REPORTED | FindingStatus.BELOW_THRESHOLD:
            return VexState.AFFECTED, None, None
        case _:
            assert_never(finding.status)
