"""The sparse backend against a real HTTP server on 127.0.0.1 serving the fixture index.

The server implements conditional requests itself (ETag / Last-Modified, 304), so the cache
revalidation is checked end to end: what the client sent and what the server answered.
"""

from __future__ import annotations

import hashlib
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from cratewatch.errors import RegistryError
from cratewatch.registry.dirindex import DirIndex
from cratewatch.registry.index import CrateNotFound, Found, Missing, open_index
from cratewatch.registry.parse import InvalidIndexEntry
from cratewatch.registry.sparse import SparseIndex
from tests.registry.conftest import FIXTURE_INDEX

_TIP = "check the network, or use --offline (cached files only) or --index PATH (a local index)"


@dataclass
class IndexServer:
    """Serves files under *root* like index.crates.io, recording every request."""

    root: Path
    server: HTTPServer
    validators: str = "etag"  # "etag", "last-modified" or "none"
    delay: float = 0.0
    status_override: dict[str, int] = field(default_factory=dict)
    seen: list[tuple[str, dict[str, str], int]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return self.server.url_for("/")

    def handle(self, request: Request) -> Response:
        with self.lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.delay:
                time.sleep(self.delay)
            response = self._respond(request)
        finally:
            with self.lock:
                self.in_flight -= 1
        headers = {k.lower(): v for k, v in request.headers.items()}
        self.seen.append((request.path, headers, response.status_code))
        return response

    def _respond(self, request: Request) -> Response:
        path = request.path.lstrip("/")
        if path in self.status_override:
            return Response(b"nope", status=self.status_override[path])
        file = self.root / path
        if not file.is_file():
            return Response(b"not found", status=404)
        body = file.read_bytes()
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        modified = formatdate(file.stat().st_mtime, usegmt=True)
        headers: dict[str, str] = {}
        if self.validators == "etag":
            headers["ETag"] = etag
            if request.headers.get("If-None-Match") == etag:
                return Response(status=304, headers=headers)
        elif self.validators == "last-modified":
            headers["Last-Modified"] = modified
            if request.headers.get("If-Modified-Since") == modified:
                return Response(status=304, headers=headers)
        return Response(body, status=200, headers=headers)

    def paths(self) -> list[str]:
        return [path for path, _, _ in self.seen]


@pytest.fixture(scope="module")
def http_server() -> Iterator[HTTPServer]:
    """One threaded server on 127.0.0.1 for the module (stopping one takes 0.5 s)."""
    server = HTTPServer(host="127.0.0.1", threaded=True)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def served(http_server: HTTPServer, tmp_path: Path) -> Iterator[IndexServer]:
    root = tmp_path / "served"
    shutil.copytree(FIXTURE_INDEX, root)
    index_server = IndexServer(root=root, server=http_server)
    http_server.expect_request("").respond_with_handler(index_server.handle)
    try:
        yield index_server
    finally:
        http_server.clear()


def _sparse(served: IndexServer, cache: Path | None, **options: object) -> SparseIndex:
    return SparseIndex(f"sparse+{served.url}", cache_dir=cache, **options)  # type: ignore[arg-type]


def test_reads_what_the_server_serves(served: IndexServer, tmp_path: Path) -> None:
    with _sparse(served, tmp_path / "cache") as index:
        assert index.versions("Demo") == DirIndex(FIXTURE_INDEX).versions("demo")
        assert index.versions("syn") == DirIndex(FIXTURE_INDEX).versions("syn")
        assert index.config() == DirIndex(FIXTURE_INDEX).config()
        assert index.source == f"sparse+{served.url}"
    assert served.paths() == ["/de/mo/demo", "/3/s/syn", "/config.json"]
    assert served.seen[0][1]["user-agent"].startswith("cratewatch/")


def test_each_crate_is_fetched_once_per_instance(served: IndexServer, tmp_path: Path) -> None:
    with _sparse(served, None) as index:
        first = index.versions("syn")
        assert index.versions("SYN") is first
    assert served.paths() == ["/3/s/syn"]


def test_etag_revalidation_gets_a_304_and_reuses_the_cache(
    served: IndexServer, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    with _sparse(served, cache) as index:
        fetched = index.versions("syn")
    with _sparse(served, cache) as index:
        assert index.versions("syn") == fetched
    (_, first_headers, first_status), (_, second_headers, second_status) = served.seen
    assert "if-none-match" not in first_headers
    assert first_status == 200
    assert second_headers["if-none-match"].startswith('"')
    assert second_status == 304


def test_last_modified_revalidation(served: IndexServer, tmp_path: Path) -> None:
    served.validators = "last-modified"
    cache = tmp_path / "cache"
    for _ in range(2):
        with _sparse(served, cache) as index:
            assert len(index.versions("a")) == 1
    (_, first, first_status), (_, second, second_status) = served.seen
    assert "if-modified-since" not in first
    assert second["if-modified-since"].endswith(" GMT")
    assert (first_status, second_status) == (200, 304)


def test_a_changed_file_replaces_the_cached_copy(served: IndexServer, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with _sparse(served, cache) as index:
        assert len(index.versions("syn")) == 2
    # upstream publishes a version: the ETag changes, the server answers 200
    syn = served.root / "3" / "s" / "syn"
    syn.write_bytes(syn.read_bytes() + syn.read_bytes().splitlines(keepends=True)[0])
    with _sparse(served, cache) as index:
        assert len(index.versions("syn")) == 3
    with _sparse(served, cache, offline=True) as index:
        assert len(index.versions("syn")) == 3
    assert [status for _, _, status in served.seen] == [200, 200]


def test_cache_files_are_complete_and_no_temporary_file_is_left(
    served: IndexServer, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    with _sparse(served, cache) as index:
        index.versions("demo")
        index.config()
    files = sorted(p.relative_to(cache).as_posix() for p in cache.rglob("*") if p.is_file())
    assert len(files) == 2
    assert files[0].startswith("sparse/127.0.0.1_")
    assert files[0].endswith("/config.json")
    assert files[1].endswith("/de/mo/demo")
    header, _, body = (cache / files[1]).read_bytes().partition(b"\n")
    assert body == (FIXTURE_INDEX / "de" / "mo" / "demo").read_bytes()
    assert header.startswith(b'{"etag": "\\"')


def test_offline_reads_only_the_cache(served: IndexServer, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with _sparse(served, cache) as index:
        expected = index.versions("demo")
    requests = len(served.seen)
    with _sparse(served, cache, offline=True) as index:
        assert index.versions("demo") == expected
        with pytest.raises(RegistryError) as info:
            index.versions("syn")
        cache_root = next((cache / "sparse").iterdir())
        assert str(info.value) == (
            f"crate 'syn': not in the offline cache of sparse+{served.url} ({cache_root}); "
            "run once without --offline to fill it"
        )
        assert index.fetch_many(["demo"]) == {"demo": Found(name="demo", entries=expected)}
    assert len(served.seen) == requests
    with pytest.raises(RegistryError, match="offline mode needs a cache directory"):
        _sparse(served, None, offline=True)


@pytest.mark.parametrize("status", [404, 410])
def test_missing_crate(served: IndexServer, tmp_path: Path, status: int) -> None:
    served.status_override["3/s/syn"] = status
    with _sparse(served, tmp_path / "c") as index, pytest.raises(CrateNotFound) as info:
        index.versions("syn")
    assert str(info.value) == f"crate 'syn': not found in sparse+{served.url}"
    with _sparse(served, None) as index, pytest.raises(CrateNotFound):
        index.versions("nonexistent")


def test_a_crate_removed_upstream_is_dropped_from_the_cache(
    served: IndexServer, tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    with _sparse(served, cache) as index:
        index.versions("syn")
    served.status_override["3/s/syn"] = 404
    with _sparse(served, cache) as index, pytest.raises(CrateNotFound):
        index.versions("syn")
    with _sparse(served, cache, offline=True) as index, pytest.raises(RegistryError):
        index.versions("syn")


def test_server_error_ends_with_a_tip(served: IndexServer, tmp_path: Path) -> None:
    served.status_override["3/s/syn"] = 500
    with _sparse(served, tmp_path / "c") as index, pytest.raises(RegistryError) as info:
        index.versions("syn")
    assert str(info.value) == f"{served.url}3/s/syn: HTTP 500 Internal Server Error; {_TIP}"
    assert not isinstance(info.value, CrateNotFound)


def test_a_slow_server_times_out(served: IndexServer, tmp_path: Path) -> None:
    served.delay = 2.0
    started = time.monotonic()
    with (
        _sparse(served, tmp_path / "c", timeout=0.2) as index,
        pytest.raises(RegistryError) as info,
    ):
        index.versions("syn")
    assert time.monotonic() - started < 1.5
    assert str(info.value) == f"{served.url}3/s/syn: timed out (ReadTimeout); {_TIP}"


def test_a_refused_connection(tmp_path: Path) -> None:
    server = HTTPServer(host="127.0.0.1")
    server.start()
    url = server.url_for("/")
    server.stop()  # nothing listens on that port any more
    with SparseIndex(url, cache_dir=tmp_path) as index, pytest.raises(RegistryError) as info:
        index.versions("syn")
    assert str(info.value).startswith(f"{url}3/s/syn: ConnectError: ")
    assert str(info.value).endswith(_TIP)


def test_a_malformed_file_is_refused_and_not_cached(served: IndexServer, tmp_path: Path) -> None:
    (served.root / "1" / "a").write_text('{"name": "a", "vers": 1}\n')
    cache = tmp_path / "cache"
    with _sparse(served, cache) as index, pytest.raises(InvalidIndexEntry) as info:
        index.versions("a")
    assert str(info.value) == f"{served.url}1/a: line 1: vers: expected a string, got 1"
    assert not [p for p in cache.rglob("*") if p.is_file()]


def test_response_size_is_bounded(served: IndexServer, tmp_path: Path) -> None:
    with (
        _sparse(served, tmp_path / "c", max_file_bytes=100) as index,
        pytest.raises(RegistryError) as info,
    ):
        index.versions("demo")
    assert str(info.value) == f"{served.url}de/mo/demo: response larger than the limit of 100 bytes"


def test_fetch_many_is_concurrent_but_bounded(served: IndexServer, tmp_path: Path) -> None:
    served.delay = 0.2
    names = ["a", "syn", "demo", "missing1", "missing2", "missing3"]
    with _sparse(served, tmp_path / "c", max_concurrency=3) as index:
        started = time.monotonic()
        results = index.fetch_many(names)
        elapsed = time.monotonic() - started
        assert results["syn"] == Found(name="syn", entries=DirIndex(FIXTURE_INDEX).versions("syn"))
        assert results["missing2"] == Missing(
            name="missing2", reason=f"crate 'missing2': not found in sparse+{served.url}"
        )
        assert list(results) == names
        assert index.versions("demo") is results["demo"].entries  # type: ignore[union-attr]
    assert served.max_in_flight == 3
    assert elapsed < 6 * 0.2  # not one after the other
    assert len(served.seen) == 6


def test_fetch_many_stops_on_a_server_error(served: IndexServer, tmp_path: Path) -> None:
    served.status_override["3/s/syn"] = 503
    with _sparse(served, tmp_path / "c") as index, pytest.raises(RegistryError) as info:
        index.fetch_many(["a", "syn", "demo"])
    assert str(info.value) == f"{served.url}3/s/syn: HTTP 503 Service Unavailable; {_TIP}"


def test_open_index_dispatches_urls(served: IndexServer, tmp_path: Path) -> None:
    for spec in (f"sparse+{served.url}", served.url, served.url.rstrip("/")):
        with open_index(spec, cache_dir=tmp_path) as index:
            assert isinstance(index, SparseIndex)
            assert index.url == served.url
            assert len(index.versions("a")) == 1


@pytest.mark.parametrize("url", ["sparse+ftp://example.test/", "sparse+https://"])
def test_bad_urls(url: str) -> None:
    with pytest.raises(RegistryError) as info:
        SparseIndex(url)
    assert str(info.value) == f"{url}: a sparse index URL must be http:// or https://"
