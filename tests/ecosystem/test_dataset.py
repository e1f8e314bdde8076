"""Rows of the ecosystem dataset: resolved trees, findings per kind, depth, parents."""

from __future__ import annotations

import datetime as dt
import pickle
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cratewatch.ecosystem.dataset import ROW_SCHEMA, AdvisoryMatcher, Session, choose_latest
from cratewatch.registry.dirindex import DirIndex
from cratewatch.registry.index import CrateNotFound
from cratewatch.registry.model import IndexEntry
from cratewatch.resolver import PackageId, Resolved, RootRequest
from cratewatch.semver import Version
from tests.ecosystem.synth import ADVISORIES, ECOSYSTEM, Adv, Dep, Ver, database, write_index


def _session(
    root: Path, versions: tuple[Ver, ...] = ECOSYSTEM, advisories: tuple[Adv, ...] = ADVISORIES
) -> Session:
    index = DirIndex(write_index(root, versions))

    def lookup(name: str) -> tuple[IndexEntry, ...]:
        try:
            return index.versions(name)
        except CrateNotFound:
            return ()

    return Session(lookup, AdvisoryMatcher(database(advisories).advisories))


def _rows(session: Session, names: list[str], *, all_versions: bool = False) -> dict[str, Any]:
    table = session.partition(names, all_versions=all_versions)
    assert table.schema == ROW_SCHEMA
    return {f"{r['name']}@{r['version']}": r for r in table.to_pylist()}


def test_row_counts_findings_per_kind_with_depth_parents_and_dev_only(tmp_path: Path) -> None:
    rows = _rows(_session(tmp_path), ["app"])
    assert list(rows) == ["app@1.0.0"]  # the pre-release 1.1.0-rc.1 is not the latest
    row = rows["app@1.0.0"]
    assert row["resolve_error"] is None
    assert (row["direct_deps"], row["all_deps"], row["all_deps_no_dev"]) == (2, 5, 3)
    counts = {k: row[k] for k in row if k.startswith("a_")}
    assert counts == {
        "a_vulnerability": 1,
        "a_unsound": 1,
        "a_notice": 0,
        "a_unmaintained": 1,
        "a_yanked": 0,
    }
    assert row["advisories"] == [
        {
            "id": "RUSTSEC-2020-0001",
            "kind": "vulnerability",
            "package": "old-time",
            "version": "0.1.0",
            "depth": 2,
            "dev_only": False,
            "parents": ["web@1.0.0"],
            "date": dt.date(2020, 3, 1),
        },
        {
            "id": "RUSTSEC-2020-0002",
            "kind": "unmaintained",
            "package": "log",
            "version": "0.4.8",
            "depth": 2,
            "dev_only": False,
            "parents": ["web@1.0.0"],
            "date": dt.date(2020, 4, 1),
        },
        {
            "id": "RUSTSEC-2021-0003",
            "kind": "unsound",
            "package": "shaky",
            "version": "1.0.0",
            "depth": 2,
            "dev_only": True,
            "parents": ["bench-kit@0.3.0"],
            "date": dt.date(2020, 1, 1),
        },
    ]
    assert row["latest"] is True
    assert row["yanked"] is False


def test_the_root_itself_is_not_a_finding_but_is_listed(tmp_path: Path) -> None:
    row = _rows(_session(tmp_path), ["own"])["own@1.0.0"]
    assert row["self_advisories"] == ["RUSTSEC-2021-0004"]
    assert row["a_notice"] == 0
    assert [(f["id"], f["depth"], f["parents"]) for f in row["advisories"]] == [
        ("RUSTSEC-2020-0002", 1, ["own@1.0.0"])
    ]


def test_unresolvable_rows_carry_cargos_reason_and_no_counts(tmp_path: Path) -> None:
    row = _rows(_session(tmp_path), ["broken"])["broken@0.1.0"]
    assert row["resolve_error"] == (
        "no matching package named `missing` found (required by `broken v0.1.0`)"
    )
    assert all(row[k] is None for k in ("all_deps", "a_vulnerability", "advisories"))


def test_every_version_mode_has_one_row_per_published_version(tmp_path: Path) -> None:
    rows = _rows(_session(tmp_path), ["web", "app"], all_versions=True)
    assert sorted(rows) == ["app@0.9.0", "app@1.0.0", "app@1.1.0-rc.1", "web@1.0.0", "web@1.1.0"]
    assert [k for k, r in rows.items() if r["latest"]] == ["web@1.0.0", "app@1.0.0"]
    yanked = rows["web@1.1.0"]
    assert yanked["yanked"] is True
    assert yanked["resolve_error"] == (
        'failed to select a version for the requirement web = "=1.1.0" (required by the root): '
        "version 1.1.0 is yanked"
    )
    # app 0.9.0 has no dev-dependencies: the same tree with or without them
    old = rows["app@0.9.0"]
    assert (old["all_deps"], old["all_deps_no_dev"], old["a_unsound"]) == (3, 3, 0)


def test_names_are_index_paths_in_any_case(tmp_path: Path) -> None:
    versions = (
        Ver("Mixed_Case", "1.0.0", deps=[Dep("old-time", "=0.1.0")]),
        Ver("old-time", "0.1.0"),
    )
    rows = _rows(_session(tmp_path, versions), ["mixed_case", "absent"])
    assert list(rows) == ["Mixed_Case@1.0.0"]
    assert rows["Mixed_Case@1.0.0"]["a_vulnerability"] == 1


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ([("1.0.0", False), ("2.0.0", True), ("1.1.0-rc.1", False)], "1.0.0"),
        ([("1.0.0-alpha", False), ("0.9.0", True)], "1.0.0-alpha"),
        ([("0.1.0", True), ("0.2.0", True)], "0.2.0"),
        ([("0.3.0-alpha.01", False), ("0.2.0", False)], "0.2.0"),  # unparsable line skipped
        ([("0.10.0", False), ("0.9.0", False)], "0.10.0"),  # semver order, not text order
    ],
)
def test_choose_latest_prefers_releases_then_prereleases_then_yanked(
    lines: list[tuple[str, bool]], expected: str
) -> None:
    entries = [
        IndexEntry(name="a", vers=v, deps=(), features={}, yanked=y, links=None,
                   rust_version=None, cksum="", schema=1)
        for v, y in lines
    ]  # fmt: skip
    chosen = choose_latest(entries)
    assert chosen is not None
    assert chosen.vers == expected


def test_choose_latest_without_a_parsable_line_is_none() -> None:
    entry = IndexEntry(name="a", vers="01.0", deps=(), features={}, yanked=False, links=None,
                       rust_version=None, cksum="", schema=1)  # fmt: skip
    assert choose_latest([entry]) is None


def test_matcher_keeps_crates_io_advisories_not_withdrawn_and_counted_kinds() -> None:
    extra = (Adv("RUSTSEC-2022-0007", "log", informational="something-new"),)
    matcher = AdvisoryMatcher(database(ADVISORIES + extra).advisories)
    log = PackageId(name="log", version=Version.parse("0.4.8"))
    assert [a.id for a in matcher.matching(log)] == ["RUSTSEC-2020-0002"]
    assert len(matcher) == 4
    until = AdvisoryMatcher(database(ADVISORIES).advisories, until=dt.date(2020, 3, 31))
    assert [a.id for a in until.matching(log)] == []
    old = PackageId(name="old-time", version=Version.parse("0.1.0"))
    assert [a.id for a in until.matching(old)] == ["RUSTSEC-2020-0001"]


def test_matcher_survives_pickling_without_its_memo() -> None:
    matcher = AdvisoryMatcher(database(ADVISORIES).advisories)
    old = PackageId(name="old-time", version=Version.parse("0.1.0"))
    matcher.matching(old)
    copy = pickle.loads(pickle.dumps(matcher))
    assert [a.id for a in copy.matching(old)] == ["RUSTSEC-2020-0001"]
    assert copy.names() == matcher.names()


# ---------------------------------------------------------------- properties

_NAMES = ("a", "b", "c", "d", "e")


@st.composite
def _registries(draw: st.DrawFn) -> tuple[tuple[Ver, ...], tuple[Adv, ...]]:
    versions = []
    for i, name in enumerate(_NAMES):
        for minor in range(draw(st.integers(1, 3))):
            later = _NAMES[i + 1 :]
            deps = draw(st.lists(st.sampled_from(later), unique=True, max_size=3)) if later else []
            dev = draw(st.lists(st.sampled_from(later), unique=True, max_size=1)) if later else []
            versions.append(
                Ver(
                    name,
                    f"0.{minor}.0",
                    deps=[Dep(d, "^0") for d in deps] + [Dep(d, "^0", kind="dev") for d in dev],
                )
            )
    advisories = tuple(
        Adv(f"RUSTSEC-2020-{n:04d}", name, patched=(f">= 0.{fixed}.0",), informational=kind)
        for n, (name, fixed, kind) in enumerate(
            draw(
                st.lists(
                    st.tuples(
                        st.sampled_from(_NAMES),
                        st.integers(0, 3),
                        st.sampled_from([None, "unsound", "unmaintained", "notice"]),
                    ),
                    max_size=5,
                )
            )
        )
    )
    return tuple(versions), advisories


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(case=_registries())
def test_counts_depths_and_sizes_agree_with_the_findings(
    tmp_path_factory: pytest.TempPathFactory, case: tuple[tuple[Ver, ...], tuple[Adv, ...]]
) -> None:
    versions, advisories = case
    session = _session(tmp_path_factory.mktemp("reg"), versions, advisories)
    table = session.partition(list(_NAMES), all_versions=True)
    matcher = AdvisoryMatcher(database(advisories).advisories)
    for row in table.to_pylist():
        assert row["resolve_error"] is None  # every requirement ^0 can be met
        request = RootRequest(name=row["name"], version=row["version"], include_dev=True)
        resolved = session.resolver.resolve(request)
        assert isinstance(resolved, Resolved)
        packages = [p for p in resolved.packages if str(p) != f"{row['name']}@{row['version']}"]
        assert row["all_deps"] == len(packages)
        assert 0 <= row["all_deps_no_dev"] <= row["all_deps"]
        assert row["direct_deps"] <= row["all_deps"]
        expected = sorted((a.id, str(p)) for p in packages for a in matcher.matching(p))
        found = sorted((f["id"], f"{f['package']}@{f['version']}") for f in row["advisories"])
        assert found == expected
        for kind in ("vulnerability", "unsound", "notice", "unmaintained"):
            assert row[f"a_{kind}"] == sum(f["kind"] == kind for f in row["advisories"])
        for finding in row["advisories"]:
            assert 1 <= finding["depth"] <= row["all_deps"]
            assert finding["parents"]
            if finding["depth"] == 1:
                assert f"{row['name']}@{row['version']}" in finding["parents"]
