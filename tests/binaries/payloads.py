"""cargo-auditable payloads: the JSON auditable-serde writes, zlib-compressed as it embeds it."""

from __future__ import annotations

import json
import tomllib
import zlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

CRATES_IO = "registry+https://github.com/rust-lang/crates.io-index"


def package(
    name: str,
    version: str,
    source: str = "crates.io",
    *,
    dependencies: list[int] | None = None,
    kind: str | None = None,
    root: bool = False,
) -> dict[str, Any]:
    """One entry, leaving out defaulted fields exactly as auditable-serde serializes them."""
    entry: dict[str, Any] = {"name": name, "version": version, "source": source}
    if kind is not None:
        entry["kind"] = kind
    if dependencies:
        entry["dependencies"] = dependencies
    if root:
        entry["root"] = True
    return entry


def audit_json(packages: list[dict[str, Any]], version_format: int | None = 1) -> bytes:
    document: dict[str, Any] = {"packages": packages}
    if version_format is not None:
        document["format"] = version_format
    return json.dumps(document, separators=(",", ":")).encode()


def compressed(data: bytes) -> bytes:
    """What cargo-auditable embeds: zlib at the best level (miniz_oxide level 10 ~ zlib 9)."""
    return zlib.compress(data, 9)


# A small but typical tree: a local root, runtime crates.io deps, a build-only proc-macro
# chain, a git dependency and a package reached by two paths.
SAMPLE = [
    package("app", "0.1.0", "local", dependencies=[1, 2, 5, 6], root=True),
    package("hyper", "1.4.1", dependencies=[3, 4]),
    package("serde", "1.0.204", dependencies=[7]),
    package("h2", "0.4.5", dependencies=[4]),
    package("bytes", "1.6.1"),
    package("mygit", "0.3.0-alpha.2+build.5", "git"),
    package("bytes", "0.4.12"),
    package("serde_derive", "1.0.204", kind="build", dependencies=[8]),
    package("proc-macro2", "1.0.86", kind="build"),
]


def lockfile_tree(lockfile: Path, root: str) -> list[dict[str, Any]]:
    """The dependency closure of ``root`` in a real Cargo.lock, in cargo-auditable's shape.

    Packages are sorted by name and version as cargo-auditable sorts them; sources become
    ``crates.io``/``git``/``registry``/``local`` as auditable-serde maps them.
    """
    document = tomllib.loads(lockfile.read_text())
    locked = document["package"]
    by_name: dict[str, list[dict[str, Any]]] = {}
    for entry in locked:
        by_name.setdefault(entry["name"], []).append(entry)

    def resolve(spec: str) -> dict[str, Any]:
        name, _, rest = spec.partition(" ")
        candidates = by_name[name]
        version = rest.split(" ")[0] if rest else None
        return next(c for c in candidates if version is None or c["version"] == version)

    start = next(e for e in locked if e["name"] == root and "source" not in e)
    closure = _acyclic_closure(start, resolve)
    ordered = sorted(closure)
    index = {key: i for i, key in enumerate(ordered)}
    packages = []
    for key in ordered:
        entry, deps = closure[key]
        packages.append(
            package(
                entry["name"],
                entry["version"],
                _source(entry.get("source")),
                dependencies=sorted({index[d] for d in deps}),
                root=entry is start,
            )
        )
    return packages


_Key = tuple[str, str]


def _acyclic_closure(
    start: dict[str, Any], resolve: Callable[[str], dict[str, Any]]
) -> dict[_Key, tuple[dict[str, Any], list[_Key]]]:
    """Packages reachable from ``start`` with their kept edges. Cargo.lock also records
    dev-dependencies, which may form cycles; cargo-auditable leaves them out. The lockfile
    cannot tell which edges those are, so an edge closing a cycle (a DFS back edge) goes."""

    def key(entry: dict[str, Any]) -> _Key:
        return (entry["name"], entry["version"])

    closure: dict[_Key, tuple[dict[str, Any], list[_Key]]] = {}
    on_path: set[_Key] = set()
    stack = [(start, iter(start.get("dependencies", [])))]
    closure[key(start)] = (start, [])
    on_path.add(key(start))
    while stack:
        entry, specs = stack[-1]
        spec = next(specs, None)
        if spec is None:
            on_path.discard(key(entry))
            stack.pop()
            continue
        dep = resolve(spec)
        if key(dep) in on_path:
            continue  # a back edge: a dev-dependency cycle
        closure[key(entry)][1].append(key(dep))
        if key(dep) not in closure:
            closure[key(dep)] = (dep, [])
            on_path.add(key(dep))
            stack.append((dep, iter(dep.get("dependencies", []))))
    return closure


def _source(source: str | None) -> str:
    if source is None:
        return "local"
    if source == CRATES_IO:
        return "crates.io"
    return source.split("+", 1)[0]
