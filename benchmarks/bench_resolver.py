"""Resolver speed on the real crates.io index of 2020: the newest version of every crate.

Run: ``uv run python benchmarks/bench_resolver.py [--limit N] [--jobs J] [--cargo-sample K]``.

The index is the shared bundle (``../shared/data/crates-io-index-2020.bundle``, cloned bare into
a temporary directory) unless ``--index SRC`` names another. Each worker process opens the index
itself and resolves an interleaved share of the crates, learning the index as it goes (reading
and checking index files is part of the measured time). Printed: wall time of the whole run,
roots per second, per-root times (with and without first-time index loading), and, with
``--cargo-sample K``, the median time real ``cargo generate-lockfile --offline`` takes per root
on the same index (one clone into a private CARGO_HOME first) next to ours.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import os
import random
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from cratewatch.registry.index import open_index
from cratewatch.registry.model import IndexEntry
from cratewatch.resolver import Resolved, Resolver, RootRequest

REPO_ROOT = Path(__file__).resolve().parent.parent


def _shared_data() -> Path:
    configured = os.environ.get("CRATEWATCH_SHARED_DATA")
    return Path(configured) if configured else REPO_ROOT.parent / "shared" / "data"


@dataclass
class Share:
    """What one worker measured."""

    roots: int = 0
    failed: int = 0
    packages: int = 0
    seconds: float = 0.0
    cpu: float = 0.0
    index_cpu: float = 0.0
    per_root: list[float] | None = None


def _work(spec: str, names: list[str]) -> Share:
    share = Share(per_root=[])
    assert share.per_root is not None
    start, cpu = time.perf_counter(), time.process_time()
    with open_index(spec) as index:
        read = index.versions

        def timed(name: str) -> tuple[IndexEntry, ...]:
            t = time.process_time()
            try:
                return read(name)
            finally:
                share.index_cpu += time.process_time() - t

        index.versions = timed  # type: ignore[method-assign]
        resolver = Resolver.from_index(index)
        for done, request in enumerate(_roots(resolver, names), start=1):
            if done % 256 == 0:
                gc.freeze()  # as `cratewatch resolve --batch` does: memoised state is long-lived
            t = time.perf_counter()
            resolution = resolver.resolve(request)
            share.per_root.append(time.perf_counter() - t)
            share.roots += 1
            if isinstance(resolution, Resolved):
                share.packages += len(resolution.packages)
            else:
                share.failed += 1
    share.seconds = time.perf_counter() - start
    share.cpu = time.process_time() - cpu
    return share


def _roots(resolver: Resolver, names: list[str]) -> list[RootRequest]:
    """The newest usable version of each crate (names are the index's lowercase paths)."""
    roots = []
    for name in names:
        entries = resolver.source.lookup(name)
        if not entries:
            continue
        newest = resolver.source.crate(entries[-1].name).newest()
        if newest is not None:
            roots.append(RootRequest(name=newest.name, version=str(newest.version)))
    return roots


def _ms(values: list[float], q: float) -> str:
    ordered = sorted(values)
    return f"{ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000:.2f} ms"


def _cargo_sample(spec: str, names: list[str], count: int, seed: int) -> None:
    cargo = shutil.which("cargo")
    if cargo is None:
        print("cargo: not on PATH, skipped")
        return
    with tempfile.TemporaryDirectory() as tmp, open_index(spec) as index:
        resolver = Resolver.from_index(index)
        roots = _roots(resolver, random.Random(seed).sample(names, count * 2))[:count]
        home = Path(tmp) / "home"
        home.mkdir()
        (home / "config.toml").write_text(
            '[source.crates-io]\nreplace-with = "local"\n[source.local]\n'
            f'registry = "{Path(spec).resolve().as_uri()}"\n[net]\ngit-fetch-with-cli = true\n'
        )
        env = {**os.environ, "CARGO_HOME": str(home)}
        ours_cold, ours_warm, theirs = [], [], []
        fresh = Resolver.from_index(index)
        for i, request in enumerate(roots):
            project = Path(tmp) / f"p{i}"
            (project / "src").mkdir(parents=True)
            (project / "src" / "lib.rs").write_text("")
            (project / "Cargo.toml").write_text(
                f'[package]\nname = "zz-bench-root"\nversion = "0.0.0"\nedition = "2021"\n'
                f'[dependencies]\n"{request.name}" = "={request.version}"\n'
            )
            offline = ["--offline"] if i else []  # the first run clones the index
            t = time.perf_counter()
            subprocess.run(
                [cargo, "generate-lockfile", *offline], cwd=project, env=env,
                capture_output=True, check=False,
            )  # fmt: skip
            if i:
                theirs.append(time.perf_counter() - t)
            t = time.perf_counter()
            fresh.resolve(request)
            ours_cold.append(time.perf_counter() - t)
            t = time.perf_counter()
            fresh.resolve(request)
            ours_warm.append(time.perf_counter() - t)
    cargo_ms = statistics.median(theirs) * 1000
    print(f"real cargo generate-lockfile --offline: median {cargo_ms:.1f} ms per root "
          f"({len(theirs)} roots)")  # fmt: skip
    cold_ms, warm_ms = statistics.median(ours_cold) * 1000, statistics.median(ours_warm) * 1000
    print(f"this resolver, same roots: first time {cold_ms:.1f} ms, again {warm_ms:.2f} ms "
          "(median)")  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--index", help="index spec (default: a bare clone of the 2020 bundle)")
    parser.add_argument("--limit", type=int, help="resolve only a seeded sample of N crates")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes")
    parser.add_argument("--cargo-sample", type=int, default=0, help="also time real cargo")
    parser.add_argument("--seed", type=int, default=2020)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        spec = args.index
        if spec is None:
            bundle = _shared_data() / "crates-io-index-2020.bundle"
            spec = str(Path(tmp) / "index.git")
            subprocess.run(["git", "clone", "-q", "--bare", str(bundle), spec], check=True)
        with open_index(spec) as index:
            names = sorted(index.names())
        if args.limit:
            names = sorted(random.Random(args.seed).sample(names, args.limit))
        print(f"index: {spec} ({len(names)} crates), {args.jobs} worker(s)")
        start = time.perf_counter()
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(args.jobs) as pool:
            shares = pool.starmap(_work, [(spec, names[i :: args.jobs]) for i in range(args.jobs)])
        wall = time.perf_counter() - start
        per_root = [t for s in shares for t in s.per_root or []]
        roots = sum(s.roots for s in shares)
        print(
            f"resolved {roots} roots ({sum(s.failed for s in shares)} unresolvable, "
            f"{sum(s.packages for s in shares)} packages in all) in {wall:.1f} s wall, "
            f"{roots / wall:.0f} roots/s; CPU {sum(s.cpu for s in shares):.1f} s, of which "
            f"{sum(s.index_cpu for s in shares):.1f} s reading and parsing index files "
            "(registry backend)"
        )
        print(
            f"per root (index loading on first use included): mean "
            f"{statistics.mean(per_root) * 1000:.2f} ms, median {_ms(per_root, 0.5)}, "
            f"p90 {_ms(per_root, 0.9)}, p99 {_ms(per_root, 0.99)}, max {_ms(per_root, 1.0)}"
        )
        if args.cargo_sample:
            _cargo_sample(spec, names, args.cargo_sample, args.seed)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
