"""Loading the real RustSec advisory database: cold parse against warm compiled-cache loads.

Run: ``uv run python benchmarks/bench_advisory_db.py [--runs N]``. Clones the real bundle
(``../shared/data/advisory-db.bundle`` or ``$CRATEWATCH_SHARED_DATA``) into a temporary
directory and prints figures only:

- cold: parse every advisory file (TOML, requirements, CVSS, ranges), walk the git history for
  file times, write the compiled cache -- what the first load of a new commit costs;
- warm: a fresh interpreter loading the same commit again through the compiled cache
  (``load_database(..., fetch=False)``), timed inside the process from the call to the result,
  so interpreter start-up and imports are shown separately. Target: under 100 ms. The CPU
  time of the loading process (git's own few milliseconds excluded) is shown too, as it is
  the figure that stays meaningful on a busy machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import shared_data

from cratewatch.advisories.database import load_database
from cratewatch.advisories.rustsec import parse_tree
from cratewatch.advisories.source import LocalCheckout, parse_source

_WARM = """
import json, sys, time
start = time.perf_counter()
from pathlib import Path
from cratewatch.advisories.database import load_database
imported = time.perf_counter()
cpu = time.process_time()
db = load_database(sys.argv[1], cache_dir=Path(sys.argv[2]), fetch=False)
loaded = time.perf_counter()
cpu = time.process_time() - cpu
kinds = {k.value: n for k, n in db.counts().items()}
print(json.dumps({"import": imported - start, "load": loaded - imported, "cpu": cpu, "n": len(db),
                  "cache": type(db.info.cache).__name__, "kinds": kinds}))
"""


def _show(label: str, seconds: list[float]) -> None:
    ms = [s * 1000 for s in seconds]
    print(
        f"  {label:<44} median {statistics.median(ms):8.1f} ms   "
        f"min {min(ms):8.1f} ms   max {max(ms):8.1f} ms   ({len(ms)} runs)"
    )


def _warm(
    source: str, cache: Path, runs: int
) -> tuple[list[float], list[float], list[float], dict[str, object]]:
    loads: list[float] = []
    cpus: list[float] = []
    imports: list[float] = []
    last: dict[str, object] = {}
    for _ in range(runs):
        out = subprocess.run(
            [sys.executable, "-c", _WARM, source, str(cache)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        last = json.loads(out)
        loads.append(float(last["load"]))  # type: ignore[arg-type]
        cpus.append(float(last["cpu"]))  # type: ignore[arg-type]
        imports.append(float(last["import"]))  # type: ignore[arg-type]
    return loads, cpus, imports, last


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="repetitions per figure")
    args = parser.parse_args()
    bundle = shared_data() / "advisory-db.bundle"
    if not bundle.is_file():
        sys.exit(f"bench_advisory_db: {bundle} not found (set CRATEWATCH_SHARED_DATA)")

    with tempfile.TemporaryDirectory(prefix="bench-advisory-db-") as tmp:
        root = Path(tmp)
        checkout = root / "advisory-db"
        start = time.perf_counter()
        subprocess.run(["git", "clone", "--quiet", str(bundle), str(checkout)], check=True)
        print(f"advisory-db bundle: {bundle}")
        print(f"  git clone of the bundle: {(time.perf_counter() - start) * 1000:.0f} ms")

        parse_runs, cold_runs = [], []
        for i in range(max(1, args.runs // 2)):
            start = time.perf_counter()
            tree = parse_tree(checkout)
            parse_runs.append(time.perf_counter() - start)
            start = time.perf_counter()
            cold = load_database(LocalCheckout(path=checkout), cache_dir=root / f"cold-{i}")
            cold_runs.append(time.perf_counter() - start)
        assert not tree.errors, "the real database must parse cleanly"
        assert not tree.skipped, "the real database has no stray files"
        print(f"  {len(cold)} advisories at {cold.info.commit}")
        print(
            "  by kind: "
            + ", ".join(f"{kind.value} {count}" for kind, count in cold.counts().items())
        )
        print("cold (no compiled cache):")
        _show("parse every advisory file (parse_tree)", parse_runs)
        _show("load: parse + git history + write cache", cold_runs)

        cache = root / "cache"
        load_database(str(bundle), cache_dir=cache)  # clone into the cache and compile
        print("warm (compiled cache, fresh interpreter per run):")
        for label, source in (
            ("bundle clone in the cache, --no-fetch", str(bundle)),
            ("local checkout (git status + cache)", str(checkout)),
        ):
            loads, cpus, imports, last = _warm(source, cache, args.runs)
            assert last["cache"] == "CacheHit", last
            _show(f"load_database: {label}", loads)
            _show("  of which CPU time of this process", cpus)
        _show("import cratewatch.advisories.database", imports)
        start = time.perf_counter()
        load_database(parse_source(str(bundle)), cache_dir=cache, fetch=True)
        print(
            f"  fetch from the bundle + warm load (same process): "
            f"{(time.perf_counter() - start) * 1000:.0f} ms"
        )


if __name__ == "__main__":
    main()
