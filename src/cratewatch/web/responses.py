"""HTTP plumbing shared by the API and the pages: context, errors, ETags and caching.

Every successful GET carries an ``ETag`` derived from the database commit, the index state
and the request path (so it changes exactly when the answer can) and
``Cache-Control: public, max-age=N``; a matching ``If-None-Match`` gets ``304 Not Modified``
without the body being built. Errors are :class:`HttpProblem`, rendered as
``{"error": {"code": ..., "message": ...}}`` under ``/api`` and ``/osv``, and as an HTML page
elsewhere.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from cratewatch import __version__
from cratewatch.web.crates import CrateResolver
from cratewatch.web.reload import DatabaseReloader
from cratewatch.web.snapshot import Snapshot
from cratewatch.web.view import DbStamp

__all__ = [
    "HTML_HEADERS",
    "JSON_MEDIA_TYPE",
    "HttpProblem",
    "WebContext",
    "cache_headers",
    "cached",
    "db_stamp",
    "error_body",
    "etag_for",
    "if_none_match",
    "is_api_path",
    "web_context",
]

JSON_MEDIA_TYPE = "application/json"
"""Media type of API responses (UTF-8 JSON)."""
HTML_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
        "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
"""Security headers of every HTML page (no inline script or style is ever needed)."""


class HttpProblem(Exception):
    """An error response: HTTP status, a stable machine code and a sentence for people."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        """HTTP status code."""
        self.code = code
        """Stable error code (``crate_not_found``, ``invalid_version``...)."""
        self.message = message
        """What went wrong, starting with the input concerned."""


def error_body(code: str, message: str) -> bytes:
    """The JSON error shape ``{"error": {"code", "message"}}``."""
    return json.dumps({"error": {"code": code, "message": message}}).encode()


def is_api_path(path: str) -> bool:
    """Whether *path* is answered in JSON (errors included)."""
    return path.startswith(("/api/", "/osv/"))


@dataclass(frozen=True, slots=True, kw_only=True)
class WebContext:
    """What every route needs: the database, the crate resolver and the cache lifetime."""

    reloader: DatabaseReloader
    """The current snapshot, reloaded when the source moves."""
    crates: CrateResolver
    """Crate lookups (advisories and index)."""
    max_age: int
    """``Cache-Control: max-age`` in seconds."""

    def snapshot(self) -> Snapshot:
        """The current snapshot."""
        return self.reloader.snapshot()


async def web_context(request: Request) -> WebContext:
    """The app's :class:`WebContext` (a FastAPI dependency; async so it runs on the loop)."""
    context = request.app.state.web
    assert isinstance(context, WebContext)
    return context


def db_stamp(snapshot: Snapshot) -> DbStamp:
    """Which database state a page shows."""
    info = snapshot.database.info
    return DbStamp(commit=info.commit, date=info.last_commit_time)


def etag_for(path: str, query: str, snapshot: Snapshot, crates: CrateResolver) -> str:
    """A strong ETag for the answer to *path*?*query* under this database and index state."""
    key = "\0".join((__version__, snapshot.token, crates.token, path, query))
    return '"' + hashlib.sha256(key.encode()).hexdigest()[:32] + '"'


def cache_headers(etag: str, max_age: int) -> dict[str, str]:
    """``ETag`` and ``Cache-Control`` of a cacheable answer."""
    return {"ETag": etag, "Cache-Control": f"public, max-age={max_age}"}


def if_none_match(header: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header value matches *etag* (weak comparison)."""
    return _matches(header, etag)


def _matches(header: str | None, etag: str) -> bool:
    if header is None:
        return False
    for candidate in header.split(","):
        tag = candidate.strip()
        if tag == "*" or tag.removeprefix("W/") == etag:
            return True
    return False


def cached(
    request: Request,
    context: WebContext,
    snapshot: Snapshot,
    build: Callable[[], bytes],
    *,
    media_type: str,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    """A cacheable response: 304 when ``If-None-Match`` matches, else *build*'s bytes.

    Only 200 answers are cacheable; other statuses are sent with ``Cache-Control: no-cache``.
    """
    if status != 200:
        common = {"Cache-Control": "no-cache"}
    else:
        etag = etag_for(request.url.path, request.url.query, snapshot, context.crates)
        common = cache_headers(etag, context.max_age)
        if _matches(request.headers.get("if-none-match"), etag):
            return Response(status_code=304, headers=common)
    return Response(
        build(), status_code=status, media_type=media_type, headers=common | (headers or {})
    )
