"""Parsing RustSec advisory files and trees (cratewatch.advisories.rustsec)."""

from __future__ import annotations

import datetime
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cratewatch.advisories.cvss import Severity
from cratewatch.advisories.model import AdvisoryKind, Collection
from cratewatch.advisories.rustsec import (
    InvalidAdvisory,
    SkippedFile,
    load_advisory_file,
    parse_advisory,
    parse_tree,
    scan_tree,
)
from cratewatch.semver import Version, VersionReq
from tests.advisories.gitrepo import FIXTURE_DB, advisory_text

INVALID = Path(__file__).resolve().parent.parent / "assets" / "advisories" / "invalid"
PATH = "crates/foo/RUSTSEC-2020-0001.md"


def _load(relative: str) -> str:
    return (FIXTURE_DB / relative).read_text()


def test_full_advisory_has_every_field() -> None:
    adv = parse_advisory(_load(PATH), path=PATH)
    assert adv.id == "RUSTSEC-2020-0001"
    assert adv.package == "foo"
    assert adv.date == datetime.date(2020, 1, 31)
    assert adv.url == "https://github.com/example/foo/issues/1"
    assert adv.references == ("https://example.com/blog/foo-overflow",)
    assert adv.categories == ("memory-corruption", "denial-of-service")
    assert adv.keywords == ("overflow", "heap")
    assert adv.aliases == ("CVE-2020-12345", "GHSA-abcd-efgh-ijkl")
    assert adv.related == ("RUSTSEC-2019-0099",)
    assert adv.cvss is not None
    assert (adv.cvss.version, adv.cvss.base_score, adv.cvss.severity) == (
        "3.1",
        9.8,
        Severity.CRITICAL,
    )
    assert adv.license == "CC-BY-4.0"
    assert adv.expect_deleted is True
    assert adv.informational is None
    assert adv.kind is AdvisoryKind.VULNERABILITY
    assert adv.withdrawn is None
    assert adv.affected.arch == ("x86", "x86_64")
    assert adv.affected.os == ("windows",)
    assert dict(adv.affected.functions) == {
        "foo::Buffer::with_capacity": (VersionReq.parse(">= 1.0.0, < 1.2.3"),),
        "foo::<Buffer<T>>::grow": (VersionReq.parse("< 1.2.3"),),
    }
    assert adv.patched == (VersionReq.parse(">= 1.2.3, < 1.3.0"), VersionReq.parse(">= 1.3.4"))
    assert adv.unaffected == (VersionReq.parse("< 0.1.2"),)
    assert [str(r) for r in adv.ranges] == [">= 0.1.2, < 1.2.3", ">= 1.3.0, < 1.3.4"]
    assert adv.title == "Heap overflow in `foo::Buffer::with_capacity`"
    assert adv.description == (
        "Affected versions of this crate did not check for integer overflow when\n"
        "computing the size of a buffer.\n\nThe flaw was corrected in 1.2.3 and 1.3.4."
    )
    assert adv.collection is Collection.CRATES
    assert adv.path == PATH


@pytest.mark.parametrize(
    ("path", "kind", "informational", "withdrawn", "license_"),
    [
        ("crates/foo/RUSTSEC-2021-0002.md", AdvisoryKind.UNSOUND, "unsound", "2021-07-15", None),
        ("crates/bar/RUSTSEC-2022-0003.md", AdvisoryKind.UNMAINTAINED, "unmaintained", None, None),
        ("crates/baz/RUSTSEC-2023-0004.md", AdvisoryKind.NOTICE, "notice", None, None),
        ("crates/qux/RUSTSEC-2024-0005.md", AdvisoryKind.OTHER, "yanked-dependency", None, None),
        ("rust/std/CVE-2021-28877.md", AdvisoryKind.VULNERABILITY, None, None, None),
    ],
)
def test_kinds_and_optional_fields(
    path: str,
    kind: AdvisoryKind,
    informational: str | None,
    withdrawn: str | None,
    license_: str | None,
) -> None:
    adv = parse_advisory(_load(path), path=path)
    assert adv.kind is kind
    assert adv.informational == informational
    assert adv.withdrawn == (None if withdrawn is None else datetime.date.fromisoformat(withdrawn))
    assert adv.license == (license_ or "CC0-1.0")


def test_front_matter_without_advisory_header() -> None:
    adv = parse_advisory(_load("crates/foo/RUSTSEC-2021-0002.md"), path="x.md")
    assert (adv.id, adv.package, adv.categories) == (
        "RUSTSEC-2021-0002",
        "foo",
        ("thread-safety",),
    )
    assert adv.patched == (VersionReq.parse(">= 2.0.0"),)
    assert adv.title == "`foo::Shared` is `Sync` for every `T`"


def test_rust_collection_and_cvss_versions() -> None:
    std = parse_advisory(_load("rust/std/CVE-2021-28877.md"), path="rust/std/CVE-2021-28877.md")
    assert (std.collection, std.package, std.id) == (Collection.RUST, "std", "CVE-2021-28877")
    notice = parse_advisory(_load("crates/baz/RUSTSEC-2023-0004.md"), path="a.md")
    assert notice.cvss is not None
    assert (notice.cvss.version, notice.cvss.base_score) == ("4.0", 9.3)
    other = parse_advisory(_load("crates/qux/RUSTSEC-2024-0005.md"), path="b.md")
    assert other.cvss is not None
    assert (other.cvss.version, other.cvss.base_score, other.cvss.severity) == (
        "2.0",
        4.3,
        Severity.MEDIUM,
    )
    assert other.source == "git+https://github.com/example/qux"


def test_crlf_line_endings_parse_like_lf() -> None:
    text = _load(PATH)
    assert parse_advisory(text.replace("\n", "\r\n"), path=PATH) == parse_advisory(text, path=PATH)


def test_unmaintained_with_no_patched_versions_affects_everything() -> None:
    adv = parse_advisory(_load("crates/bar/RUSTSEC-2022-0003.md"), path="b.md")
    assert adv.patched == ()
    assert adv.affects(Version.parse("0.0.1"))
    assert adv.affects(Version.parse("99.0.0"))


_FILE = "crates/foo/RUSTSEC-2020-0001.md: "


@pytest.mark.parametrize(
    ("fixture", "message"),
    [
        (
            "no-front-matter",
            "expected the file to start with ```toml, got '# Title\\n\\nNo front ma'",
        ),
        ("unclosed-front-matter", "no closing ``` after the TOML front matter"),
        ("no-title", 'expected a "# title" heading after the TOML front matter'),
        ("no-description", "no description after the title"),
        ("bad-toml", "invalid TOML front matter at line 8, column 1: Unclosed array"),
        ("bad-toml-no-header", "invalid TOML front matter at line 5, column 8: Invalid value"),
        ("unknown-key", "advisory.severity: unknown key"),
        ("unknown-section", "metadata: unknown section (expected advisory, affected, versions)"),
        (
            "title-in-toml",
            'advisory.title: not allowed in the front matter: the title is the Markdown "# " '
            "heading",
        ),
        ("yanked", "advisory.yanked: deprecated key: use `withdrawn`"),
        ("missing-id", "advisory.id: missing"),
        ("malformed-id", "advisory.id: malformed year in advisory id: 'RUSTSEC-20x0-0001'"),
        ("bad-alias", "advisory.aliases[1]: incomplete advisory id: 'CVE-2020'"),
        ("alias-not-string", "advisory.aliases[0]: expected a string, got 3"),
        ("bad-date", "advisory.date: expected a date YYYY-MM-DD, got '2020-1-31'"),
        ("date-not-string", "advisory.date: expected a string, got a date"),
        (
            "impossible-date",
            "advisory.date: invalid date '2021-02-29': day is out of range for month",
        ),
        (
            "date-out-of-range",
            "advisory.date: year must be between 2000 and 2100, got '1999-12-31'",
        ),
        (
            "bad-cvss",
            "advisory.cvss: invalid CVSS vector "
            '\'CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H\': Unknown value "X" in field "AV:X"',
        ),
        ("bad-url", "advisory.url: expected an http(s) URL, got 'github.com/example/foo'"),
        (
            "bad-reference",
            "advisory.references[1]: expected an http(s) URL, got 'ftp://files.example/x'",
        ),
        ("expect-deleted-not-bool", "advisory.expect-deleted: expected a boolean, got 'yes'"),
        ("empty-informational", "advisory.informational: must not be empty"),
        (
            "bad-requirement",
            "versions.patched[1]: invalid version requirement '>= 1.2.3.4': expected comma after "
            "patch version number, found '.'\n    >= 1.2.3.4\n            ^",
        ),
        ("missing-patched", "versions.patched: missing"),
        ("missing-versions", "versions: missing"),
        ("unknown-versions-key", "versions.fixed: unknown key"),
        (
            "unsupported-range",
            "versions: >=1.0.0, >=2.0.0: more than one lower bound in one requirement",
        ),
        (
            "bad-function-path",
            "affected.functions.with_capacity: paths must start with the crate name "
            "(at least two segments): 'with_capacity'",
        ),
        (
            "function-parameters",
            'affected.functions."foo::Buffer::with_capacity(usize)": omit parameters when '
            "specifying affected paths: 'foo::Buffer::with_capacity(usize)'",
        ),
        (
            "bad-function-requirement",
            'affected.functions."foo::Buffer::with_capacity"[1]: invalid version requirement '
            "'~> 1.2': unexpected character '>' while parsing major version number\n"
            "    ~> 1.2\n     ^",
        ),
        ("unknown-affected-key", "affected.platform: unknown key"),
        ("arch-not-array", "affected.arch: expected an array, got 'x86'"),
    ],
)
def test_malformed_advisory_error_names_file_and_key(fixture: str, message: str) -> None:
    text = (INVALID / f"{fixture}.md").read_text()
    with pytest.raises(InvalidAdvisory) as caught:
        parse_advisory(text, path=PATH)
    assert str(caught.value) == _FILE + message


def test_every_invalid_fixture_is_in_the_table() -> None:
    table = test_malformed_advisory_error_names_file_and_key.pytestmark[0].args[1]  # type: ignore[attr-defined]
    assert sorted(name for name, _ in table) == sorted(p.stem for p in INVALID.glob("*.md"))


@pytest.mark.parametrize(
    ("path", "message"),
    [
        (
            "crates/bar/RUSTSEC-2020-0001.md",
            "crates/bar/RUSTSEC-2020-0001.md: advisory.package: 'foo' does not match the "
            "directory crates/bar",
        ),
        (
            "crates/foo/RUSTSEC-2020-0002.md",
            "crates/foo/RUSTSEC-2020-0002.md: advisory.id: 'RUSTSEC-2020-0001' does not match "
            "the file name",
        ),
    ],
)
def test_location_must_match_package_and_id(path: str, message: str) -> None:
    with pytest.raises(InvalidAdvisory) as caught:
        parse_advisory(_load(PATH), path=path)
    assert str(caught.value) == message


def test_parse_tree_of_fixture_database() -> None:
    tree = parse_tree(FIXTURE_DB)
    assert tree.errors == ()
    assert tree.skipped == ()
    assert [a.path for a in tree.advisories] == [
        "crates/bar/RUSTSEC-2022-0003.md",
        "crates/baz/RUSTSEC-2023-0004.md",
        "crates/foo/RUSTSEC-2020-0001.md",
        "crates/foo/RUSTSEC-2021-0002.md",
        "crates/qux/RUSTSEC-2024-0005.md",
        "rust/std/CVE-2021-28877.md",
    ]


def test_tree_skips_non_advisories_and_never_follows_symlinks(tmp_path: Path) -> None:
    root = tmp_path / "db"
    shutil.copytree(FIXTURE_DB, root)
    secret = tmp_path / "secret.md"
    secret.write_text(advisory_text("outside", "RUSTSEC-2020-0999"))
    (root / "crates" / "README.md").write_text("not an advisory")
    (root / "crates" / "foo" / "notes.txt").write_text("notes")
    (root / "crates" / "foo" / "nested").mkdir()
    (root / "crates" / "foo" / "RUSTSEC-2020-0999.md").symlink_to(secret)
    (root / "crates" / "linked").symlink_to(tmp_path)
    files, skipped = scan_tree(root)
    assert len(files) == 6
    assert skipped == (
        SkippedFile(path="crates/README.md", reason="not inside a package directory"),
        SkippedFile(path="crates/foo/RUSTSEC-2020-0999.md", reason="symbolic link (not followed)"),
        SkippedFile(path="crates/foo/nested", reason="unexpected directory"),
        SkippedFile(path="crates/foo/notes.txt", reason="not a .md advisory file"),
        SkippedFile(path="crates/linked", reason="symbolic link (not followed)"),
    )
    assert "outside" not in {a.package for a in parse_tree(root).advisories}


def test_tree_collects_every_broken_file(tmp_path: Path) -> None:
    root = tmp_path / "db"
    shutil.copytree(FIXTURE_DB, root)
    (root / "crates" / "bar" / "RUSTSEC-2022-0003.md").write_text("# no front matter\n")
    (root / "crates" / "qux" / "RUSTSEC-2024-0005.md").write_bytes(b"\xff\xfe")
    tree = parse_tree(root)
    assert len(tree.advisories) == 4
    assert [str(e) for e in tree.errors] == [
        "crates/bar/RUSTSEC-2022-0003.md: expected the file to start with ```toml, "
        "got '# no front matter\\n'",
        "crates/qux/RUSTSEC-2024-0005.md: not valid UTF-8: 'utf-8' codec can't decode byte 0xff "
        "in position 0: invalid start byte",
    ]


def test_oversized_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    directory = tmp_path / "crates" / "big"
    directory.mkdir(parents=True)
    (directory / "RUSTSEC-2020-0001.md").write_bytes(b"x" * (2 << 20))
    with pytest.raises(InvalidAdvisory) as caught:
        load_advisory_file(tmp_path, "crates/big/RUSTSEC-2020-0001.md")
    assert str(caught.value) == "crates/big/RUSTSEC-2020-0001.md: file is larger than 1048576 bytes"


@pytest.mark.shared
def test_real_advisory_db_loads_every_file(shared_data: Path, tmp_path: Path) -> None:
    checkout = tmp_path / "advisory-db"
    subprocess.run(
        ["git", "clone", "--quiet", str(shared_data / "advisory-db.bundle"), str(checkout)],
        check=True,
    )
    tree = parse_tree(checkout)
    assert [str(e) for e in tree.errors] == []
    assert tree.skipped == ()
    on_disk = sorted(
        str(p.relative_to(checkout)).replace(os.sep, "/")
        for p in [*checkout.glob("crates/*/*"), *checkout.glob("rust/*/*")]
    )
    assert sorted(a.path for a in tree.advisories) == on_disk
    assert len(on_disk) > 1000
    # Independent of the parser: a file is informational iff its front matter says so.
    informational = re.compile(r'^informational\s*=\s*"([^"]+)"\s*$', re.MULTILINE)
    expected = dict.fromkeys(AdvisoryKind, 0)
    for path in on_disk:
        front = (checkout / path).read_text().split("\n```", 1)[0]
        found = informational.search(front)
        expected[
            AdvisoryKind.VULNERABILITY
            if found is None
            else AdvisoryKind(found.group(1))
            if found.group(1) in ("unsound", "unmaintained", "notice")
            else AdvisoryKind.OTHER
        ] += 1
    actual = dict.fromkeys(AdvisoryKind, 0)
    for adv in tree.advisories:
        actual[adv.kind] += 1
    assert actual == expected
    assert {a.collection for a in tree.advisories} == {Collection.CRATES, Collection.RUST}


_line = (
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=40)
    .map(str.strip)
    .filter(bool)
)


@given(
    package=st.from_regex(r"[a-z][a-z0-9_-]{0,20}", fullmatch=True),
    number=st.integers(1, 9999),
    date=st.dates(datetime.date(2000, 1, 1), datetime.date(2100, 12, 31)),
    title=_line,
    paragraphs=st.lists(_line, max_size=4),
    fixed=st.tuples(st.integers(0, 99), st.integers(0, 99), st.integers(0, 99)),
    header=st.booleans(),
    keywords=st.lists(_line, max_size=3),
)
def test_rendered_advisories_parse_back(
    *,
    package: str,
    number: int,
    date: datetime.date,
    title: str,
    paragraphs: list[str],
    fixed: tuple[int, int, int],
    header: bool,
    keywords: list[str],
) -> None:
    advisory_id = f"RUSTSEC-{date.year}-{number:04}"
    version = ".".join(map(str, fixed))
    text = (
        "```toml\n"
        + ("[advisory]\n" if header else "")
        + f'id = "{advisory_id}"\npackage = "{package}"\ndate = "{date.isoformat()}"\n'
        + f"keywords = {json.dumps(keywords, ensure_ascii=False)}\n"
        + f'[versions]\npatched = [">= {version}"]\n```\n\n'
        + f"# {title}\n\n"
        + "\n\n".join(paragraphs)
        + "\n"
    )
    adv = parse_advisory(text, path=f"crates/{package}/{advisory_id}.md")
    assert (adv.id, adv.package, adv.date, adv.title) == (advisory_id, package, date, title)
    assert adv.keywords == tuple(keywords)
    assert adv.description == "\n\n".join(paragraphs).strip()
    assert adv.patched == (VersionReq.parse(f">= {version}"),)
    assert not adv.affects(Version(*fixed))
