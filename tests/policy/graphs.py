"""Small hand-built crate graphs for unit tests of the checks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from cratewatch.policy.graph import CrateGraph, DepKind, Edge, Krate, ManifestFound
from cratewatch.semver import Version
from cratewatch.source_id import SourceId

CRATES_IO = "registry+https://github.com/rust-lang/crates.io-index"


def krate(
    spec: str,
    source: str | None = CRATES_IO,
    *,
    member: bool = False,
    line: int | None = None,
    root: Path | None = None,
    **fields: object,
) -> Krate:
    """``krate("serde 1.0.0")``; *fields* override any :class:`Krate` field."""
    name, version = spec.split(" ")
    base = Krate(
        name=name,
        version=Version.parse(version),
        source=None if source is None else SourceId.parse(source),
        workspace_member=member,
        lock_line=line,
        manifest=ManifestFound(
            path=(root or Path("/nonexistent") / spec.replace(" ", "-")) / "Cargo.toml"
        ),
    )
    return replace(base, **fields)  # type: ignore[arg-type]


def graph(
    krates: Sequence[Krate],
    edges: Sequence[tuple[str, str] | tuple[str, str, DepKind]] = (),
    *,
    lockfile: str | None = None,
) -> CrateGraph:
    """A graph whose roots are the workspace members; edges name crates as ``"name version"``."""
    ids = {f"{k.name} {k.version}": i for i, k in enumerate(krates)}
    built = []
    for edge in edges:
        kind = edge[2] if len(edge) == 3 else DepKind.NORMAL
        built.append(Edge(parent=ids[edge[0]], child=ids[edge[1]], kinds=((kind, None),)))
    roots = [i for i, k in enumerate(krates) if k.workspace_member]
    return CrateGraph(krates=krates, edges=built, roots=roots, lockfile=lockfile)
