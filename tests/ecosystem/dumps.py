"""crates.io database dumps in the real layout, small enough for tests.

The real ``db-dump.tar.gz`` holds one top directory named after the dump time, with
``README.md``, ``export.sql``, ``import.sql``, ``metadata.json`` and ``data/<table>.csv``
(PostgreSQL ``COPY ... WITH CSV HEADER``; columns in alphabetical order because crates.io's
``dump-db.toml`` is read into a ``BTreeMap``; booleans ``t``/``f``; timestamps without a zone).
"""

from __future__ import annotations

import csv
import io
import json
import tarfile
from collections.abc import Sequence
from pathlib import Path

TOP = "2024-05-13-020018"

CRATES_COLUMNS = (
    "created_at", "description", "documentation", "homepage", "id", "max_features",
    "max_upload_size", "name", "readme", "repository", "updated_at",
)  # fmt: skip
OLD_CRATES_COLUMNS = (
    "created_at", "description", "documentation", "downloads", "homepage", "id",
    "max_upload_size", "name", "readme", "repository", "updated_at",
)  # fmt: skip
VERSIONS_COLUMNS = (
    "bin_names", "checksum", "crate_id", "crate_size", "created_at", "downloads", "features",
    "has_lib", "id", "license", "links", "num", "published_by", "rust_version", "updated_at",
    "yanked",
)  # fmt: skip
DEPENDENCIES_COLUMNS = (
    "crate_id", "default_features", "explicit_name", "features", "id", "kind", "optional",
    "req", "target", "version_id",
)  # fmt: skip

# (id, name, total downloads); (id, crate_id, num, downloads, created_at, yanked)
CRATES = ((1, "serde", 300_000_000), (2, "Inflector", 5_000), (3, "tiny", 12))
VERSIONS = (
    (10, 1, "1.0.0", 1_000_000, "2017-04-20 15:28:52.283217", "f"),
    (11, 1, "1.0.100", 2_500_000, "2019-09-09 00:00:01", "f"),
    (12, 1, "1.0.101", 42, "2019-09-10 11:12:13.5", "t"),
    (20, 2, "0.11.4", 4_900, "2019-01-02 03:04:05.678901", "f"),
    (30, 3, "0.1.0", 12, "2020-07-01 00:00:00", "f"),
)


def _csv(columns: Sequence[str], rows: list[dict[str, object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({c: row.get(c, "") for c in columns})
    return buffer.getvalue().encode()


def crates_csv(*, old: bool = False) -> bytes:
    rows: list[dict[str, object]] = [
        {
            "id": cid,
            "name": name,
            "created_at": "2015-01-01 00:00:00",
            "updated_at": "2020-01-01 00:00:00",
            "description": f'the {name} crate, with a comma, and "quotes"',
            "readme": '# Title\n\nA README over\nseveral lines, with , and "\n',
            "max_upload_size": "",
            "downloads": downloads,
        }
        for cid, name, downloads in CRATES
    ]
    return _csv(OLD_CRATES_COLUMNS if old else CRATES_COLUMNS, rows)


def versions_csv(versions: Sequence[tuple[object, ...]] = VERSIONS) -> bytes:
    rows: list[dict[str, object]] = [
        {
            "id": vid,
            "crate_id": cid,
            "num": num,
            "downloads": downloads,
            "created_at": created,
            "updated_at": created,
            "yanked": yanked,
            "features": json.dumps({"default": ["std"], "std": []}),
            "license": "MIT OR Apache-2.0",
            "checksum": "0" * 64,
            "has_lib": "t",
            "bin_names": "{}",
        }
        for vid, cid, num, downloads, created, yanked in versions
    ]
    return _csv(VERSIONS_COLUMNS, rows)


def write_dump(
    path: Path,
    *,
    members: Sequence[tuple[str, bytes]] | None = None,
    old: bool = False,
    versions_first: bool = False,
) -> Path:
    """Write a dump; *members* overrides the ``data/`` files (name, content) entirely."""
    data: list[tuple[str, bytes]]
    if members is not None:
        data = list(members)
    else:
        data = [
            ("crates.csv", crates_csv(old=old)),
            ("dependencies.csv", _csv(DEPENDENCIES_COLUMNS, [])),
            ("versions.csv", versions_csv()),
        ]
        if not old:
            downloads: list[dict[str, object]] = [
                {"crate_id": cid, "downloads": n} for cid, _, n in CRATES
            ]
            data.insert(1, ("crate_downloads.csv", _csv(("crate_id", "downloads"), downloads)))
        if versions_first:
            data.sort(key=lambda m: m[0] != "versions.csv")
    meta = json.dumps(
        {
            "timestamp": "2024-05-13T02:00:18.123456Z",
            "crates_io_commit": "d2a5e2b",
            "format_version": "2024.05.0",
        }
    ).encode()
    with tarfile.open(path, "w:gz") as tar:
        _add(tar, f"{TOP}/README.md", b"# crates.io Database Dump\n")
        _add(tar, f"{TOP}/metadata.json", meta)
        _add(tar, f"{TOP}/import.sql", b"BEGIN;\nCOMMIT;\n")
        for name, content in data:
            _add(tar, f"{TOP}/data/{name}", content)
    return path


def _add(tar: tarfile.TarFile, name: str, content: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(content)
    info.mtime = 1_715_565_618
    tar.addfile(info, io.BytesIO(content))
