"""What the Security tab shows, computed from the fixture advisories (no HTTP)."""

from __future__ import annotations

import datetime
from typing import NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cratewatch.advisories.cvss import Severity
from cratewatch.advisories.model import Advisory, AdvisoryKind
from cratewatch.registry.dirindex import DirIndex
from cratewatch.semver import Version
from cratewatch.web.snapshot import Snapshot
from cratewatch.web.view import (
    DbStamp,
    Link,
    advisory_view,
    alias_link,
    crate_overview,
    parse_selected_version,
    security_page,
    severity_summary,
    version_table,
)

DB = DbStamp(commit="0123456789abcdef0123", date=None)


def foo(snapshot: Snapshot) -> tuple[Advisory, ...]:
    data = snapshot.crate("foo")
    assert data is not None
    return data.advisories


def test_lists_vulnerabilities_and_unsound_newest_first(web_snapshot: Snapshot) -> None:
    page = security_page("foo", foo(web_snapshot), version_text=None, index_versions=None, db=DB)
    assert [(v.id, v.kind_label) for v in page.main] == [
        ("RUSTSEC-2022-0103", "Unsound"),
        ("RUSTSEC-2021-0102", "Vulnerability"),
        ("RUSTSEC-2020-0101", "Vulnerability"),
        ("RUSTSEC-2019-0106", "Vulnerability"),
    ]
    assert [(v.id, v.kind_label) for v in page.informational] == [
        ("RUSTSEC-2023-0104", "Unmaintained")
    ]
    assert page.withdrawn_count == 1  # RUSTSEC-2023-0105 is not shown anywhere
    assert page.selected is None
    assert page.summary is None
    assert all(v.affects_selected is None for v in (*page.main, *page.informational))


def test_advisory_facts(web_snapshot: Snapshot) -> None:
    adv = web_snapshot.advisory("RUSTSEC-2020-0101")
    assert adv is not None
    view = advisory_view(adv, published=datetime.date(2024, 1, 2))
    assert view.aliases == (
        Link(text="CVE-2020-1001", url="https://nvd.nist.gov/vuln/detail/CVE-2020-1001"),
        Link(text="GHSA-2345-6789-cfgh", url="https://github.com/advisories/GHSA-2345-6789-cfgh"),
    )
    assert view.related == (Link(text="RUSTSEC-2019-0106", advisory="RUSTSEC-2019-0106"),)
    assert view.affected == (">= 0.9.0, < 1.2.3",)
    assert view.patched == (">=1.2.3",)
    assert view.unaffected == ("<0.9.0",)
    assert view.cvss is not None
    assert (view.cvss.base_score, view.cvss.rating, view.cvss.version, view.cvss.counted) == (
        9.8,
        "Critical",
        "3.1",
        True,
    )
    assert view.functions == (("foo::Buffer::grow", "<1.2.3"),)
    assert view.links == (
        Link(text="Announcement", url="https://github.com/example/foo/issues/101"),
        Link(
            text="https://example.com/blog/foo-overflow",
            url="https://example.com/blog/foo-overflow",
        ),
        Link(
            text="RustSec advisory page",
            url="https://rustsec.org/advisories/RUSTSEC-2020-0101.html",
        ),
    )
    assert str(view.title_html) == "Heap overflow in <code>foo::Buffer::grow</code>"
    # the description's hostile parts are text, the safe link is kept, the heading moved down
    summary = str(view.summary_html)
    assert "&lt;script&gt;" in summary
    assert "<script" not in summary
    assert "[the report](javascript:alert(1))" in summary  # shown as text, not a link
    assert 'href="javascript' not in summary
    assert '<a href="https://github.com/example/foo/pull/102"' in summary
    assert "<h3>Impact</h3>" in str(view.description_html)
    assert "<img" not in str(view.description_html)


@pytest.mark.parametrize(
    ("alias", "url"),
    [
        ("CVE-2021-12345", "https://nvd.nist.gov/vuln/detail/CVE-2021-12345"),
        ("GHSA-xg2h-wx96-xgxr", "https://github.com/advisories/GHSA-xg2h-wx96-xgxr"),
        ("GHSA-abcd-efgh-ijkl", None),  # not GHSA's alphabet: shown as text
        ("CVE-2021-1234'><script>", None),
        ("OSV-2020-1", None),
    ],
)
def test_alias_links_only_well_formed_ids(alias: str, url: str | None) -> None:
    assert alias_link(alias).url == url


def test_unsafe_urls_are_shown_as_text() -> None:
    adv = Advisory(
        id="RUSTSEC-2099-0001",
        package="x",
        date=datetime.date(2099, 1, 1),
        title="t",
        description="d",
        url="javascript:alert(1)",
        references=("data:text/html,boo", "https://ok.example/"),
    )
    links = advisory_view(adv).links
    assert links[0] == Link(text="Announcement", url=None)
    assert links[1] == Link(text="data:text/html,boo", url=None)
    assert links[2] == Link(text="https://ok.example/", url="https://ok.example/")


class Expected(NamedTuple):
    affecting: list[str]
    informational: list[str]
    highest: tuple[str, float, Severity] | None
    unscored: list[str]


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        # 9.8 (CVSS 3.1) beats 8.7 (CVSS 4.0); the v2 advisory is affecting but not counted
        (
            "1.0.0",
            Expected(
                [
                    "RUSTSEC-2022-0103",
                    "RUSTSEC-2021-0102",
                    "RUSTSEC-2020-0101",
                    "RUSTSEC-2019-0106",
                ],
                ["RUSTSEC-2023-0104"],
                ("RUSTSEC-2020-0101", 9.8, Severity.CRITICAL),
                ["RUSTSEC-2022-0103", "RUSTSEC-2019-0106"],
            ),
        ),
        (
            "1.2.3",
            Expected(
                ["RUSTSEC-2022-0103", "RUSTSEC-2021-0102"],
                ["RUSTSEC-2023-0104"],
                ("RUSTSEC-2021-0102", 8.7, Severity.HIGH),
                ["RUSTSEC-2022-0103"],
            ),
        ),
        # only the unsound advisory (no score) and the CVSS v2 one (10.0, not counted)
        (
            "0.8.0",
            Expected(
                ["RUSTSEC-2022-0103", "RUSTSEC-2019-0106"],
                ["RUSTSEC-2023-0104"],
                None,
                ["RUSTSEC-2022-0103", "RUSTSEC-2019-0106"],
            ),
        ),
        ("2.0.0", Expected([], ["RUSTSEC-2023-0104"], None, [])),
    ],
)
def test_selected_version(web_snapshot: Snapshot, version: str, expected: Expected) -> None:
    affecting, informational, highest, unscored = expected
    page = security_page("foo", foo(web_snapshot), version_text=version, index_versions=None, db=DB)
    assert page.selected == version
    assert page.version_error is None
    assert page.summary is not None
    assert sorted(page.summary.affecting) == sorted(affecting)
    assert page.summary.affected == bool(affecting)
    assert list(page.summary.informational) == informational
    assert sorted(page.summary.unscored) == sorted(unscored)
    if highest is None:
        assert page.summary.highest is None
        assert page.summary.highest_id is None
    else:
        assert page.summary.highest is not None
        assert (
            page.summary.highest_id,
            page.summary.highest.base_score,
            page.summary.highest.severity,
        ) == highest
    marked = {v.id: v.affects_selected for v in (*page.main, *page.informational)}
    assert {i for i, hit in marked.items() if hit} == {*affecting, *informational}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "1.2",
            "'1.2' is not a version: unexpected end of input while parsing minor version "
            "number; expected a full version such as 1.2.3",
        ),
        (
            "v1.0.0",
            "'v1.0.0' is not a version: unexpected character 'v' while parsing major version "
            "number; expected a full version such as 1.2.3",
        ),
        ("x" * 101, "the version is too long (101 characters, at most 100)"),
    ],
)
def test_invalid_version_is_a_message(web_snapshot: Snapshot, text: str, message: str) -> None:
    page = security_page("foo", foo(web_snapshot), version_text=text, index_versions=None, db=DB)
    assert page.version_error == message
    assert page.selected is None
    assert page.summary is None
    assert len(page.main) == 4  # the advisories are still listed


def test_without_index_the_versions_named_by_advisories_are_offered(
    web_snapshot: Snapshot,
) -> None:
    page = security_page(
        "foo", foo(web_snapshot), version_text=" 1.0.0 ", index_versions=None, db=DB
    )
    assert not page.versions_from_index
    assert [(c.text, c.selected) for c in page.versions] == [
        ("2.0.0", False),
        ("1.5.0", False),
        ("1.2.3", False),
        ("1.0.1", False),
        ("1.0.0", True),
        ("0.9.0", False),
    ]
    assert page.version_input == "1.0.0"


def test_with_index_published_versions_and_latest_release_by_default(
    web_snapshot: Snapshot, web_index: DirIndex
) -> None:
    entries = web_index.versions("foo")
    page = security_page("foo", foo(web_snapshot), version_text=None, index_versions=entries, db=DB)
    assert page.versions_from_index
    assert [(c.text, c.yanked) for c in page.versions] == [
        ("2.0.0-rc.1", False),
        ("1.5.0", True),
        ("1.4.0", False),
        ("1.2.3", False),
        ("1.2.2", False),
        ("1.0.0", False),
        ("0.9.0", False),
        ("0.8.0", False),
    ]  # "not-a-version" cannot be selected by cargo and is left out
    assert page.selected == "1.4.0"  # highest release that is not yanked
    assert [c.text for c in page.versions if c.selected] == ["1.4.0"]
    assert page.summary is not None
    assert page.summary.affecting == ("RUSTSEC-2022-0103", "RUSTSEC-2021-0102")


@pytest.mark.parametrize(
    ("version", "notes"),
    [
        ("1.5.0", ("1.5.0 is yanked.",)),
        ("1.3.0", ("1.3.0 is not a published version of foo in the index.",)),
        ("1.2.3", ()),
    ],
)
def test_version_notes(
    web_snapshot: Snapshot, web_index: DirIndex, version: str, notes: tuple[str, ...]
) -> None:
    page = security_page(
        "foo",
        foo(web_snapshot),
        version_text=version,
        index_versions=web_index.versions("foo"),
        db=DB,
    )
    assert page.version_notes == notes


def test_crate_without_advisories_lists_nothing(web_index: DirIndex) -> None:
    page = security_page(
        "plain", (), version_text="0.1.0", index_versions=web_index.versions("plain"), db=DB
    )
    assert page.main == ()
    assert page.informational == ()
    assert page.withdrawn_count == 0
    assert page.summary is not None
    assert not page.summary.affected
    overview = crate_overview("plain", (), index_versions=web_index.versions("plain"), db=DB)
    assert (overview.latest, overview.version_count, overview.listed) == ("0.2.0", 2, 0)


def test_crate_with_only_informational_advisories(web_snapshot: Snapshot) -> None:
    data = web_snapshot.crate("bar")
    assert data is not None
    page = security_page("bar", data.advisories, version_text=None, index_versions=None, db=DB)
    assert page.main == ()
    assert [(v.id, v.kind) for v in page.informational] == [
        ("RUSTSEC-2024-0107", AdvisoryKind.NOTICE)
    ]


def test_overview_counts_and_latest_status(web_snapshot: Snapshot, web_index: DirIndex) -> None:
    overview = crate_overview(
        "foo", foo(web_snapshot), index_versions=web_index.versions("foo"), db=DB
    )
    assert (overview.latest, overview.version_count, overview.yanked_count) == ("1.4.0", 9, 1)
    assert (overview.listed, overview.informational) == (4, 1)
    assert overview.summary is not None
    assert overview.summary.version == "1.4.0"
    assert overview.summary.affected


def test_version_table_matches_severity_summary(web_snapshot: Snapshot) -> None:
    table = version_table(foo(web_snapshot), ["1.0.0", "2.0.0", "nope"])
    assert set(table) == {"1.0.0", "2.0.0"}
    assert table["1.0.0"]["highest"] == {
        "id": "RUSTSEC-2020-0101",
        "score": 9.8,
        "rating": "Critical",
        "version": "3.1",
    }
    assert table["2.0.0"] == {
        "affected": [],
        "informational": ["RUSTSEC-2023-0104"],
        "unscored": [],
        "highest": None,
    }


_VERSIONS = st.builds(
    Version,
    st.integers(0, 3),
    st.integers(0, 6),
    st.integers(0, 6),
    st.sampled_from(["", "alpha.1", "rc.1", "0"]),
)


@settings(max_examples=100, deadline=None)
@given(version=_VERSIONS)
def test_summary_agrees_with_affects_and_scores(web_snapshot: Snapshot, version: Version) -> None:
    advisories = foo(web_snapshot)
    summary = severity_summary(advisories, version)
    expected = [
        a.id
        for a in advisories
        if not a.is_withdrawn
        and a.kind in (AdvisoryKind.VULNERABILITY, AdvisoryKind.UNSOUND)
        and a.affects(version)
    ]
    assert sorted(summary.affecting) == sorted(expected)
    scores = [
        a.cvss.base_score
        for a in advisories
        if a.id in expected and a.cvss is not None and a.cvss.version in {"3.0", "3.1", "4.0"}
    ]
    if scores:
        assert summary.highest is not None
        assert summary.highest.base_score == max(scores)
    else:
        assert summary.highest is None


def test_parse_selected_version_normalises() -> None:
    assert parse_selected_version("  1.0.0+build  ") == Version.parse("1.0.0+build")
