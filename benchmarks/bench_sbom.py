"""Benchmark SBOM generation and vet check on the real lockfiles of the shared data.

Run: ``uv run python benchmarks/bench_sbom.py``. Reads ``$CRATEWATCH_SHARED_DATA/lockfiles``
(default ``../shared/data``); prints figures, asserts nothing. Each figure is the best of two
runs, in seconds, per lockfile:

- graph: Cargo.lock parsed into the component graph (lockfile-only mode, no manifests);
- cdx-json / cdx-xml / spdx-json: rendering the document with the official libraries
  (cyclonedx-python-lib, spdx-tools), without validation;
- vet: ``vet check`` of the lockfile graph against a store exempting every package (every
  package searched, no audit found, the exemption used).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from pathlib import Path

from _common import shared_data

from cratewatch.lockfile import load_lockfile
from cratewatch.sbom.cyclonedx import CycloneDxEncoding, DocumentSettings, render_cyclonedx
from cratewatch.sbom.graph import MetadataLookup, graph_from_lockfile, input_digest
from cratewatch.sbom.spdx import SpdxEncoding, render_spdx
from cratewatch.vet.check import crate_graph_from_lockfile, vet_check
from cratewatch.vet.files import parse_audits, parse_config
from cratewatch.vet.model import ImportsLock, Store


def _best(run: Callable[[], object], repeat: int = 2) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def _row(path: Path) -> tuple[int, list[float]]:
    lock = load_lockfile(path)

    def graph() -> object:
        return graph_from_lockfile(
            lock,
            metadata=MetadataLookup(detect_licenses=False),
            input_digest=input_digest(b"", {}),
        )

    built = graph_from_lockfile(
        lock, metadata=MetadataLookup(detect_licenses=False), input_digest="0" * 64
    )
    settings = DocumentSettings.reproducible(
        built, timestamp=dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    )
    exemptions = "".join(
        f'[[exemptions.{p.name}]]\nversion = "{p.version}"\ncriteria = "safe-to-deploy"\n'
        for p in lock.packages
        if p.source is not None
    )
    store = Store(
        path=path.parent,
        config=parse_config(exemptions),
        audits=parse_audits(""),
        imports=ImportsLock(),
    )
    crates = crate_graph_from_lockfile(lock)
    row = [
        _best(graph),
        _best(
            lambda: render_cyclonedx(
                built, encoding=CycloneDxEncoding.JSON, spec_version="1.6", settings=settings
            )
        ),
        _best(
            lambda: render_cyclonedx(
                built, encoding=CycloneDxEncoding.XML, spec_version="1.6", settings=settings
            )
        ),
        _best(lambda: render_spdx(built, encoding=SpdxEncoding.JSON, settings=settings)),
        _best(lambda: vet_check(crates, store)),
    ]
    return len(lock.packages), row


def main() -> None:
    lockfiles = sorted((shared_data() / "lockfiles").glob("*/Cargo.lock"))
    print(
        f"{'lockfile':32} {'pkgs':>5} {'graph':>7} {'cdx-json':>9} {'cdx-xml':>8} "
        f"{'spdx-json':>10} {'vet':>7}"
    )
    for path in lockfiles:
        packages, row = _row(path)
        print(
            f"{path.parent.name:32} {packages:>5} "
            + " ".join(
                f"{value:>{width}.3f}" for value, width in zip(row, (7, 9, 8, 10, 7), strict=True)
            )
        )


if __name__ == "__main__":
    main()
