"""``cratewatch db update`` and ``cratewatch db info``: the advisory database itself."""

from __future__ import annotations

import datetime
import json
from typing import Any, assert_never

import click
from rich.table import Table

from cratewatch.advisories.database import (
    AdvisoryDatabase,
    CacheBuilt,
    CacheHit,
    CacheUse,
    NotCached,
)
from cratewatch.advisories.source import (
    Cloned,
    Fetched,
    FetchResult,
    Fresh,
    NotFetched,
    Stale,
    Staleness,
    UnknownAge,
)
from cratewatch.cli.dbopts import (
    DbOptions,
    database_options,
    echo_warnings,
    open_database,
    output_console,
)

__all__ = ["db"]


@click.group()
def db() -> None:
    """Obtain and inspect the RustSec advisory database."""


@db.command()
@database_options(fetch_option=False)
def update(db_options: DbOptions) -> None:
    """Clone or fetch the advisory database and build its compiled cache.

    A git URL or bundle is cloned into the cache directory on first use and fetched (then
    reset to the remote's default branch) afterwards; a local checkout is only read.
    """
    opened = open_database(db_options, fetch=True)
    echo_warnings(opened.warnings)
    database = opened.database
    info = database.info
    total = f"{len(database)} advisories"
    match info.fetch:
        case Cloned(commit=commit):
            click.echo(f"Cloned {info.source} at {commit[:12]} ({total}).")
        case Fetched(previous=previous, current=current) if previous == current:
            click.echo(f"{info.source} is up to date at {current[:12]} ({total}).")
        case Fetched(previous=previous, current=current):
            click.echo(f"Updated {info.source}: {previous[:12]} -> {current[:12]} ({total}).")
        case NotFetched(reason=reason):
            click.echo(f"{info.source}: not fetched ({reason}); {total}.")
        case _:
            assert_never(info.fetch)


@db.command()
@database_options()
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["human", "json"]),
    default="human",
    show_default=True,
    help="Output format.",
)
def info(db_options: DbOptions, output_format: str) -> None:
    """Show where the advisory database comes from, its commit, age and advisory counts."""
    opened = open_database(db_options)
    echo_warnings(opened.warnings)
    now = datetime.datetime.now(datetime.UTC)
    age = opened.database.info.staleness(
        now=now, max_age=datetime.timedelta(days=db_options.stale_days)
    )
    data = _info_data(opened.database, age)
    if output_format == "json":
        click.echo(json.dumps(data, indent=2))
        return
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold")
    table.add_column()
    table.add_row("Source", data["source"])
    table.add_row("Checkout", data["path"])
    table.add_row("Commit", data["commit"] or "(not a git checkout)")
    table.add_row("Last commit", data["last_commit_time"] or "(unknown)")
    table.add_row("Age", _age_text(age))
    table.add_row("Advisories", str(data["total"]))
    for kind, count in data["counts"].items():
        table.add_row(f"  {kind}", str(count))
    table.add_row("  withdrawn", str(data["withdrawn"]))
    table.add_row("Skipped files", str(len(data["skipped"])))
    table.add_row("Compiled cache", f"{data['cache']['status']}: {data['cache']['detail']}")
    output_console().print(table)


def _info_data(database: AdvisoryDatabase, age: Staleness) -> dict[str, Any]:
    info = database.info
    counts = database.counts()
    return {
        "source": info.source,
        "path": str(info.path),
        "commit": info.commit,
        "last_commit_time": None
        if info.last_commit_time is None
        else info.last_commit_time.isoformat(),
        "modified": info.modified,
        "staleness": _staleness_data(age),
        "total": len(database),
        "counts": {kind.value: count for kind, count in counts.items()},
        "withdrawn": sum(1 for a in database.advisories if a.is_withdrawn),
        "skipped": [{"path": s.path, "reason": s.reason} for s in info.skipped],
        "cache": _cache_data(info.cache),
        "fetch": _fetch_data(info.fetch),
    }


def _staleness_data(age: Staleness) -> dict[str, Any]:
    match age:
        case Fresh(age=elapsed):
            return {"status": "fresh", "age_days": elapsed.days}
        case Stale(age=elapsed, max_age=max_age):
            return {"status": "stale", "age_days": elapsed.days, "max_age_days": max_age.days}
        case UnknownAge(reason=reason):
            return {"status": "unknown", "reason": reason}
        case _:
            assert_never(age)


def _age_text(age: Staleness) -> str:
    match age:
        case Fresh(age=elapsed):
            return f"{elapsed.days} days (fresh)"
        case Stale(age=elapsed, max_age=max_age):
            return f"{elapsed.days} days (STALE: more than {max_age.days})"
        case UnknownAge(reason=reason):
            return f"unknown ({reason})"
        case _:
            assert_never(age)


def _cache_data(cache: CacheUse) -> dict[str, str]:
    match cache:
        case CacheHit(path=path):
            return {"status": "hit", "detail": str(path)}
        case CacheBuilt(path=path, reason=reason):
            return {"status": "built", "detail": f"{path} ({reason})"}
        case NotCached(reason=reason):
            return {"status": "not cached", "detail": reason}
        case _:
            assert_never(cache)


def _fetch_data(fetch: FetchResult) -> dict[str, str]:
    match fetch:
        case Cloned(commit=commit):
            return {"status": "cloned", "commit": commit}
        case Fetched(previous=previous, current=current):
            return {"status": "fetched", "previous": previous, "current": current}
        case NotFetched(reason=reason):
            return {"status": "not fetched", "reason": reason}
        case _:
            assert_never(fetch)
