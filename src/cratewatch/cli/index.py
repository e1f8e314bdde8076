"""``cratewatch index versions``: what a crates.io index says about one crate.

The JSON form is a list with one object per published version, in index order. Its keys are
the index's own: ``name``, ``vers``, ``deps``, ``features``, ``yanked``, ``links``,
``rust_version``, ``cksum``, ``v``; ``features`` already includes ``features2``. Each
dependency has ``name`` (the name the dependent uses), ``package`` (the real crate, always
present, unlike in the index), ``req``, ``kind`` (``normal`` / ``build`` / ``dev``, never
missing), ``target``, ``optional``, ``default_features``, ``features`` and ``registry``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from cratewatch.cli.dbopts import default_cache_dir, index_cache_options, output_console
from cratewatch.registry.index import CRATES_IO_SPARSE, open_index
from cratewatch.registry.model import IndexDependency, IndexEntry
from cratewatch.registry.paths import validate_crate_name

__all__ = ["entry_json", "index"]


@click.group()
def index() -> None:
    """Read a crates.io index: sparse (HTTP), a git clone, a git bundle or a directory."""


@index.command()
@click.argument("name")
@click.option(
    "--index",
    "index_spec",
    metavar="SRC",
    default=CRATES_IO_SPARSE,
    show_default=True,
    help=(
        "The index: a sparse+https:// URL, a git repository (bare or not, read at origin/HEAD "
        "else HEAD), a .bundle file (cloned into the cache) or a directory laid out like "
        "the index."
    ),
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["human", "json"]),
    default="human",
    show_default=True,
    help="human: a table; json: a list of entries with the index's field names.",
)
@click.option(
    "--include-yanked/--no-include-yanked",
    default=True,
    show_default=True,
    help="Whether to list yanked versions (marked as such in the table).",
)
@index_cache_options
def versions(
    *,
    name: str,
    index_spec: str,
    output_format: str,
    include_yanked: bool,
    offline: bool,
    cache_dir: Path | None,
) -> None:
    """List the published versions of crate NAME, in publication (index) order."""
    validate_crate_name(name)
    with open_index(
        index_spec, cache_dir=cache_dir or default_cache_dir(), offline=offline
    ) as opened:
        entries = [e for e in opened.versions(name) if include_yanked or not e.yanked]
    if output_format == "json":
        click.echo(json.dumps([entry_json(e) for e in entries], indent=2))
        return
    _print_table(name, index_spec, entries)


def entry_json(entry: IndexEntry) -> dict[str, Any]:
    """*entry* as a JSON object with the index's key names (see the module docstring)."""
    return {
        "name": entry.name,
        "vers": entry.vers,
        "deps": [_dep_json(d) for d in entry.deps],
        "features": {k: list(v) for k, v in entry.features.items()},
        "yanked": entry.yanked,
        "links": entry.links,
        "rust_version": entry.rust_version,
        "cksum": entry.cksum,
        "v": entry.schema,
    }


def _dep_json(dep: IndexDependency) -> dict[str, Any]:
    return {
        "name": dep.name,
        "package": dep.package,
        "req": dep.req,
        "kind": dep.kind.value,
        "target": dep.target,
        "optional": dep.optional,
        "default_features": dep.default_features,
        "features": list(dep.features),
        "registry": dep.registry,
    }


def _print_table(name: str, source: str, entries: list[IndexEntry]) -> None:
    console = output_console()
    if not entries:
        console.print(f"{name}: no versions to show in {source} (all yanked?)")
        return
    table = Table(title=f"{entries[0].name} in {source}", title_justify="left")
    table.add_column("version")
    table.add_column("yanked")
    table.add_column("deps", justify="right")
    table.add_column("features", justify="right")
    table.add_column("rust")
    table.add_column("links")
    table.add_column("cksum")
    for entry in entries:
        table.add_row(
            entry.vers,
            "yanked" if entry.yanked else "",
            str(len(entry.deps)),
            str(len(entry.features)),
            entry.rust_version or "",
            entry.links or "",
            entry.cksum[:12],
            style="dim" if entry.yanked else None,
        )
    console.print(table)
