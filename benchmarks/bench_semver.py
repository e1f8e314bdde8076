"""Benchmark cratewatch.semver on the real 2020 crates.io index: parse and match throughput.

Run: ``uv run python benchmarks/bench_semver.py [--sample N]``. Reads the index bundle from
``$CRATEWATCH_SHARED_DATA`` (default ``../shared/data``); prints figures, asserts nothing.
Each figure is the best of three runs.

- parse cold: every distinct string once through the uncached parser;
- parse cached: every line of the index, caches warm (most strings repeat);
- matches: each sampled dependency requirement against every version of the crate it names
  (the inner loop of resolution and advisory matching).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import random
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path

from _common import shared_data

from cratewatch.semver import InvalidVersion, InvalidVersionReq, Version, VersionReq
from cratewatch.semver._req import _parse_req
from cratewatch.semver._version import _parse_version


def _index_lines(bundle: Path, into: Path) -> Iterator[dict[str, object]]:
    subprocess.run(["git", "clone", "--quiet", "--bare", str(bundle), str(into)], check=True)
    command = ["git", "cat-file", "--batch-all-objects", "--batch", "--unordered"]
    with subprocess.Popen(command, cwd=into, stdout=subprocess.PIPE) as git:
        assert git.stdout is not None
        while header := git.stdout.readline():
            _, kind, size = header.split()
            data = git.stdout.read(int(size) + 1)
            if kind != b"blob" or not data.startswith(b"{"):
                continue
            for line in data.splitlines():
                try:
                    yield json.loads(line)
                except ValueError:
                    break


def _rate(count: int, seconds: float) -> str:
    return f"{count / seconds:>14,.0f} ops/s   ({count:,} in {seconds:.2f} s)"


def _timed(action: Callable[[], int], repeat: int = 3) -> tuple[int, float]:
    """Best of ``repeat`` runs (the machine is shared; the minimum is the least disturbed)."""
    best = float("inf")
    count = 0
    for _ in range(repeat):
        start = time.perf_counter()
        count = action()
        best = min(best, time.perf_counter() - start)
    return count, best


def _parse_all(parse: Callable[[str], object], texts: list[str]) -> int:
    for text in texts:
        try:  # costs nothing until it raises (a contextlib.suppress per call would)
            parse(text)
        except ValueError:
            continue
    return len(texts)


class _Index:
    """The parts of the index the benchmark needs."""

    def __init__(self, bundle: Path) -> None:
        self.version_lines: list[str] = []
        self.req_lines: list[str] = []
        self.by_crate: dict[str, list[str]] = defaultdict(list)
        self.deps: list[tuple[str, str]] = []
        with tempfile.TemporaryDirectory() as tmp:
            for line in _index_lines(bundle, Path(tmp) / "index"):
                crate, vers = str(line["name"]).lower(), str(line["vers"])
                self.version_lines.append(vers)
                self.by_crate[crate].append(vers)
                for dep in line["deps"]:  # type: ignore[attr-defined]
                    self.req_lines.append(dep["req"])
                    self.deps.append(((dep.get("package") or dep["name"]).lower(), dep["req"]))


def _bench_parse(index: _Index) -> None:
    unique_versions = sorted(set(index.version_lines))
    unique_reqs = sorted(set(index.req_lines))
    for label, parse, texts in (
        ("Version.parse    cold   ", _parse_version, unique_versions),
        ("Version.parse    cached ", Version.parse, index.version_lines),
        ("VersionReq.parse cold   ", _parse_req, unique_reqs),
        ("VersionReq.parse cached ", VersionReq.parse, index.req_lines),
    ):
        print(label, _rate(*_timed(lambda p=parse, t=texts: _parse_all(p, t))))  # type: ignore[misc]


def _bench_matches(index: _Index, sample: int) -> dict[str, tuple[Version, ...]]:
    crates: dict[str, tuple[Version, ...]] = {}
    for crate, texts in index.by_crate.items():
        good = []
        for text in texts:
            with contextlib.suppress(InvalidVersion):
                good.append(Version.parse(text))
        crates[crate] = tuple(good)
    work: list[tuple[VersionReq, tuple[Version, ...]]] = []
    for crate, text in random.Random(2020).sample(index.deps, min(sample, len(index.deps))):
        with contextlib.suppress(InvalidVersionReq):
            work.append((VersionReq.parse(text), crates.get(crate, ())))

    def match_all() -> int:
        count = 0
        for req, versions in work:
            for version in versions:
                req.matches(version)
            count += len(versions)
        return count

    def match_filtered(pre: bool) -> int:
        count = 0
        for req, versions in work:
            for version in versions:
                if bool(version.pre) is pre:
                    req.matches(version)
                    count += 1
        return count

    print(f"\nmatches: {len(work):,} sampled requirements x every version of their crate")
    print("VersionReq.matches      ", _rate(*_timed(match_all)))
    print("  release versions only ", _rate(*_timed(lambda: match_filtered(False))), "*")
    print("  pre-releases only     ", _rate(*_timed(lambda: match_filtered(True))), "*")
    print("  (* the loop also pays for the filter)")
    return crates


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=200_000, help="dependencies to match")
    args = parser.parse_args()
    bundle = shared_data() / "crates-io-index-2020.bundle"
    if not bundle.is_file():
        print(f"no index bundle at {bundle} (set CRATEWATCH_SHARED_DATA)", file=sys.stderr)
        return 1
    start = time.perf_counter()
    index = _Index(bundle)
    print(f"index: {len(index.version_lines):,} versions, {len(index.req_lines):,} requirements,")
    print(f"       read in {time.perf_counter() - start:.1f} s\n")
    for text in index.version_lines:  # warm the caches for the "cached" figures
        with contextlib.suppress(InvalidVersion):
            Version.parse(text)
    for text in index.req_lines:
        with contextlib.suppress(InvalidVersionReq):
            VersionReq.parse(text)
    # the loaded index is millions of long-lived objects: keep the cyclic GC from rescanning
    # them on every allocation burst, as a long-running caller would
    gc.freeze()
    _bench_parse(index)
    crates = _bench_matches(index, args.sample)
    everything = [v for versions in crates.values() for v in versions]
    random.Random(1).shuffle(everything)
    start = time.perf_counter()
    everything.sort()
    print(f"\nsorting all {len(everything):,} versions: {time.perf_counter() - start:.2f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
