"""Downloading .crate files from a real HTTP server on 127.0.0.1, verified and cached."""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from cratewatch.registry.crates import (
    STATIC_CRATES_IO,
    ChecksumMismatch,
    CrateDownloadError,
    CrateFetcher,
    NotCached,
    Unverified,
    Verified,
    download_url,
)
from cratewatch.registry.paths import InvalidCrateName

PAYLOAD = b"\x1f\x8b fake crate bytes"
SHA = hashlib.sha256(PAYLOAD).hexdigest()


@pytest.mark.parametrize(
    ("dl", "name", "expected"),
    [
        (STATIC_CRATES_IO, "serde", "https://static.crates.io/crates/serde/serde-1.0.0.crate"),
        ("https://crates.io/api/v1/crates", "serde", "https://crates.io/api/v1/crates/serde/1.0.0/download"),
        ("https://crates.io/api/v1/crates/", "a", "https://crates.io/api/v1/crates/a/1.0.0/download"),
        ("https://r.example/{prefix}/{crate}/{version}", "Serde", "https://r.example/Se/rd/Serde/1.0.0"),
        ("https://r.example/{lowerprefix}/{crate}", "Serde", "https://r.example/se/rd/Serde"),
        ("https://r.example/{prefix}/{crate}", "syn", "https://r.example/3/s/syn"),
        ("https://r.example/{prefix}/{crate}", "cc", "https://r.example/2/cc"),
        ("https://r.example/{prefix}/{crate}", "x", "https://r.example/1/x"),
        ("https://r.example/{sha256-checksum}", "x", f"https://r.example/{SHA}"),
    ],
)  # fmt: skip
def test_download_url_follows_cargo(dl: str, name: str, expected: str) -> None:
    assert download_url(dl, name, "1.0.0", SHA) == expected


def test_checksum_template_needs_a_checksum() -> None:
    with pytest.raises(CrateDownloadError) as caught:
        download_url("https://r.example/{sha256-checksum}", "x", "1.0.0")
    assert str(caught.value) == (
        "x 1.0.0: the registry's download URL needs the checksum, which is unknown"
    )


def _fetcher(httpserver: HTTPServer, cache: Path, **kwargs: object) -> CrateFetcher:
    dl = httpserver.url_for("/crates/{crate}/{crate}-{version}.crate")
    return CrateFetcher(cache, dl=dl, **kwargs)  # type: ignore[arg-type]


def test_downloads_verifies_and_caches(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_oneshot_request("/crates/demo/demo-0.1.0.crate").respond_with_data(PAYLOAD)
    with _fetcher(httpserver, tmp_path) as fetcher:
        first = fetcher.fetch("demo", "0.1.0", checksum=SHA)
        second = fetcher.fetch("demo", "0.1.0", checksum=SHA.upper())
    assert first.path == tmp_path / "crates" / "demo-0.1.0.crate"
    assert first.path.read_bytes() == PAYLOAD
    assert first.checksum == Verified(sha256=SHA)
    assert first.url == httpserver.url_for("/crates/demo/demo-0.1.0.crate")
    assert second.url is None  # served from the cache: the one-shot handler was not hit again
    assert second.checksum == Verified(sha256=SHA)
    assert [p.name for p in (tmp_path / "crates").iterdir()] == ["demo-0.1.0.crate"]


def test_follows_redirects(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/api/v1/crates/demo/0.1.0/download").respond_with_response(
        Response(status=302, headers={"Location": httpserver.url_for("/static/demo.crate")})
    )
    httpserver.expect_request("/static/demo.crate").respond_with_data(PAYLOAD)
    with CrateFetcher(tmp_path, dl=httpserver.url_for("/api/v1/crates")) as fetcher:
        got = fetcher.fetch("demo", "0.1.0", checksum=SHA)
    assert got.path.read_bytes() == PAYLOAD


def test_mismatching_download_is_not_cached(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/crates/demo/demo-0.1.0.crate").respond_with_data(b"tampered")
    wrong = hashlib.sha256(b"tampered").hexdigest()
    with _fetcher(httpserver, tmp_path) as fetcher, pytest.raises(ChecksumMismatch) as caught:
        fetcher.fetch("demo", "0.1.0", checksum=SHA)
    url = httpserver.url_for("/crates/demo/demo-0.1.0.crate")
    assert str(caught.value) == (
        f"{url}: downloaded file has sha256 {wrong}, expected {SHA}; "
        "the registry or something between it and you served other content"
    )
    assert list((tmp_path / "crates").iterdir()) == []


def test_tampered_cache_is_downloaded_again(httpserver: HTTPServer, tmp_path: Path) -> None:
    cached = tmp_path / "crates" / "demo-0.1.0.crate"
    cached.parent.mkdir()
    cached.write_bytes(b"tampered")
    httpserver.expect_oneshot_request("/crates/demo/demo-0.1.0.crate").respond_with_data(PAYLOAD)
    with _fetcher(httpserver, tmp_path) as fetcher:
        got = fetcher.fetch("demo", "0.1.0", checksum=SHA)
    assert got.url is not None
    assert cached.read_bytes() == PAYLOAD


def test_tampered_cache_offline_is_an_error(tmp_path: Path) -> None:
    cached = tmp_path / "crates" / "demo-0.1.0.crate"
    cached.parent.mkdir()
    cached.write_bytes(b"tampered")
    wrong = hashlib.sha256(b"tampered").hexdigest()
    with CrateFetcher(tmp_path, offline=True) as fetcher, pytest.raises(ChecksumMismatch) as caught:
        fetcher.fetch("demo", "0.1.0", checksum=SHA)
    assert str(caught.value) == (
        f"{cached}: cached file has sha256 {wrong}, expected {SHA}; "
        "delete it or run without --offline to download it again"
    )


def test_offline_without_cache(tmp_path: Path) -> None:
    with CrateFetcher(tmp_path, offline=True) as fetcher, pytest.raises(NotCached) as caught:
        fetcher.fetch("demo", "0.1.0", checksum=SHA)
    assert str(caught.value) == (
        f"demo 0.1.0: not in the crate cache {tmp_path / 'crates'} and offline mode is on; "
        "run once without --offline to download it"
    )


def test_offline_with_cache(tmp_path: Path) -> None:
    cached = tmp_path / "crates" / "demo-0.1.0.crate"
    cached.parent.mkdir()
    cached.write_bytes(PAYLOAD)
    with CrateFetcher(tmp_path, offline=True) as fetcher:
        got = fetcher.fetch("demo", "0.1.0", checksum=SHA)
    assert (got.path, got.url, got.checksum) == (cached, None, Verified(sha256=SHA))


def test_without_checksum_the_file_is_unverified(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/crates/demo/demo-0.1.0.crate").respond_with_data(PAYLOAD)
    with _fetcher(httpserver, tmp_path) as fetcher:
        got = fetcher.fetch("demo", "0.1.0", checksum=None)
    assert got.checksum == Unverified(sha256=SHA, reason="no checksum recorded for this version")


def test_not_found(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/crates/demo/demo-0.1.0.crate").respond_with_data("no", status=404)
    with _fetcher(httpserver, tmp_path) as fetcher, pytest.raises(CrateDownloadError) as caught:
        fetcher.fetch("demo", "0.1.0", checksum=SHA)
    url = httpserver.url_for("/crates/demo/demo-0.1.0.crate")
    assert str(caught.value) == f"{url}: HTTP 404 Not Found"


def test_server_errors_are_retried(httpserver: HTTPServer, tmp_path: Path) -> None:
    path = "/crates/demo/demo-0.1.0.crate"
    httpserver.expect_ordered_request(path).respond_with_data("busy", status=503)
    httpserver.expect_ordered_request(path).respond_with_data(PAYLOAD)
    with _fetcher(httpserver, tmp_path) as fetcher:
        got = fetcher.fetch("demo", "0.1.0", checksum=SHA)
    assert got.path.read_bytes() == PAYLOAD


def test_persistent_server_errors_give_up(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/crates/demo/demo-0.1.0.crate").respond_with_data("busy", status=503)
    with _fetcher(httpserver, tmp_path) as fetcher, pytest.raises(CrateDownloadError) as caught:
        fetcher.fetch("demo", "0.1.0", checksum=SHA)
    url = httpserver.url_for("/crates/demo/demo-0.1.0.crate")
    assert str(caught.value) == (
        f"{url}: HTTP 503 Service Unavailable (after 3 attempts); check the network or use "
        "--offline with a filled cache"
    )


def test_oversized_download(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/crates/demo/demo-0.1.0.crate").respond_with_data(b"x" * 5000)
    with (
        _fetcher(httpserver, tmp_path, max_bytes=4096) as fetcher,
        pytest.raises(CrateDownloadError) as caught,
    ):
        fetcher.fetch("demo", "0.1.0", checksum=SHA)
    url = httpserver.url_for("/crates/demo/demo-0.1.0.crate")
    assert str(caught.value) == f"{url}: larger than the limit of 4096 bytes"
    assert list((tmp_path / "crates").iterdir()) == []


def test_timeout(httpserver: HTTPServer, tmp_path: Path) -> None:
    def slow(request: Request) -> Response:
        time.sleep(1.0)
        return Response(PAYLOAD)

    httpserver.expect_request("/crates/demo/demo-0.1.0.crate").respond_with_handler(slow)
    with (
        _fetcher(httpserver, tmp_path, timeout=0.2) as fetcher,
        pytest.raises(CrateDownloadError, match=r"timed out after 0.2s \(after 3 attempts\)"),
    ):
        fetcher.fetch("demo", "0.1.0", checksum=SHA)


@pytest.mark.parametrize(
    ("name", "version", "error"),
    [
        ("../etc", "1.0.0", InvalidCrateName),
        ("demo", "1.0.0/../../x", CrateDownloadError),
    ],
)
def test_names_and_versions_never_become_paths(
    tmp_path: Path, name: str, version: str, error: type[Exception]
) -> None:
    with CrateFetcher(tmp_path, offline=True) as fetcher, pytest.raises(error):
        fetcher.fetch(name, version, checksum=None)


def test_bad_expected_checksum(tmp_path: Path) -> None:
    with CrateFetcher(tmp_path, offline=True) as fetcher, pytest.raises(ChecksumMismatch) as caught:
        fetcher.fetch("demo", "0.1.0", checksum="abc")
    assert str(caught.value) == "demo 0.1.0: expected checksum 'abc' is not a SHA-256 in hex"
