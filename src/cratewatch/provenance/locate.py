"""Where a package lives in its repository at the recorded commit.

Cargo 1.58+ records ``path_in_vcs``; the package must have a ``Cargo.toml`` there. Crates
packaged earlier say nothing, so the commit's tree is searched: first for a ``Cargo.toml``
whose blob is byte-identical to the crate's ``Cargo.toml.orig`` (no blob needs fetching), then
for one whose ``package.name`` is the crate's name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias

import pygit2

from cratewatch.errors import CratewatchError
from cratewatch.provenance._manifest import MAX_MANIFEST_BYTES, manifest_facts
from cratewatch.provenance.tree import Found, TreeResolver, Unreachable, walk_blobs

__all__ = ["LocateResult", "Located", "NotLocated", "locate_package"]

MAX_MANIFESTS_READ = 2000
"""``Cargo.toml`` files read when searching a repository by package name."""

_BLOBS = frozenset({pygit2.GIT_FILEMODE_BLOB, pygit2.GIT_FILEMODE_BLOB_EXECUTABLE})


@dataclass(frozen=True, slots=True, kw_only=True)
class Located:
    """The package directory in the repository."""

    package_path: str
    """Relative to the repository root, ``""`` for the root."""
    how: str
    """How it was found (for reports)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class NotLocated:
    """No such package in the repository at the commit."""

    reason: str
    """Where it was looked for."""


LocateResult: TypeAlias = Located | NotLocated


def locate_package(
    resolver: TreeResolver,
    *,
    name: str,
    path_in_vcs: str | None,
    manifest: bytes | None,
) -> LocateResult:
    """Find the package *name* (whose original manifest is *manifest*) at the resolver's commit.

    >>> locate_package(
    ...     resolver, name="foo", path_in_vcs="crates/foo", manifest=None
    ... )  # doctest: +SKIP
    Located(package_path='crates/foo', how='path_in_vcs')
    """
    commit = str(resolver.top.commit.id)[:12]
    if path_in_vcs is not None:
        target = f"{path_in_vcs}/Cargo.toml" if path_in_vcs else "Cargo.toml"
        found = resolver.resolve(target)
        if isinstance(found, Found):
            return Located(package_path=path_in_vcs, how="path_in_vcs")
        if isinstance(found, Unreachable):
            return NotLocated(
                reason=f"{target} is in submodule {found.submodule.path}, which could not be "
                f"read: {found.submodule.reason}"
            )
        return NotLocated(reason=f"no {target} at commit {commit} (path_in_vcs)")
    return _search(resolver, name=name, manifest=manifest, commit=commit)


def _search(
    resolver: TreeResolver, *, name: str, manifest: bytes | None, commit: str
) -> LocateResult:
    repo = resolver.top.repo
    candidates: list[tuple[str, str]] = []  # (directory, blob id)
    for path, entry, mode in walk_blobs(repo, resolver.top.commit.tree):
        if mode in _BLOBS and (path == "Cargo.toml" or path.endswith("/Cargo.toml")):
            candidates.append((path.rpartition("/")[0], str(entry.id)))
    if not candidates:
        return NotLocated(reason=f"no Cargo.toml anywhere at commit {commit}")
    if manifest is not None:
        wanted = str(pygit2.hash(manifest))
        same = [d for d, oid in candidates if oid == wanted]
        if same:
            return Located(package_path=_best(same, name), how="identical Cargo.toml")
    ordered = sorted(candidates, key=lambda c: (_rank(c[0], name), c[0]))[:MAX_MANIFESTS_READ]
    try:
        blobs = repo.read_blobs((oid for _, oid in ordered), max_bytes=MAX_MANIFEST_BYTES)
    except CratewatchError as e:
        return NotLocated(reason=f"cannot read the Cargo.toml files at commit {commit}: {e}")
    for directory, oid in ordered:
        data = blobs.get(oid)
        facts = manifest_facts(data) if data is not None else None
        if facts is not None and facts.name == name:
            return Located(package_path=directory, how="package name")
    return NotLocated(
        reason=f"no package named {name} in the {len(candidates)} Cargo.toml file(s) at "
        f"commit {commit}"
    )


def _rank(directory: str, name: str) -> tuple[int, int]:
    """Likely places first: a directory named after the crate, then shallow ones."""
    base = directory.rsplit("/", 1)[-1]
    return (0 if base in (name, name.replace("-", "_")) else 1, directory.count("/"))


def _best(directories: list[str], name: str) -> str:
    return min(directories, key=lambda d: (_rank(d, name), d))
