"""The HTML pages of ``cratewatch serve``.

``/`` (search box, recently published advisories), ``/search?q=``, ``/crates/{name}``
(Overview tab), ``/crates/{name}/security[?version=]`` (Security tab) and
``/advisories/{id}``. A crate name in another spelling (``SmallVec``) redirects to the
canonical one. The page content comes from :mod:`cratewatch.web.view`; these routes only
resolve, render and cache. They run on the event loop (rendering is CPU work, a thread pool
would only add hand-overs of the GIL); index lookups, which may read files or the network, run
in the thread pool.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from cratewatch.semver import Version
from cratewatch.web.crates import IndexUnavailable, KnownCrate
from cratewatch.web.links import ServerLinks
from cratewatch.web.responses import (
    HTML_HEADERS,
    HttpProblem,
    WebContext,
    cached,
    db_stamp,
    web_context,
)
from cratewatch.web.snapshot import MAX_QUERY_CHARS, Snapshot
from cratewatch.web.templating import render_page
from cratewatch.web.view import (
    advisory_view,
    crate_overview,
    parse_selected_version,
    security_page,
)

__all__ = ["router"]

router = APIRouter(include_in_schema=False)
LINKS = ServerLinks()
_HTML = "text/html; charset=utf-8"

Ctx = Annotated[WebContext, Depends(web_context)]
VersionParam = Annotated[str | None, Query()]


def _html(
    request: Request, ctx: WebContext, snap: Snapshot, build: object, status: int = 200
) -> Response:
    assert callable(build)
    return cached(
        request,
        ctx,
        snap,
        lambda: str(build()).encode(),
        media_type=_HTML,
        status=status,
        headers=HTML_HEADERS,
    )


async def _resolve(ctx: WebContext, snap: Snapshot, name: str) -> KnownCrate:
    try:
        if ctx.crates.index is None:
            resolved = ctx.crates.resolve(snap, name)
        else:
            resolved = await run_in_threadpool(ctx.crates.resolve, snap, name)
    except IndexUnavailable as e:
        raise HttpProblem(503, "index_unavailable", str(e)) from e
    if not isinstance(resolved, KnownCrate):
        raise HttpProblem(404, "crate_not_found", f"No such crate: {resolved.reason}.")
    return resolved


def _canonical(request: Request, known: KnownCrate, name: str, path: str) -> Response | None:
    if known.name == name:
        return None
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(path + query, status_code=308)


@router.get("/")
async def home(request: Request, ctx: Ctx) -> Response:
    snap = ctx.snapshot()

    def build() -> str:
        recent = [advisory_view(a, published=snap.published(a.id).date()) for a in snap.recent]
        return render_page(
            "home.html",
            links=LINKS,
            db=db_stamp(snap),
            recent=recent,
            crate_count=len(snap.crate_names()),
            advisory_count=snap.advisory_count,
        )

    return _html(request, ctx, snap, build)


async def _direct_hit(ctx: WebContext, snap: Snapshot, query: str) -> str | None:
    """Where a query that names exactly one thing goes: an advisory id or alias, a crate."""
    if not query:
        return None
    adv = snap.advisory(query)
    aliased = snap.aliases_to(query)
    if adv is not None or len(aliased) == 1:
        return LINKS.advisory(adv.id if adv is not None else aliased[0])
    data = snap.crate(query)
    if data is not None:
        return LINKS.crate(data.name)
    if ctx.crates.index is not None and await run_in_threadpool(ctx.crates.in_index, query):
        return LINKS.crate(query)
    return None


@router.get("/search")
async def search_page(
    request: Request, ctx: Ctx, q: Annotated[str, Query(max_length=MAX_QUERY_CHARS)] = ""
) -> Response:
    snap = ctx.snapshot()
    results = snap.search(q)
    target = await _direct_hit(ctx, snap, results.query)
    if target is not None:
        return RedirectResponse(target, status_code=303)

    def build() -> str:
        return render_page(
            "search.html",
            links=LINKS,
            db=db_stamp(snap),
            results=results,
            query=results.query,
            index_searched=ctx.crates.index is not None,
        )

    return _html(request, ctx, snap, build)


@router.get("/crates/{name}")
async def crate_page(
    request: Request, ctx: Ctx, name: str, version: VersionParam = None
) -> Response:
    snap = ctx.snapshot()
    known = await _resolve(ctx, snap, name)
    redirect = _canonical(request, known, name, LINKS.crate(known.name))
    if redirect is not None:
        return redirect
    selected = parse_selected_version(version) if version else None
    chosen = selected if isinstance(selected, Version) else None
    overview = crate_overview(
        known.name,
        known.advisories,
        index_versions=known.index_entries,
        db=db_stamp(snap),
        selected=chosen,
    )

    def build() -> str:
        return render_page(
            "crate.html",
            links=LINKS,
            db=db_stamp(snap),
            o=overview,
            version=None if chosen is None else str(chosen),
        )

    return _html(request, ctx, snap, build)


@router.get("/crates/{name}/security")
async def security_tab(
    request: Request, ctx: Ctx, name: str, version: VersionParam = None
) -> Response:
    snap = ctx.snapshot()
    known = await _resolve(ctx, snap, name)
    redirect = _canonical(request, known, name, LINKS.security(known.name))
    if redirect is not None:
        return redirect
    page = security_page(
        known.name,
        known.advisories,
        version_text=version,
        index_versions=known.index_entries,
        db=db_stamp(snap),
        published=lambda adv: snap.published(adv.id).date(),
    )
    overview = crate_overview(
        known.name, known.advisories, index_versions=known.index_entries, db=db_stamp(snap)
    )

    def build() -> str:
        return render_page(
            "security.html",
            links=LINKS,
            db=db_stamp(snap),
            page=page,
            latest=overview.latest,
            explicit_version=bool(version and page.selected),
            index_problem=known.index_problem,
        )

    return _html(request, ctx, snap, build, status=400 if page.version_error else 200)


@router.get("/advisories/{advisory_id}")
async def advisory_page(request: Request, ctx: Ctx, advisory_id: str) -> Response:
    snap = ctx.snapshot()
    adv = snap.advisory(advisory_id) if len(advisory_id) <= MAX_QUERY_CHARS else None
    if adv is None:
        aliased = snap.aliases_to(advisory_id) if len(advisory_id) <= MAX_QUERY_CHARS else ()
        if len(aliased) == 1:
            return RedirectResponse(LINKS.advisory(aliased[0]), status_code=308)
        raise HttpProblem(
            404, "advisory_not_found", f"No RustSec advisory has the id {advisory_id!r}."
        )
    if adv.id != advisory_id:
        return RedirectResponse(LINKS.advisory(adv.id), status_code=308)

    def build() -> str:
        view = advisory_view(adv, published=snap.published(adv.id).date())
        return render_page("advisory.html", links=LINKS, db=db_stamp(snap), v=view)

    return _html(request, ctx, snap, build)
