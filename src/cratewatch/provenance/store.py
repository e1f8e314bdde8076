"""A resumable store of batch results: SQLite staging while running, Parquet at the end.

:meth:`ResultStore.add` commits each row to ``OUT.staging.sqlite`` as it arrives (WAL mode,
one transaction per row), so a crash or Ctrl-C keeps every finished check.
:meth:`ResultStore.finished` tells a new run what to skip (rows of the staging table and of an
existing ``OUT``); :meth:`ResultStore.compact` merges both into ``OUT`` (staging rows win),
writes it to a temporary file in the same directory, renames it over ``OUT`` and removes the
staging file.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from cratewatch.errors import SourceError

__all__ = ["ResultStore", "ResultStoreError", "read_rows"]


class ResultStoreError(SourceError):
    """The results file or its staging table cannot be read or written."""


class ResultStore:
    """Results of one batch output file.

    >>> store = ResultStore(Path("results.parquet"), schema)  # doctest: +SKIP
    >>> store.add(row); store.compact()  # doctest: +SKIP
    """

    def __init__(self, out: Path, schema: pa.Schema) -> None:
        self.out = out
        """The Parquet file."""
        self.staging = out.with_name(out.name + ".staging.sqlite")
        """The staging database beside it."""
        self._schema = schema
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.staging)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS results (name TEXT NOT NULL, version TEXT NOT NULL, "
                "status TEXT NOT NULL, row TEXT NOT NULL, PRIMARY KEY (name, version))"
            )
            self._db.commit()
        except (OSError, sqlite3.Error) as e:
            raise ResultStoreError(f"{self.staging}: cannot open the staging table: {e}") from e

    def finished(self, *, retry: frozenset[str] = frozenset()) -> set[tuple[str, str]]:
        """``(name, version)`` of every stored result whose status is not in *retry*."""
        done = {
            (name, version)
            for name, version, status in self._db.execute(
                "SELECT name, version, status FROM results"
            )
            if status not in retry
        }
        if self.out.exists():
            table = _read(self.out, columns=["name", "version", "status"])
            for name, version, status in zip(
                table.column("name").to_pylist(),
                table.column("version").to_pylist(),
                table.column("status").to_pylist(),
                strict=True,
            ):
                if status not in retry:
                    done.add((name, version))
        return done

    def add(self, row: dict[str, Any]) -> None:
        """Store one result row (replacing an earlier one for the same version)."""
        text = json.dumps(row, default=_encode, ensure_ascii=False, separators=(",", ":"))
        try:
            self._db.execute(
                "INSERT OR REPLACE INTO results (name, version, status, row) VALUES (?, ?, ?, ?)",
                (row["name"], row["version"], row["status"], text),
            )
            self._db.commit()
        except sqlite3.Error as e:
            raise ResultStoreError(f"{self.staging}: cannot store a result: {e}") from e

    def staged(self) -> int:
        """Rows in the staging table."""
        (count,) = self._db.execute("SELECT COUNT(*) FROM results").fetchone()
        return int(count)

    def compact(self) -> tuple[int, dict[str, int]]:
        """Merge staging into ``OUT``; returns the row count and the count per status."""
        rows: dict[tuple[str, str], dict[str, Any]] = {}
        if self.out.exists():
            for row in _read(self.out).to_pylist():
                rows[(row["name"], row["version"])] = row
        for (text,) in self._db.execute("SELECT row FROM results"):
            row = json.loads(text)
            row["checked_at"] = dt.datetime.fromisoformat(row["checked_at"])
            rows[(row["name"], row["version"])] = row
        ordered = [rows[key] for key in sorted(rows)]
        table = pa.Table.from_pylist(ordered, schema=self._schema)
        fd, temp_name = tempfile.mkstemp(prefix=f".{self.out.name}.", dir=self.out.parent)
        os.close(fd)
        temp = Path(temp_name)
        try:
            pq.write_table(table, temp, compression="zstd")
            os.replace(temp, self.out)
        except (OSError, pa.ArrowException) as e:
            raise ResultStoreError(f"{self.out}: cannot write the results: {e}") from e
        finally:
            temp.unlink(missing_ok=True)
        self.close()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.staging}{suffix}").unlink(missing_ok=True)
        return len(ordered), dict(Counter(row["status"] for row in ordered))

    def close(self) -> None:
        """Close the staging database (rows stay for the next run)."""
        self._db.close()


def read_rows(path: Path) -> list[dict[str, Any]]:
    """Every row of a results file."""
    return list(_read(path).to_pylist())


def _read(path: Path, columns: list[str] | None = None) -> pa.Table:
    try:
        return pq.read_table(path, columns=columns)
    except (OSError, pa.ArrowException) as e:
        raise ResultStoreError(f"{path}: not a results file: {e}") from e


def _encode(value: object) -> str:
    if isinstance(value, dt.datetime):
        return value.isoformat()
    raise TypeError(f"cannot store {type(value).__name__}")
