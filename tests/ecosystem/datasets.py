"""Dataset files with known content for analysis and report tests (written as real Parquet)."""

from __future__ import annotations

import datetime as dt
import json
import random
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from cratewatch.ecosystem.dataset import ROW_SCHEMA
from cratewatch.ecosystem.job import METADATA_KEY

SCHEMA = ROW_SCHEMA.append(pa.field("downloads", pa.int64()))
SCHEMA = SCHEMA.append(pa.field("crate_downloads", pa.int64()))
SCHEMA = SCHEMA.append(pa.field("created_at", pa.timestamp("us", tz="UTC")))

KINDS = ("vulnerability", "unsound", "notice", "unmaintained")
ADVISORY_IDS = {
    "vulnerability": ("RUSTSEC-2019-0001", "RUSTSEC-2020-0002"),
    "unsound": ("RUSTSEC-2020-0003",),
    "notice": ("RUSTSEC-2021-0004",),
    "unmaintained": ("RUSTSEC-2018-0005",),
}
PACKAGES = {
    "RUSTSEC-2019-0001": ("time", "0.1.43", dt.date(2019, 6, 1)),
    "RUSTSEC-2020-0002": ("smallvec", "0.6.13", dt.date(2020, 9, 1)),
    "RUSTSEC-2020-0003": ("atty", "0.2.14", dt.date(2020, 2, 1)),
    "RUSTSEC-2021-0004": ("failure", "0.1.8", dt.date(2021, 1, 1)),
    "RUSTSEC-2018-0005": ("term", "0.5.2", dt.date(2018, 1, 1)),
}


def synthetic_rows(count: int, *, seed: int = 7, popularity: bool = True) -> list[dict[str, Any]]:
    """Rows whose counts, findings and sizes are consistent with each other."""
    rng = random.Random(seed)
    rows = []
    for i in range(count):
        name = f"crate-{i:04d}"
        row: dict[str, Any] = {
            "name": name,
            "version": f"1.{i % 7}.0",
            "yanked": False,
            "latest": True,
            "self_advisories": [],
            "downloads": None,
            "crate_downloads": None,
            "created_at": None,
        }
        if popularity and i % 23 != 5:
            row["crate_downloads"] = int(10 ** rng.uniform(0, 8))
            row["downloads"] = row["crate_downloads"] // 2
            row["created_at"] = dt.datetime(2015, 1, 1, tzinfo=dt.UTC) + dt.timedelta(
                days=rng.randrange(0, 2000)
            )
        if i % 17 == 3:
            row["resolve_error"] = "no matching package named `gone` found"
            rows.append(row)
            continue
        all_deps = rng.randrange(0, 200)
        findings = []
        counts = dict.fromkeys(KINDS, 0)
        for kind in KINDS:
            for advisory in ADVISORY_IDS[kind]:
                if rng.random() < all_deps / 300:
                    package, version, date = PACKAGES[advisory]
                    depth = rng.randrange(1, 5)
                    parents = [f"{name}@{row['version']}"] if depth == 1 else [f"mid-{depth}@1.0.0"]
                    findings.append(
                        {"id": advisory, "kind": kind, "package": package, "version": version,
                         "depth": depth, "dev_only": rng.random() < 0.2, "parents": parents,
                         "date": date}
                    )  # fmt: skip
                    counts[kind] += 1
        row.update(
            direct_deps=min(all_deps, rng.randrange(0, 10)),
            all_deps=all_deps,
            all_deps_no_dev=all_deps - rng.randrange(0, all_deps + 1) // 4,
            a_vulnerability=counts["vulnerability"],
            a_unsound=counts["unsound"],
            a_notice=counts["notice"],
            a_unmaintained=counts["unmaintained"],
            a_yanked=0,
            advisories=findings,
            resolve_error=None,
        )
        rows.append(row)
    return rows


def write_dataset(path: Path, rows: list[dict[str, Any]], *, all_versions: bool = False) -> Path:
    """Write *rows* as a dataset file with run metadata."""
    meta = {
        "schema_version": 1,
        "all_versions": all_versions,
        "mode": "every version" if all_versions else "latest version of each crate",
        "index": {"source": "/data/index.git", "commit": "1" * 40,
                  "commit_time": "2020-07-20T00:00:00+00:00"},
        "advisory_db": {"source": "advisory-db", "commit": "2" * 40, "last_commit_time": None},
        "advisories_counted": 5,
        "popularity": None,
        "resolution_rules": "test rules",
        "executor": "test",
        "rows": len(rows),
        "seconds": 1.5,
        "created": "2026-11-21T00:00:00+00:00",
    }  # fmt: skip
    table = pa.Table.from_pylist(rows, schema=SCHEMA)
    table = table.replace_schema_metadata({METADATA_KEY: json.dumps(meta).encode()})
    pq.write_table(table, path)
    return path
