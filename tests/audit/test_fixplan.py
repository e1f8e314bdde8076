"""The fix plan: the smallest fixed version every dependent accepts, or who blocks it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

from cratewatch.advisories.database import AdvisoryDatabase, DatabaseInfo
from cratewatch.advisories.model import Advisory, Collection
from cratewatch.audit.engine import audit_packages
from cratewatch.audit.fixplan import (
    Blocked,
    Dependent,
    NoFixedVersion,
    PreciseUpdate,
    Unknown,
    plan_fixes,
)
from cratewatch.audit.model import (
    AuditedPackage,
    AuditReport,
    AuditSettings,
    IgnoreRule,
    YankedNotRequested,
)
from cratewatch.report.fixplan_text import fix_step_line
from cratewatch.semver import Version, VersionReq

FOO_VERSIONS = [
    ("1.0.0", False),
    ("1.1.0", False),
    ("1.2.0", True),  # yanked: never proposed
    ("1.2.1", False),
    ("1.3.0", False),
    ("2.0.0", False),
    ("2.0.1-rc.1", False),  # pre-release: never proposed
]


def report_for(version: str, patched: str, *, ignore: tuple[str, ...] = ()) -> AuditReport:
    advisory = Advisory(
        id="RUSTSEC-2021-0001",
        package="foo",
        date=dt.date(2021, 1, 1),
        title="flaw",
        description="",
        patched=tuple(VersionReq.parse(p) for p in patched.split(" || ")),
        collection=Collection.CRATES,
        path="crates/foo/RUSTSEC-2021-0001.md",
    )
    info = DatabaseInfo(source="t", path=Path("."), commit="a" * 40, last_commit_time=None)
    package = AuditedPackage(
        name="foo", version=Version.parse(version), source="s", registry_key="crates.io"
    )
    return audit_packages(
        [package],
        AdvisoryDatabase([advisory], info=info),
        AuditSettings(ignore=tuple(IgnoreRule(id=i) for i in ignore)),
        paths=lambda _: (),
        yanked_check=YankedNotRequested(),
    )


def dependents_with(*reqs: str | None) -> object:
    def dependents(name: str, version: Version) -> Sequence[Dependent]:
        assert (name, str(version)) == ("foo", "1.0.0")
        return [
            Dependent(label=f"dep{i} 1.0.0", requirement=VersionReq.parse(r) if r else None)
            for i, r in enumerate(reqs)
        ]

    return dependents


def plan(report: AuditReport, *reqs: str | None, versions: object = None) -> object:
    published = versions if versions is not None else (lambda name: FOO_VERSIONS)
    (step,) = plan_fixes(report, published=published, dependents=dependents_with(*reqs))  # type: ignore[arg-type]
    return step


def test_smallest_fixed_version_that_every_dependent_accepts() -> None:
    step = plan(report_for("1.0.0", ">= 1.2.0"), "^1.0", "^1.1")
    assert step == PreciseUpdate(
        name="foo",
        current=Version.parse("1.0.0"),
        fixed=Version.parse("1.2.1"),
        advisories=("RUSTSEC-2021-0001",),
    )
    assert step.command == "cargo update -p foo@1.0.0 --precise 1.2.1"


def test_a_dependent_pinning_below_the_fix_blocks_it() -> None:
    step = plan(report_for("1.0.0", ">= 1.2.0"), "^1.0", ">=1.0, <1.2")
    assert isinstance(step, Blocked)
    assert step.fixed == Version.parse("1.2.1")
    assert [b.label for b in step.blockers] == ["dep1 1.0.0"]
    assert fix_step_line(step) == (
        "foo 1.0.0: fixed in 1.2.1 (RUSTSEC-2021-0001), a semver-incompatible upgrade "
        "blocked by dep1 1.0.0 requires >=1.0, <1.2"
    )


def test_semver_incompatible_fix_names_every_blocker() -> None:
    step = plan(report_for("1.0.0", ">= 2.0.0"), "^1.0", "^1", None)
    assert isinstance(step, Blocked)
    assert step.fixed == Version.parse("2.0.0")
    assert [(b.label, str(b.requirement)) for b in step.blockers] == [
        ("dep0 1.0.0", "^1.0"),
        ("dep1 1.0.0", "^1"),
        ("dep2 1.0.0", "None"),
    ]
    assert "dep2 1.0.0 (requirement unknown)" in fix_step_line(step)


def test_no_published_fix() -> None:
    step = plan(report_for("1.0.0", ">= 3.0.0"), "^1.0")
    assert isinstance(step, NoFixedVersion)
    assert fix_step_line(step) == "foo 1.0.0: no fixed version is published (RUSTSEC-2021-0001)"


def test_unknown_when_the_index_cannot_answer() -> None:
    step = plan(report_for("1.0.0", ">= 1.2.0"), "^1.0", versions=lambda name: "offline")
    assert step == Unknown(
        name="foo",
        current=Version.parse("1.0.0"),
        reason="offline",
        advisories=("RUSTSEC-2021-0001",),
    )


def test_ignored_findings_need_no_fix() -> None:
    report = report_for("1.0.0", ">= 1.2.0", ignore=("RUSTSEC-2021-0001",))
    assert plan_fixes(report, published=lambda n: FOO_VERSIONS, dependents=dependents_with()) == ()  # type: ignore[arg-type]
