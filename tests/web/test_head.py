"""``HEAD`` on the pages and the API: the ``GET`` answer's status and headers, no body."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from cratewatch.advisories.database import AdvisoryDatabase
from cratewatch.registry.dirindex import DirIndex
from cratewatch.web.app import create_app
from cratewatch.web.reload import DatabaseReloader
from tests.web.conftest import FIXTURE_INDEX, live_server

# headers that describe the representation: HEAD must send exactly those of GET
_SAME = ("content-type", "content-length", "etag", "cache-control", "location", "allow")


@pytest.fixture(scope="module")
def base_url(web_db: AdvisoryDatabase) -> Iterator[str]:
    """A server with the fixture database and the fixture index."""
    with DirIndex(FIXTURE_INDEX) as index:
        app = create_app(DatabaseReloader(lambda: web_db, None, initial=web_db), index=index)
        with live_server(app) as url:
            yield url


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30) as http:
        yield http


def _raw_exchange(base_url: str, request: bytes) -> bytes:
    """Send *request* bytes on one connection and read until the server closes it."""
    address = urlsplit(base_url)
    assert address.hostname is not None
    assert address.port is not None
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/crates/foo/advisories", 200),  # the fast path
        ("/api/v1/crates/foo/advisories?version=1.0.0", 200),  # the routed endpoint
        ("/api/v1/crates/plain/advisories", 200),  # known from the index only
        ("/api/v1/crates/nothere/advisories", 404),
        ("/api/v1/crates/foo/advisories?version=1.2", 422),
        ("/api/v1/advisories/RUSTSEC-2024-0107", 200),
        ("/api/v1/crates/foo/versions/1.0.0/status", 200),
        ("/api/v1/search?q=foo", 200),
        ("/api/v1/crates", 200),
        ("/api/v1/database", 200),
        ("/osv/crates/foo.json", 200),
        ("/", 200),
        ("/search?q=memory", 200),
        ("/search?q=foo", 303),
        ("/crates/foo", 200),
        ("/crates/Foo", 308),
        ("/crates/foo/security?version=1.0.0", 200),
        ("/crates/foo/security?version=x", 400),
        ("/advisories/RUSTSEC-2024-0107", 200),
        ("/advisories/nope", 404),
        ("/static/style.css", 200),
        ("/api/v1/openapi.json", 200),
    ],
)
def test_head_answers_like_get_without_body(client: httpx.Client, path: str, status: int) -> None:
    got = client.get(path)
    head = client.head(path)
    assert (got.status_code, head.status_code) == (status, status)
    assert head.content == b""
    for name in _SAME:
        assert head.headers.get(name) == got.headers.get(name), name
    if status == 200:
        assert int(head.headers["content-length"]) == len(got.content) > 0


def test_head_revalidates_with_the_etag(client: httpx.Client) -> None:
    for path in ("/api/v1/crates/foo/advisories", "/crates/foo/security"):
        etag = client.head(path).headers["etag"]
        again = client.head(path, headers={"If-None-Match": etag})
        assert (again.status_code, again.headers["etag"], again.content) == (304, etag, b"")


@pytest.mark.parametrize(
    "path", ["/api/v1/crates/foo/advisories", "/crates/foo/security", "/static/style.css"]
)
def test_head_sends_no_body_bytes(base_url: str, client: httpx.Client, path: str) -> None:
    # HEAD then GET on one connection: body bytes after the HEAD answer would be read as the
    # start of the GET answer
    raw = _raw_exchange(
        base_url,
        f"HEAD {path} HTTP/1.1\r\nHost: x\r\n\r\n"
        f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode(),
    )
    head, rest = raw.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.1 200 ")
    assert rest.startswith(b"HTTP/1.1 200 ")
    assert rest.split(b"\r\n\r\n", 1)[1] == client.get(path).content


def test_other_methods_are_still_not_allowed(client: httpx.Client) -> None:
    for path in ("/api/v1/crates/foo/advisories", "/api/v1/database"):
        response = client.post(path)
        assert response.status_code == 405
        assert response.headers["allow"] == "GET, HEAD"
        assert response.json() == {
            "error": {"code": "method_not_allowed", "message": "Method Not Allowed"}
        }
    page = client.delete("/crates/foo")
    assert (page.status_code, page.headers["allow"]) == (405, "GET, HEAD")
    assert page.headers["content-type"] == "text/html; charset=utf-8"
