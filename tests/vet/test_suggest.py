"""vet suggest: the cheapest audit per unvetted package, sized from real .crate files served by a
loopback registry."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from cratewatch.lockfile import load_lockfile
from cratewatch.registry.crates import CrateFetcher
from cratewatch.vet.check import crate_graph_from_lockfile
from cratewatch.vet.model import Store, VetVersion
from cratewatch.vet.suggest import (
    DiffStat,
    FetchedCrateFiles,
    SizeUnknown,
    diffstat,
    suggest_audits,
)
from tests.crates import lines, make_crate

BASE = lines(100)
CHANGED = BASE.replace("line 10\n", "line ten\n").replace("line 50\n", "") + "line 100\nline 101\n"

CRATES: dict[tuple[str, str], dict[str, str | bytes]] = {
    ("serde-lite", "1.0.100"): {"src/lib.rs": BASE, ".cargo_vcs_info.json": '{"sha1": "a"}'},
    ("serde-lite", "1.0.104"): {
        "src/lib.rs": CHANGED,
        "tests/new.rs": lines(5),
        ".cargo_vcs_info.json": '{"sha1": "b"}',
        "Cargo.lock": lines(40),
    },
    ("newcrate", "0.1.0"): {"src/lib.rs": lines(30), "logo.png": b"\x89PNG\0\0binary"},
    ("leftpad", "1.0.0"): {"src/lib.rs": lines(12), "README.md": lines(3)},
    ("acme-fork", "1.2.0"): {"src/lib.rs": lines(500)},
}


@pytest.fixture
def registry(httpserver: HTTPServer) -> str:
    for (name, version), files in CRATES.items():
        httpserver.expect_request(f"/crates/{name}/{name}-{version}.crate").respond_with_data(
            make_crate(name, version, files)
        )
    httpserver.expect_request("/crates/oldlib/oldlib-0.3.1.crate").respond_with_data(
        "gone", status=404
    )
    return httpserver.url_for("/crates/{crate}/{crate}-{version}.crate")


def test_cheapest_audits_sorted_by_size(
    registry: str, vet_assets: Path, acme_store: Store, tmp_path: Path
) -> None:
    graph = crate_graph_from_lockfile(load_lockfile(vet_assets / "acme" / "Cargo.lock"))
    with CrateFetcher(tmp_path, dl=registry) as fetcher:
        found = suggest_audits(graph, acme_store, FetchedCrateFiles(fetcher))
    assert [s.name for s in found] == ["serde-lite", "leftpad", "newcrate", "acme-fork", "oldlib"]
    by_name = {s.name: s for s in found}
    serde = by_name["serde-lite"]
    assert (serde.from_version, serde.size) == (
        VetVersion.parse("1.0.100"),
        DiffStat(files_changed=2, insertions=8, deletions=2),
    )
    assert serde.criteria == ("safe-to-deploy",)
    assert serde.command == (
        "cratewatch vet certify serde-lite 1.0.104 --delta 1.0.100 --criteria safe-to-deploy"
    )
    assert by_name["leftpad"].size == DiffStat(files_changed=2, insertions=15, deletions=0)
    assert by_name["newcrate"].size == DiffStat(files_changed=2, insertions=30, deletions=0)
    assert by_name["acme-fork"].size == DiffStat(files_changed=1, insertions=500, deletions=0)
    # oldlib's exemption may be suggested away; frozen's (suggest = false) may not
    oldlib = by_name["oldlib"].size
    assert isinstance(oldlib, SizeUnknown)
    assert oldlib.reason.endswith("oldlib-0.3.1.crate: HTTP 404 Not Found")
    assert "frozen" not in by_name
    assert "evil" not in by_name  # a violation is not fixed by auditing
    sized = [s.size.count for s in found if isinstance(s.size, DiffStat)]
    assert sized == sorted(sized) == [10, 15, 30, 500]
    assert found[-1].name == "oldlib"


def test_unknown_size_says_why(vet_assets: Path, acme_store: Store, tmp_path: Path) -> None:
    graph = crate_graph_from_lockfile(load_lockfile(vet_assets / "acme" / "Cargo.lock"))
    with CrateFetcher(tmp_path, offline=True) as fetcher:
        found = suggest_audits(graph, acme_store, FetchedCrateFiles(fetcher))
    newcrate = next(s for s in found if s.name == "newcrate")
    assert isinstance(newcrate.size, SizeUnknown)
    assert newcrate.size.reason.startswith("newcrate 0.1.0: not in the crate cache")


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (None, {"a.rs": "x\ny\n"}, DiffStat(1, 2, 0)),
        ({"a.rs": "x\n"}, {"a.rs": "x\n"}, DiffStat(0, 0, 0)),
        ({"a.rs": "x\ny\n"}, {}, DiffStat(1, 0, 2)),
        ({"a.rs": "x\ny\nz\n"}, {"a.rs": "x\nY\nz\n"}, DiffStat(1, 1, 1)),
        ({"bin": b"\0\1"}, {"bin": b"\0\2"}, DiffStat(1, 0, 0)),
        ({"sub/.cargo_vcs_info.json": "a"}, {"sub/.cargo_vcs_info.json": "b"}, DiffStat(0, 0, 0)),
        ({".cargo-ok": "ok"}, {"Cargo.lock": "x\n"}, DiffStat(0, 0, 0)),
        ({"a.rs": "no newline"}, {"a.rs": "no newline\nmore"}, DiffStat(1, 1, 0)),
    ],
)
def test_diffstat(
    old: dict[str, str | bytes] | None, new: dict[str, str | bytes], expected: DiffStat
) -> None:
    def encode(files: dict[str, str | bytes]) -> dict[str, bytes]:
        return {k: v.encode() if isinstance(v, str) else v for k, v in files.items()}

    assert diffstat(None if old is None else encode(old), encode(new)) == expected
