"""OSV import: directories, zips (osv.dev's all.zip), event timelines, guards and errors."""

from __future__ import annotations

import datetime
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cratewatch.advisories.model import Advisory, AdvisoryKind, AdvisoryOrigin, Collection
from cratewatch.advisories.osv import advisory_to_osv, dump_osv
from cratewatch.advisories.osv_import import (
    InvalidOsv,
    OsvLimits,
    load_osv,
    osv_to_advisories,
)
from cratewatch.advisories.ranges import UNBOUNDED_START, AffectedRange
from cratewatch.errors import AdvisoryDbError, ParseError
from cratewatch.semver import Version

UTC = datetime.UTC


def zip_of(path: Path, members: dict[str, bytes]) -> Path:
    """Write a deflated zip with *members* (name -> bytes) at *path*."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return path


def test_import_ghsa_style_record(assets: Path) -> None:
    advisories = load_osv(assets / "osv" / "GHSA-two-crates.json")
    assert [a.package for a in advisories] == ["alpha-crate", "beta-crate"]
    alpha, beta = advisories
    for adv in advisories:
        assert adv.id == "GHSA-xxxx-yyyy-zzzz"
        assert adv.origin is AdvisoryOrigin.OSV
        assert adv.collection is Collection.CRATES
        assert adv.path == "GHSA-two-crates.json"
        assert adv.date == datetime.date(2024, 2, 28)
        assert adv.aliases == ("CVE-2024-99999",)
        assert adv.kind is AdvisoryKind.VULNERABILITY
        assert adv.cvss is not None
        assert adv.cvss.version == "4.0"  # the first CVSS entry of `severity`
        assert adv.references == (
            "https://github.com/advisories/GHSA-xxxx-yyyy-zzzz",
            "https://example.org/blog/flaw",
        )
        assert adv.withdrawn is None
    # ECOSYSTEM range used, GIT range ignored; "0" is every version
    assert alpha.ranges == (
        AffectedRange(introduced=UNBOUNDED_START, fixed=Version.parse("1.4.2")),
    )
    assert alpha.affects(Version.parse("0.0.1"))
    assert not alpha.affects(Version.parse("1.4.2"))
    # last_affected is inclusive; two entries for one package are combined
    assert [str(r) for r in beta.ranges] == [">= 2.0.0, < 2.3.2-0", ">= 3.0.0-rc.1"]
    assert beta.affects(Version.parse("2.3.1"))
    assert not beta.affects(Version.parse("2.3.2"))
    assert beta.affects(Version.parse("3.0.0-rc.1"))
    assert not beta.affects(Version.parse("1.9.9"))


def test_import_enumerated_versions(assets: Path) -> None:
    (adv,) = load_osv(assets / "osv" / "versions-only.json")
    # 0.3.0-alpha.01 is no Cargo version (leading zero) and is skipped
    assert [str(r) for r in adv.ranges] == [
        ">= 0.1.0, < 0.1.1-0",
        ">= 0.1.1, < 0.1.2-0",
        ">= 0.2.0, < 0.2.1-0",
    ]
    assert adv.affects(Version.parse("0.1.1"))
    assert not adv.affects(Version.parse("0.1.2"))
    assert adv.date == datetime.date(2024, 5, 6)  # no `published`: the `modified` date


def test_import_skips_other_ecosystems(assets: Path) -> None:
    assert load_osv(assets / "osv" / "no-crates.json") == []


def _record(**affected: Any) -> dict[str, Any]:
    return {
        "id": "RUSTSEC-2024-0001",
        "modified": "2024-01-01T00:00:00Z",
        "affected": [{"package": {"ecosystem": "crates.io", "name": "x"}, **affected}],
    }


def _semver(*events: dict[str, Any]) -> dict[str, Any]:
    return {"ranges": [{"type": "SEMVER", "events": list(events)}]}


@pytest.mark.parametrize(
    ("affected", "expected"),
    [
        (_semver({"introduced": "0"}), ["*"]),
        (_semver({"introduced": "1"}, {"fixed": "1.2"}), [">= 1.0.0, < 1.2.0"]),
        (  # events in any order are evaluated sorted by version
            _semver({"fixed": "2.0.0"}, {"introduced": "1.0.0"}, {"introduced": "3.0.0"}),
            [">= 1.0.0, < 2.0.0", ">= 3.0.0"],
        ),
        (  # a second introduced inside an open interval changes nothing
            _semver({"introduced": "1.0.0"}, {"introduced": "1.5.0"}, {"fixed": "2.0.0"}),
            [">= 1.0.0, < 2.0.0"],
        ),
        (
            _semver({"introduced": "1.0.0"}, {"limit": "1.5.0"}),
            [">= 1.0.0, < 1.5.0"],
        ),
        (
            _semver({"introduced": "1.0.0"}, {"fixed": "1.2.0"}, {"limit": "1.1.0"}),
            [">= 1.0.0, < 1.1.0"],
        ),
        (  # RustSec's own touching ranges survive the round trip
            _semver({"introduced": "1.2.0"}, {"fixed": "1.2.0"}),
            [">= 1.2.0, < 1.2.0"],
        ),
        (
            {"ranges": [{"type": "GIT", "repo": "r", "events": [{"introduced": "0"}]}]},
            [],
        ),
    ],
)
def test_import_range_events(affected: dict[str, Any], expected: list[str]) -> None:
    (adv,) = osv_to_advisories(_record(**affected), file="x.json")
    assert [str(r) for r in adv.ranges] == expected


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ([], "x.json: expected an object, got an array"),
        ({"modified": "2024-01-01T00:00:00Z"}, "x.json: id: expected a string, got null"),
        ({"id": "X-1"}, "x.json: modified: missing"),
        (
            {"id": "X-1", "modified": "yesterday"},
            "x.json: modified: expected an RFC 3339 time, got 'yesterday'",
        ),
        (
            {"id": "X-1", "modified": "2024-01-01T00:00:00Z", "aliases": ["A", 3]},
            "x.json: aliases[1]: expected a string, got 3",
        ),
        (
            {"id": "X-1", "modified": "2024-01-01T00:00:00Z", "affected": {}},
            "x.json: affected: expected an array, got an object",
        ),
        (
            _record(**_semver({"introduced": "0"}, {"fixed": 3})),
            "x.json: affected[0].ranges[0].events[1].fixed: expected a string, got 3",
        ),
        (
            _record(**_semver({"introduced": "0"}, {"fixed": "1.2.x"})),
            "x.json: affected[0].ranges[0].events[1].fixed: invalid version '1.2.x'",
        ),
        (
            _record(**_semver({"introduced": "0", "fixed": "1.0.0"})),
            "x.json: affected[0].ranges[0].events[0]: expected exactly one of introduced/fixed/...",
        ),
        (
            _record(**_semver({"introduced": "0"}, {"patched": "1.0.0"})),
            "x.json: affected[0].ranges[0].events[1].patched: unknown event",
        ),
        (
            _record(**_semver({"fixed": "1.0.0"})),
            "x.json: affected[0].ranges[0]: a range needs an 'introduced' event",
        ),
        (
            _record(ranges=[{"events": []}]),
            "x.json: affected[0].ranges[0].type: expected a string, got null",
        ),
        (
            {
                "id": "X-1",
                "modified": "2024-01-01T00:00:00Z",
                "affected": [{"package": {"ecosystem": "crates.io", "name": False}}],
            },
            "x.json: affected[0].package.name: expected a string, got false",
        ),
        (
            {
                **_record(),
                "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:Q"}],
            },
            "x.json: severity[0].score: ",
        ),
        (
            _record(ecosystem_specific={"affects": {"os": "linux"}}),
            "x.json: affected[0].ecosystem_specific.affects.os: expected an array, got 'linux'",
        ),
        (
            _record(database_specific={"informational": 1}),
            "x.json: affected[0].database_specific.informational: expected a string, got 1",
        ),
    ],
)
def test_import_errors_name_the_file_and_json_path(record: object, message: str) -> None:
    with pytest.raises(InvalidOsv) as info:
        osv_to_advisories(record, file="x.json")
    assert str(info.value).startswith(message)
    if not message.endswith(": "):
        assert str(info.value) == message
    assert isinstance(info.value, ParseError)


def test_import_invalid_json_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "a.json").write_text('{"id": ')
    with pytest.raises(InvalidOsv, match=r"^a\.json: invalid JSON: Expecting value: line 1"):
        load_osv(tmp_path)


def test_import_missing_path(tmp_path: Path) -> None:
    with pytest.raises(AdvisoryDbError, match=r"/nope: no such directory or zip file$"):
        load_osv(tmp_path / "nope")


def test_import_directory_skips_symlinks_out_of_it(tmp_path: Path, assets: Path) -> None:
    root = tmp_path / "osv"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "v.json").write_bytes((assets / "osv" / "versions-only.json").read_bytes())
    (root / "notes.txt").write_text("not json")
    (root / "escape.json").symlink_to(assets / "osv" / "GHSA-two-crates.json")
    advisories = load_osv(root)
    assert [(a.id, a.path) for a in advisories] == [("OSV-2024-1", "sub/v.json")]


def test_import_directory_bounds_file_size(tmp_path: Path, assets: Path) -> None:
    (tmp_path / "v.json").write_bytes((assets / "osv" / "versions-only.json").read_bytes())
    with pytest.raises(InvalidOsv, match=r"^v\.json: larger than 100 bytes$"):
        load_osv(tmp_path, limits=OsvLimits(max_file_bytes=100))
    with pytest.raises(InvalidOsv, match=r"more than 0 JSON files$"):
        load_osv(tmp_path, limits=OsvLimits(max_files=0))


# --- zips -------------------------------------------------------------------------------------


def test_import_zip_like_osv_dev_allzip_of(tmp_path: Path, assets: Path) -> None:
    archive = zip_of(
        tmp_path / "all.zip",
        {
            "GHSA-two-crates.json": (assets / "osv" / "GHSA-two-crates.json").read_bytes(),
            "versions-only.json": (assets / "osv" / "versions-only.json").read_bytes(),
            "README.txt": b"ignored",
        },
    )
    advisories = load_osv(archive)
    assert [(a.package, a.path) for a in advisories] == [
        ("alpha-crate", "all.zip:GHSA-two-crates.json"),
        ("beta-crate", "all.zip:GHSA-two-crates.json"),
        ("gamma", "all.zip:versions-only.json"),
    ]


@pytest.mark.parametrize("name", ["../evil.json", "a/../../evil.json", "/abs.json", "C:/x.json"])
def test_zip_members_with_unsafe_names_are_refused(tmp_path: Path, name: str) -> None:
    archive = zip_of(tmp_path / "all.zip", {name: b"{}"})
    with pytest.raises(InvalidOsv) as info:
        load_osv(archive)
    assert str(info.value) == f"{archive}: {name}: unsafe member name"


def test_zip_bomb_guards(tmp_path: Path) -> None:
    bomb = b'{"id": "X-1", "modified": "2024-01-01T00:00:00Z", "details": "' + b" " * 5000 + b'"}'
    archive = zip_of(tmp_path / "all.zip", {"a.json": bomb, "b.json": bomb})
    with pytest.raises(InvalidOsv) as info:
        load_osv(archive, limits=OsvLimits(max_file_bytes=1000))
    assert str(info.value) == (
        f"{archive}: a.json: {len(bomb)} bytes uncompressed, more than the limit of 1000"
    )
    with pytest.raises(InvalidOsv) as info:
        load_osv(archive, limits=OsvLimits(max_total_bytes=len(bomb) + 1))
    assert str(info.value) == f"{archive}: more than {len(bomb) + 1} bytes uncompressed in total"
    with pytest.raises(InvalidOsv) as info:
        load_osv(archive, limits=OsvLimits(max_files=1))
    assert str(info.value) == f"{archive}: more than 1 JSON files"
    assert load_osv(archive) == []  # within the default limits: no crates.io package


def test_zip_member_lying_about_its_size_is_refused(tmp_path: Path) -> None:
    archive = zip_of(tmp_path / "all.zip", {"a.json": b"[" + b" " * 4000 + b"]"})
    raw = bytearray(archive.read_bytes())
    # patch the declared uncompressed size (local header and central directory) down to 10
    info = zipfile.ZipFile(archive).getinfo("a.json")
    true_size = info.file_size.to_bytes(4, "little")
    raw = bytearray(bytes(raw).replace(true_size, (10).to_bytes(4, "little")))
    archive.write_bytes(bytes(raw))
    with pytest.raises(InvalidOsv) as info_err:
        load_osv(archive, limits=OsvLimits(max_file_bytes=100))
    assert str(info_err.value) == f"{archive}: a.json: cannot read: Bad CRC-32 for file 'a.json'"


def test_not_a_zip_is_an_advisory_db_error(tmp_path: Path) -> None:
    (tmp_path / "all.zip").write_bytes(b"PK but not really")
    with pytest.raises(AdvisoryDbError, match=r"all\.zip: cannot open the zip file"):
        load_osv(tmp_path / "all.zip")


# --- round trips ------------------------------------------------------------------------------


@st.composite
def _ranges(draw: st.DrawFn) -> tuple[AffectedRange, ...]:
    points = sorted(
        set(
            draw(
                st.lists(
                    st.builds(
                        Version,
                        major=st.integers(0, 5),
                        minor=st.integers(0, 5),
                        patch=st.integers(0, 5),
                        pre=st.sampled_from(["", "", "0", "rc.1"]),
                    ),
                    min_size=1,
                    max_size=8,
                )
            )
        )
    )
    if draw(st.booleans()):
        points.insert(0, UNBOUNDED_START)
    bounds: list[Version | None] = [*points]
    if len(bounds) % 2:
        bounds.append(None)
    return tuple(
        AffectedRange(introduced=start, fixed=end)
        for start, end in zip(bounds[::2], bounds[1::2], strict=True)
        if start is not None
    )


@given(_ranges())
def test_ranges_survive_export_and_import(ranges: tuple[AffectedRange, ...]) -> None:
    adv = Advisory(
        id="OSV-2024-7",
        package="p",
        date=datetime.date(2024, 1, 1),
        title="t",
        description="d",
        ranges=ranges,
        origin=AdvisoryOrigin.OSV,
    )
    record = advisory_to_osv(adv, modified=datetime.datetime(2024, 1, 1, tzinfo=UTC))
    (back,) = osv_to_advisories(json.loads(dump_osv(record)), file="p.json")
    assert back.ranges == ranges
