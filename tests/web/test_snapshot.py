"""Snapshots: API OSV equals the export, lookups, search."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cratewatch.advisories.database import AdvisoryDatabase
from cratewatch.advisories.osv import export_osv
from cratewatch.web.snapshot import Snapshot, crate_key, is_valid_crate_name


def test_osv_records_equal_the_export(
    web_db: AdvisoryDatabase, web_snapshot: Snapshot, tmp_path: Path
) -> None:
    summary = export_osv(web_db, tmp_path)
    assert summary.files == 8  # the rust/ advisory is not exported, as by RustSec
    for file in tmp_path.glob("*.json"):
        assert web_snapshot.osv(file.stem) == json.loads(file.read_text())
        assert json.loads(web_snapshot.osv_json(file.stem)) == json.loads(file.read_text())


def test_toolchain_advisories_are_left_out(web_snapshot: Snapshot) -> None:
    assert web_snapshot.advisory("CVE-2021-28877") is None
    assert web_snapshot.crate("std") is None
    assert web_snapshot.crate_names() == ("bar", "baz", "foo")
    assert web_snapshot.advisory_count == 8


def test_crate_file_is_newest_publication_first_and_pretty(web_snapshot: Snapshot) -> None:
    data = web_snapshot.crate("foo")
    assert data is not None
    records = json.loads(data.osv_file)
    assert records == json.loads(data.osv_json)
    # every file was committed at once: same time, so by id, newest first
    assert [r["id"] for r in records] == sorted((r["id"] for r in records), reverse=True)
    assert data.osv_file.startswith(b'[\n  {\n    "id": ')
    assert [a.id for a in data.shown] == [r["id"] for r in records if "withdrawn" not in r]


@pytest.mark.parametrize("name", ["foo", "FOO", "Foo"])
def test_crate_lookup_uses_the_crates_io_key(web_snapshot: Snapshot, name: str) -> None:
    data = web_snapshot.crate(name)
    assert data is not None
    assert data.name == "foo"


@pytest.mark.parametrize(
    ("name", "valid"),
    [("serde", True), ("serde_json", True), ("a-b", True), ("9x", False), ("-x", False),
     ("", False), ("a" * 65, False), ("a/b", False), ("é", False), ("a.b", False)],
)  # fmt: skip
def test_crate_names(name: str, valid: bool) -> None:
    assert is_valid_crate_name(name) is valid


def test_crate_key() -> None:
    assert crate_key("Foo-Bar_baz") == "foo_bar_baz"


@pytest.mark.parametrize(
    ("query", "crates", "advisories"),
    [
        # titles match too, withdrawn advisories included (marked as such), newest first
        ("foo", ["foo"], ["RUSTSEC-2023-0105", "RUSTSEC-2023-0104", "RUSTSEC-2022-0103",
                          "RUSTSEC-2021-0102", "RUSTSEC-2020-0101", "RUSTSEC-2019-0106"]),
        ("ba", ["bar", "baz"], ["RUSTSEC-2024-0108", "RUSTSEC-2024-0107"]),
        ("a", ["bar", "baz"], ["RUSTSEC-2024-0108", "RUSTSEC-2024-0107", "RUSTSEC-2023-0105",
                               "RUSTSEC-2023-0104", "RUSTSEC-2021-0102", "RUSTSEC-2020-0101",
                               "RUSTSEC-2019-0106"]),
        ("cve-2020-1001", [], ["RUSTSEC-2020-0101"]),
        ("GHSA-3456-789c-fghj", [], ["RUSTSEC-2021-0102"]),
        ("rustsec-2022-0103", [], ["RUSTSEC-2022-0103"]),
        ("heap overflow", [], ["RUSTSEC-2020-0101"]),
        ("   ", [], []),
        ("zzz", [], []),
    ],
)  # fmt: skip
def test_search(
    web_snapshot: Snapshot, query: str, crates: list[str], advisories: list[str]
) -> None:
    results = web_snapshot.search(query)
    assert [c.name for c in results.crates] == crates
    assert [a.id for a in results.advisories] == advisories


def test_search_counts_only_listed_advisories(web_snapshot: Snapshot) -> None:
    (hit,) = web_snapshot.search("foo").crates
    assert hit.advisories == 5  # six files, one withdrawn


def test_recent_is_by_publication_and_skips_withdrawn(web_snapshot: Snapshot) -> None:
    assert "RUSTSEC-2023-0105" not in [a.id for a in web_snapshot.recent]
    assert len(web_snapshot.recent) == 7


def test_real_database_osv_equals_export(
    real_db: AdvisoryDatabase, real_snapshot: Snapshot, tmp_path: Path
) -> None:
    export_osv(real_db, tmp_path)
    files = sorted(tmp_path.glob("*.json"))
    assert len(files) == real_snapshot.advisory_count > 1000
    for file in files[::25]:
        assert (
            real_snapshot.osv_json(file.stem)
            == json.dumps(
                json.loads(file.read_text()), ensure_ascii=False, separators=(",", ":")
            ).encode()
        )
