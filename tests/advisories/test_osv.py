"""OSV export (RustSec's layout, schema-valid, atomic) and import (directories, zips, guards)."""

from __future__ import annotations

import datetime
import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from cratewatch.advisories.database import AdvisoryDatabase, DatabaseInfo, load_database
from cratewatch.advisories.model import Advisory, AdvisoryOrigin, Collection
from cratewatch.advisories.osv import (
    ExportSummary,
    InvalidOsv,
    advisory_to_osv,
    dump_osv,
    export_osv,
    load_osv,
)
from cratewatch.advisories.ranges import affected_ranges
from cratewatch.advisories.rustsec import parse_advisory
from cratewatch.errors import AdvisoryDbError
from cratewatch.semver import Version
from tests.advisories.gitrepo import commit_all, git
from tests.advisories.test_osv_import import zip_of

UTC = datetime.UTC


def _schema_validator(shared_data: Path) -> jsonschema.protocols.Validator:
    schema = json.loads((shared_data.parent / "schemas" / "osv-schema.json").read_text())
    cls = jsonschema.validators.validator_for(schema)
    return cls(schema)


# --- a small advisory database in a real git repository ------------------------------------

FULL_ADVISORY = """```toml
[advisory]
id = "RUSTSEC-2099-0001"
package = "foo-bar"
date = "2099-03-04"
url = "https://github.com/foo/bar/issues/12"
references = [
    "https://www.cve.org/CVERecord?id=CVE-2099-1",
    "https://github.com/advisories/GHSA-aaaa-bbbb-cccc",
    "https://crates.io/crates/foo-bar/1.2.3",
    "https://gitlab.example.org/foo/bar/-/issues/3",
    "https://blog.example.org/post",
]
categories = ["memory-corruption", "denial-of-service"]
keywords = ["uaf"]
aliases = ["CVE-2099-1", "GHSA-aaaa-bbbb-cccc"]
related = ["RUSTSEC-2099-0002"]
cvss = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N"
informational = "unsound"
withdrawn = "2099-05-06"
license = "CC-BY-4.0"

[affected]
arch = ["x86_64", "aarch64"]
os = ["windows", "linux"]
functions = { "foo_bar::b0" = ["< 1.2.3"], "foo_bar::a::b" = ["< 1.2.3"], "foo_bar::a" = [] }

[versions]
patched = [">= 1.2.3"]
unaffected = ["< 1.0.0"]
```

# Use after free in Bar

Details with "quotes", a tab\there, ünïcödé and a control \x01 character.
"""

# What RustSec's export makes of FULL_ADVISORY, written out by hand from src/osv/advisory.rs
FULL_RECORD: dict[str, Any] = {
    "id": "RUSTSEC-2099-0001",
    "modified": "2024-01-02T01:04:05Z",
    "published": "2099-03-04T12:00:00Z",
    "withdrawn": "2099-05-06T12:00:00Z",
    "aliases": ["CVE-2099-1", "GHSA-aaaa-bbbb-cccc"],
    "related": ["RUSTSEC-2099-0002"],
    "summary": "Use after free in Bar",
    "details": 'Details with "quotes", a tab\there, ünïcödé and a control \x01 character.',
    "severity": [
        {
            "type": "CVSS_V4",
            "score": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N",
        }
    ],
    "affected": [
        {
            "package": {"ecosystem": "crates.io", "name": "foo-bar", "purl": "pkg:cargo/foo-bar"},
            "ecosystem_specific": {
                "affects": {
                    "arch": ["x86_64", "aarch64"],
                    "os": ["windows", "linux"],
                    # BTreeMap order of the path segments: foo_bar::a < foo_bar::a::b < foo_bar::b0
                    "functions": ["foo_bar::a", "foo_bar::a::b", "foo_bar::b0"],
                },
                "affected_functions": None,
            },
            "database_specific": {
                "categories": ["memory-corruption", "denial-of-service"],
                "cvss": "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:N/VA:N/SC:N/SI:N/SA:N",
                "informational": "unsound",
            },
            "ranges": [{"type": "SEMVER", "events": [{"introduced": "1.0.0"}, {"fixed": "1.2.3"}]}],
            "versions": [],
        }
    ],
    "references": [
        {"type": "PACKAGE", "url": "https://crates.io/crates/foo-bar"},
        {"type": "ADVISORY", "url": "https://rustsec.org/advisories/RUSTSEC-2099-0001.html"},
        {"type": "REPORT", "url": "https://github.com/foo/bar/issues/12"},
        {"type": "ADVISORY", "url": "https://www.cve.org/CVERecord?id=CVE-2099-1"},
        {"type": "ADVISORY", "url": "https://github.com/advisories/GHSA-aaaa-bbbb-cccc"},
        {"type": "PACKAGE", "url": "https://crates.io/crates/foo-bar/1.2.3"},
        {"type": "REPORT", "url": "https://gitlab.example.org/foo/bar/-/issues/3"},
        {"type": "WEB", "url": "https://blog.example.org/post"},
    ],
    "database_specific": {"license": "CC-BY-4.0"},
}

MINIMAL_ADVISORY = """```toml
[advisory]
id = "RUSTSEC-2099-0002"
package = "baz"
date = "2099-01-01"
informational = "unmaintained"

[versions]
patched = []
```

# baz is unmaintained

Use something else.
"""

RUST_ADVISORY = """```toml
[advisory]
id = "CVE-2099-20001"
package = "std"
date = "2099-01-01"

[versions]
patched = [">= 1.99.0"]
```

# A flaw in std

Details.
"""


@pytest.fixture
def small_db(tmp_path: Path) -> AdvisoryDatabase:
    repo = tmp_path / "advisory-db"
    for rel, text in [
        ("crates/foo-bar/RUSTSEC-2099-0001.md", FULL_ADVISORY),
        ("rust/std/CVE-2099-20001.md", RUST_ADVISORY),
    ]:
        (repo / rel).parent.mkdir(parents=True)
        (repo / rel).write_text(text, encoding="utf-8")
    git(repo, "init", "--quiet", "--initial-branch=main")
    commit_all(repo, "two advisories", when=1_701_388_800)  # 2023-12-01T00:00:00Z
    (repo / "crates/baz").mkdir()
    (repo / "crates/baz/RUSTSEC-2099-0002.md").write_text(MINIMAL_ADVISORY, encoding="utf-8")
    (repo / "crates/foo-bar/RUSTSEC-2099-0001.md").write_text(FULL_ADVISORY + "\n")
    commit_all(repo, "edit", when=1_704_157_445)  # 2024-01-02T03:04:05+02:00
    return load_database(str(repo), cache_dir=tmp_path / "cache", fetch=False)


def test_advisory_to_osv_maps_every_field_like_rustsec(small_db: AdvisoryDatabase) -> None:
    adv = small_db.get("RUSTSEC-2099-0001")
    assert adv is not None
    record = advisory_to_osv(adv, modified=small_db.file_modified(adv.path))
    assert record == FULL_RECORD
    assert list(record) == list(FULL_RECORD)  # RustSec's field order, not sorted
    assert list(record["affected"][0]) == [
        "package",
        "ecosystem_specific",
        "database_specific",
        "ranges",
        "versions",
    ]


def test_dump_is_serde_pretty_json_with_a_final_newline() -> None:
    text = dump_osv(FULL_RECORD)
    assert text.endswith("}\n")
    assert '\n  "id": "RUSTSEC-2099-0001",\n' in text
    assert '"arch": [\n            "x86_64",' in text
    assert dump_osv({"related": [], "x": {}}) == '{\n  "related": [],\n  "x": {}\n}\n'
    # serde_json escapes like json with ensure_ascii=False: UTF-8 kept, controls as \u00XX
    assert r"a tab\there, ünïcödé and a control \u0001 character." in text
    assert json.loads(text) == FULL_RECORD


def test_minimal_advisory_has_all_versions_affected(small_db: AdvisoryDatabase) -> None:
    adv = small_db.get("RUSTSEC-2099-0002")
    assert adv is not None
    record = advisory_to_osv(adv, modified=small_db.file_modified(adv.path))
    assert "withdrawn" not in record
    assert "schema_version" not in record
    assert record["severity"] == []
    assert record["affected"][0]["ranges"] == [
        {"type": "SEMVER", "events": [{"introduced": "0.0.0-0"}]}
    ]
    assert record["affected"][0]["database_specific"] == {
        "categories": [],
        "cvss": None,
        "informational": "unmaintained",
    }
    assert record["references"] == [
        {"type": "PACKAGE", "url": "https://crates.io/crates/baz"},
        {"type": "ADVISORY", "url": "https://rustsec.org/advisories/RUSTSEC-2099-0002.html"},
    ]
    assert record["database_specific"] == {"license": "CC0-1.0"}
    assert record["modified"] == "2024-01-02T01:04:05Z"


@pytest.mark.parametrize(
    ("modified", "text"),
    [
        (datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), "2024-01-02T03:04:05Z"),
        (
            datetime.datetime(
                2024, 1, 2, 0, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=2))
            ),
            "2024-01-01T22:30:00Z",
        ),
        (datetime.datetime(2024, 1, 2, 3, 4, 5, 250000, tzinfo=UTC), "2024-01-02T03:04:05.25Z"),
    ],
)
def test_modified_is_rfc3339_utc(modified: datetime.datetime, text: str) -> None:
    adv = parse_advisory(MINIMAL_ADVISORY, path="crates/baz/RUSTSEC-2099-0002.md")
    assert advisory_to_osv(adv, modified=modified)["modified"] == text


def test_modified_without_time_zone_is_refused() -> None:
    adv = parse_advisory(MINIMAL_ADVISORY, path="crates/baz/RUSTSEC-2099-0002.md")
    with pytest.raises(ValueError, match=r"^modified time 2024-01-02T03:04:05 has no time zone$"):
        advisory_to_osv(adv, modified=datetime.datetime(2024, 1, 2, 3, 4, 5))


@pytest.mark.parametrize(
    ("cvss", "kind"),
    [
        ("CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "CVSS_V3"),
        ("CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", "CVSS_V3"),
        ("CVSS:4.0/AV:N/AC:H/AT:P/PR:N/UI:N/VC:N/VI:L/VA:N/SC:N/SI:N/SA:N/E:U", "CVSS_V4"),
    ],
)
def test_severity_type_follows_the_cvss_version(cvss: str, kind: str) -> None:
    text = MINIMAL_ADVISORY.replace('informational = "unmaintained"', f'cvss = "{cvss}"')
    adv = parse_advisory(text, path="crates/baz/RUSTSEC-2099-0002.md")
    record = advisory_to_osv(adv, modified=datetime.datetime(2024, 1, 1, tzinfo=UTC))
    assert record["severity"] == [{"type": kind, "score": cvss}]
    assert record["affected"][0]["database_specific"]["cvss"] == cvss


@pytest.mark.parametrize(
    ("url", "normalized"),
    [
        ("HTTPS://Example.ORG", "https://example.org/"),
        ("https://Me@Example.org?q=A", "https://Me@example.org/?q=A"),
        ("https://example.org/Path/X#Frag", "https://example.org/Path/X#Frag"),
    ],
)
def test_url_is_normalized_like_the_url_crate(url: str, normalized: str) -> None:
    text = MINIMAL_ADVISORY.replace('informational = "unmaintained"', f'url = "{url}"')
    adv = parse_advisory(text, path="crates/baz/RUSTSEC-2099-0002.md")
    record = advisory_to_osv(adv, modified=datetime.datetime(2024, 1, 1, tzinfo=UTC))
    assert record["references"][2] == {"type": "WEB", "url": normalized}


# --- export_osv -------------------------------------------------------------------------------


def test_export_writes_one_file_per_crates_advisory(
    small_db: AdvisoryDatabase, tmp_path: Path
) -> None:
    out = tmp_path / "out" / "nested"
    summary = export_osv(small_db, out)
    assert summary == ExportSummary(
        out_dir=out,
        written=("RUSTSEC-2099-0001", "RUSTSEC-2099-0002"),
        unchanged=(),
        not_exported=1,
    )
    assert summary.files == 2
    assert sorted(p.name for p in out.iterdir()) == [
        "RUSTSEC-2099-0001.json",
        "RUSTSEC-2099-0002.json",
    ]
    assert (out / "RUSTSEC-2099-0001.json").read_text(encoding="utf-8") == dump_osv(FULL_RECORD)


def test_reexport_leaves_identical_files_alone(small_db: AdvisoryDatabase, tmp_path: Path) -> None:
    out = tmp_path / "out"
    export_osv(small_db, out)
    file = out / "RUSTSEC-2099-0002.json"
    os.utime(file, (1_000_000, 1_000_000))
    (out / "RUSTSEC-2099-0001.json").write_text("stale\n")
    summary = export_osv(small_db, out)
    assert summary.written == ("RUSTSEC-2099-0001",)
    assert summary.unchanged == ("RUSTSEC-2099-0002",)
    assert file.stat().st_mtime == 1_000_000
    assert (out / "RUSTSEC-2099-0001.json").read_text(encoding="utf-8") == dump_osv(FULL_RECORD)
    assert sorted(p.name for p in out.iterdir()) == [
        "RUSTSEC-2099-0001.json",
        "RUSTSEC-2099-0002.json",
    ]  # no temporary files left behind


def test_export_replaces_a_symlink_instead_of_writing_through_it(
    small_db: AdvisoryDatabase, tmp_path: Path
) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("keep me\n")
    out = tmp_path / "out"
    out.mkdir()
    (out / "RUSTSEC-2099-0002.json").symlink_to(outside)
    export_osv(small_db, out)
    assert outside.read_text() == "keep me\n"
    assert not (out / "RUSTSEC-2099-0002.json").is_symlink()


def test_export_into_a_file_is_an_advisory_db_error(
    small_db: AdvisoryDatabase, tmp_path: Path
) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("")
    with pytest.raises(AdvisoryDbError, match=r"^.*/blocker: cannot create the output directory"):
        export_osv(small_db, blocker)


def test_export_refuses_an_id_that_is_not_a_file_name(tmp_path: Path) -> None:
    bad = Advisory(
        id="../../evil",
        package="x",
        date=datetime.date(2024, 1, 1),
        title="t",
        description="",
        path="crates/x/evil.md",
    )

    db = AdvisoryDatabase(
        [bad],
        info=DatabaseInfo(source="test", path=tmp_path, commit=None, last_commit_time=None),
        file_times={"crates/x/evil.md": (1_700_000_000, 1_700_000_000)},
    )
    with pytest.raises(InvalidOsv) as info:
        export_osv(db, tmp_path / "out")
    assert str(info.value) == "crates/x/evil.md: id '../../evil' cannot be used as a file name"
    assert list((tmp_path / "out").iterdir()) == []


# --- the real advisory database ---------------------------------------------------------------


@pytest.fixture(scope="module")
def real_db(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> AdvisoryDatabase:
    clone = tmp_path_factory.mktemp("real") / "advisory-db"
    subprocess.run(
        ["git", "clone", "-q", str(shared_data / "advisory-db.bundle"), str(clone)],
        check=True,
        capture_output=True,
    )
    return load_database(str(clone), cache_dir=tmp_path_factory.mktemp("cache"), fetch=False)


@pytest.fixture(scope="module")
def real_export(
    real_db: AdvisoryDatabase, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, ExportSummary]:
    out = tmp_path_factory.mktemp("osv")
    return out, export_osv(real_db, out)


def _crates(db: AdvisoryDatabase) -> list[Advisory]:
    return [a for a in db.advisories if a.collection is Collection.CRATES]


@pytest.mark.shared
def test_real_export_is_schema_valid(
    shared_data: Path, real_db: AdvisoryDatabase, real_export: tuple[Path, ExportSummary]
) -> None:
    out, summary = real_export
    crates = _crates(real_db)
    assert summary.files == len(crates)
    assert summary.not_exported == len(real_db.advisories) - len(crates) > 0
    validator = _schema_validator(shared_data)
    files = sorted(out.glob("*.json"))
    assert [f.stem for f in files] == sorted(a.id for a in crates)
    problems = {
        f.name: [e.message for e in validator.iter_errors(json.loads(f.read_text("utf-8")))]
        for f in files
    }
    assert {name: errs for name, errs in problems.items() if errs} == {}


# Fields of records RustSec published on advisory-db's `osv` branch, for advisory files the
# bundle has not changed since; written out by hand.
PUBLISHED: dict[str, dict[str, Any]] = {
    "RUSTSEC-2020-0055": {
        "modified": "2022-08-16T02:38:08Z",
        "published": "2020-10-21T12:00:00Z",
        "withdrawn": "2020-10-22T12:00:00Z",
        "events": [{"introduced": "0.0.0-0"}, {"fixed": "0.0.1-0"}],
        "references": [
            ("PACKAGE", "https://crates.io/crates/libpulse-binding"),
            ("ADVISORY", "https://rustsec.org/advisories/RUSTSEC-2020-0055.html"),
            ("ADVISORY", "https://rustsec.org/advisories/RUSTSEC-2018-0020.html"),
        ],
    },
    "RUSTSEC-2018-0011": {
        "published": "2018-12-18T12:00:00Z",
        "events": [{"introduced": "3.5.1-0"}, {"fixed": "3.6.0"}],
        "affects": {"arch": ["x86_64"], "os": ["windows"], "functions": []},
        "references": [
            ("PACKAGE", "https://crates.io/crates/arrayfire"),
            ("ADVISORY", "https://rustsec.org/advisories/RUSTSEC-2018-0011.html"),
            ("WEB", "https://github.com/arrayfire/arrayfire-rust/pull/177"),
        ],
    },
    "RUSTSEC-2020-0071": {
        "published": "2020-11-18T12:00:00Z",
        "events": [
            {"introduced": "0.0.0-0"},
            {"fixed": "0.2.0"},
            *[
                event
                for n in range(1, 7)
                for event in ({"introduced": f"0.2.{n}-0"}, {"fixed": f"0.2.{n}"})
            ],
            {"introduced": "0.2.7-0"},
            {"fixed": "0.2.23"},
        ],
        "categories": ["code-execution", "memory-corruption"],
        "severity": [{"type": "CVSS_V3", "score": "CVSS:3.1/AV:L/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}],
    },
    "RUSTSEC-2017-0005": {
        "events": [
            {"introduced": "0.6.0"},
            {"fixed": "0.6.2"},
            {"introduced": "0.7.0-0"},
            {"fixed": "0.7.6"},
        ],
    },
    "RUSTSEC-2017-0008": {"events": [{"introduced": "0.0.0-0"}], "informational": "unmaintained"},
}


@pytest.mark.shared
@pytest.mark.parametrize("advisory_id", sorted(PUBLISHED))
def test_real_export_matches_what_rustsec_published(
    real_export: tuple[Path, ExportSummary], advisory_id: str
) -> None:
    out, _ = real_export
    record = json.loads((out / f"{advisory_id}.json").read_text(encoding="utf-8"))
    expected = PUBLISHED[advisory_id]
    affected = record["affected"][0]
    checks: dict[str, Callable[[], object]] = {
        "modified": lambda: record["modified"],
        "published": lambda: record["published"],
        "withdrawn": lambda: record.get("withdrawn"),
        "events": lambda: affected["ranges"][0]["events"],
        "references": lambda: [(r["type"], r["url"]) for r in record["references"]],
        "affects": lambda: affected["ecosystem_specific"]["affects"],
        "categories": lambda: affected["database_specific"]["categories"],
        "severity": lambda: record["severity"],
        "informational": lambda: affected["database_specific"]["informational"],
    }
    assert {key: checks[key]() for key in expected} == expected


@pytest.mark.shared
def test_real_modified_is_the_last_commit_of_the_file(
    real_db: AdvisoryDatabase, real_export: tuple[Path, ExportSummary]
) -> None:
    out, _ = real_export
    for adv in _crates(real_db)[::37]:
        record = json.loads((out / f"{adv.id}.json").read_text(encoding="utf-8"))
        when = real_db.file_modified(adv.path).astimezone(UTC)
        assert record["modified"] == when.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.shared
def test_real_reexport_is_byte_identical(
    real_db: AdvisoryDatabase,
    real_export: tuple[Path, ExportSummary],
    tmp_path: Path,
) -> None:
    out, _ = real_export
    again = export_osv(real_db, tmp_path)
    assert again.written == tuple(sorted(a.id for a in _crates(real_db)))
    for file in sorted(out.glob("*.json")):
        assert (tmp_path / file.name).read_bytes() == file.read_bytes()
    assert export_osv(real_db, out).written == ()


def _sample_releases(adv: Advisory) -> set[Version]:
    """Versions around every bound the advisory names, plus a few far away."""
    out = {Version(0, 0, 0), Version(0, 1, 0), Version(1, 0, 0), Version(999, 0, 0)}
    for req in (*adv.patched, *adv.unaffected):
        for c in req.comparators:
            major, minor, patch = c.major, c.minor or 0, c.patch or 0
            out |= {
                Version(major, minor, patch),
                Version(major, minor, max(patch - 1, 0)),
                Version(major, minor, patch + 1),
                Version(major, minor + 1, 0),
                Version(major + 1, 0, 0),
            }
    return out


@pytest.mark.shared
def test_real_round_trip_through_directory_andzip_of(
    real_db: AdvisoryDatabase, real_export: tuple[Path, ExportSummary], tmp_path: Path
) -> None:
    out, _ = real_export
    from_dir = load_osv(out)
    archive = zip_of(
        tmp_path / "all.zip", {f.name: f.read_bytes() for f in sorted(out.glob("*.json"))}
    )
    from_zip = load_osv(archive)
    assert [(a.id, a.ranges) for a in from_dir] == [(a.id, a.ranges) for a in from_zip]
    imported = {a.id: a for a in from_dir}
    assert len(imported) == len(from_dir) == len(_crates(real_db))
    disagreements = set()
    for adv in _crates(real_db):
        back = imported[adv.id]
        assert back.origin is AdvisoryOrigin.OSV
        assert back.ranges == adv.ranges == affected_ranges(adv.patched, adv.unaffected)
        same = ("package", "date", "title", "description", "aliases", "related", "categories")
        assert {f: getattr(back, f) for f in same} == {f: getattr(adv, f) for f in same}
        assert (back.informational, back.withdrawn, back.license, back.kind) == (
            adv.informational,
            adv.withdrawn,
            adv.license,
            adv.kind,
        )
        assert (back.cvss and back.cvss.vector) == (adv.cvss and adv.cvss.vector)
        assert back.references == ((adv.url,) if adv.url else ()) + adv.references
        assert sorted(back.affected.functions) == sorted(adv.affected.functions)
        if any(adv.affects(v) != back.affects(v) for v in _sample_releases(adv)):
            disagreements.add(adv.id)
    # Both sides decide from the same ranges, as rustsec's Versions::is_vulnerable does, so
    # an export/import round trip changes no answer.
    assert disagreements == set()
