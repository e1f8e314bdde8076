"""The embedded DuckDB catalog: datasets as SQL tables, queried with ``cratewatch ecosystem query``.

:func:`store_dataset` copies a dataset file into a table (``crates`` for latest-version runs,
``versions`` for every-version runs, or a name of your choice) and adds a view
``<table>_findings`` with one row per finding (the ``advisories`` list unnested: ``name``,
``version`` of the root, then ``id``, ``kind``, ``package``, ``version``, ``depth``,
``dev_only``, ``parents``, ``date``), and records the run's metadata in ``runs``.
:func:`run_query` opens the catalog read-only, so a query can never change it.

>>> store_dataset(Path("catalog.duckdb"), Path("crates.parquet"))  # doctest: +SKIP
StoredTable(table='crates', rows=43451)
>>> run_query(Path("catalog.duckdb"), "SELECT count(*) AS n FROM crates").rows  # doctest: +SKIP
[(43451,)]
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from cratewatch.ecosystem.job import read_metadata
from cratewatch.errors import CratewatchError

__all__ = [
    "CATALOG_FILE",
    "CatalogError",
    "QueryResult",
    "StoredTable",
    "default_table",
    "run_query",
    "store_dataset",
]

CATALOG_FILE = "catalog.duckdb"
"""The catalog's file name inside cratewatch's cache directory."""

MAX_QUERY_CHARS = 1 << 20
"""Longest accepted SQL text."""

_TABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")


class CatalogError(CratewatchError):
    """The catalog cannot be opened or a query failed."""


@dataclass(frozen=True, slots=True, kw_only=True)
class StoredTable:
    """A dataset stored in the catalog."""

    table: str
    """The table name."""
    rows: int
    """Rows stored."""


@dataclass(frozen=True, slots=True, kw_only=True)
class QueryResult:
    """The answer to a query."""

    columns: tuple[str, ...]
    """Column names, in order."""
    rows: list[tuple[Any, ...]]
    """The rows (Python values: str, int, float, date, datetime, list, dict, None)."""
    truncated: bool
    """Whether more rows existed than were fetched."""


def default_table(dataset: Path) -> str:
    """``versions`` for an every-version dataset, else ``crates``."""
    return "versions" if read_metadata(dataset).get("all_versions") else "crates"


def store_dataset(catalog: Path, dataset: Path, *, table: str | None = None) -> StoredTable:
    """Copy *dataset* into *catalog* as *table* (replacing it), with its findings view."""
    name = table or default_table(dataset)
    if not _TABLE.fullmatch(name):
        raise CatalogError(
            f"table name {name[:80]!r}: expected letters, digits and _ (not first), "
            "at most 63 characters"
        )
    meta = read_metadata(dataset)
    try:
        catalog.parent.mkdir(parents=True, exist_ok=True)
        with duckdb.connect(str(catalog)) as db:
            db.execute("BEGIN TRANSACTION")
            db.execute(f"CREATE OR REPLACE TABLE {name} AS SELECT * FROM read_parquet(?)", [
                str(dataset)
            ])  # fmt: skip
            db.execute(
                f"CREATE OR REPLACE VIEW {name}_findings AS "
                f"SELECT t.name AS root_name, t.version AS root_version, "
                f"unnest(t.advisories, recursive := true) FROM {name} t"
            )
            db.execute(
                "CREATE TABLE IF NOT EXISTS runs (table_name VARCHAR PRIMARY KEY, "
                "dataset VARCHAR, stored_at TIMESTAMPTZ, metadata JSON)"
            )
            db.execute(
                "INSERT OR REPLACE INTO runs VALUES (?, ?, now(), ?)",
                [name, str(dataset.resolve()), json.dumps(meta)],
            )
            row = db.execute(f"SELECT count(*) FROM {name}").fetchone()
            db.execute("COMMIT")
    except duckdb.Error as e:
        raise CatalogError(f"{catalog}: cannot store {dataset} as {name}: {e}") from e
    return StoredTable(table=name, rows=int(row[0]) if row else 0)


def run_query(catalog: Path, sql: str, *, max_rows: int = 100_000) -> QueryResult:
    """Run *sql* on a read-only connection to *catalog*; at most *max_rows* rows are kept."""
    if len(sql) > MAX_QUERY_CHARS:
        raise CatalogError(f"query: longer than {MAX_QUERY_CHARS} characters")
    if not catalog.is_file():
        raise CatalogError(
            f"{catalog}: no catalog there (run `cratewatch ecosystem dataset` first, or pass "
            "--catalog)"
        )
    try:
        with duckdb.connect(str(catalog), read_only=True) as db:
            relation: Any = db.sql(sql)  # None for statements without rows
            if relation is None:  # a statement without a result
                return QueryResult(columns=(), rows=[], truncated=False)
            # through Arrow: time zones need no pytz, lists and structs come back as such
            reader = relation.to_arrow_reader(min(max_rows + 1, 65_536))
            columns = tuple(reader.schema.names)
            rows: list[tuple[Any, ...]] = []
            for batch in reader:
                values = batch.to_pydict()
                rows.extend(zip(*(values[c] for c in columns), strict=True))
                if len(rows) > max_rows:
                    break
    except duckdb.Error as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CatalogError(f"{catalog}: query failed: {first}") from e
    return QueryResult(columns=columns, rows=rows[:max_rows], truncated=len(rows) > max_rows)
