"""Reading the real 2020 crates.io git index: bulk read rate and per-crate lookup latency.

Run: ``uv run python benchmarks/bench_index.py [--lookups N] [--dir]``. Clones the bundle
(``../shared/data/crates-io-index-2020.bundle`` or ``$CRATEWATCH_SHARED_DATA``) bare into a
temporary directory through ``open_index`` and prints figures only:

- bulk: ``GitIndex.iter_entries()`` over the whole index (43,451 files, 259,132 lines), in
  lines/s, split into reading the blobs (libgit2) and parsing them (JSON + typed entries); the
  same with every entry kept in memory (what a dataset build does), with the garbage
  collector on and off;
- the JSON part alone with stdlib ``json`` and, when it is importable, ``orjson``
  (``uv run --with orjson python benchmarks/bench_index.py``), to judge whether a faster
  decoder would pay for a dependency;
- lookups: ``versions(name)`` for N random crates (seeded), median / p95 / max;
  with ``--dir``, also the directory backend on a checkout of the same commit.

CPU times (``process_time``) are shown next to wall times: on a shared machine they are the
figures that stay meaningful.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import resource
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _common import shared_data

from cratewatch.registry.dirindex import DirIndex
from cratewatch.registry.gitindex import GitIndex
from cratewatch.registry.index import Index, open_index
from cratewatch.registry.parse import parse_index_file


class _Timer:
    def __enter__(self) -> _Timer:
        self.wall = time.perf_counter()
        self.cpu = time.process_time()
        return self

    def __exit__(self, *_: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def _rate(label: str, lines: int, timer: _Timer) -> None:
    print(
        f"  {label:<46} {timer.wall:6.2f} s wall {timer.cpu:6.2f} s cpu   "
        f"{lines / timer.wall:>9,.0f} lines/s wall {lines / timer.cpu:>9,.0f} lines/s cpu"
    )


def _bulk(index: GitIndex) -> None:
    print("bulk read of the whole index")
    with _Timer() as read:
        files = list(index.files())
    size = sum(len(data) for _, data in files)
    lines = sum(data.count(b"\n") for _, data in files)
    print(
        f"  read {len(files):,} blobs ({size / 1e6:.0f} MB) {read.wall:20.2f} s wall "
        f"{read.cpu:6.2f} s cpu"
    )
    with _Timer() as parse:
        n = 0
        for path, data in files:
            n += len(parse_index_file(data, source=path, crate=path.rpartition("/")[2]))
    _rate("parse only (entries dropped)", n, parse)
    with _Timer() as whole:
        n = sum(1 for _ in index.iter_entries())
    _rate("iter_entries(): read + parse", n, whole)
    for collect in (True, False):
        if not collect:
            gc.disable()
        with _Timer() as keep:
            kept = list(index.iter_entries())
        gc.enable()
        _rate(f"list(iter_entries()), gc {'on' if collect else 'off'}", len(kept), keep)
        del kept
        gc.collect()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  peak RSS after keeping every entry: {rss:,.0f} MB")

    print("JSON decoding alone (per line)")
    raw_lines = [line for _, data in files for line in data.split(b"\n") if line]
    assert len(raw_lines) == lines
    with _Timer() as stdlib:
        for line in raw_lines:
            json.loads(line)
    _rate("stdlib json.loads", len(raw_lines), stdlib)
    try:
        import orjson  # type: ignore[import-not-found, unused-ignore]  # noqa: PLC0415
    except ImportError:
        print("  orjson: not installed (uv run --with orjson ... to compare)")
    else:
        with _Timer() as fast:
            for line in raw_lines:
                orjson.loads(line)
        _rate("orjson.loads", len(raw_lines), fast)


def _lookups(label: str, index: Index, names: list[str]) -> None:
    times: list[float] = []
    lookup: Callable[[str], object] = index.versions
    for name in names:
        start = time.perf_counter()
        lookup(name)
        times.append(time.perf_counter() - start)
    us = sorted(t * 1e6 for t in times)
    p95 = us[int(len(us) * 0.95)]
    print(
        f"  {label:<28} median {statistics.median(us):8.0f} us   p95 {p95:8.0f} us   "
        f"max {us[-1]:8.0f} us   ({len(us)} crates)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lookups", type=int, default=2000, help="random crates to look up")
    parser.add_argument("--dir", action="store_true", help="also time the directory backend")
    args = parser.parse_args()
    bundle = shared_data() / "crates-io-index-2020.bundle"
    with tempfile.TemporaryDirectory(prefix="bench-index-") as tmp:
        with _Timer() as clone:
            index = open_index(str(bundle), cache_dir=Path(tmp))
        assert isinstance(index, GitIndex)
        print(f"bare clone of {bundle.name}: {clone.wall:.2f} s (once; reused while unchanged)")
        _bulk(index)
        names = sorted(index.names())
        sample = random.Random(2020).sample(names, min(args.lookups, len(names)))
        print("per-crate lookup latency: versions(name), read + parse")
        _lookups("git (objects)", index, sample)
        if args.dir:
            checkout = Path(tmp) / "checkout"
            subprocess.run(
                ["git", "clone", "--quiet", str(bundle), str(checkout)], check=True, timeout=600
            )
            _lookups("directory (checkout)", DirIndex(checkout), sample)
        index.close()


if __name__ == "__main__":
    main()
