"""Popularity sources: downloads CSV, crates.io db-dumps (old and new layouts), reverse deps."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cratewatch.inspect.typosquat.popularity import (
    InvalidPopularity,
    PopularityKind,
    load_popularity,
    reverse_dependencies,
)
from cratewatch.registry.index import open_index
from tests.conftest import ASSETS
from tests.inspect.gitindex import dep, init_index, line, publish

DUMPS = ASSETS / "typosquat"


def test_downloads_csv() -> None:
    pop = load_popularity(DUMPS / "downloads.csv")
    assert pop.kind is PopularityKind.DOWNLOADS
    assert pop.source == f"download counts from {DUMPS / 'downloads.csv'}"
    assert pop.count("rust-decimal") == 50_000_000
    assert pop.ranked(3) == ["syn", "libc", "serde"]
    assert pop.created == {}


def test_db_dump_with_downloads_column() -> None:
    pop = load_popularity(DUMPS / "dump-2023")  # the dump directory (data/ inside)
    assert pop.count("rust_decimal") == 50_000_000
    assert pop.created["rustdecimal"] == dt.datetime(2022, 2, 25, 9, 30, 0, 123456, tzinfo=dt.UTC)
    assert pop.display_name("serde-json") == "serde_json"


def test_db_dump_with_separate_downloads() -> None:
    pop = load_popularity(DUMPS / "dump-2024" / "data" / "crates.csv")
    assert (pop.count("serde"), pop.count("rust_decimal"), pop.count("serdee")) == (
        500_000_000,
        60_000_000,
        3,
    )
    assert pop.created["serdee"] == dt.datetime(2024, 6, 2, 11, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("name,downloads\nserde,12\nbroken,lots\n",
         "line 3: downloads: expected an integer, got 'lots'"),
        ("serde\n", "line 1: expected name,downloads"),
        ("serde,-1\n", "line 1: downloads: must not be negative"),
        ("name,downloads\n", "no name,downloads rows"),
    ],
)  # fmt: skip
def test_bad_csv(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "d.csv"
    path.write_text(content)
    with pytest.raises(InvalidPopularity) as caught:
        load_popularity(path)
    assert str(caught.value) == f"{path}: {message}"


def test_dump_without_any_downloads(tmp_path: Path) -> None:
    path = tmp_path / "crates.csv"
    path.write_text("created_at,id,name\n2020-01-01 00:00:00+00,1,a\n")
    with pytest.raises(InvalidPopularity) as caught:
        load_popularity(path)
    assert str(caught.value) == f"{path}: no downloads column and no crate_downloads.csv beside it"


def test_reverse_dependencies_from_a_git_index(tmp_path: Path) -> None:
    repo = tmp_path / "index"
    init_index(repo, "https://dl.example/")
    publish(repo, [line("serde", "1.0.0"), line("log", "0.4.0")], date="2024-01-02T00:00:00Z")
    publish(
        repo,
        [
            line("a", "0.1.0", deps=[dep("serde"), dep("log", kind="dev")]),
            line("a", "0.2.0", deps=[dep("serde")]),
            line("b", "0.1.0", deps=[dep("serde", kind="build"), dep("log")]),
            line("c", "0.1.0", deps=[dep("log", kind="dev")]),
        ],
        date="2024-01-03T00:00:00Z",
    )
    cache = tmp_path / "cache"
    with open_index(str(repo)) as index:
        pop = reverse_dependencies(index, cache_dir=cache)
    assert pop.kind is PopularityKind.REVERSE_DEPENDENCIES
    assert dict(pop.counts) == {"serde": 2, "log": 1, "a": 0, "b": 0, "c": 0}
    (cached,) = (cache / "typosquat").iterdir()
    assert cached.name.startswith("revdeps-")
    with open_index(str(repo)) as index:
        assert dict(reverse_dependencies(index, cache_dir=cache).counts) == dict(pop.counts)
