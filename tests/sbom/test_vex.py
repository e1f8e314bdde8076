"""Audit findings to VEX statements: state, justification and detail for each audit status."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cratewatch.advisories.cvss import parse_cvss
from cratewatch.advisories.database import AdvisoryDatabase, DatabaseInfo
from cratewatch.advisories.model import Advisory, Collection
from cratewatch.audit.engine import audit_packages
from cratewatch.audit.inputs import from_lockfile
from cratewatch.audit.model import AuditSettings, FindingStatus, IgnoreRule, YankedNotRequested
from cratewatch.lockfile import load_lockfile
from cratewatch.sbom.model import ComponentGraph
from cratewatch.sbom.vex import VexState, justification_of, statements_from_report
from cratewatch.semver import VersionReq

ITOA = "pkg:cargo/itoa@1.0.11"


def _advisory(id: str, package: str, **extra: object) -> Advisory:
    return Advisory(
        id=id,
        package=package,
        date=dt.date(2024, 3, 4),
        title=f"{package} flaw",
        description="Longer text.",
        url="https://github.com/example/issues/9",
        patched=(VersionReq.parse(">= 99.0.0"),),
        collection=Collection.CRATES,
        path=f"crates/{package}/{id}.md",
        **extra,  # type: ignore[arg-type]
    )


def _report(workspace: Path, advisories: list[Advisory], settings: AuditSettings):  # type: ignore[no-untyped-def]
    info = DatabaseInfo(source="test", path=Path("."), commit="a" * 40, last_commit_time=None)
    database = AdvisoryDatabase(tuple(advisories), info=info)
    packages = from_lockfile(load_lockfile(workspace / "Cargo.lock"))
    return audit_packages(
        packages.packages,
        database,
        settings,
        paths=packages.paths,
        yanked_check=YankedNotRequested(),
    )


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("code_not_reachable: we never call it", ("code_not_reachable", "we never call it")),
        ("Requires-Configuration:  off by default", ("requires_configuration", "off by default")),
        ("protected_by_compiler:", ("protected_by_compiler", "")),
        ("no fix upstream yet", None),
        ("not_a_justification: text", None),
        ("", None),
    ],
)
def test_justification_prefix(reason: str, expected: tuple[str, str] | None) -> None:
    assert justification_of(reason) == expected


def test_each_audit_status_becomes_its_analysis(workspace: Path, ws_graph: ComponentGraph) -> None:
    advisories = [
        _advisory(
            "RUSTSEC-2024-0001",
            "itoa",
            cvss=parse_cvss("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"),
            aliases=("CVE-2024-1111",),
        ),
        _advisory("RUSTSEC-2024-0002", "itoa"),
        _advisory("RUSTSEC-2024-0003", "itoa"),
        _advisory(
            "RUSTSEC-2024-0004", "private", source="sparse+https://registry.example.com/index/"
        ),
    ]
    settings = AuditSettings(
        ignore=(
            IgnoreRule(id="RUSTSEC-2024-0002", reason="code_not_reachable: the CLI only"),
            IgnoreRule(id="RUSTSEC-2024-0003", reason="no fix upstream; accepted"),
        ),
        not_built=frozenset({("private", "2.0.0")}),
        today=dt.date(2024, 6, 1),
    )
    statements = statements_from_report(_report(workspace, advisories, settings), ws_graph)
    by_id = {s.id: s for s in statements}
    assert set(by_id) == {
        "RUSTSEC-2024-0001",
        "RUSTSEC-2024-0002",
        "RUSTSEC-2024-0003",
        "RUSTSEC-2024-0004",
    }
    reported = by_id["RUSTSEC-2024-0001"]
    assert (reported.state, reported.affects) == (VexState.AFFECTED, ((ITOA, "1.0.11"),))
    assert reported.cvss is not None
    assert reported.cvss.base_score == 7.5
    assert reported.aliases == ("CVE-2024-1111",)
    assert reported.references == ("https://github.com/example/issues/9",)
    assert reported.url == "https://rustsec.org/advisories/RUSTSEC-2024-0001.html"
    justified = by_id["RUSTSEC-2024-0002"]
    assert (justified.state, justified.justification, justified.detail) == (
        VexState.NOT_AFFECTED,
        "code_not_reachable",
        "the CLI only",
    )
    accepted = by_id["RUSTSEC-2024-0003"]
    assert (accepted.state, accepted.justification, accepted.detail, accepted.status) == (
        VexState.WILL_NOT_FIX,
        None,
        "no fix upstream; accepted",
        FindingStatus.IGNORED,
    )
    not_built = by_id["RUSTSEC-2024-0004"]
    assert (not_built.state, not_built.justification) == (
        VexState.NOT_AFFECTED,
        "code_not_present",
    )
    assert not_built.affects[0][0].startswith("pkg:cargo/private@2.0.0?repository_url=")


def test_expired_ignore_is_affected_again(workspace: Path, ws_graph: ComponentGraph) -> None:
    settings = AuditSettings(
        ignore=(
            IgnoreRule(
                id="RUSTSEC-2024-0001", reason="code_not_reachable: x", until=dt.date(2024, 1, 1)
            ),
        ),
        today=dt.date(2024, 6, 1),
    )
    (only,) = statements_from_report(
        _report(workspace, [_advisory("RUSTSEC-2024-0001", "itoa")], settings), ws_graph
    )
    assert only.state is VexState.AFFECTED


def test_findings_outside_the_graph_are_left_out(workspace: Path, ws_graph: ComponentGraph) -> None:
    core_only = ws_graph.subgraph("path+core@0.2.0")
    report = _report(
        workspace,
        [
            _advisory(
                "RUSTSEC-2024-0004", "private", source="sparse+https://registry.example.com/index/"
            )
        ],
        AuditSettings(),
    )
    assert statements_from_report(report, ws_graph) != ()
    assert statements_from_report(report, core_only) == ()
