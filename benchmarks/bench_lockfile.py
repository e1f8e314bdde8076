"""Parse time of the largest real Cargo.lock, against tomllib alone, plus graph queries.

Run: ``uv run python benchmarks/bench_lockfile.py [--runs N]``. Reads the real lockfiles from
``../shared/data/lockfiles`` (or ``$CRATEWATCH_SHARED_DATA/lockfiles``); prints figures only.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tomllib

from _common import shared_data, time_runs

from cratewatch.lockfile import parse_lockfile


def _show(label: str, timings: list[float]) -> None:
    ms = [t * 1000 for t in timings]
    print(
        f"  {label:<34} median {statistics.median(ms):8.2f} ms   "
        f"min {min(ms):8.2f} ms   max {max(ms):8.2f} ms   ({len(ms)} runs)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20, help="timed runs per figure")
    args = parser.parse_args()
    files = sorted((shared_data() / "lockfiles").glob("*/Cargo.lock"))
    if not files:
        print(f"no lockfiles under {shared_data() / 'lockfiles'}", file=sys.stderr)
        return 1
    largest = max(files, key=lambda f: f.stat().st_size)
    text = largest.read_text()
    lock = parse_lockfile(text)  # warm caches (Version.parse, SourceId.parse)
    edges = sum(len(p.dependencies) for p in lock.packages)
    print(f"largest lockfile: {largest.parent.name}/Cargo.lock")
    print(
        f"  {len(text.encode()):,} bytes, {text.count(chr(10)):,} lines, format v{lock.version}, "
        f"{len(lock.packages):,} packages, {edges:,} edges, {len(lock.roots)} roots"
    )
    _show("tomllib.loads only", time_runs(lambda: tomllib.loads(text), args.runs))
    _show("parse_lockfile (warm caches)", time_runs(lambda: parse_lockfile(text), args.runs))

    def all_paths() -> None:
        fresh = parse_lockfile(text)
        for package in fresh.packages:
            fresh.paths_to_roots(package, limit=10)

    _show("parse + paths_to_roots(all, 10)", time_runs(all_paths, max(1, args.runs // 4)))
    total = sum(len(f.read_text()) for f in files)
    _show(
        f"parse all {len(files)} real lockfiles",
        time_runs(lambda: [parse_lockfile(f.read_text()) for f in files], max(1, args.runs // 4)),
    )
    print(f"  ({total:,} characters in all)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
