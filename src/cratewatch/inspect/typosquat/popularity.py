"""How popular each crate is: download counts (a CSV or the crates.io db-dump) or, failing
those, reverse-dependency counts computed from the index.

>>> p = Popularity.from_counts({"serde": 10, "rust_decimal": 5}, source="example",
...                            kind=PopularityKind.DOWNLOADS)
>>> p.count("Rust-Decimal"), p.display_name("rust-decimal"), p.ranked()[0]
(5, 'rust_decimal', 'serde')
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import sys
import tempfile
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from cratewatch.errors import ParseError
from cratewatch.registry.index import Index
from cratewatch.registry.model import DepKind

__all__ = [
    "InvalidPopularity",
    "Popularity",
    "PopularityKind",
    "load_db_dump",
    "load_downloads_csv",
    "load_popularity",
    "normalize",
    "reverse_dependencies",
]

_MAX_FIELD = 64 * 1024 * 1024
_CACHE_VERSION = 1


def normalize(name: str) -> str:
    """The name as crates.io compares names: lowercase, ``_`` and ``-`` equal.

    >>> normalize("Rust_Decimal")
    'rust-decimal'
    """
    return name.lower().replace("_", "-")


class InvalidPopularity(ParseError):
    """A downloads CSV or db-dump file is malformed."""


class PopularityKind(StrEnum):
    """What the counts measure."""

    DOWNLOADS = "downloads"
    REVERSE_DEPENDENCIES = "reverse-dependencies"


@dataclass(frozen=True, slots=True, kw_only=True)
class Popularity:
    """Crate -> popularity count, keyed by :func:`normalize`\\ d name."""

    kind: PopularityKind
    """Downloads or reverse dependencies."""
    source: str
    """Where the counts come from, for reports."""
    counts: Mapping[str, int] = field(hash=False)
    """Normalized name -> count."""
    names: Mapping[str, str] = field(hash=False)
    """Normalized name -> name as published."""
    created: Mapping[str, dt.datetime] = field(hash=False, default_factory=dict)
    """Normalized name -> first publication time, where the source has it (db-dump)."""

    @classmethod
    def from_counts(
        cls,
        counts: Mapping[str, int],
        *,
        source: str,
        kind: PopularityKind,
        created: Mapping[str, dt.datetime] | None = None,
    ) -> Popularity:
        """Build from published names (the first spelling of a normalized name wins)."""
        normalized: dict[str, int] = {}
        names: dict[str, str] = {}
        for name, count in counts.items():
            key = normalize(name)
            normalized[key] = max(count, normalized.get(key, 0))
            names.setdefault(key, name)
        dates = {normalize(k): v for k, v in (created or {}).items()}
        return cls(kind=kind, source=source, counts=normalized, names=names, created=dates)

    def count(self, name: str) -> int | None:
        """The count for *name*; ``None`` when the source does not know the crate."""
        return self.counts.get(normalize(name))

    def display_name(self, name: str) -> str:
        """The published spelling of *name* (or *name* itself)."""
        return self.names.get(normalize(name), name)

    def ranked(self, top: int | None = None) -> list[str]:
        """Published names, most popular first (ties by name)."""
        ordered = sorted(self.counts.items(), key=lambda item: (-item[1], item[0]))
        chosen = ordered if top is None else ordered[:top]
        return [self.names[key] for key, _ in chosen]


def load_popularity(path: Path) -> Popularity:
    """A downloads CSV (``name,downloads``), a db-dump ``crates.csv``, or a db-dump directory."""
    if path.is_dir():
        return load_db_dump(path)
    header = _first_line(path)
    if "created_at" in header and "name" in header and "id" in header:
        return load_db_dump(path)
    return load_downloads_csv(path)


def _first_line(path: Path) -> str:
    try:
        with path.open("r", encoding="utf-8", errors="replace") as f:
            return f.readline()
    except OSError as e:
        raise InvalidPopularity(f"{path}: cannot read: {e.strerror or e}") from e


def load_downloads_csv(path: Path) -> Popularity:
    """``name,downloads`` rows; a header row is optional."""
    counts: dict[str, int] = {}
    for number, row in _rows(path):
        if len(row) < 2:
            raise InvalidPopularity(f"{path}: line {number}: expected name,downloads")
        name, raw = row[0].strip(), row[1].strip()
        try:
            value = int(raw)
        except ValueError:
            if number == 1:
                continue  # header
            raise InvalidPopularity(
                f"{path}: line {number}: downloads: expected an integer, got {raw!r}"
            ) from None
        if value < 0:
            raise InvalidPopularity(f"{path}: line {number}: downloads: must not be negative")
        counts[name] = value
    if not counts:
        raise InvalidPopularity(f"{path}: no name,downloads rows")
    return Popularity.from_counts(
        counts, source=f"download counts from {path}", kind=PopularityKind.DOWNLOADS
    )


def load_db_dump(path: Path) -> Popularity:
    """The crates.io database dump: ``crates.csv`` (+ ``crate_downloads.csv`` in newer dumps).

    *path* is the dump's ``data`` directory (or its parent) or ``crates.csv`` itself. Dumps
    since 2024 keep downloads in ``crate_downloads.csv`` (``crate_id,downloads``).
    """
    crates_csv = path
    if path.is_dir():
        crates_csv = path / "crates.csv"
        if not crates_csv.is_file() and (path / "data" / "crates.csv").is_file():
            crates_csv = path / "data" / "crates.csv"
    table = list(_dict_rows(crates_csv))
    if not table:
        raise InvalidPopularity(f"{crates_csv}: no rows")
    downloads_by_id: dict[str, int] = {}
    separate = crates_csv.parent / "crate_downloads.csv"
    if "downloads" not in table[0][1]:
        if not separate.is_file():
            raise InvalidPopularity(
                f"{crates_csv}: no downloads column and no crate_downloads.csv beside it"
            )
        for number, row in _dict_rows(separate):
            downloads_by_id[_field(separate, number, row, "crate_id")] = _int(
                separate, number, row, "downloads"
            )
    counts: dict[str, int] = {}
    created: dict[str, dt.datetime] = {}
    for number, row in table:
        name = _field(crates_csv, number, row, "name")
        if downloads_by_id:
            counts[name] = downloads_by_id.get(_field(crates_csv, number, row, "id"), 0)
        else:
            counts[name] = _int(crates_csv, number, row, "downloads")
        stamp = row.get("created_at")
        if stamp:
            created[name] = _timestamp(crates_csv, number, stamp)
    return Popularity.from_counts(
        counts,
        source=f"download counts from the crates.io db-dump {crates_csv}",
        kind=PopularityKind.DOWNLOADS,
        created=created,
    )


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    csv.field_size_limit(min(sys.maxsize, _MAX_FIELD))
    try:
        with path.open("r", encoding="utf-8", newline="") as f:
            reader = csv.reader(f)
            for row in reader:
                if row and any(cell.strip() for cell in row):
                    yield reader.line_num, row
    except (OSError, csv.Error, UnicodeDecodeError) as e:
        raise InvalidPopularity(f"{path}: cannot read as CSV: {e}") from e


def _dict_rows(path: Path) -> Iterator[tuple[int, dict[str, str]]]:
    csv.field_size_limit(min(sys.maxsize, _MAX_FIELD))
    try:
        with path.open("r", encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            for row in reader:
                yield reader.line_num, row
    except (OSError, csv.Error, UnicodeDecodeError) as e:
        raise InvalidPopularity(f"{path}: cannot read as CSV: {e}") from e


def _field(path: Path, number: int, row: Mapping[str, str | None], key: str) -> str:
    value = row.get(key)
    if not value:
        raise InvalidPopularity(f"{path}: line {number}: {key}: missing")
    return value


def _int(path: Path, number: int, row: Mapping[str, str | None], key: str) -> int:
    raw = _field(path, number, row, key)
    try:
        return int(raw)
    except ValueError:
        raise InvalidPopularity(
            f"{path}: line {number}: {key}: expected an integer, got {raw!r}"
        ) from None


def _timestamp(path: Path, number: int, text: str) -> dt.datetime:
    cleaned = text.strip().replace(" ", "T", 1)
    if cleaned.endswith(("+00", "-00")):
        cleaned += ":00"
    try:
        stamp = dt.datetime.fromisoformat(cleaned)
    except ValueError:
        raise InvalidPopularity(
            f"{path}: line {number}: created_at: expected a timestamp, got {text!r}"
        ) from None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=dt.UTC)


def reverse_dependencies(index: Index, *, cache_dir: Path | None = None) -> Popularity:
    """Count, for every crate, how many other crates depend on it (normal or build, any version).

    Walks every entry of the index once; for a git index the result is cached under
    *cache_dir* keyed by the commit.
    """
    commit = getattr(index, "commit", None)
    cache = (
        cache_dir / "typosquat" / f"revdeps-{commit}.json"
        if cache_dir is not None and isinstance(commit, str)
        else None
    )
    source = f"reverse-dependency counts computed from the index {index.source}"
    if cache is not None and cache.is_file():
        try:
            stored = json.loads(cache.read_text(encoding="utf-8"))
            if stored.get("version") == _CACHE_VERSION:
                return Popularity.from_counts(
                    stored["counts"], source=source, kind=PopularityKind.REVERSE_DEPENDENCIES
                )
        except (OSError, ValueError, KeyError, TypeError):
            pass  # recompute
    dependents: dict[str, set[str]] = defaultdict(set)
    published: dict[str, str] = {}
    for entry in index.iter_entries():
        key = normalize(entry.name)
        published.setdefault(key, entry.name)
        for dep in entry.deps:
            if dep.kind is not DepKind.DEV and dep.registry is None:
                dependents[normalize(dep.package)].add(key)
    counts = {name: len(dependents.get(key, ())) for key, name in published.items()}
    if cache is not None:
        _write_atomically(cache, json.dumps({"version": _CACHE_VERSION, "counts": counts}))
    return Popularity.from_counts(counts, source=source, kind=PopularityKind.REVERSE_DEPENDENCIES)


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
