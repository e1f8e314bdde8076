"""OSV export/import of the real advisory database, and the range conversion alone.

Run: ``uv run python benchmarks/bench_osv.py [--runs N]``. Clones
``../shared/data/advisory-db.bundle`` (or ``$CRATEWATCH_SHARED_DATA``) into a temporary
directory once; prints figures only.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import zipfile
from pathlib import Path

from _common import shared_data, time_runs

from cratewatch.advisories.database import load_database
from cratewatch.advisories.osv import export_osv, load_osv
from cratewatch.advisories.ranges import affected_ranges


def _show(label: str, timings: list[float], per: int = 0) -> None:
    ms = [t * 1000 for t in timings]
    each = f"   {statistics.median(ms) * 1000 / per:7.1f} us/advisory" if per else ""
    print(f"  {label:<40} median {statistics.median(ms):8.1f} ms   min {min(ms):8.1f} ms{each}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5, help="repetitions per figure")
    runs = parser.parse_args().runs
    bundle = shared_data() / "advisory-db.bundle"
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        clone = tmp / "advisory-db"
        subprocess.run(["git", "clone", "-q", str(bundle), str(clone)], check=True)
        db = load_database(str(clone), cache_dir=tmp / "cache", fetch=False)
        crates = [a for a in db.advisories if a.collection.value == "crates"]
        print(f"{len(db)} advisories, {len(crates)} in crates/ ({runs} runs each)")

        def ranges() -> None:
            for a in db.advisories:
                affected_ranges(a.patched, a.unaffected)

        _show("affected_ranges, every advisory", time_runs(ranges, runs), len(db))
        fresh = iter(range(runs))
        _show(
            "export_osv into an empty directory",
            time_runs(lambda: export_osv(db, tmp / f"fresh{next(fresh)}"), runs),
            len(crates),
        )
        out = tmp / "fresh0"
        _show("export_osv again (all unchanged)", time_runs(lambda: export_osv(db, out), runs))
        _show("load_osv from the directory", time_runs(lambda: load_osv(out), runs), len(crates))
        archive = tmp / "all.zip"
        with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as z:
            for file in sorted(out.glob("*.json")):
                z.write(file, file.name)
        size = archive.stat().st_size / 1024
        _show(f"load_osv from all.zip ({size:.0f} KiB)", time_runs(lambda: load_osv(archive), runs))


if __name__ == "__main__":
    main()
