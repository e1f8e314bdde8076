"""The crate graph of a project for the ``sbom`` and ``vet`` commands.

``cargo metadata`` (offline, locked) when cargo is on PATH; otherwise, or when cargo fails, or
with ``no_cargo``, Cargo.lock plus the packages' manifests found by a
:class:`~cratewatch.policy.crate_sources.SourceLocator`. Targets are turned into their cfg
values with ``rustc --print cfg``.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from cratewatch.cli.dbopts import echo_warnings, rustc_target
from cratewatch.errors import CratewatchError
from cratewatch.lockfile import Lockfile
from cratewatch.policy.crate_sources import SourceLocator
from cratewatch.policy.graph import CrateGraph, GraphTarget
from cratewatch.policy.graph_lock import FeatureRequest, graph_from_lockfile
from cratewatch.policy.graph_metadata import (
    CargoMetadataFailed,
    MetadataOptions,
    graph_from_metadata,
    run_cargo_metadata,
)
from cratewatch.sbom.model import GraphMethod

__all__ = [
    "GraphOptions",
    "ProjectInputError",
    "default_cargo_home",
    "graph_target",
    "load_crate_graph",
]


class ProjectInputError(CratewatchError):
    """The project or its graph options are unusable."""


@dataclass(frozen=True, slots=True, kw_only=True)
class GraphOptions:
    """How to build a project's crate graph."""

    features: tuple[str, ...] = ()
    """Features to enable on the members."""
    all_features: bool = False
    """Enable every feature."""
    no_default_features: bool = False
    """Do not enable default features."""
    no_cargo: bool = False
    """Never run cargo."""
    cargo_home: Path | None = None
    """cargo's home (registry cache, git checkouts)."""
    vendor_dirs: tuple[Path, ...] = ()
    """``cargo vendor`` directories."""

    def locator(self) -> SourceLocator:
        """Where dependency sources are looked for."""
        return SourceLocator(vendor_dirs=self.vendor_dirs, cargo_home=self.cargo_home)


def load_crate_graph(
    project: Path, lock: Lockfile, options: GraphOptions
) -> tuple[CrateGraph, GraphMethod]:
    """The crate graph of the workspace in *project* (see the module docstring)."""
    cargo = None if options.no_cargo else shutil.which("cargo")
    if cargo is not None:
        try:
            doc = run_cargo_metadata(
                cargo,
                project / "Cargo.toml",
                MetadataOptions(
                    features=options.features,
                    all_features=options.all_features,
                    no_default_features=options.no_default_features,
                    offline=True,
                    locked=True,
                ),
                env=os.environ,
            )
            return graph_from_metadata(doc, lockfile=lock), GraphMethod.CARGO_METADATA
        except CargoMetadataFailed as e:
            echo_warnings((f"{e}; building the graph from Cargo.lock and manifests instead",))
    request = FeatureRequest(
        features=options.features,
        all_features=options.all_features,
        no_default_features=options.no_default_features,
    )
    graph = graph_from_lockfile(project, options.locator(), request=request, lockfile=lock)
    return graph, GraphMethod.MANIFESTS


def graph_target(triple: str) -> GraphTarget:
    """*triple* with its cfg values from ``rustc --print cfg`` (without rustc: only
    ``[target.TRIPLE]`` dependencies will match it, with a warning)."""
    rustc = shutil.which("rustc")
    if rustc is None:
        echo_warnings((f"--target {triple}: rustc not found; only [target.{triple}] deps match",))
        return GraphTarget(triple=triple)
    target = rustc_target(rustc, triple, ProjectInputError)
    return GraphTarget(triple=triple, cfgs=target.cfgs)


def default_cargo_home() -> Path | None:
    """``$CARGO_HOME``, else ``~/.cargo`` when it exists."""
    configured = os.environ.get("CARGO_HOME")
    if configured:
        return Path(configured)
    home = Path.home() / ".cargo"
    return home if home.is_dir() else None
