"""How fast cratewatch reads ``cargo auditable`` data from real binaries, and at what memory.

Run: ``uv run python benchmarks/bench_binaries.py [--runs N]``. Needs rustc, rust-lld and
binutils objcopy (as the tests do). The large inputs are the Rust toolchain's own binaries
(``cargo``, ``librustc_driver``), given a ``.dep-v0`` section holding nushell's real
dependency tree (from ``../shared/data/lockfiles``); prints figures only.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from _common import REPO_ROOT, shared_data, time_runs

sys.path.insert(0, str(REPO_ROOT))  # the test helpers build the binaries

from tests.binaries.payloads import audit_json, compressed, lockfile_tree
from tests.binaries.toolchain import Toolchain

from cratewatch.binaries import (
    AuditableDeps,
    DependencyGraph,
    packages_for_audit,
    parse_audit_json,
    read_auditable,
)


def _show(label: str, timings: list[float]) -> None:
    ms = [t * 1000 for t in timings]
    print(f"  {label:<52} median {statistics.median(ms):8.2f} ms   min {min(ms):8.2f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=20)
    runs = parser.parse_args().runs

    tree = lockfile_tree(shared_data() / "lockfiles" / "nushell__nushell" / "Cargo.lock", "nu")
    raw = audit_json(tree)
    section = {".dep-v0": compressed(raw)}
    print(
        f"nushell tree: {len(tree)} packages, {len(raw)} bytes of JSON, "
        f"{len(section['.dep-v0'])} compressed"
    )

    with tempfile.TemporaryDirectory() as directory:
        work = Path(directory)
        toolchain = Toolchain.find(work)
        sysroot = toolchain.lld_dir.parents[4]  # SYSROOT/lib/rustlib/HOST/bin/gcc-ld
        real_cargo = sysroot / "bin" / "cargo"
        big = work / "cargo"
        shutil.copyfile(real_cargo, big)
        toolchain.add_sections(big, section)
        drivers = sorted((sysroot / "lib").glob("librustc_driver-*.so"))
        binaries = {
            f"ELF cargo ({big.stat().st_size >> 20} MiB) with the tree": big,
            "ELF cargo without a section": real_cargo,
            "PE DLL with the tree": toolchain.pe(work / "a.dll", section),
            "Mach-O dylib with the tree": toolchain.macho(work / "a.dylib", section),
            "WebAssembly module with the tree": toolchain.wasm(work / "a.wasm", section),
        }
        if drivers:
            size = drivers[0].stat().st_size >> 20
            binaries[f"ELF librustc_driver ({size} MiB) without a section"] = drivers[0]

        print(f"read_auditable, {runs} runs each:")
        for label, path in binaries.items():
            _show(label, time_runs(lambda path=path: read_auditable(path), runs))  # type: ignore[misc]

        print("the steps:")
        _show(
            "parse_audit_json (no binary, no zlib)",
            time_runs(lambda: parse_audit_json(raw, origin="bench"), runs),
        )
        deps = read_auditable(big)
        assert isinstance(deps, AuditableDeps)
        _show("packages_for_audit", time_runs(lambda: packages_for_audit(deps), runs))

        def every_path() -> None:
            graph = DependencyGraph(deps)
            for name, version, _ in packages_for_audit(deps):
                graph.paths(name, version)

        _show(f"dependency_paths for all {len(deps.packages)} packages", time_runs(every_path, 3))

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of this process: {peak:.0f} MiB")


if __name__ == "__main__":
    main()
