"""Matching rules of the audit engine (cargo-audit semantics plus cratewatch's extensions)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cratewatch.advisories.cvss import parse_cvss
from cratewatch.advisories.database import AdvisoryDatabase, DatabaseInfo
from cratewatch.advisories.model import Advisory, Affected, Collection
from cratewatch.audit.engine import CRATES_IO, audit_packages, registry_key
from cratewatch.audit.model import (
    AuditedPackage,
    AuditReport,
    AuditSettings,
    FindingKind,
    FindingStatus,
    IgnoreRule,
    Severity,
    YankedCheck,
    YankedChecked,
    YankedNotRequested,
)
from cratewatch.semver import Version, VersionReq

TODAY = dt.date(2026, 11, 21)
HIGH = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"  # 7.5 high
LOW = "CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N"  # low


def advisory(
    id: str = "RUSTSEC-2020-0001",
    package: str = "foo",
    patched: tuple[str, ...] = (">= 1.2.3",),
    **extra: object,
) -> Advisory:
    return Advisory(
        id=id,
        package=package,
        date=dt.date(2020, 1, 2),
        title=f"{id} title",
        description="",
        patched=tuple(VersionReq.parse(p) for p in patched),
        collection=Collection.CRATES,
        path=f"crates/{package}/{id}.md",
        **extra,  # type: ignore[arg-type]
    )


def database(*advisories: Advisory) -> AdvisoryDatabase:
    info = DatabaseInfo(source="test", path=Path("."), commit="a" * 40, last_commit_time=None)
    return AdvisoryDatabase(advisories, info=info)


def package(
    name: str = "foo",
    version: str = "1.0.0",
    source: str | None = "registry+https://github.com/rust-lang/crates.io-index",
) -> AuditedPackage:
    key = registry_key(source) if source and source.startswith(("registry+", "sparse+")) else None
    return AuditedPackage(
        name=name,
        version=Version.parse(version),
        source=source,
        registry_key=key,
        origin="Cargo.lock",
    )


def run(
    packages: list[AuditedPackage],
    db: AdvisoryDatabase,
    settings: AuditSettings | None = None,
    yanked: YankedCheck | None = None,
) -> AuditReport:
    return audit_packages(
        packages,
        db,
        settings or AuditSettings(today=TODAY),
        paths=lambda p: (("app 0.1.0", f"{p.name} {p.version}"),),
        yanked_check=yanked or YankedNotRequested(),
    )


@pytest.mark.parametrize(
    ("source", "matched"),
    [
        ("registry+https://github.com/rust-lang/crates.io-index", True),
        ("sparse+https://index.crates.io/", True),
        ("registry+https://example.com/private-index", False),
        ("git+https://github.com/foo/foo?branch=main#abcdef", False),
        (None, False),
    ],
)
def test_only_crates_io_packages_match_crates_advisories(source: str | None, matched: bool) -> None:
    report = run([package(source=source)], database(advisory()))
    assert [f.id for f in report.findings] == (["RUSTSEC-2020-0001"] if matched else [])


def test_advisory_source_overrides_the_registry() -> None:
    adv = advisory(source="registry+https://example.com/private-index")
    private = package(source="registry+https://example.com/private-index")
    public = package(source="sparse+https://index.crates.io/")
    assert [f.package.source for f in run([private, public], database(adv)).findings] == [
        "registry+https://example.com/private-index"
    ]


@pytest.mark.parametrize(
    ("version", "affected"),
    [("1.2.2", True), ("1.2.3", False), ("2.0.0", False), ("0.1.0", True)],
)
def test_versions_follow_patched_requirements(version: str, affected: bool) -> None:
    report = run([package(version=version)], database(advisory()))
    assert bool(report.findings) is affected


def test_withdrawn_advisories_never_report() -> None:
    report = run([package()], database(advisory(withdrawn=dt.date(2021, 1, 1))))
    assert report.findings == ()


def test_informational_kinds_report_without_failing_unless_denied() -> None:
    db = database(
        advisory("RUSTSEC-2020-0002", informational="unmaintained"),
        advisory("RUSTSEC-2020-0003", informational="unsound"),
        advisory("RUSTSEC-2020-0004", informational="notice"),
    )
    report = run([package()], db)
    assert {f.kind for f in report.findings} == {
        FindingKind.UNMAINTAINED,
        FindingKind.UNSOUND,
        FindingKind.NOTICE,
    }
    assert report.failing == ()
    denied = run([package()], db, AuditSettings(today=TODAY, deny=frozenset({FindingKind.UNSOUND})))
    assert [f.id for f in denied.failing] == ["RUSTSEC-2020-0003"]


def test_vulnerabilities_always_fail() -> None:
    report = run([package()], database(advisory()), AuditSettings(today=TODAY, deny=frozenset()))
    assert [f.id for f in report.failing] == ["RUSTSEC-2020-0001"]


def test_informational_kinds_not_asked_for_are_left_out() -> None:
    db = database(advisory(informational="unmaintained"))
    settings = AuditSettings(today=TODAY, informational=frozenset({FindingKind.UNSOUND}))
    assert run([package()], db, settings).findings == ()


@pytest.mark.parametrize(
    ("affected_os", "wanted", "kept"),
    [
        ((), {"linux"}, True),
        (("windows",), set(), True),
        (("windows",), {"linux"}, False),
        (("windows", "linux"), {"linux"}, True),
    ],
)
def test_target_os_filter(affected_os: tuple[str, ...], wanted: set[str], kept: bool) -> None:
    db = database(advisory(affected=Affected(os=affected_os)))
    settings = AuditSettings(today=TODAY, target_os=frozenset(wanted))
    assert bool(run([package()], db, settings).findings) is kept


def test_target_arch_filter() -> None:
    db = database(advisory(affected=Affected(arch=("x86",))))
    settings = AuditSettings(today=TODAY, target_arch=frozenset({"aarch64"}))
    assert run([package()], db, settings).findings == ()


def test_severity_threshold_marks_low_findings_and_keeps_unscored_ones() -> None:
    db = database(
        advisory("RUSTSEC-2020-0010", cvss=parse_cvss(HIGH)),
        advisory("RUSTSEC-2020-0011", cvss=parse_cvss(LOW)),
        advisory("RUSTSEC-2020-0012"),
    )
    settings = AuditSettings(today=TODAY, severity_threshold=Severity.MEDIUM)
    statuses = {f.id: f.status for f in run([package()], db, settings).findings}
    assert statuses == {
        "RUSTSEC-2020-0010": FindingStatus.REPORTED,
        "RUSTSEC-2020-0011": FindingStatus.BELOW_THRESHOLD,
        "RUSTSEC-2020-0012": FindingStatus.REPORTED,
    }


def test_ignore_by_id_or_alias_with_reason() -> None:
    db = database(
        advisory("RUSTSEC-2020-0001"),
        advisory("RUSTSEC-2020-0002", aliases=("CVE-2020-1234",)),
    )
    settings = AuditSettings(
        today=TODAY,
        ignore=(
            IgnoreRule(id="RUSTSEC-2020-0001", reason="not reachable", origin="audit.toml"),
            IgnoreRule(id="CVE-2020-1234", origin="--ignore"),
        ),
    )
    report = run([package()], db, settings)
    assert [(f.id, f.status, f.note) for f in report.findings] == [
        ("RUSTSEC-2020-0001", FindingStatus.IGNORED, "ignored (audit.toml): not reachable"),
        ("RUSTSEC-2020-0002", FindingStatus.IGNORED, "ignored (--ignore)"),
    ]
    assert report.failing == ()
    assert report.unused_ignores == ()


def test_expired_ignore_brings_the_finding_back_with_a_note() -> None:
    rule = IgnoreRule(id="RUSTSEC-2020-0001", until=dt.date(2026, 11, 20), origin="audit.toml")
    report = run([package()], database(advisory()), AuditSettings(today=TODAY, ignore=(rule,)))
    (finding,) = report.findings
    assert finding.status is FindingStatus.REPORTED
    assert finding.note == "ignore expired on 2026-11-20 (audit.toml)"
    assert report.failing == (finding,)
    assert report.unused_ignores == ()


def test_ignore_until_today_still_holds() -> None:
    rule = IgnoreRule(id="RUSTSEC-2020-0001", until=TODAY)
    report = run([package()], database(advisory()), AuditSettings(today=TODAY, ignore=(rule,)))
    assert report.findings[0].status is FindingStatus.IGNORED


def test_unused_ignores_are_reported() -> None:
    rule = IgnoreRule(id="RUSTSEC-2099-0001")
    report = run([package()], database(advisory()), AuditSettings(today=TODAY, ignore=(rule,)))
    assert report.unused_ignores == (rule,)


def test_not_built_packages_are_kept_but_do_not_fail() -> None:
    settings = AuditSettings(today=TODAY, not_built=frozenset({("foo", "1.0.0")}))
    report = run([package()], database(advisory()), settings)
    assert [f.status for f in report.findings] == [FindingStatus.NOT_BUILT]
    assert report.failing == ()


def test_yanked_findings_only_for_yanked_versions() -> None:
    yanked = YankedChecked(yanked=frozenset({("foo", "1.0.0")}))
    report = run([package(), package("bar", "2.0.0")], database(), yanked=yanked)
    assert [(f.id, f.kind) for f in report.findings] == [("yanked:foo@1.0.0", FindingKind.YANKED)]
    assert report.failing == ()
    denied = AuditSettings(today=TODAY, deny=frozenset({FindingKind.YANKED}))
    assert len(run([package()], database(), denied, yanked).failing) == 1


def test_findings_carry_paths_and_counts() -> None:
    report = run([package()], database(advisory()))
    assert report.findings[0].paths == (("app 0.1.0", "foo 1.0.0"),)
    assert report.counts()["vulnerability"] == 1
    assert report.package_count == 1


@pytest.mark.parametrize(
    "url",
    [
        "registry+https://github.com/rust-lang/crates.io-index",
        "sparse+https://index.crates.io/",
        "https://github.com/rust-lang/crates.io-index.git",
    ],
)
def test_both_crates_io_spellings_normalise(url: str) -> None:
    assert registry_key(url) == CRATES_IO
