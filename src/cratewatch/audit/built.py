"""Which lockfile packages are actually built for a feature and target selection.

A Cargo.lock lists every package any feature combination on any target could need, so
auditing it reports vulnerabilities in optional or platform-specific dependencies that a
given build never compiles. With a selection (``--features``, ``--all-features``,
``--no-default-features``, ``--target``) cratewatch asks ``cargo metadata`` for the resolve
graph of that selection and follows normal and build edges from the workspace members:
packages not reached are *not built*, reported with that status and never failing the run.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cratewatch.errors import CratewatchError

__all__ = ["BuildSelection", "MetadataError", "built_packages", "run_cargo_metadata"]

_TIMEOUT_SECONDS = 300.0
_MAX_METADATA_BYTES = 256 << 20


class MetadataError(CratewatchError):
    """``cargo metadata`` failed or printed something unusable."""


@dataclass(frozen=True, slots=True, kw_only=True)
class BuildSelection:
    """The features and target of the build whose packages matter."""

    features: tuple[str, ...] = ()
    """``--features`` (``member/feature`` allowed, as in cargo)."""
    all_features: bool = False
    """``--all-features``."""
    no_default_features: bool = False
    """``--no-default-features``."""
    target: str | None = None
    """A target triple (``--filter-platform``); None: every target, as the lockfile does."""

    @property
    def is_default(self) -> bool:
        """True when nothing was selected (then every lockfile package counts as built)."""
        return not (self.features or self.all_features or self.no_default_features or self.target)

    def cargo_args(self) -> list[str]:
        """The matching ``cargo metadata`` arguments."""
        args = []
        if self.features:
            args += ["--features", ",".join(self.features)]
        if self.all_features:
            args.append("--all-features")
        if self.no_default_features:
            args.append("--no-default-features")
        if self.target:
            args += ["--filter-platform", self.target]
        return args


def run_cargo_metadata(
    cargo: str,
    manifest: Path,
    selection: BuildSelection,
    *,
    env: Mapping[str, str] | None = None,
    offline: bool = True,
) -> dict[str, Any]:
    """Run ``cargo metadata --locked`` for *manifest* and return the parsed JSON.

    ``--locked`` keeps cargo from rewriting the lockfile being audited; *offline* adds
    ``--offline`` so an audit never downloads anything on its own. cargo runs in the
    manifest's directory: cargo finds its configuration (``.cargo/config.toml`` source
    replacement for vendored crates, ``[patch]``, registries) from the working directory, so
    the project's own configuration applies wherever cratewatch was started.
    """
    command = [cargo, "metadata", "--format-version", "1", "--locked"]
    absolute = manifest.absolute()
    command += ["--manifest-path", str(absolute), *selection.cargo_args()]
    if offline:
        command.append("--offline")
    try:
        result = subprocess.run(
            command,
            capture_output=True,
            cwd=absolute.parent,
            timeout=_TIMEOUT_SECONDS,
            check=False,
            env=dict(env) if env is not None else None,
        )
    except subprocess.TimeoutExpired as e:
        raise MetadataError(f"{manifest}: cargo metadata timed out") from e
    except OSError as e:
        raise MetadataError(f"{manifest}: cannot run cargo: {e.strerror}") from e
    if result.returncode != 0:
        lines = result.stderr.decode("utf-8", "replace").strip().splitlines()
        detail = next((line for line in lines if line.startswith("error")), lines[-1:] or [""])
        detail = detail if isinstance(detail, str) else (detail[0] if detail else "")
        raise MetadataError(
            f"{manifest}: cargo metadata failed: {detail.strip()} (the feature/target selection "
            "needs every dependency's manifest: run `cargo fetch` first)"
        )
    if len(result.stdout) > _MAX_METADATA_BYTES:
        raise MetadataError(f"{manifest}: cargo metadata output is too large")
    try:
        loaded: dict[str, Any] = json.loads(result.stdout)
    except json.JSONDecodeError as e:
        raise MetadataError(f"{manifest}: cargo metadata printed invalid JSON: {e}") from e
    return loaded


def built_packages(metadata: Mapping[str, Any]) -> frozenset[tuple[str, str]]:
    """(name, version) of every package reachable from a workspace member by normal or
    build edges in the metadata's resolve graph.

    >>> meta = {
    ...     "packages": [{"id": "a", "name": "app", "version": "0.1.0"},
    ...                  {"id": "b", "name": "log", "version": "0.4.0"},
    ...                  {"id": "c", "name": "test-util", "version": "1.0.0"}],
    ...     "workspace_members": ["a"],
    ...     "resolve": {"nodes": [
    ...         {"id": "a", "deps": [
    ...             {"pkg": "b", "dep_kinds": [{"kind": None, "target": None}]},
    ...             {"pkg": "c", "dep_kinds": [{"kind": "dev", "target": None}]}]},
    ...         {"id": "b", "deps": []}, {"id": "c", "deps": []}]},
    ... }
    >>> sorted(built_packages(meta))
    [('app', '0.1.0'), ('log', '0.4.0')]
    """
    try:
        names = {p["id"]: (p["name"], p["version"]) for p in metadata["packages"]}
        nodes = {node["id"]: node for node in metadata["resolve"]["nodes"]}
        members = list(metadata["workspace_members"])
    except (KeyError, TypeError) as e:
        raise MetadataError(f"cargo metadata output lacks {e}") from e
    reached: set[str] = set()
    stack = [m for m in members if m in nodes]
    while stack:
        current = stack.pop()
        if current in reached:
            continue
        reached.add(current)
        for dep in nodes[current].get("deps", []):
            kinds = {k.get("kind") for k in dep.get("dep_kinds", [{"kind": None}])}
            if kinds - {"dev"} and dep["pkg"] not in reached:
                stack.append(dep["pkg"])
    return frozenset(names[i] for i in reached if i in names)
