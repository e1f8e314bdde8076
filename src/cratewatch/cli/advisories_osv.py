"""``cratewatch advisories export-osv``: write the database as OSV JSON, like RustSec's ``osv``.

Registered into the ``advisories`` group by :mod:`cratewatch.cli.advisories`.
"""

from __future__ import annotations

from pathlib import Path

import click

from cratewatch.advisories.osv import export_osv as write_osv_files
from cratewatch.cli.dbopts import DbOptions, database_options, echo_warnings, open_database

__all__ = ["export_osv"]


@click.command("export-osv")
@database_options()
@click.option(
    "--out",
    "out_dir",
    required=True,
    metavar="DIR",
    type=click.Path(file_okay=False, path_type=Path),
    help=(
        "Directory to write one <ID>.json per advisory into (created when missing). Files are "
        "replaced atomically; files whose content would not change are left untouched, and "
        "other files in DIR are never removed."
    ),
)
def export_osv(db_options: DbOptions, out_dir: Path) -> None:
    """Export the crates.io advisories as OSV JSON files, the way RustSec publishes them.

    Each advisory of the database's crates/ collection becomes DIR/<ID>.json with the same
    fields as the files on advisory-db's osv branch and osv.dev: affected version ranges
    computed from patched/unaffected, `modified` set to the last commit that changed the
    advisory file, `published`/`withdrawn` at 12:00:00Z of the advisory dates. Toolchain
    advisories (rust/) are not exported, as RustSec does not export them either.
    """
    opened = open_database(db_options)
    echo_warnings(opened.warnings)
    summary = write_osv_files(opened.database, out_dir)
    skipped = f"; {summary.not_exported} toolchain advisories not exported"
    click.echo(
        f"{len(summary.written)} files written, {len(summary.unchanged)} unchanged, "
        f"in {summary.out_dir}" + (skipped if summary.not_exported else "")
    )
