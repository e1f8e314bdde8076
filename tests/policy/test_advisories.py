"""check advisories: cargo-deny's semantics over the audit engine's matching."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cratewatch.advisories.cvss import parse_cvss
from cratewatch.advisories.database import AdvisoryDatabase, DatabaseInfo
from cratewatch.advisories.model import Advisory, Collection
from cratewatch.policy.advisories import YankFailed, YankStatus, check_advisories
from cratewatch.policy.config import parse_config
from cratewatch.policy.diagnostics import Diagnostic
from cratewatch.policy.graph import CrateGraph, Krate
from cratewatch.semver import VersionReq
from tests.policy.graphs import graph, krate

NOW = dt.datetime(2026, 11, 21, tzinfo=dt.UTC)
HIGH = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"
LOW = "CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N"


def advisory(
    id: str, package: str, *, patched: tuple[str, ...] = (">=2.0.0",), **extra: object
) -> Advisory:
    return Advisory(
        id=id,
        package=package,
        date=dt.date(2024, 1, 2),
        title=f"{package} is in trouble",
        description="Details of the problem.",
        patched=tuple(VersionReq.parse(p) for p in patched),
        collection=Collection.CRATES,
        path=f"crates/{package}/{id}.md",
        **extra,  # type: ignore[arg-type]
    )


def database(*advisories: Advisory, age_days: int = 1) -> AdvisoryDatabase:
    info = DatabaseInfo(
        source="test-db",
        path=Path("."),
        commit="a" * 40,
        last_commit_time=NOW - dt.timedelta(days=age_days),
    )
    return AdvisoryDatabase(advisories, info=info)


DB = database(
    advisory("RUSTSEC-2024-0001", "vuln", aliases=("CVE-2024-1111",), cvss=parse_cvss(HIGH)),
    advisory("RUSTSEC-2024-0002", "weak", cvss=parse_cvss(LOW)),
    advisory("RUSTSEC-2024-0003", "old", informational="unmaintained", patched=()),
    advisory("RUSTSEC-2024-0004", "deep", informational="unmaintained", patched=()),
    advisory("RUSTSEC-2024-0005", "ub", informational="unsound"),
    advisory("RUSTSEC-2024-0006", "note", informational="notice"),
    advisory("RUSTSEC-2024-0007", "vuln", withdrawn=dt.date(2024, 2, 1)),
)


def project() -> CrateGraph:
    crates = [
        krate("app 0.1.0", None, member=True),
        krate("vuln 1.0.0", line=10),
        krate("weak 1.0.0"),
        krate("old 1.0.0"),
        krate("deep 1.0.0"),
        krate("ub 1.0.0"),
        krate("note 1.0.0"),
        krate("fixed 2.0.0"),
        krate("gitdep 1.0.0", "git+https://github.com/a/vuln#1"),
    ]
    edges = [("app 0.1.0", f"{k.name} {k.version}") for k in crates[1:] if k.name != "deep"]
    return graph(crates, [*edges, ("old 1.0.0", "deep 1.0.0")])


def run(
    config: str, *, databases: tuple[AdvisoryDatabase, ...] = (DB,), yanked: object = None
) -> list[tuple[str, str, str]]:
    found = check_advisories(
        project(),
        parse_config(config, path="deny.toml"),
        databases=databases,
        yanked=yanked,  # type: ignore[arg-type]
        now=NOW,
    )
    return [(d.code, d.severity.value, d.crates[0].name if d.crates else "") for d in found]


def test_every_match_is_an_error_by_default() -> None:
    assert sorted(run("")) == [
        ("notice", "error", "note"),
        ("unmaintained", "error", "deep"),
        ("unmaintained", "error", "old"),
        ("unsound", "error", "ub"),
        ("vulnerability", "error", "vuln"),
        ("vulnerability", "error", "weak"),
    ]


def test_vulnerability_details() -> None:
    found = check_advisories(project(), parse_config(""), databases=(DB,), now=NOW)
    (vuln,) = [d for d in found if d.crates[0].name == "vuln"]
    assert vuln.message == "vuln is in trouble"
    assert vuln.notes == (
        "ID: RUSTSEC-2024-0001",
        "Advisory: https://rustsec.org/advisories/RUSTSEC-2024-0001",
        "Details of the problem.",
        "Severity: 7.5 (high)",
        "Solution: Upgrade to >=2.0.0 (try `cargo update -p vuln`)",
    )
    assert vuln.labels == ()  # no lockfile in this graph


@pytest.mark.parametrize(
    ("scope", "reported"),
    [("all", {"old", "deep"}), ("workspace", {"old"}), ("transitive", {"deep"}), ("none", set())],
)
def test_unmaintained_scopes(scope: str, reported: set[str]) -> None:
    found = run(f'[advisories]\nunmaintained = "{scope}"\n')
    assert {name for code, _, name in found if code == "unmaintained"} == reported


def test_ignores_by_id_or_alias_and_unused_ignores() -> None:
    found = run(
        "[advisories]\n"
        'ignore = [{ id = "CVE-2024-1111", reason = "not reachable" }, "RUSTSEC-2024-0002", '
        '"RUSTSEC-2099-0001", "RUSTSEC-2024-0007"]\n'
        'unmaintained = "none"\nunsound = "none"\n'
    )
    assert found == [
        ("notice", "error", "note"),
        ("advisory-ignored", "note", "vuln"),
        ("vulnerability", "note", "vuln"),
        ("advisory-ignored", "note", "weak"),
        ("vulnerability", "note", "weak"),
        ("unknown-advisory", "warning", ""),
        ("advisory-not-detected", "warning", ""),
        ("advisory-not-detected", "warning", ""),
    ]


def test_deprecated_lint_levels_and_severity_threshold() -> None:
    found = run(
        "[advisories]\n"
        'vulnerability = "warn"\nunmaintained = "allow"\nunsound = "warn"\nnotice = "deny"\n'
        'severity-threshold = "medium"\n'
    )
    assert sorted(found) == [
        ("notice", "error", "note"),
        ("unmaintained", "note", "deep"),
        ("unmaintained", "note", "old"),
        ("unsound", "warning", "ub"),
        ("vulnerability", "note", "weak"),
        ("vulnerability", "warning", "vuln"),
    ]


def test_several_databases_report_an_advisory_once() -> None:
    other = database(
        advisory("RUSTSEC-2024-0001", "vuln"),
        advisory("RUSTSEC-2024-0100", "fixed", patched=(">=3",)),
    )
    found = run('[advisories]\nunmaintained = "none"\nunsound = "none"\n', databases=(DB, other))
    assert sorted(found) == [
        ("notice", "error", "note"),
        ("vulnerability", "error", "fixed"),
        ("vulnerability", "error", "vuln"),
        ("vulnerability", "error", "weak"),
    ]


def test_yanked_versions() -> None:
    def lookup(k: Krate) -> YankStatus:
        if k.name == "weak":
            return YankFailed(reason="index unreachable")
        return k.name in {"fixed", "old"}

    config = (
        '[advisories]\nyanked = "deny"\nunmaintained = "none"\nunsound = "none"\n'
        'ignore = ["RUSTSEC-2024-0001", "RUSTSEC-2024-0002", "RUSTSEC-2024-0006", '
        '"old@1.0.0", { crate = "nothere@1.0.0", reason = "x" }]\n'
    )
    found = [f for f in run(config, yanked=lookup) if f[0] not in {"advisory-ignored"}]
    assert found == [
        ("notice", "note", "note"),
        ("vulnerability", "note", "vuln"),
        ("vulnerability", "note", "weak"),
        ("yanked", "error", "fixed"),
        ("yanked-ignored", "note", "old"),
        ("index-failure", "warning", "weak"),
        ("yanked-not-detected", "warning", ""),
    ]
    assert not [
        f for f in run(config + "disable-yank-checking = true\n", yanked=lookup) if f[0] == "yanked"
    ]


def test_stale_database_fails_the_check() -> None:
    old = database(age_days=120)
    found = check_advisories(project(), parse_config(""), databases=(old,), now=NOW)
    (stale,) = found
    assert stale.code == "advisory-db-stale"
    assert stale.message == (
        "test-db: the advisory database's last commit is 120 days old, more than "
        "maximum-db-staleness (90 days)"
    )
    assert (
        check_advisories(
            project(),
            parse_config('[advisories]\nmaximum-db-staleness = "P200D"\n'),
            databases=(old,),
            now=NOW,
        )
        == ()
    )


def test_lock_labels_point_at_the_package_entry(tmp_path: Path) -> None:
    lock = tmp_path / "Cargo.lock"
    lock.write_text("version = 4\n" + "\n" * 8 + '[[package]]\nname = "vuln"\nversion = "1.0.0"\n')
    g = graph(
        [krate("app 0.1.0", None, member=True), krate("vuln 1.0.0", line=10)],
        [("app 0.1.0", "vuln 1.0.0")],
        lockfile=str(lock),
    )
    found: tuple[Diagnostic, ...] = check_advisories(g, parse_config(""), databases=(DB,), now=NOW)
    (label,) = found[0].labels
    assert (label.file, label.line, label.column, label.text, label.message) == (
        str(lock),
        11,
        8,
        '"vuln"',
        "security vulnerability detected",
    )
