"""The JSON API: ``/api/v1/...`` and the per-crate OSV files under ``/osv/crates/``.

- ``GET /api/v1/crates/{name}/advisories[?version=]`` -- the crate's OSV records (withdrawn
  ones included, as in RustSec's OSV data); with ``version``, only the advisories that are
  not withdrawn and affect that version;
- ``GET /api/v1/advisories/{id}`` -- one OSV record;
- ``GET /api/v1/crates/{name}/versions/{version}/status`` -- affected or not, which
  advisories, highest severity;
- ``GET /api/v1/search?q=`` -- crates and advisories;
- ``GET /api/v1/database`` -- the database state served;
- ``GET /osv/crates/{name}.json`` -- the crate's OSV records as one pretty-printed array, as
  RustSec's web site writes per package.

A crate is unknown (404) when it is neither in the index (if one is given) nor in any
advisory; a known crate without advisories answers an empty list.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from cratewatch.advisories.model import Advisory
from cratewatch.semver import Version
from cratewatch.web.crates import IndexUnavailable, KnownCrate
from cratewatch.web.models import (
    AdvisorySummary,
    CvssModel,
    DatabaseModel,
    ErrorResponse,
    MaxSeverity,
    OsvRecord,
    SearchAdvisory,
    SearchCrate,
    SearchResponse,
    VersionStatus,
)
from cratewatch.web.responses import (
    JSON_MEDIA_TYPE,
    HttpProblem,
    WebContext,
    cached,
    web_context,
)
from cratewatch.web.snapshot import MAX_QUERY_CHARS, Snapshot
from cratewatch.web.view import (
    MAX_VERSION_CHARS,
    SEVERITY_METHOD,
    parse_selected_version,
    severity_summary,
)

__all__ = ["router"]

router = APIRouter()

_ERRORS: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorResponse, "description": "Unknown crate or advisory."},
    422: {"model": ErrorResponse, "description": "Invalid parameter (e.g. not a version)."},
    503: {"model": ErrorResponse, "description": "The crates.io index could not answer."},
}
_NOT_MODIFIED: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified (the `If-None-Match` ETag matches)."}
}

# Documented, not enforced by FastAPI: the routes check names and versions themselves, so a
# bad one gets a message that says what is wrong (404 for a name, 422 for a version).
_NAME_SCHEMA = {"pattern": r"^[A-Za-z][A-Za-z0-9_-]{0,63}$"}
_N = r"(0|[1-9][0-9]{0,17})"
_ID = r"(0|[1-9][0-9]{0,17}|[0-9]*[A-Za-z-][0-9A-Za-z-]*)"
_VERSION_SCHEMA = {
    "pattern": rf"^{_N}\.{_N}\.{_N}(-{_ID}(\.{_ID})*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$",
    "maxLength": MAX_VERSION_CHARS,
}

Ctx = Annotated[WebContext, Depends(web_context)]
CrateName = Annotated[
    str,
    Path(
        description="Crate name as on crates.io (`-` and `_` alike, any case).",
        max_length=200,
        json_schema_extra=_NAME_SCHEMA,
    ),
]
VersionQuery = Annotated[
    str | None,
    Query(
        description="Only advisories affecting this version (SemVer, e.g. `1.2.3`).",
        json_schema_extra=_VERSION_SCHEMA,
    ),
]


def _compact(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _json(request: Request, ctx: WebContext, snap: Snapshot, build: Any) -> Response:
    return cached(request, ctx, snap, build, media_type=JSON_MEDIA_TYPE)


def _version(text: str) -> Version:
    parsed = parse_selected_version(text)
    if isinstance(parsed, Version):
        return parsed
    raise HttpProblem(422, "invalid_version", parsed)


async def _known(ctx: WebContext, snap: Snapshot, name: str) -> KnownCrate:
    """Resolve *name* or raise a 404/503 problem (index lookups run off the event loop)."""
    if ctx.crates.index is None:
        resolved = ctx.crates.resolve(snap, name)
    else:
        try:
            resolved = await run_in_threadpool(ctx.crates.resolve, snap, name)
        except IndexUnavailable as e:
            raise HttpProblem(503, "index_unavailable", str(e)) from e
    if not isinstance(resolved, KnownCrate):
        raise HttpProblem(404, "crate_not_found", resolved.reason)
    return resolved


@router.get(
    "/api/v1/crates/{name}/advisories",
    response_model=list[OsvRecord],
    responses=_ERRORS | _NOT_MODIFIED,
    tags=["advisories"],
    summary="A crate's advisories as OSV records",
)
async def crate_advisories(
    request: Request, ctx: Ctx, name: CrateName, version: VersionQuery = None
) -> Response:
    """Every RustSec advisory against the crate, as OSV records identical to RustSec's export
    (withdrawn ones included, with their `withdrawn` date). With `version`, only the
    advisories that are not withdrawn and affect that version (any kind). A known crate
    without advisories answers `[]`; an unknown crate 404.
    """
    snap = ctx.snapshot()
    data = snap.crate(name)
    if data is None:
        await _known(ctx, snap, name)  # 404 unless the index knows it
    if version is None:
        return _json(request, ctx, snap, lambda: b"[]" if data is None else data.osv_json)
    wanted = _version(version)
    advisories = () if data is None else data.advisories
    hits = [a for a in advisories if not a.is_withdrawn and a.affects(wanted)]
    return _json(request, ctx, snap, lambda: _compact([snap.osv(a.id) for a in hits]))


@router.get(
    "/api/v1/advisories/{advisory_id}",
    response_model=OsvRecord,
    responses=_ERRORS | _NOT_MODIFIED,
    tags=["advisories"],
    summary="One advisory as an OSV record",
)
async def advisory(
    request: Request,
    ctx: Ctx,
    advisory_id: Annotated[str, Path(description="RustSec id, e.g. RUSTSEC-2019-0009.")],
) -> Response:
    """The OSV record of a RustSec advisory (crates.io advisories only). A CVE or GHSA id is
    not an advisory id: the 404 message names the RustSec advisories that list it.
    """
    snap = ctx.snapshot()
    found = snap.advisory(advisory_id) if len(advisory_id) <= MAX_QUERY_CHARS else None
    if found is None:
        aliased = snap.aliases_to(advisory_id) if len(advisory_id) <= MAX_QUERY_CHARS else ()
        hint = f"; it is an alias of {', '.join(aliased)}" if aliased else ""
        raise HttpProblem(
            404, "advisory_not_found", f"advisory {advisory_id!r}: no such RustSec advisory{hint}"
        )
    return _json(request, ctx, snap, lambda: snap.osv_json(found.id))


def _summary(adv: Advisory) -> AdvisorySummary:
    cvss = adv.cvss
    return AdvisorySummary(
        id=adv.id,
        kind=adv.kind.value,
        title=adv.title,
        aliases=list(adv.aliases),
        date=adv.date,
        cvss=None
        if cvss is None
        else CvssModel(
            vector=cvss.vector,
            version=cvss.version,
            base_score=cvss.base_score,
            rating=cvss.severity.value,
        ),
    )


def _database(snap: Snapshot) -> DatabaseModel:
    return DatabaseModel(
        commit=snap.commit,
        last_commit_time=snap.database.info.last_commit_time,
        advisories=snap.advisory_count,
        crates=len(snap.crate_names()),
    )


@router.get(
    "/api/v1/crates/{name}/versions/{version}/status",
    response_model=VersionStatus,
    responses=_ERRORS | _NOT_MODIFIED,
    tags=["advisories"],
    summary="Whether a version is affected",
)
async def version_status(
    request: Request,
    ctx: Ctx,
    name: CrateName,
    version: Annotated[
        str, Path(description="SemVer version, e.g. `0.6.9`.", json_schema_extra=_VERSION_SCHEMA)
    ],
) -> Response:
    """Whether the version is affected by a vulnerability or unsoundness advisory (not
    withdrawn), which advisories apply, and the highest CVSS severity among them (method in
    `severity_method`).
    """
    snap = ctx.snapshot()
    wanted = _version(version)
    known = await _known(ctx, snap, name)
    advisories = known.advisories
    summary = severity_summary(advisories, wanted)
    by_id = {a.id: a for a in advisories}
    highest = summary.highest
    status = VersionStatus(
        crate=known.name,
        version=str(wanted),
        affected=summary.affected,
        advisories=[_summary(by_id[i]) for i in summary.affecting],
        informational=[_summary(by_id[i]) for i in summary.informational],
        max_severity=None
        if highest is None or summary.highest_id is None
        else MaxSeverity(
            advisory=summary.highest_id,
            rating=highest.severity.value,
            base_score=highest.base_score,
            cvss_version=highest.version,
            vector=highest.vector,
        ),
        severity_method=SEVERITY_METHOD,
        database=_database(snap),
    )
    return _json(request, ctx, snap, lambda: status.model_dump_json().encode())


@router.get(
    "/api/v1/search",
    response_model=SearchResponse,
    responses=_ERRORS | _NOT_MODIFIED,
    tags=["search"],
    summary="Search crates and advisories",
)
async def search(
    request: Request,
    ctx: Ctx,
    q: Annotated[
        str,
        Query(
            description="Crate name (or part), RustSec id, CVE or GHSA id, or words of a title.",
            max_length=MAX_QUERY_CHARS,
        ),
    ] = "",
) -> Response:
    """Crates with advisories whose name matches (exact, prefix, then substring; `-` and `_`
    alike), plus a crate the index has under exactly that name; advisories by id, alias or
    title words.
    """
    snap = ctx.snapshot()
    results = snap.search(q)
    crates = [SearchCrate(name=c.name, advisories=c.advisories) for c in results.crates]
    if (
        results.query
        and ctx.crates.index is not None
        and not any(c.name.lower() == results.query.lower() for c in crates)
        and await run_in_threadpool(ctx.crates.in_index, results.query)
    ):
        crates.insert(0, SearchCrate(name=results.query, advisories=0))
    body = SearchResponse(
        query=results.query,
        crates=crates,
        advisories=[
            SearchAdvisory(
                id=a.id,
                package=a.package,
                title=a.title,
                kind=a.kind.value,
                aliases=list(a.aliases),
                withdrawn=a.withdrawn,
            )
            for a in results.advisories
        ],
    )
    return _json(request, ctx, snap, lambda: body.model_dump_json().encode())


@router.get(
    "/api/v1/crates",
    response_model=list[SearchCrate],
    responses=_NOT_MODIFIED,
    tags=["advisories"],
    summary="Every crate with advisories",
)
async def crates(request: Request, ctx: Ctx) -> Response:
    """Every crate that has at least one advisory, by name, with the number of advisories its
    Security tab lists (withdrawn ones not counted).
    """
    snap = ctx.snapshot()
    return _json(request, ctx, snap, lambda: snap.crate_list_json)


@router.get(
    "/api/v1/database",
    response_model=DatabaseModel,
    responses=_NOT_MODIFIED,
    tags=["database"],
    summary="The advisory database state served",
)
async def database(request: Request, ctx: Ctx) -> Response:
    """The advisory-db commit the answers come from (changes when the database reloads)."""
    snap = ctx.snapshot()
    return _json(request, ctx, snap, lambda: _database(snap).model_dump_json().encode())


@router.get(
    "/osv/crates/{name}.json",
    response_model=list[OsvRecord],
    responses=_ERRORS | _NOT_MODIFIED,
    tags=["advisories"],
    summary="A crate's OSV records as one file",
)
async def crate_osv_file(request: Request, ctx: Ctx, name: CrateName) -> Response:
    """The crate's OSV records (withdrawn included), newest publication first, pretty-printed
    like the per-package JSON of RustSec's web site. `[]` for a known crate without
    advisories.
    """
    snap = ctx.snapshot()
    data = snap.crate(name)
    if data is None:
        await _known(ctx, snap, name)
    return _json(request, ctx, snap, lambda: b"[]" if data is None else data.osv_file)
