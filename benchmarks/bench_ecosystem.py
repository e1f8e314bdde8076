"""``cratewatch ecosystem dataset`` on the real 2020 index: wall time, CPU, peak memory, scaling.

Run: ``uv run python benchmarks/bench_ecosystem.py [--workers 2] [--fractions 0.1,0.25,0.5,1]
[--all-versions] [--synthetic 4] [--report]``.

Each measurement runs the real command (``cratewatch ecosystem dataset --sample F --fresh``) in
a child process on the shared index bundle and advisory-db bundle (cloned once into the cache
first, so clones are not timed). A sampler reads ``/proc`` four times a second and keeps the
peak of the whole process tree's memory: the sum of PSS (proportional set size: pages shared
by the forked workers are split between them, so this is the real footprint) and the sum of
RSS (an upper bound that counts shared pages once per process). CPU is the children's
user+system time. The 1-minute load average is printed before and after each run, because
the machine may be shared.

``--synthetic K`` also generates an index K times larger from the real one's distributions
(``benchmarks/synth_index.py``) and measures the same fractions on it. ``--report`` times
``cratewatch ecosystem report`` on the last full dataset.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq
from _common import shared_data
from synth_index import generate

from cratewatch.advisories import load_database
from cratewatch.registry.gitindex import GitIndex
from cratewatch.registry.index import open_index

CACHE = Path.home() / ".cache" / "cratewatch"


@dataclass
class Measure:
    """One run."""

    label: str
    fraction: float
    rows: int = 0
    crates: int = 0
    wall: float = 0.0
    cpu: float = 0.0
    pss_mb: float = 0.0
    rss_mb: float = 0.0
    load_before: float = 0.0
    load_after: float = 0.0


def _tree(root: int) -> list[int]:
    parents: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat.rpartition(")")[2].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    out, todo = [], [root]
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(parents.get(pid, ()))
    return out


def _memory(pids: list[int]) -> tuple[int, int]:
    pss = rss = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        pss += int(line.split()[1])
                    elif line.startswith("Rss:"):
                        rss += int(line.split()[1])
        except OSError:
            continue
    return pss, rss


def run(label: str, args: list[str], fraction: float) -> Measure:
    """Run ``cratewatch ARGS`` and measure it."""
    measure = Measure(label=label, fraction=fraction)
    measure.load_before = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", "from cratewatch.cli.main import main; main()", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    peak = [0, 0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            pss, rss = _memory(_tree(child.pid))
            peak[0], peak[1] = max(peak[0], pss), max(peak[1], rss)
            done.wait(0.25)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, err = child.communicate()
    done.set()
    sampler.join()
    measure.wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    measure.cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    measure.pss_mb, measure.rss_mb = peak[0] / 1024, peak[1] / 1024
    measure.load_after = os.getloadavg()[0]
    if child.returncode != 0:
        raise SystemExit(f"{label}: exit {child.returncode}\n{err[-2000:]}")
    return measure


EXTRA: list[str] = []


def dataset(
    index: str, db: str, out: Path, fraction: float, *, workers: int, every: bool, label: str
) -> Measure:
    args = [
        "ecosystem", "dataset", "--index", index, "--db", db, "--cache-dir", str(CACHE),
        "--stale", "ignore", "--workers", str(workers), "--out", str(out), "--no-catalog",
        "--fresh",
    ]  # fmt: skip
    if fraction < 1:
        args += ["--sample", str(fraction)]
    if every:
        args.append("--all-versions")
    args += EXTRA
    measure = run(label, args, fraction)
    table = pq.read_table(out, columns=["name"])
    measure.rows = table.num_rows
    measure.crates = len(set(table.column("name").to_pylist()))
    return measure


def _print(measures: list[Measure]) -> None:
    print(
        f"{'run':<28} {'share':>6} {'crates':>7} {'rows':>8} {'wall s':>7} {'CPU s':>7} "
        f"{'rows/s':>7} {'PSS MB':>7} {'RSS MB':>7} {'load':>11}"
    )
    for m in measures:
        print(
            f"{m.label:<28} {m.fraction:>6.0%} {m.crates:>7} {m.rows:>8} {m.wall:>7.1f} "
            f"{m.cpu:>7.1f} {m.rows / m.wall:>7.0f} {m.pss_mb:>7.0f} {m.rss_mb:>7.0f} "
            f"{m.load_before:>5.1f}>{m.load_after:<5.1f}"
        )
    sys.stdout.flush()


def _synthetic(
    clone: str,
    target: Path,
    db: str,
    out: Path,
    *,
    fractions: list[float],
    args: argparse.Namespace,
) -> list[Measure]:
    """Generate (once) the K-times larger index and measure the fractions on it."""
    if not (target / "config.json").is_file():
        start = time.perf_counter()
        with GitIndex(clone) as source:
            crates, lines = generate(source, target, factor=args.synthetic, seed=2020)
        print(f"synthetic {args.synthetic}x index: {crates} crates, {lines} lines, "
              f"written in {time.perf_counter() - start:.0f} s")  # fmt: skip
    measures = []
    suffix = f" recycle {args.recycle_after}" if args.recycle_after else ""
    for fraction in fractions:
        label = f"latest synthetic {args.synthetic}x{suffix}"
        measures.append(
            dataset(str(target), db, out, fraction, workers=args.workers, every=False, label=label)
        )
        _print(measures[-1:])
    return measures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index", help="index spec (default: the 2020 bundle)")
    parser.add_argument("--db", help="advisory database (default: the advisory-db bundle)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--fractions", default="0.1,0.25,0.5,1")
    parser.add_argument("--all-versions", action="store_true", help="also every version")
    parser.add_argument("--only-all-versions", action="store_true")
    parser.add_argument("--synthetic", type=int, default=0, help="also a K-times larger index")
    parser.add_argument("--synthetic-dir", type=Path, help="reuse/keep the synthetic index here")
    parser.add_argument("--report", action="store_true", help="time the report too")
    parser.add_argument("--skip-real", action="store_true", help="only the synthetic index")
    parser.add_argument("--recycle-after", type=int, help="pass --recycle-after N")
    args = parser.parse_args()
    index = args.index or str(shared_data() / "crates-io-index-2020.bundle")
    db = args.db or str(shared_data() / "advisory-db.bundle")
    fractions = [float(f) for f in args.fractions.split(",")]
    if args.recycle_after:
        EXTRA.extend(["--recycle-after", str(args.recycle_after)])
    with open_index(index, cache_dir=CACHE) as opened:  # clone once, untimed
        names = sum(1 for _ in opened.names())
        clone = opened.source
    load_database(db, cache_dir=CACHE)
    print(f"index {index} ({names} crates), db {db}, {args.workers} workers, {os.cpu_count()} CPUs")
    measures: list[Measure] = []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "d.parquet"
        modes = [] if args.only_all_versions else [False]
        if args.all_versions or args.only_all_versions:
            modes.append(True)
        if args.skip_real:
            modes = []
        for every in modes:
            for fraction in fractions:
                label = ("every version" if every else "latest") + " 2020"
                measures.append(
                    dataset(
                        index, db, out, fraction, workers=args.workers, every=every, label=label
                    )
                )
                _print(measures[-1:])
        if args.report:
            report = run("report (last dataset)", ["ecosystem", "report", str(out),
                         "--out", str(Path(tmp) / "report")], 1.0)  # fmt: skip
            report.rows = pq.read_metadata(out).num_rows
            measures.append(report)
            _print(measures[-1:])
        if args.synthetic > 1:
            target = args.synthetic_dir or Path(tmp) / f"index{args.synthetic}x"
            measures += _synthetic(clone, target, db, out, fractions=fractions, args=args)
    print()
    _print(measures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
