"""A pure-ASGI fast path for the hottest route: a crate's advisories as OSV.

``GET /api/v1/crates/{name}/advisories`` (no query) for a crate that has advisories is
answered here, before FastAPI's middleware, routing and parameter handling, straight from
the bytes :mod:`~cratewatch.web.snapshot` serialised at load time, with the same ETag,
Cache-Control and ``304`` handling as the route in :mod:`~cratewatch.web.api`. Every other
request (unknown crates, ``?version=``, other methods) goes on to the application unchanged,
so the route stays the one place that defines the behaviour and its OpenAPI description.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from cratewatch.web.responses import (
    JSON_MEDIA_TYPE,
    WebContext,
    cache_headers,
    etag_for,
    if_none_match,
)

__all__ = ["CrateAdvisoriesFastPath"]

_PREFIX = "/api/v1/crates/"
_SUFFIX = "/advisories"


class CrateAdvisoriesFastPath:
    """ASGI middleware answering known crates' advisory lists from precomputed bytes."""

    def __init__(self, app: ASGIApp, context: WebContext) -> None:
        self.app = app
        self.context = context

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] == "GET"
            and not scope["query_string"]
            and scope["path"].startswith(_PREFIX)
            and scope["path"].endswith(_SUFFIX)
        ):
            path: str = scope["path"]
            name = path[len(_PREFIX) : -len(_SUFFIX)]
            snapshot = self.context.snapshot()
            data = snapshot.crate(name) if "/" not in name else None
            if data is not None:
                etag = etag_for(path, "", snapshot, self.context.crates)
                headers = cache_headers(etag, self.context.max_age)
                wanted = None
                for key, value in scope["headers"]:
                    if key == b"if-none-match":
                        wanted = value.decode("latin-1")
                        break
                if if_none_match(wanted, etag):
                    status, body = 304, b""
                else:
                    status, body = 200, data.osv_json
                    headers["Content-Type"] = JSON_MEDIA_TYPE
                    headers["Content-Length"] = str(len(body))
                await send(
                    {
                        "type": "http.response.start",
                        "status": status,
                        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
                    }
                )
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)
