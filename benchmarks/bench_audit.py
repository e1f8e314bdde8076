"""Wall time of ``cratewatch audit`` on the largest real lockfile, cold and warm.

    uv run python benchmarks/bench_audit.py [--runs 7]

Cold: an empty cache directory, so the run clones the advisory-db bundle, parses every
advisory and writes the compiled cache. Warm: the same cache reused (the normal case).
Each run is a separate process, as a user or CI job would start it; bytecode caching is on
(the shell's PYTHONDONTWRITEBYTECODE is dropped), as in an installed package. The in-process
breakdown shows where a warm run spends its time.

Peer: ``cargo-deny check advisories`` (0.14.2, with Debian's cargo 1.65) against
``cratewatch audit`` on the same offline projects around real lockfiles (the demo project,
ripgrep 11.0.2 and the 268-package advisory-kinds project of the differential test, see
``tests/audit_peer``), reading the same advisory database (the real one minus its CVSS 4.0
advisories), every kind reported: median process wall time of ``--runs-peer`` runs each, after
one warm-up run. cargo-deny runs with ``--all-features`` so it audits the lockfile's package
set, as cratewatch does. Start-up: ``cratewatch --version``, ``cratewatch audit --help`` and
the imports of a warm audit (``python -X importtime``), to show where time goes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from cratewatch.advisories.database import load_database
from cratewatch.audit.engine import audit_packages
from cratewatch.audit.inputs import from_lockfile
from cratewatch.audit.model import AuditSettings, YankedNotRequested
from cratewatch.lockfile import load_lockfile

if TYPE_CHECKING:
    from tests.audit_peer.peer import PeerSetup

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


def _median_wall(
    command: list[str], *, cwd: Path | None = None, env: dict[str, str], runs: int
) -> tuple[float, int]:
    """Median wall time of *runs* runs of *command* (after one untimed warm-up run) and the
    exit status."""
    subprocess.run(command, cwd=cwd, env=env, capture_output=True, check=False, timeout=600)
    times, code = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(
            command, cwd=cwd, env=env, capture_output=True, check=False, timeout=600
        )
        times.append(time.perf_counter() - start)
        code = done.returncode
    return statistics.median(times), code


def _python_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def peer(runs: int) -> None:
    """cargo-deny check advisories vs cratewatch audit on the differential test's projects."""
    sys.path.insert(0, str(ROOT))
    from tests.audit_peer.peer import Tools, build_setup, project_inputs  # noqa: PLC0415
    from tests.policy.cargo_project import cargo_env  # noqa: PLC0415
    from tests.policy.tools import (  # noqa: PLC0415
        ToolUnavailable,
        cargo_deny_binary,
        debian_cargo,
        tools_dir,
    )

    cratewatch = str(Path(sys.executable).parent / "cratewatch")
    startup(cratewatch, runs)
    old_cargo, cargo_deny, cargo = debian_cargo(), cargo_deny_binary(), shutil.which("cargo")
    if isinstance(old_cargo, ToolUnavailable) or isinstance(cargo_deny, ToolUnavailable):
        reason = getattr(old_cargo, "reason", "") or getattr(cargo_deny, "reason", "")
        print(f"peer (cargo-deny check advisories): not run: {reason}")
        return
    if cargo is None:
        print("peer (cargo-deny check advisories): not run: no cargo on PATH")
        return
    tools = Tools(cargo=Path(cargo), old_cargo=old_cargo, cargo_deny=cargo_deny)
    with tempfile.TemporaryDirectory(prefix="bench-audit-peer-") as tmp:
        setup = build_setup(
            Path(tmp),
            project_inputs(ROOT, DATA),
            DATA,
            tools,
            index_cache=tools_dir() / "index",
        )
        print(
            f"peer: median of {runs} runs (after a warm-up), offline, same advisory db "
            f"({len(setup.db.removed)} CVSS 4.0 advisories removed for cargo-deny 0.14.2)"
        )
        for label, project in setup.projects.items():
            deny_env = cargo_env(project.cargo.home)
            deny_env["CARGO"] = str(old_cargo)
            theirs, their_code = _median_wall(
                [str(cargo_deny), "--offline", "--locked", "--all-features", "check", "advisories"],
                cwd=project.root,
                env=deny_env,
                runs=runs,
            )
            ours_env = _python_env() | {"CARGO_HOME": str(project.cargo.home)}
            base = [cratewatch, "audit", str(project.root), "--db", str(setup.db.path)]
            base += ["--cache-dir", str(setup.cache), "--no-fetch", "--no-yanked"]
            base += ["--stale", "ignore", "--deny", "warnings"]
            human, our_code = _median_wall(base, env=ours_env, runs=runs)
            as_json, _ = _median_wall([*base, "--format", "json"], env=ours_env, runs=runs)
            count = len(project.lockfile.packages)
            print(f"  {label} ({count} packages, Cargo.lock v{project.lockfile.version}):")
            print(f"    cargo-deny 0.14.2 check advisories  {theirs:6.3f} s (exit {their_code})")
            print(
                f"    cratewatch audit                    {human:6.3f} s (exit {our_code})"
                f"  ratio {human / theirs:5.2f}x"
            )
            print(
                f"    cratewatch audit --format json      {as_json:6.3f} s"
                f"           ratio {as_json / theirs:5.2f}x"
            )
        importtime(cratewatch, setup.projects["demo"].root, setup)


def startup(cratewatch: str, runs: int) -> None:
    """Process start-up: the interpreter alone, the CLI, and the audit command's help."""
    env = _python_env()
    bare, _ = _median_wall([sys.executable, "-c", "pass"], env=env, runs=runs)
    version, _ = _median_wall([cratewatch, "--version"], env=env, runs=runs)
    helptext, _ = _median_wall([cratewatch, "audit", "--help"], env=env, runs=runs)
    print(f"start-up, median of {runs} runs:")
    print(f"  python -c pass                {bare:6.3f} s")
    print(f"  cratewatch --version          {version:6.3f} s")
    print(f"  cratewatch audit --help       {helptext:6.3f} s")


def importtime(cratewatch: str, project: Path, setup: PeerSetup, runs: int = 5) -> None:
    """Where a warm ``cratewatch audit`` spends its import time (``python -X importtime``):
    each module's own time, summed per package (cratewatch per subpackage), median of
    *runs* runs."""
    command = [sys.executable, "-X", "importtime", cratewatch, "audit", str(project)]
    command += ["--db", str(setup.db.path), "--cache-dir", str(setup.cache), "--no-fetch"]
    command += ["--no-yanked", "--stale", "ignore", "--format", "json"]
    samples: dict[str, list[int]] = {}
    for _ in range(runs):
        done = subprocess.run(
            command, env=_python_env(), capture_output=True, text=True, check=False
        )
        packages: dict[str, int] = {}
        for line in done.stderr.splitlines():
            fields = line.removeprefix("import time:").split("|")
            if not line.startswith("import time:") or not fields[0].strip().isdigit():
                continue
            parts = fields[2].strip().split(".")
            name = ".".join(parts[:2]) if parts[0] == "cratewatch" else parts[0]
            packages[name] = packages.get(name, 0) + int(fields[0])
        packages["(total)"] = sum(packages.values())
        for name, micros in packages.items():
            samples.setdefault(name, []).append(micros)
    medians: dict[str, float] = {
        name: statistics.median(values + [0] * (runs - len(values)))
        for name, values in samples.items()
    }
    total = medians.pop("(total)")
    print(f"imports of a warm audit (python -X importtime, demo project): {total / 1e6:.3f} s")
    print(f"  own time of each package's modules (median of {runs} runs):")
    for name, median in sorted(medians.items(), key=lambda item: -item[1])[:12]:
        print(f"  {name:28s} {median / 1000:7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--runs-peer", type=int, default=5)
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
    peer(args.runs_peer)


if __name__ == "__main__":
    main()
