"""``cratewatch site build``: the Security pages as a static site."""

from __future__ import annotations

from pathlib import Path

import click

from cratewatch.cli.dbopts import DbOptions, database_options, echo_warnings, open_database

__all__ = ["site"]


@click.group()
def site() -> None:
    """Static web site of the Security pages (no server needed to host it)."""


@site.command("build")
@database_options()
@click.option(
    "--out",
    "out_dir",
    required=True,
    metavar="DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help=(
        "Directory to write the site into (created when missing). Files are replaced "
        "atomically; other files in DIR are left alone."
    ),
)
@click.option(
    "--index",
    "index_spec",
    metavar="SRC",
    help=(
        "crates.io index (sparse+https://index.crates.io/, a git clone, a .bundle file or a "
        "directory): each Security page then offers the crate's published versions, yanked "
        "ones marked. Without it, the versions its advisories name."
    ),
)
def build(*, db_options: DbOptions, out_dir: Path, index_spec: str | None) -> None:
    """Write the Security pages of every crate with advisories as static files.

    DIR gets index.html (search and recently published advisories),
    crates/NAME/index.html and crates/NAME/security.html, advisories/ID.html and
    advisories/ID.json (OSV), osv/crates/NAME.json (the crate's OSV records),
    search-index.json and static/. Links are relative: serve DIR with any static web server,
    under any path. Version checks on the Security pages and the search run in the browser.
    """
    from cratewatch.registry.index import open_index  # noqa: PLC0415
    from cratewatch.web.site import build_site  # noqa: PLC0415
    from cratewatch.web.snapshot import build_snapshot  # noqa: PLC0415

    opened = open_database(db_options)
    echo_warnings(opened.warnings)
    snapshot = build_snapshot(opened.database)
    if index_spec is None:
        summary = build_site(snapshot, out_dir)
    else:
        with open_index(
            index_spec, cache_dir=db_options.cache_dir, offline=not db_options.fetch
        ) as index:
            summary = build_site(snapshot, out_dir, index=index)
    click.echo(
        f"{summary.crates} crates and {summary.advisories} advisories: "
        f"{summary.files} files written in {summary.out_dir}"
    )
