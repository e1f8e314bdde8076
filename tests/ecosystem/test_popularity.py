"""Download counts and dates from a crates.io database dump (real layout) or a simple CSV."""

from __future__ import annotations

import datetime as dt
import gzip
import io
import tarfile
from pathlib import Path

import pytest

from cratewatch.ecosystem.popularity import (
    InvalidPopularity,
    VersionStats,
    load_popularity,
    parse_timestamp,
    read_db_dump,
)
from cratewatch.errors import SourceError
from tests.ecosystem.dumps import VERSIONS_COLUMNS, crates_csv, versions_csv, write_dump

UTC = dt.UTC


def _with_version(*row: object) -> list[tuple[str, bytes]]:
    """A dump's data files with one versions.csv row."""
    return [("crates.csv", crates_csv()), ("versions.csv", versions_csv([row]))]


@pytest.mark.parametrize("versions_first", [False, True])
def test_dump_gives_crate_totals_and_per_version_numbers(
    tmp_path: Path, versions_first: bool
) -> None:
    pop = load_popularity(write_dump(tmp_path / "db-dump.tar.gz", versions_first=versions_first))
    assert pop.kind == "db-dump"
    assert pop.snapshot == dt.datetime(2024, 5, 13, 2, 0, 18, 123456, tzinfo=UTC)
    assert pop.crates_io_commit == "d2a5e2b"
    assert pop.crates == {"serde": 300_000_000, "inflector": 5_000, "tiny": 12}
    assert pop.version("serde", "1.0.100") == VersionStats(
        downloads=2_500_000, created_at=dt.datetime(2019, 9, 9, 0, 0, 1, tzinfo=UTC), yanked=False
    )
    assert pop.version("Serde", "1.0.101") == VersionStats(
        downloads=42,
        created_at=dt.datetime(2019, 9, 10, 11, 12, 13, 500000, tzinfo=UTC),
        yanked=True,
    )
    assert pop.crate_downloads("INFLECTOR") == 5_000
    assert pop.version("inflector", "0.11.4+build.7") is not None  # build metadata ignored
    assert pop.version("serde", "9.9.9") is None


def test_dump_before_2024_has_downloads_in_crates_csv(tmp_path: Path) -> None:
    pop = read_db_dump(write_dump(tmp_path / "old.tar.gz", old=True))
    assert pop.crates["serde"] == 300_000_000
    assert len(pop.versions) == 5


def test_names_filter_keeps_only_wanted_crates(tmp_path: Path) -> None:
    pop = load_popularity(write_dump(tmp_path / "d.tar.gz"), names={"tiny"}.__contains__)
    assert pop.crates == {"tiny": 12}
    assert list(pop.versions) == [("tiny", "0.1.0")]


@pytest.mark.parametrize(
    ("members", "message"),
    [
        (
            [("versions.csv", versions_csv())],
            "not a crates.io database dump (no data/crates.csv)",
        ),
        ([("crates.csv", crates_csv())], "not a crates.io database dump (no data/versions.csv)"),
        (
            [("crates.csv", b"id,title\n1,x\n"), ("versions.csv", versions_csv())],
            "2024-05-13-020018/data/crates.csv: header: missing column(s) name (has id, title)",
        ),
        (
            _with_version(1, 1, "1.0.0", "-5", "2020-01-01 00:00:00", "f"),
            "2024-05-13-020018/data/versions.csv: line 2: downloads: expected a non-negative "
            "integer, got '-5'",
        ),
        (
            _with_version(1, 1, "1.0.0", 3, "yesterday", "f"),
            "2024-05-13-020018/data/versions.csv: line 2: created_at: expected a timestamp, got "
            "'yesterday'",
        ),
        (
            _with_version(1, 1, "1.0.0", 3, "2020-01-01 00:00:00", "maybe"),
            "2024-05-13-020018/data/versions.csv: line 2: yanked: expected t or f, got 'maybe'",
        ),
        (
            [
                ("crates.csv", crates_csv()),
                ("versions.csv", (",".join(VERSIONS_COLUMNS) + "\n1,2\n").encode()),
            ],
            "2024-05-13-020018/data/versions.csv: line 2: expected 16 fields",
        ),
        (
            [("crates.csv", b"id,name\n1,\xff\xfe\n"), ("versions.csv", versions_csv())],
            "2024-05-13-020018/data/crates.csv: not UTF-8 text (invalid start byte)",
        ),
    ],
)  # fmt: skip
def test_malformed_dumps_name_the_member_line_and_field(
    tmp_path: Path, members: list[tuple[str, bytes]], message: str
) -> None:
    path = write_dump(tmp_path / "bad.tar.gz", members=members)
    with pytest.raises(InvalidPopularity) as caught:
        read_db_dump(path)
    assert str(caught.value) == f"{path}: {message}"


def test_not_a_tarball_and_a_truncated_one(tmp_path: Path) -> None:
    plain = tmp_path / "plain.tar.gz"
    plain.write_bytes(b"not gzip at all")
    with pytest.raises(InvalidPopularity, match=r"plain\.tar\.gz: not a gzip-compressed tar"):
        read_db_dump(plain)
    whole = write_dump(tmp_path / "whole.tar.gz").read_bytes()
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(InvalidPopularity, match=r"cut\.tar\.gz: truncated or corrupt archive"):
        read_db_dump(cut)
    truncated_gzip = tmp_path / "g.tar.gz"
    truncated_gzip.write_bytes(gzip.compress(b"x" * 10))
    with pytest.raises(InvalidPopularity):
        read_db_dump(truncated_gzip)
    with pytest.raises(SourceError, match=r"absent\.tar\.gz: no such file"):
        read_db_dump(tmp_path / "absent.tar.gz")


def test_members_outside_data_and_links_are_ignored(tmp_path: Path) -> None:
    path = write_dump(tmp_path / "d.tar.gz")
    members = []
    with tarfile.open(path, "r:gz") as src:
        for member in src:
            stream = src.extractfile(member)
            members.append((member, stream.read() if stream is not None else b""))
    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(evil, "w:gz") as out:
        link = tarfile.TarInfo("2024-05-13-020018/data/crates.csv")
        link.type = tarfile.SYMTYPE
        link.linkname = "/etc/passwd"
        out.addfile(link)
        stray = tarfile.TarInfo("elsewhere/versions.csv")
        stray.size = 5
        out.addfile(stray, io.BytesIO(b"x,y\n1"))
        for info, content in members:
            out.addfile(info, io.BytesIO(content))
    pop = read_db_dump(evil)
    assert pop.crates["serde"] == 300_000_000


def test_csv_with_versions_and_crate_totals(tmp_path: Path) -> None:
    path = tmp_path / "pop.csv"
    path.write_text(
        "version,name,downloads,created_at\n"
        "1.0.0,Serde,10,2020-01-02\n"
        "1.0.1,serde,5,2020-02-03T04:05:06Z\n"
        ",rand,7,\n"
        "0.1.0,rand,3,\n"
    )
    pop = load_popularity(path)
    assert pop.kind == "csv"
    assert pop.crates == {"serde": 15, "rand": 7}  # totals given win over sums
    assert pop.version("serde", "1.0.1") == VersionStats(
        downloads=5, created_at=dt.datetime(2020, 2, 3, 4, 5, 6, tzinfo=UTC)
    )
    assert pop.version("rand", "0.1.0") == VersionStats(downloads=3, created_at=None)


def test_csv_with_crate_totals_only(tmp_path: Path) -> None:
    path = tmp_path / "totals.csv"
    path.write_text("name,downloads\nserde,100\nrand,50\n")
    pop = load_popularity(path)
    assert pop.crates == {"serde": 100, "rand": 50}
    assert pop.versions == {}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("name,version\nserde,1\n", "header: missing column(s) downloads (has name, version)"),
        (
            "name,downloads\nserde,lots\n",
            "line 2: downloads: expected a non-negative integer, got 'lots'",
        ),
        ("name,downloads\n,3\n", "line 2: name: empty"),
        ("name,downloads\nserde,1\nserde,2\n", "line 3: crate serde given twice"),
        ("name,version,downloads\na,1.0.0,1\na,1.0.0,2\n", "line 3: a@1.0.0 given twice"),
        (
            "name,downloads,created_at\na,1,13/01/2020\n",
            "line 2: created_at: expected a timestamp, got '13/01/2020'",
        ),
        ("", "empty file (expected a header row)"),
    ],
)  # fmt: skip
def test_malformed_csv_names_the_line_and_field(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(InvalidPopularity) as caught:
        load_popularity(path)
    assert str(caught.value) == f"{path}: {message}"


def test_unknown_suffix_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InvalidPopularity, match=r"x\.json: unknown popularity source"):
        load_popularity(tmp_path / "x.json")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2017-04-20 15:28:52.283217", dt.datetime(2017, 4, 20, 15, 28, 52, 283217, tzinfo=UTC)),
        ("2017-04-20 15:28:52", dt.datetime(2017, 4, 20, 15, 28, 52, tzinfo=UTC)),
        ("2017-04-20 15:28:52+00", dt.datetime(2017, 4, 20, 15, 28, 52, tzinfo=UTC)),
        ("2017-04-20T17:28:52+02:00", dt.datetime(2017, 4, 20, 15, 28, 52, tzinfo=UTC)),
        ("2017-04-20", dt.datetime(2017, 4, 20, tzinfo=UTC)),
    ],
)
def test_timestamps_are_utc(text: str, expected: dt.datetime) -> None:
    assert parse_timestamp(text, where="x") == expected
