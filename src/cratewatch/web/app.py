"""The FastAPI application of ``cratewatch serve``: pages, JSON API, static files.

:func:`create_app` wires a :class:`~cratewatch.web.reload.DatabaseReloader` (the advisories,
reloaded when the source's commit moves) and an optional crates.io
:class:`~cratewatch.registry.index.Index` (published versions and yanked flags) into the
routes of :mod:`.api` and :mod:`.pages`. Errors never become a 500 with a traceback: known
problems are 4xx/503 answers in the JSON error shape (API) or an HTML page.

>>> from cratewatch.advisories.database import load_database
>>> from cratewatch.web.reload import DatabaseReloader
>>> db = load_database("advisory-db", cache_dir=cache)  # doctest: +SKIP
>>> app = create_app(DatabaseReloader(lambda: db, None))  # doctest: +SKIP
>>> # uvicorn.run(app, host="127.0.0.1", port=8000)
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from cratewatch import __version__
from cratewatch.errors import CratewatchError
from cratewatch.registry.index import Index
from cratewatch.web import api, pages
from cratewatch.web.crates import CrateResolver
from cratewatch.web.fastpath import CrateAdvisoriesFastPath
from cratewatch.web.head import HeadAsGet
from cratewatch.web.links import ServerLinks
from cratewatch.web.reload import DatabaseReloader
from cratewatch.web.responses import (
    HTML_HEADERS,
    JSON_MEDIA_TYPE,
    HttpProblem,
    WebContext,
    db_stamp,
    error_body,
    is_api_path,
)
from cratewatch.web.templating import STATIC_DIR, render_page

__all__ = ["DEFAULT_MAX_AGE", "create_app"]

DEFAULT_MAX_AGE = 60
"""Seconds clients may reuse an answer without revalidating."""

_LOG = logging.getLogger("cratewatch.web")
_TITLES = {400: "Bad request", 404: "Not found", 405: "Method not allowed", 422: "Invalid input"}
_DESCRIPTION = """\
Security advisories of the [RustSec advisory database](https://github.com/rustsec/advisory-db)
for crates.io crates. Advisories are served as [OSV](https://ossf.github.io/osv-schema/) records
identical to RustSec's own export. Every answer carries an `ETag` (from the database commit and
the request) and `Cache-Control`; send `If-None-Match` to get `304 Not Modified`. Errors have
the shape `{"error": {"code": "...", "message": "..."}}`.
"""


def _problem(request: Request, status: int, code: str, message: str) -> Response:
    if is_api_path(request.url.path):
        return Response(
            error_body(code, message),
            status_code=status,
            media_type=JSON_MEDIA_TYPE,
            headers={"Cache-Control": "no-cache"},
        )
    context = request.app.state.web
    assert isinstance(context, WebContext)
    html = render_page(
        "error.html",
        links=ServerLinks(),
        db=db_stamp(context.snapshot()),
        title=_TITLES.get(status, "Unavailable" if status == 503 else "Error"),
        message=message,
    )
    return Response(
        html,
        status_code=status,
        media_type="text/html; charset=utf-8",
        headers={"Cache-Control": "no-cache", **HTML_HEADERS},
    )


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for error in exc.errors()[:3]:
        where = ".".join(str(p) for p in error.get("loc", ()) if p not in ("query", "path"))
        parts.append(f"{where or 'request'}: {error.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


class _App(FastAPI):
    """FastAPI with ``HEAD`` handling and the advisories fast path *in front of* its middleware.

    FastAPI's own layers (telemetry checks, error and body-limit wrappers) cost more per
    request than the fast path's answer itself, so known crates' advisory lists skip them.
    """

    def __init__(self, *, context: WebContext, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.state.web = context
        self._front: ASGIApp = HeadAsGet(CrateAdvisoriesFastPath(super().__call__, context))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._front(scope, receive, send)


def create_app(
    reloader: DatabaseReloader,
    *,
    index: Index | None = None,
    max_age: int = DEFAULT_MAX_AGE,
) -> FastAPI:
    """The ASGI application serving *reloader*'s advisories (and *index*'s versions)."""
    context = WebContext(reloader=reloader, crates=CrateResolver(index), max_age=max_age)
    app = _App(
        context=context,
        title="cratewatch advisories",
        version=__version__,
        description=_DESCRIPTION,
        openapi_url="/api/v1/openapi.json",
        docs_url="/docs",
        redoc_url=None,
    )

    @app.exception_handler(HttpProblem)
    async def on_problem(request: Request, exc: HttpProblem) -> Response:
        return _problem(request, exc.status, exc.code, exc.message)

    @app.exception_handler(StarletteHTTPException)
    async def on_http(request: Request, exc: StarletteHTTPException) -> Response:
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        message = {404: f"{request.url.path}: no such page"}.get(exc.status_code, str(exc.detail))
        response = _problem(request, exc.status_code, code, message)
        if exc.headers:
            response.headers.update(exc.headers)
        allow = response.headers.get("allow")
        if allow is not None and "GET" in allow.split(", ") and "HEAD" not in allow:
            response.headers["allow"] = f"{allow}, HEAD"  # HeadAsGet answers HEAD for GET
        return response

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, exc: RequestValidationError) -> Response:
        return _problem(request, 422, "invalid_request", _validation_message(exc))

    @app.exception_handler(CratewatchError)
    async def on_cratewatch(request: Request, exc: CratewatchError) -> Response:
        _LOG.warning("%s: %s", request.url.path, exc)
        return _problem(request, 503, "unavailable", str(exc))

    app.include_router(api.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
