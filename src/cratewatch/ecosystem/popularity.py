"""Download counts and release dates: the crates.io database dump or a simple CSV.

The dump (``https://static.crates.io/db-dump.tar.gz``, ~1 GB compressed) is a tar.gz holding
``YYYY-MM-DD-HHMMSS/metadata.json`` and ``YYYY-MM-DD-HHMMSS/data/*.csv`` (PostgreSQL ``COPY``
output with a header row, booleans ``t``/``f``, timestamps ``YYYY-MM-DD HH:MM:SS[.ffffff]`` in
UTC). :func:`read_db_dump` streams it once with :mod:`tarfile` and :mod:`csv` (nothing is
extracted to disk) and keeps only what the ecosystem dataset needs:

* ``crates.csv``: ``id``, ``name`` (and ``downloads`` in dumps before 2024);
* ``crate_downloads.csv``: ``crate_id``, ``downloads`` (dumps since 2024);
* ``versions.csv``: ``crate_id``, ``num``, ``downloads``, ``created_at``, ``yanked``;
* ``metadata.json``: ``timestamp`` (when the dump was taken), ``crates_io_commit``.

Members may come in any order: when ``versions.csv`` precedes ``crates.csv`` the file is read
a second time for the versions only. The simple CSV (:func:`read_popularity_csv`) has a header
with ``name`` and ``downloads`` and optionally ``version`` and ``created_at``; rows without a
version give crate totals.

>>> pop = load_popularity("tests/assets/ecosystem/popularity.csv")  # doctest: +SKIP
>>> pop.version("serde", "1.0.100").downloads  # doctest: +SKIP
1234
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import tarfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from cratewatch.errors import ParseError, SourceError

__all__ = [
    "MAX_FIELD_BYTES",
    "MAX_MEMBER_BYTES",
    "MAX_ROWS",
    "InvalidPopularity",
    "Popularity",
    "VersionStats",
    "load_popularity",
    "parse_timestamp",
    "read_db_dump",
    "read_popularity_csv",
]

MAX_MEMBER_BYTES = 16 << 30
"""Largest uncompressed dump member read (crates.csv with every README is a few GB)."""
MAX_FIELD_BYTES = 64 << 20
"""Largest single CSV field (a crate README)."""
MAX_ROWS = 100_000_000
"""Most rows read from one CSV file."""

_WANTED = ("crates.csv", "crate_downloads.csv", "versions.csv", "metadata.json")


class InvalidPopularity(ParseError):
    """A popularity source (database dump or CSV) is malformed."""


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionStats:
    """What the popularity source says about one published version."""

    downloads: int | None
    """Downloads of this version (None: unknown)."""
    created_at: datetime.datetime | None
    """When it was published, UTC (None: unknown)."""
    yanked: bool | None = None
    """Whether crates.io lists it as yanked (None: unknown)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Popularity:
    """Downloads and dates per crate and per version, keyed by lowercase crate name."""

    source: str
    """Where the numbers come from (a path), for the report's methods section."""
    kind: str
    """``db-dump`` or ``csv``."""
    snapshot: datetime.datetime | None = None
    """When the dump was taken (``metadata.json`` timestamp), if known."""
    crates_io_commit: str | None = None
    """The crates.io commit that wrote the dump, if known."""
    crates: Mapping[str, int] = field(default_factory=dict)
    """Lowercase crate name -> total downloads of the crate."""
    versions: Mapping[tuple[str, str], VersionStats] = field(default_factory=dict)
    """(lowercase crate name, version text) -> per-version numbers."""

    def crate_downloads(self, name: str) -> int | None:
        """Total downloads of crate *name* (any case), None when unknown."""
        return self.crates.get(name.lower())

    def version(self, name: str, version: str) -> VersionStats | None:
        """Numbers for *name* at *version* (build metadata ignored if needed), or None."""
        key = name.lower()
        found = self.versions.get((key, version))
        if found is None and "+" in version:
            found = self.versions.get((key, version.partition("+")[0]))
        return found


def load_popularity(
    source: str | Path, *, names: Callable[[str], bool] | None = None
) -> Popularity:
    """Read a ``.tar.gz``/``.tgz`` database dump or a ``.csv`` file (by suffix).

    *names*, given a lowercase crate name, says whether to keep it (saves memory when the
    dump is much larger than the index studied).
    """
    path = Path(source)
    lowered = path.name.lower()
    if lowered.endswith((".tar.gz", ".tgz")):
        return read_db_dump(path, names=names)
    if lowered.endswith(".csv"):
        return read_popularity_csv(path)
    raise InvalidPopularity(
        f"{path}: unknown popularity source (expected a crates.io db-dump .tar.gz or a .csv)"
    )


def parse_timestamp(text: str, *, where: str) -> datetime.datetime:
    """A dump or CSV timestamp as an aware UTC datetime (naive input is taken as UTC).

    >>> parse_timestamp("2020-07-20 12:11:10.99", where="x")
    datetime.datetime(2020, 7, 20, 12, 11, 10, 990000, tzinfo=datetime.timezone.utc)
    >>> parse_timestamp("2020-07-20", where="x").isoformat()
    '2020-07-20T00:00:00+00:00'
    """
    raw = text.strip()
    if raw.endswith("+00"):  # PostgreSQL's short UTC offset
        raw += ":00"
    try:
        value = datetime.datetime.fromisoformat(raw)
    except ValueError as e:
        raise InvalidPopularity(f"{where}: expected a timestamp, got {text[:40]!r}") from e
    if value.tzinfo is None:
        return value.replace(tzinfo=datetime.UTC)
    return value.astimezone(datetime.UTC)


# ---------------------------------------------------------------- the database dump


@dataclass(slots=True)
class _DumpState:
    ids: dict[int, str] = field(default_factory=dict)
    crate_totals: dict[int, int] = field(default_factory=dict)
    versions: dict[tuple[str, str], VersionStats] = field(default_factory=dict)
    snapshot: datetime.datetime | None = None
    commit: str | None = None
    seen: set[str] = field(default_factory=set)
    versions_pending: bool = False


def read_db_dump(path: Path, *, names: Callable[[str], bool] | None = None) -> Popularity:
    """Stream a crates.io ``db-dump.tar.gz`` (see the module docstring for what is kept)."""
    state = _DumpState()
    with _open_tar(path) as tar:
        for member, stream in _members(tar, path):
            base = member.name.rpartition("/")[2]
            where = f"{path}: {member.name}"
            if base == "metadata.json":
                _read_metadata(stream, where, state)
            elif base == "crates.csv":
                _read_crates(stream, where, state)
            elif base == "crate_downloads.csv":
                _read_crate_downloads(stream, where, state)
            elif "crates.csv" in state.seen:
                _read_versions(stream, where, state, names)
            else:
                state.versions_pending = True  # versions.csv came first: read it again later
            state.seen.add(base)
    if "crates.csv" not in state.seen:
        raise InvalidPopularity(f"{path}: not a crates.io database dump (no data/crates.csv)")
    if "versions.csv" not in state.seen:
        raise InvalidPopularity(f"{path}: not a crates.io database dump (no data/versions.csv)")
    if state.versions_pending:
        with _open_tar(path) as tar:
            for member, stream in _members(tar, path):
                if member.name.rpartition("/")[2] == "versions.csv":
                    _read_versions(stream, f"{path}: {member.name}", state, names)
                    break
    crates = {
        name.lower(): state.crate_totals[crate_id]
        for crate_id, name in state.ids.items()
        if crate_id in state.crate_totals and (names is None or names(name.lower()))
    }
    return Popularity(
        source=str(path),
        kind="db-dump",
        snapshot=state.snapshot,
        crates_io_commit=state.commit,
        crates=crates,
        versions=state.versions,
    )


@contextmanager
def _open_tar(path: Path) -> Iterator[tarfile.TarFile]:
    try:
        tar = tarfile.open(path, mode="r|gz")  # noqa: SIM115 (closed below)
    except FileNotFoundError as e:
        raise SourceError(f"{path}: no such file") from e
    except (tarfile.TarError, OSError, EOFError) as e:
        raise InvalidPopularity(f"{path}: not a gzip-compressed tar archive: {e}") from e
    try:
        yield tar
    except (tarfile.TarError, EOFError, OSError) as e:
        raise InvalidPopularity(f"{path}: truncated or corrupt archive: {e}") from e
    finally:
        tar.close()


def _members(tar: tarfile.TarFile, path: Path) -> Iterator[tuple[tarfile.TarInfo, IO[bytes]]]:
    """The regular members the reader wants, in archive order, as bounded streams."""
    for member in tar:
        if not member.isfile():
            continue
        parts = member.name.split("/")
        base = parts[-1]
        if base not in _WANTED:
            continue
        in_data = len(parts) >= 2 and parts[-2] == "data"
        if (base == "metadata.json") == in_data:
            continue  # metadata.json sits at the top, the CSV files under data/
        if member.size > MAX_MEMBER_BYTES:
            raise InvalidPopularity(
                f"{path}: {member.name} is {member.size} bytes, more than the limit of "
                f"{MAX_MEMBER_BYTES}"
            )
        stream = tar.extractfile(member)
        if stream is None:
            continue
        yield member, stream


def _read_metadata(stream: IO[bytes], where: str, state: _DumpState) -> None:
    data = stream.read(1 << 20)
    try:
        meta = json.loads(data)
    except (ValueError, UnicodeDecodeError) as e:
        raise InvalidPopularity(f"{where}: not JSON: {e}") from e
    if not isinstance(meta, dict):
        raise InvalidPopularity(f"{where}: expected a JSON object")
    stamp = meta.get("timestamp")
    if stamp is not None:
        if not isinstance(stamp, str):
            raise InvalidPopularity(f"{where}: timestamp: expected a string, got {stamp!r}")
        state.snapshot = parse_timestamp(stamp, where=f"{where}: timestamp")
    commit = meta.get("crates_io_commit")
    if commit is not None and not isinstance(commit, str):
        raise InvalidPopularity(f"{where}: crates_io_commit: expected a string, got {commit!r}")
    state.commit = commit


def _read_crates(stream: IO[bytes], where: str, state: _DumpState) -> None:
    rows = _CsvTable(stream, where, required=("id", "name"))
    has_downloads = "downloads" in rows.fields
    for line, row in rows:
        crate_id = _int(row["id"], f"{where}: line {line}: id")
        state.ids[crate_id] = row["name"]
        if has_downloads:
            total = _int(row["downloads"], f"{where}: line {line}: downloads")
            state.crate_totals[crate_id] = total


def _read_crate_downloads(stream: IO[bytes], where: str, state: _DumpState) -> None:
    rows = _CsvTable(stream, where, required=("crate_id", "downloads"))
    for line, row in rows:
        crate_id = _int(row["crate_id"], f"{where}: line {line}: crate_id")
        state.crate_totals[crate_id] = _int(row["downloads"], f"{where}: line {line}: downloads")


def _read_versions(
    stream: IO[bytes], where: str, state: _DumpState, names: Callable[[str], bool] | None
) -> None:
    rows = _CsvTable(stream, where, required=("crate_id", "num", "downloads", "created_at"))
    has_yanked = "yanked" in rows.fields
    ids = state.ids
    out = state.versions
    wanted: dict[int, str | None] = {}
    for line, row in rows:
        crate_id = _int(row["crate_id"], f"{where}: line {line}: crate_id")
        name = wanted.get(crate_id, "")
        if name == "":
            full = ids.get(crate_id)
            name = None if full is None else full.lower()
            if name is not None and names is not None and not names(name):
                name = None
            wanted[crate_id] = name
        if name is None:
            continue
        yanked = None
        if has_yanked:
            yanked = _bool(row["yanked"], f"{where}: line {line}: yanked")
        at = f"{where}: line {line}"
        out[(name, row["num"])] = VersionStats(
            downloads=_int(row["downloads"], f"{at}: downloads"),
            created_at=parse_timestamp(row["created_at"], where=f"{at}: created_at"),
            yanked=yanked,
        )


class _Unseekable(io.RawIOBase):
    """A forward-only view of a stream (tar members of a streamed archive cannot seek)."""

    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._stream.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)


class _CsvTable:
    """A CSV file with a header: :attr:`fields`, then ``(line, row)`` pairs when iterated."""

    def __init__(self, stream: IO[bytes], where: str, *, required: tuple[str, ...]) -> None:
        buffered = io.BufferedReader(_Unseekable(stream), buffer_size=1 << 16)
        self._text = io.TextIOWrapper(buffered, encoding="utf-8", newline="")
        self._where = where
        self._required = required
        self._reader = csv.DictReader(self._text)
        previous = csv.field_size_limit(MAX_FIELD_BYTES)
        try:
            fields = self._reader.fieldnames
        except UnicodeDecodeError as e:
            raise InvalidPopularity(f"{where}: not UTF-8 text ({e.reason})") from e
        except csv.Error as e:
            raise InvalidPopularity(f"{where}: header: {e}") from e
        finally:
            csv.field_size_limit(previous)
        if fields is None:
            raise InvalidPopularity(f"{where}: empty file (expected a header row)")
        missing = [name for name in required if name not in fields]
        if missing:
            raise InvalidPopularity(
                f"{where}: header: missing column(s) {', '.join(missing)} "
                f"(has {', '.join(fields[:12])})"
            )
        self.fields = frozenset(fields)
        """The column names."""

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        reader, where = self._reader, self._where
        width = len(self.fields)
        previous = csv.field_size_limit(MAX_FIELD_BYTES)
        try:
            count = 0
            while True:
                try:
                    row = next(reader)
                except StopIteration:
                    break
                except UnicodeDecodeError as e:
                    raise InvalidPopularity(f"{where}: not UTF-8 text ({e.reason})") from e
                except csv.Error as e:
                    raise InvalidPopularity(f"{where}: line {reader.line_num}: {e}") from e
                count += 1
                if count > MAX_ROWS:
                    raise InvalidPopularity(f"{where}: more than {MAX_ROWS} rows")
                if None in row or None in row.values():
                    raise InvalidPopularity(
                        f"{where}: line {reader.line_num}: expected {width} fields"
                    )
                yield reader.line_num, row
        finally:
            csv.field_size_limit(previous)


def _int(text: str, where: str) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 20:
        raise InvalidPopularity(f"{where}: expected a non-negative integer, got {text[:40]!r}")
    return int(text)


def _bool(text: str, where: str) -> bool:
    if text in ("t", "true"):
        return True
    if text in ("f", "false"):
        return False
    raise InvalidPopularity(f"{where}: expected t or f, got {text[:40]!r}")


# ---------------------------------------------------------------- the simple CSV


def read_popularity_csv(path: Path) -> Popularity:
    """Read ``name,version?,downloads,created_at?`` rows (header required, any column order).

    A row with a version gives that version's downloads (and date); a row without one gives
    the crate's total. Crate totals not given are summed from the versions.
    """
    try:
        handle = path.open("rb")
    except OSError as e:
        raise SourceError(f"{path}: cannot read: {e.strerror or e}") from e
    crates: dict[str, int] = {}
    summed: dict[str, int] = {}
    versions: dict[tuple[str, str], VersionStats] = {}
    where = str(path)
    with handle:
        rows = _CsvTable(handle, where, required=("name", "downloads"))
        has_version, has_date = "version" in rows.fields, "created_at" in rows.fields
        for line, row in rows:
            at = f"{where}: line {line}"
            name = row["name"].strip().lower()
            if not name:
                raise InvalidPopularity(f"{at}: name: empty")
            downloads = _int(row["downloads"].strip(), f"{at}: downloads")
            version = row["version"].strip() if has_version else ""
            created = None
            if has_date and row["created_at"].strip():
                created = parse_timestamp(row["created_at"], where=f"{at}: created_at")
            if version:
                if (name, version) in versions:
                    raise InvalidPopularity(f"{at}: {name}@{version} given twice")
                versions[(name, version)] = VersionStats(downloads=downloads, created_at=created)
                summed[name] = summed.get(name, 0) + downloads
            else:
                if name in crates:
                    raise InvalidPopularity(f"{at}: crate {name} given twice")
                crates[name] = downloads
    for name, total in summed.items():
        crates.setdefault(name, total)
    return Popularity(source=where, kind="csv", crates=crates, versions=versions)
