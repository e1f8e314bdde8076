"""``cratewatch advisories``: querying the advisory database (``list``; ``export-osv``)."""

from __future__ import annotations

import json
from typing import Any

import click
from rich.table import Table

from cratewatch.advisories.model import Advisory, AdvisoryKind
from cratewatch.cli.advisories_osv import export_osv
from cratewatch.cli.dbopts import (
    DbOptions,
    database_options,
    echo_warnings,
    open_database,
    output_console,
)

__all__ = ["advisories", "advisory_json"]


@click.group()
def advisories() -> None:
    """Query the RustSec advisory database."""


@advisories.command("list")
@database_options()
@click.option("--crate", "crate_name", metavar="NAME", help="Only advisories against this crate.")
@click.option(
    "--kind",
    type=click.Choice([k.value for k in AdvisoryKind]),
    help="Only advisories of this kind (vulnerability: no `informational` field).",
)
@click.option(
    "--include-withdrawn",
    is_flag=True,
    help="Also list withdrawn advisories (filed in error), which are hidden by default.",
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["human", "json"]),
    default="human",
    show_default=True,
    help="Output format: a table, or a JSON array of advisories.",
)
def list_advisories(
    db_options: DbOptions,
    crate_name: str | None,
    kind: str | None,
    include_withdrawn: bool,
    output_format: str,
) -> None:
    """List advisories, oldest id first, optionally for one crate or of one kind."""
    opened = open_database(db_options)
    echo_warnings(opened.warnings)
    database = opened.database
    selected = database.for_package(crate_name) if crate_name else database.advisories
    chosen = [
        a
        for a in selected
        if (kind is None or a.kind.value == kind) and (include_withdrawn or not a.is_withdrawn)
    ]
    chosen.sort(key=lambda a: (a.date, a.id))
    if output_format == "json":
        click.echo(json.dumps([advisory_json(a) for a in chosen], indent=2))
        return
    if not chosen:
        click.echo("No advisories match.")
        return
    table = Table(box=None, pad_edge=False)
    for column in ("ID", "Crate", "Kind", "Date", "Severity"):
        table.add_column(column, no_wrap=True)
    table.add_column("Title")
    for a in chosen:
        severity = "" if a.cvss is None else f"{a.cvss.severity.value} {a.cvss.base_score:.1f}"
        title = f"{a.title} (withdrawn {a.withdrawn})" if a.withdrawn else a.title
        table.add_row(a.id, a.package, a.kind.value, a.date.isoformat(), severity, title)
    console = output_console()
    console.print(table)
    console.print(f"{len(chosen)} advisories")


def advisory_json(a: Advisory) -> dict[str, Any]:
    """The JSON object listing one advisory (used by ``advisories list --format json``)."""
    return {
        "id": a.id,
        "package": a.package,
        "kind": a.kind.value,
        "informational": a.informational,
        "date": a.date.isoformat(),
        "title": a.title,
        "url": a.url,
        "aliases": list(a.aliases),
        "related": list(a.related),
        "categories": list(a.categories),
        "keywords": list(a.keywords),
        "cvss": None
        if a.cvss is None
        else {
            "vector": a.cvss.vector,
            "version": a.cvss.version,
            "score": a.cvss.base_score,
            "severity": a.cvss.severity.value,
        },
        "withdrawn": None if a.withdrawn is None else a.withdrawn.isoformat(),
        "patched": [str(r) for r in a.patched],
        "unaffected": [str(r) for r in a.unaffected],
        "license": a.license,
        "collection": a.collection.value,
        "path": a.path,
    }


advisories.add_command(export_osv)
