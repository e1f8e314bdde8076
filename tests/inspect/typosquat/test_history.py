"""Dating new crates from the git history of an index."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cratewatch.inspect.typosquat.history import HistoryUnavailable, first_seen, new_crates_since
from tests.inspect.gitindex import init_index, line, publish

UTC = dt.UTC


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    path = tmp_path / "index"
    init_index(path, "https://dl.example/", date="2024-01-01T00:00:00+00:00")
    publish(path, [line("serde", "1.0.0")], date="2024-02-01T00:00:00+00:00")
    publish(path, [line("serde", "1.0.1")], date="2024-03-01T00:00:00+00:00")
    publish(
        path, [line("rustdecimal", "1.23.1"), line("x", "0.1.0")], date="2024-04-01T00:00:00+00:00"
    )
    return path


def test_new_crates_since(repo: Path) -> None:
    found = new_crates_since(repo, dt.datetime(2024, 2, 15, tzinfo=UTC))
    assert [(c.name, c.first_seen) for c in found] == [
        ("rustdecimal", dt.datetime(2024, 4, 1, tzinfo=UTC)),
        ("x", dt.datetime(2024, 4, 1, tzinfo=UTC)),
    ]
    everything = new_crates_since(repo, dt.datetime(2024, 1, 15, tzinfo=UTC))
    assert [c.name for c in everything] == ["serde", "rustdecimal", "x"]


def test_a_date_inside_the_snapshot_cannot_be_answered(repo: Path) -> None:
    with pytest.raises(HistoryUnavailable) as caught:
        new_crates_since(repo, dt.datetime(2023, 6, 1, tzinfo=UTC))
    assert str(caught.value) == (
        f"{repo}: cannot date publications since 2023-06-01: its history starts at a squashed "
        "snapshot commit of 2024-01-01; crates in a snapshot have no publish date. Use a later "
        "--since, a git index with more history, or --popularity with a crates.io db-dump "
        "(created_at)"
    )


def test_first_seen(repo: Path) -> None:
    assert first_seen(repo, "serde") == dt.datetime(2024, 2, 1, tzinfo=UTC)
    assert first_seen(repo, "rustdecimal") == dt.datetime(2024, 4, 1, tzinfo=UTC)
    assert first_seen(repo, "unknown") is None


def test_not_a_repository(tmp_path: Path) -> None:
    with pytest.raises(HistoryUnavailable, match="not a git repository, so no publish history"):
        new_crates_since(tmp_path, dt.datetime(2024, 1, 1, tzinfo=UTC))


@pytest.mark.shared
def test_the_2020_bundle_is_a_snapshot(shared_data: Path, tmp_path: Path) -> None:
    import subprocess  # noqa: PLC0415

    clone = tmp_path / "index.git"
    subprocess.run(
        [
            "git",
            "clone",
            "-q",
            "--bare",
            str(shared_data / "crates-io-index-2020.bundle"),
            str(clone),
        ],
        check=True,
    )
    with pytest.raises(HistoryUnavailable, match="the index has a single commit"):
        new_crates_since(clone, dt.datetime(2020, 1, 1, tzinfo=UTC))
    assert first_seen(clone, "serde") is None
