"""``cratewatch check`` vs ``cargo-deny check`` on the same projects: median of 5 runs each.

Two offline projects are generated (vendored crates, so both tools run without network): the
differential-test scenario (~30 crates, every check finds something) and a synthetic graph of
300 crates (random dependencies, licenses, duplicates). Each tool runs all four checks as a
fresh process, the way a user runs it: cargo-deny 0.14.2 with Debian's cargo 1.65, cratewatch
with the cargo on PATH; both read the same pre-cloned advisory database offline.

    uv run python benchmarks/bench_check.py [--runs 5] [--crates 300]
"""

from __future__ import annotations

import argparse
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.policy.cargo_project import CargoProject, VendoredCrate, cargo_env, manifest
from tests.policy.differential import advisory_dir
from tests.policy.scenario import advisory_db, build
from tests.policy.tools import ToolUnavailable, cargo_deny_binary, debian_cargo

DB_URL = "https://advisories.invalid/advisory-db"
LICENSES = ("MIT", "Apache-2.0", "MIT OR Apache-2.0", "BSD-3-Clause", "ISC", "Zlib", "MPL-2.0")
CONFIG = """
[advisories]
db-urls = ["{url}"]
db-path = "{adb}"
yanked = "allow"

[bans]
multiple-versions = "warn"
wildcards = "warn"

[licenses]
allow = ["MIT", "Apache-2.0", "BSD-3-Clause", "ISC"]
unused-allowed-license = "allow"

[sources]
unknown-registry = "deny"
unknown-git = "deny"
allow-org = {{ github = ["someorg"] }}
allow-git = ["https://gitlab.com/team/tagged"]
"""


def synthetic(root: Path, cargo: Path, count: int, seed: int = 7) -> CargoProject:
    """A workspace whose app depends on *count* crates with a random DAG between them."""
    rng = random.Random(seed)
    names = [f"c{n:03d}" for n in range(count)]
    crates = []
    for n, name in enumerate(names):
        deps = rng.sample(names[n + 1 :], k=min(3, len(names) - n - 1))
        body = "[dependencies]\n" + "".join(f'{d} = "1"\n' for d in deps)
        license = rng.choice(LICENSES)
        crates.append(
            VendoredCrate(name=name, version="1.0.0", package=f'license = "{license}"', body=body)
        )
        if n % 25 == 0:
            crates.append(VendoredCrate(name=name, version="0.9.0", package='license = "MIT"'))
    direct = "".join(f'{name} = "1"\n' for name in names[:40])
    old = "".join(
        f'{name}_old = {{ package = "{name}", version = "0.9" }}\n' for name in names[:count:25]
    )
    project = CargoProject(
        root,
        members={
            "": manifest("app", package='license = "MIT"', body="[dependencies]\n" + direct + old)
        },
    )
    project.add(*crates)
    project.write(cargo=cargo)
    return project


def median_seconds(
    command: list[str], cwd: Path, env: dict[str, str], runs: int
) -> tuple[float, int]:
    times = []
    code = 0
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(
            command, cwd=cwd, env=env, capture_output=True, check=False, timeout=600
        )
        times.append(time.perf_counter() - start)
        code = done.returncode
    return statistics.median(times), code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--crates", type=int, default=300)
    args = parser.parse_args()
    old_cargo, cargo_deny = debian_cargo(), cargo_deny_binary()
    if isinstance(old_cargo, ToolUnavailable) or isinstance(cargo_deny, ToolUnavailable):
        print(
            "cannot benchmark:", getattr(old_cargo, "reason", ""), getattr(cargo_deny, "reason", "")
        )
        return 1
    cratewatch = Path(sys.executable).parent / "cratewatch"
    with tempfile.TemporaryDirectory(prefix="bench-check-") as tmp:
        base = Path(tmp)
        db = advisory_db(base)
        projects = {
            "scenario (differential project)": build(base / "scenario", old_cargo),
            f"synthetic ({args.crates} crates)": synthetic(
                base / "synthetic", old_cargo, args.crates
            ),
        }
        print(f"median of {args.runs} runs, all four checks, offline")
        for label, project in projects.items():
            advisory_dir(project, DB_URL, db, cargo_deny=cargo_deny, old_cargo=old_cargo)
            (project.root / "deny.toml").write_text(
                CONFIG.format(url=DB_URL, adb=project.root / "adb")
            )
            deny_env = cargo_env(project.home)
            deny_env["CARGO"] = str(old_cargo)
            theirs, their_code = median_seconds(
                [str(cargo_deny), "--offline", "check"], project.root, deny_env, args.runs
            )
            ours_env = cargo_env(project.home)
            ours, our_code = median_seconds(
                [str(cratewatch), "check", "--offline", "--db", str(db), "--no-fetch"],
                project.root,
                ours_env,
                args.runs,
            )
            lockfile, _ = median_seconds(
                [
                    str(cratewatch),
                    "check",
                    "--offline",
                    "--no-cargo",
                    "--db",
                    str(db),
                    "--no-fetch",
                ],
                project.root,
                ours_env,
                args.runs,
            )
            print(f"{label}:")
            print(f"  cargo-deny 0.14.2 check          {theirs:7.3f} s (exit {their_code})")
            ratio, lock_ratio = ours / theirs, lockfile / theirs
            print(f"  cratewatch check (cargo metadata) {ours:7.3f} s (exit {our_code})")
            print(f"      ratio {ratio:5.2f}x")
            print(f"  cratewatch check --no-cargo       {lockfile:7.3f} s")
            print(f"      ratio {lock_ratio:5.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
