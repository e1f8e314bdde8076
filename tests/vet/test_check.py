"""vet check: requirements from policies, chains of audits, imports, trust, exemptions,
violations; Acme's whole project and targeted graphs."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from cratewatch.lockfile import load_lockfile
from cratewatch.policy.graph import CrateGraph, DepKind, Edge, Krate
from cratewatch.semver import Version
from cratewatch.source_id import SourceId
from cratewatch.vet.check import (
    VetStatus,
    crate_graph_from_lockfile,
    mapper_for,
    report_json,
    required_criteria,
    vet_check,
)
from cratewatch.vet.criteria import UnknownCriteria
from cratewatch.vet.files import parse_audits, parse_config, parse_imports
from cratewatch.vet.model import ImportsLock, Store

CRATES_IO = SourceId.parse("registry+https://github.com/rust-lang/crates.io-index")


def test_acme_project(vet_assets: Path, acme_store: Store) -> None:
    graph = crate_graph_from_lockfile(load_lockfile(vet_assets / "acme" / "Cargo.lock"))
    report = vet_check(graph, acme_store)
    status = {f"{r.name} {r.version}": r.status.value for r in report.results}
    assert status == {
        "acme-fork 1.2.0": "unvetted",
        "anyhow 1.0.66": "vetted",
        "clap-lite 4.0.0": "vetted",
        "evil 0.5.2": "violation",
        "frozen 2.0.0": "exempted",
        "leftpad 1.0.0": "unvetted",
        "newcrate 0.1.0": "unvetted",
        "oldlib 0.3.1": "exempted",
        "ring-lite 0.16.20": "vetted",
        "serde-lite 1.0.104": "unvetted",
        "tokio-lite 1.38.0": "vetted",
    }
    assert report.first_party == 2
    assert not report.ok
    by_name = {r.name: r for r in report.results}
    assert by_name["clap-lite"].required == ("safe-to-run",)
    assert by_name["anyhow"].required == ("safe-to-deploy",)
    assert [e.describe() for e in by_name["anyhow"].chain] == [
        "full-audit 1.0.58 by Ada Lovelace <ada@acme.example> (audits.toml)",
        "delta-audit 1.0.58 -> 1.0.66 by Ada Lovelace <ada@acme.example> (audits.toml)",
    ]
    assert [e.describe() for e in by_name["tokio-lite"].chain] == [
        "trusted-publisher 1.38.0 by Tokio Maintainer (audits.toml)"
    ]
    serde = by_name["serde-lite"]
    assert (serde.missing, serde.required) == (("safe-to-deploy",), ("safe-to-deploy",))
    assert by_name["evil"].violations == (">=0.5.0, <0.6 (audits.toml)",)
    assert by_name["oldlib"].exempted == ("safe-to-deploy",)
    assert report_json(report)["counts"] == {
        "vetted": 4,
        "exempted": 2,
        "unvetted": 4,
        "violation": 1,
        "first-party": 2,
    }


# --- targeted graphs --------------------------------------------------------------------------


def krate(name: str, version: str = "1.0.0", *, member: bool = False) -> Krate:
    return Krate(
        name=name,
        version=Version.parse(version),
        source=None if member else CRATES_IO,
        workspace_member=member,
    )


def graph(
    krates: list[Krate], edges: list[tuple[int, int, DepKind]], roots: list[int] | None = None
) -> CrateGraph:
    return CrateGraph(
        krates=krates,
        edges=[Edge(parent=p, child=c, kinds=((k, None),)) for p, c, k in edges],
        roots=roots
        if roots is not None
        else [i for i, k in enumerate(krates) if k.workspace_member],
    )


def store(config: str = "", audits: str = "", imports: str = "") -> Store:
    return Store(
        path=Path("supply-chain"),
        config=parse_config(config),
        audits=parse_audits(audits),
        imports=parse_imports(imports) if imports else ImportsLock(),
    )


def audit(name: str, criteria: str, version: str = "", delta: str = "", violation: str = "") -> str:
    field = (
        f'version = "{version}"'
        if version
        else f'delta = "{delta}"'
        if delta
        else f'violation = "{violation}"'
    )
    return f'[[audits.{name}]]\nwho = "T <t@x>"\ncriteria = "{criteria}"\n{field}\n'


def statuses(g: CrateGraph, s: Store) -> dict[str, str]:
    return {f"{r.name}": r.status.value for r in vet_check(g, s).results}


def test_requirements_flow_from_members_through_kinds_and_overrides() -> None:
    # app -> lib (normal) -> deep (normal); app -> bld (build); app -> tst (dev) -> tstdep
    # tool (policy safe-to-run) -> lib2; app's dependency-criteria waive `waived`
    g = graph(
        [
            krate("app", member=True),
            krate("lib"),
            krate("deep"),
            krate("bld"),
            krate("tst"),
            krate("tstdep"),
            krate("tool", member=True),
            krate("lib2"),
            krate("waived"),
        ],
        [
            (0, 1, DepKind.NORMAL),
            (1, 2, DepKind.NORMAL),
            (0, 3, DepKind.BUILD),
            (0, 4, DepKind.DEV),
            (4, 5, DepKind.NORMAL),
            (6, 7, DepKind.NORMAL),
            (0, 8, DepKind.NORMAL),
        ],
    )
    s = store(
        '[policy.tool]\ncriteria = "safe-to-run"\n'
        "[policy.app]\ndependency-criteria = { waived = [] }\n"
    )
    mapper = mapper_for(s)
    required = {
        k.name: mapper.minimal(r)
        for k, r in zip(g.krates, required_criteria(g, s, mapper), strict=True)
    }
    assert required == {
        "app": ("safe-to-deploy",),
        "lib": ("safe-to-deploy",),
        "deep": ("safe-to-deploy",),
        "bld": ("safe-to-deploy",),
        "tst": ("safe-to-run",),
        "tstdep": ("safe-to-run",),
        "tool": ("safe-to-run",),
        "lib2": ("safe-to-run",),
        "waived": (),
    }


def test_dev_criteria_policy_and_shared_dependencies_take_the_union() -> None:
    g = graph(
        [krate("app", member=True), krate("tst"), krate("shared")],
        [(0, 1, DepKind.DEV), (1, 2, DepKind.NORMAL), (0, 2, DepKind.DEV)],
    )
    s = store(
        '[policy.app]\ndev-criteria = ["safe-to-run", "fuzzed"]\n',
        '[criteria.fuzzed]\ndescription = "fuzzed"\n',
    )
    mapper = mapper_for(s)
    required = [mapper.minimal(r) for r in required_criteria(g, s, mapper)]
    assert required[1] == ("fuzzed", "safe-to-run")
    assert required[2] == ("fuzzed", "safe-to-run")


def test_a_member_used_by_another_member_inherits_instead_of_defaulting() -> None:
    g = graph(
        [krate("app", member=True), krate("core", member=True), krate("dep")],
        [(0, 1, DepKind.NORMAL), (1, 2, DepKind.NORMAL)],
    )
    s = store('[policy.app]\ncriteria = "safe-to-run"\n')
    assert statuses(g, replace(s, audits=parse_audits(audit("dep", "safe-to-run", "1.0.0")))) == {
        "dep": "vetted"
    }


@pytest.mark.parametrize(
    ("audits", "expected"),
    [
        ("", "unvetted"),
        (audit("dep", "safe-to-deploy", "1.0.0"), "vetted"),
        (audit("dep", "safe-to-run", "1.0.0"), "unvetted"),
        (
            audit("dep", "safe-to-deploy", "0.9.0")
            + audit("dep", "safe-to-deploy", delta="0.9.0 -> 1.0.0"),
            "vetted",
        ),
        # a delta can go backwards
        (
            audit("dep", "safe-to-deploy", "1.1.0")
            + audit("dep", "safe-to-deploy", delta="1.1.0 -> 1.0.0"),
            "vetted",
        ),
        # every edge of the chain must certify the criterion
        (
            audit("dep", "safe-to-deploy", "0.9.0")
            + audit("dep", "safe-to-run", delta="0.9.0 -> 1.0.0"),
            "unvetted",
        ),
        # a delta alone, from an unaudited version, proves nothing
        (audit("dep", "safe-to-deploy", delta="0.9.0 -> 1.0.0"), "unvetted"),
        # custom criteria implying safe-to-deploy
        (
            '[criteria.strict]\ndescription = "s"\nimplies = "safe-to-deploy"\n'
            + audit("dep", "strict", "1.0.0"),
            "vetted",
        ),
    ],
)
def test_audit_chains(audits: str, expected: str) -> None:
    g = graph([krate("app", member=True), krate("dep")], [(0, 1, DepKind.NORMAL)])
    assert statuses(g, store(audits=audits)) == {"dep": expected}


def test_versioned_policy_keys_apply_to_that_version_only() -> None:
    g = graph(
        [krate("app", "1.0.0", member=True), krate("app", "2.0.0", member=True), krate("dep")],
        [(0, 2, DepKind.NORMAL), (1, 2, DepKind.NORMAL)],
    )
    config = '[policy."app:1.0.0"]\ncriteria = "safe-to-run"\n'
    s = store(config, audit("dep", "safe-to-run", "1.0.0"))
    mapper = mapper_for(s)
    required = [mapper.minimal(r) for r in required_criteria(g, s, mapper)]
    assert required == [("safe-to-run",), ("safe-to-deploy",), ("safe-to-deploy",)]
    assert statuses(g, s) == {"dep": "unvetted"}


def test_exemptions_are_used_only_when_audits_do_not_connect() -> None:
    g = graph([krate("app", member=True), krate("dep")], [(0, 1, DepKind.NORMAL)])
    config = '[[exemptions.dep]]\nversion = "1.0.0"\ncriteria = "safe-to-deploy"\n'
    assert statuses(g, store(config)) == {"dep": "exempted"}
    assert statuses(g, store(config, audit("dep", "safe-to-deploy", "1.0.0"))) == {"dep": "vetted"}
    # an exemption for safe-to-run does not cover safe-to-deploy
    weak = '[[exemptions.dep]]\nversion = "1.0.0"\ncriteria = "safe-to-run"\n'
    assert statuses(g, store(weak)) == {"dep": "unvetted"}


IMPORT_CONFIG = '[imports.peer]\nurl = "https://peer.example/audits.toml"\n'


@pytest.mark.parametrize(
    ("config", "imports", "expected"),
    [
        # the peer's built-in criteria map onto ours
        (
            IMPORT_CONFIG,
            "[[audits.peer.audits.dep]]\ncriteria = 'safe-to-deploy'\nversion = '1.0.0'\n",
            "vetted",
        ),
        # an unmapped custom criterion is dropped
        (
            IMPORT_CONFIG,
            "[audits.peer.criteria.theirs]\ndescription = 't'\n"
            "[[audits.peer.audits.dep]]\ncriteria = 'theirs'\nversion = '1.0.0'\n",
            "unvetted",
        ),
        # ...unless the criteria-map maps it
        (
            IMPORT_CONFIG + "[imports.peer.criteria-map]\ntheirs = 'safe-to-deploy'\n",
            "[audits.peer.criteria.theirs]\ndescription = 't'\n"
            "[[audits.peer.audits.dep]]\ncriteria = 'theirs'\nversion = '1.0.0'\n",
            "vetted",
        ),
        # ...or it implies one of their built-ins
        (
            IMPORT_CONFIG,
            "[audits.peer.criteria.theirs]\ndescription = 't'\nimplies = 'safe-to-deploy'\n"
            "[[audits.peer.audits.dep]]\ncriteria = 'theirs'\nversion = '1.0.0'\n",
            "vetted",
        ),
        # the map can demote their safe-to-deploy
        (
            IMPORT_CONFIG + "[imports.peer.criteria-map]\nsafe-to-deploy = 'safe-to-run'\n",
            "[[audits.peer.audits.dep]]\ncriteria = 'safe-to-deploy'\nversion = '1.0.0'\n",
            "unvetted",
        ),
        # excluded crates are not imported
        (
            IMPORT_CONFIG.replace("\n", "\nexclude = ['dep']\n", 1),
            "[[audits.peer.audits.dep]]\ncriteria = 'safe-to-deploy'\nversion = '1.0.0'\n",
            "unvetted",
        ),
        # an import that config.toml no longer lists is ignored
        (
            "",
            "[[audits.peer.audits.dep]]\ncriteria = 'safe-to-deploy'\nversion = '1.0.0'\n",
            "unvetted",
        ),
    ],
)
def test_imported_audits_and_criteria_mapping(config: str, imports: str, expected: str) -> None:
    g = graph([krate("app", member=True), krate("dep")], [(0, 1, DepKind.NORMAL)])
    assert statuses(g, store(config, imports=imports)) == {"dep": expected}


TRUST = (
    "[[trusted.dep]]\ncriteria = 'safe-to-deploy'\nuser-id = 7\n"
    "start = 2020-01-01\nend = 2021-01-01\n"
)


@pytest.mark.parametrize(
    ("publisher", "expected"),
    [
        ("version = '1.0.0'\nwhen = '2020-06-01'\nuser-id = 7\nuser-login = 'u'\n", "vetted"),
        ("version = '1.0.0'\nwhen = '2021-01-01'\nuser-id = 7\nuser-login = 'u'\n", "vetted"),
        ("version = '1.0.0'\nwhen = '2021-01-02'\nuser-id = 7\nuser-login = 'u'\n", "unvetted"),
        ("version = '1.0.0'\nwhen = '2020-06-01'\nuser-id = 8\nuser-login = 'x'\n", "unvetted"),
        ("version = '0.9.0'\nwhen = '2020-06-01'\nuser-id = 7\nuser-login = 'u'\n", "unvetted"),
    ],
)
def test_trusted_publishers_need_a_release_in_the_window(publisher: str, expected: str) -> None:
    g = graph([krate("app", member=True), krate("dep")], [(0, 1, DepKind.NORMAL)])
    assert statuses(g, store(audits=TRUST, imports=f"[[publisher.dep]]\n{publisher}")) == {
        "dep": expected
    }


def test_trusted_release_then_delta() -> None:
    g = graph([krate("app", member=True), krate("dep", "1.0.1")], [(0, 1, DepKind.NORMAL)])
    publisher = (
        "[[publisher.dep]]\nversion = '1.0.0'\nwhen = '2020-06-01'\nuser-id = 7\nuser-login = 'u'\n"
    )
    s = store(
        audits=TRUST + audit("dep", "safe-to-deploy", delta="1.0.0 -> 1.0.1"), imports=publisher
    )
    result = vet_check(g, s).results[0]
    assert result.status is VetStatus.VETTED
    assert [e.kind.value for e in result.chain] == ["trusted-publisher", "delta-audit"]


def test_violations_fail_the_version_and_conflict_with_audits() -> None:
    g = graph([krate("app", member=True), krate("dep", "0.5.2")], [(0, 1, DepKind.NORMAL)])
    violation = audit("dep", "safe-to-run", violation=">=0.5.0, <0.6")
    assert statuses(g, store(audits=violation)) == {"dep": "violation"}
    # violating safe-to-run contradicts a safe-to-deploy audit (deploy implies run) of 0.5.0
    report = vet_check(g, store(audits=violation + audit("dep", "safe-to-deploy", "0.5.0")))
    (conflict,) = report.conflicts
    assert (conflict.crate, conflict.violation, conflict.criteria) == (
        "dep",
        ">=0.5.0, <0.6",
        ("safe-to-run",),
    )
    assert conflict.audit.describe() == "full-audit 0.5.0 by T <t@x> (audits.toml)"
    assert not report.ok
    # violating safe-to-deploy does not contradict a safe-to-run audit
    weak = audit("dep", "safe-to-deploy", violation="=0.4.0") + audit("dep", "safe-to-run", "0.4.0")
    assert vet_check(g, store(audits=weak)).conflicts == ()


def test_imported_violations_override_own_audits() -> None:
    g = graph([krate("app", member=True), krate("dep")], [(0, 1, DepKind.NORMAL)])
    s = store(
        IMPORT_CONFIG,
        audits=audit("dep", "safe-to-deploy", "1.0.0"),
        imports="[[audits.peer.audits.dep]]\ncriteria = 'safe-to-deploy'\nviolation = '*'\n",
    )
    report = vet_check(g, s)
    assert report.results[0].status is VetStatus.VIOLATION
    assert report.conflicts[0].violation_origin == "imports.lock (peer)"


def test_first_party_and_other_sources_need_no_audits() -> None:
    git = Krate(
        name="forked",
        version=Version.parse("1.0.0"),
        source=SourceId.parse("git+https://github.com/o/forked#" + "a" * 40),
    )
    other = Krate(
        name="private",
        version=Version.parse("1.0.0"),
        source=SourceId.parse("sparse+https://corp.example/index/"),
    )
    g = graph(
        [krate("app", member=True), git, other], [(0, 1, DepKind.NORMAL), (0, 2, DepKind.NORMAL)]
    )
    report = vet_check(g, store())
    assert (report.results, report.first_party, report.ok) == ((), 3, True)


def test_audit_as_crates_io_and_unpublished_versions() -> None:
    g = graph(
        [krate("app", member=True), krate("fork", "1.3.0", member=True)], [(0, 1, DepKind.NORMAL)]
    )
    config = "[policy.fork]\naudit-as-crates-io = true\n"
    assert statuses(g, store(config)) == {"fork": "unvetted"}
    unpublished = "[[unpublished.fork]]\nversion = '1.3.0'\naudited_as = '1.2.0'\n"
    vetted = store(config, audit("fork", "safe-to-deploy", "1.2.0"), unpublished)
    assert statuses(g, vetted) == {"fork": "vetted"}


def test_unknown_criteria_in_the_store_is_an_error() -> None:
    g = graph([krate("app", member=True), krate("dep")], [(0, 1, DepKind.NORMAL)])
    with pytest.raises(UnknownCriteria, match="unknown criteria 'safe-to-fly'"):
        vet_check(g, store(audits=audit("dep", "safe-to-fly", "1.0.0")))


def test_lockfile_graph_marks_local_packages_as_members(vet_assets: Path) -> None:
    g = crate_graph_from_lockfile(load_lockfile(vet_assets / "acme" / "Cargo.lock"))
    assert sorted(g.krates[r].name for r in g.roots) == ["acme-app", "acme-fork", "acme-tool"]
    assert {kind for e in g.edges for kind in e.kind_set} == {DepKind.NORMAL}
