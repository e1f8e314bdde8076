"""Wall time of ``cratewatch audit`` on the largest real lockfile, cold and warm.

    uv run python benchmarks/bench_audit.py [--runs 7]

Cold: an empty cache directory, so the run clones the advisory-db bundle, parses every
advisory and writes the compiled cache. Warm: the same cache reused (the normal case).
Each run is a separate process, as a user or CI job would start it; bytecode caching is on
(the shell's PYTHONDONTWRITEBYTECODE is dropped), as in an installed package. The in-process
breakdown shows where a warm run spends its time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cratewatch.advisories.database import load_database
from cratewatch.audit.engine import audit_packages
from cratewatch.audit.inputs import from_lockfile
from cratewatch.audit.model import AuditSettings, YankedNotRequested
from cratewatch.lockfile import load_lockfile

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("CRATEWATCH_SHARED_DATA", ROOT.parent / "shared" / "data"))


def largest_lockfile() -> Path:
    locks = sorted(DATA.glob("lockfiles/*/Cargo.lock"), key=lambda p: p.stat().st_size)
    return locks[-1]


def run_once(lock: Path, cache: Path) -> float:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    command = [
        str(Path(sys.executable).parent / "cratewatch"),
        "audit",
        str(lock),
        "--db",
        str(DATA / "advisory-db.bundle"),
        "--cache-dir",
        str(cache),
        "--no-fetch" if (cache / "advisory-db").exists() else "--stale=ignore",
        "--stale",
        "ignore",
        "--no-yanked",
        "--format",
        "json",
    ]
    start = time.perf_counter()
    result = subprocess.run(command, env=env, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if result.returncode not in (0, 1):
        raise SystemExit(f"audit failed ({result.returncode}): {result.stderr.decode()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    lock = largest_lockfile()
    packages = load_lockfile(lock).packages
    print(f"lockfile: {lock.parent.name} ({len(packages)} packages)")

    colds = []
    for _ in range(max(1, args.runs // 2)):
        with tempfile.TemporaryDirectory() as tmp:
            colds.append(run_once(lock, Path(tmp)))
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp)
        run_once(lock, cache)  # fill the cache and the bytecode cache
        warms = [run_once(lock, cache) for _ in range(args.runs)]

        t0 = time.perf_counter()
        lockfile = load_lockfile(lock)
        t1 = time.perf_counter()
        db = load_database(str(DATA / "advisory-db.bundle"), cache_dir=cache, fetch=False)
        t2 = time.perf_counter()
        package_set = from_lockfile(lockfile)
        report = audit_packages(
            package_set.packages,
            db,
            AuditSettings(),
            paths=package_set.paths,
            yanked_check=YankedNotRequested(),
        )
        t3 = time.perf_counter()

    print(
        f"process wall time, cold (clone + parse + cache): median {statistics.median(colds):.3f} s"
    )
    print(
        f"process wall time, warm:                         median {statistics.median(warms):.3f} s"
        f" (min {min(warms):.3f}, max {max(warms):.3f}, {len(warms)} runs)"
    )
    print("in-process breakdown of a warm audit:")
    print(f"  parse Cargo.lock      {1000 * (t1 - t0):7.1f} ms")
    print(f"  load advisory db      {1000 * (t2 - t1):7.1f} ms ({len(db.advisories)} advisories)")
    print(f"  match + paths         {1000 * (t3 - t2):7.1f} ms ({len(report.findings)} findings)")
    print("peer (cargo-deny check advisories): not run here; it needs every dependency's")
    print("  manifest offline, which the real lockfiles' crates are not (see bench_check.py)")


if __name__ == "__main__":
    main()
