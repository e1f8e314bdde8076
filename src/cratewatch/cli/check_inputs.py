"""What ``cratewatch check`` reads before checking: the config, the crate graph, the targets,
the advisory databases and the yanked lookup (the CLI side: environment, cargo, rustc)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cratewatch.audit.engine import CRATES_IO, registry_key
from cratewatch.cli.dbopts import default_cache_dir, default_db
from cratewatch.errors import CratewatchError, SourceError
from cratewatch.policy.advisories import YankFailed, YankLookup, YankStatus
from cratewatch.policy.config import PolicyConfig, find_config, load_config, parse_config
from cratewatch.policy.crate_sources import SourceLocator
from cratewatch.policy.graph import CrateGraph, GraphTarget, Krate
from cratewatch.policy.graph_lock import FeatureRequest, graph_from_lockfile
from cratewatch.policy.graph_metadata import (
    MetadataOptions,
    graph_from_metadata,
    load_metadata,
    run_cargo_metadata,
)
from cratewatch.resolver.platform import InvalidPlatform, Target

if TYPE_CHECKING:
    from cratewatch.advisories.database import AdvisoryDatabase

__all__ = [
    "GraphInputs",
    "build_graph",
    "cargo_home",
    "graph_targets",
    "load_databases",
    "read_config",
    "yank_lookup",
]

_RUSTC_TIMEOUT = 60.0


@dataclass(frozen=True, slots=True, kw_only=True)
class GraphInputs:
    """How to build the crate graph."""

    manifest_path: Path
    """The workspace's Cargo.toml."""
    metadata_path: Path | None
    """A pre-generated ``cargo metadata`` JSON file."""
    use_cargo: bool
    """Run ``cargo metadata`` (else Cargo.lock + manifests)."""
    options: MetadataOptions
    """Flags for cargo metadata (and the feature selection without cargo)."""
    vendor_dirs: tuple[Path, ...]
    """Vendor directories to find sources in without cargo."""
    download: bool
    """Download missing ``.crate`` files (without cargo)."""


def read_config(path: Path | None, project: Path) -> tuple[PolicyConfig, str | None]:
    """The config at *path*, else the one found in *project*, else the defaults (with a
    message saying so)."""
    if path is not None:
        return load_config(path), None
    found = find_config(project)
    if found is None:
        return parse_config(
            "", path="deny.toml"
        ), f"{project}: no deny.toml found; using the defaults"
    return load_config(found), None


def cargo_home() -> Path:
    """``$CARGO_HOME``, else ``~/.cargo``."""
    configured = os.environ.get("CARGO_HOME")
    return Path(configured) if configured else Path.home() / ".cargo"


def cargo_program() -> str | None:
    """``$CARGO``, else cargo on PATH."""
    return os.environ.get("CARGO") or shutil.which("cargo")


def build_graph(inputs: GraphInputs, config: PolicyConfig) -> tuple[CrateGraph, list[str]]:
    """The crate graph, and warnings to show."""
    warnings: list[str] = []
    options = _merged_options(inputs.options, config)
    if inputs.metadata_path is not None:
        return graph_from_metadata(
            load_metadata(inputs.metadata_path), name=str(inputs.metadata_path)
        ), warnings
    cargo = cargo_program() if inputs.use_cargo else None
    if inputs.use_cargo and cargo is None:
        warnings.append(
            "cargo not found (set $CARGO or PATH); reading Cargo.lock and manifests instead"
        )
    if cargo is not None:
        doc = run_cargo_metadata(cargo, inputs.manifest_path, options, env=dict(os.environ))
        return graph_from_metadata(doc), warnings
    root = inputs.manifest_path.parent
    vendors = [*inputs.vendor_dirs, *([root / "vendor"] if (root / "vendor").is_dir() else [])]
    cache = default_cache_dir()
    request = FeatureRequest(
        features=options.features,
        all_features=options.all_features,
        no_default_features=options.no_default_features,
    )
    if inputs.download and not options.offline:
        from cratewatch.registry.crates import CrateFetcher  # noqa: PLC0415 - httpx is slow to import

        with CrateFetcher(cache) as fetcher:
            locator = SourceLocator(
                vendor_dirs=vendors,
                cargo_home=cargo_home(),
                fetcher=fetcher,
                extract_dir=cache / "crate-src",
            )
            return graph_from_lockfile(root, locator, request=request), warnings
    locator = SourceLocator(vendor_dirs=vendors, cargo_home=cargo_home())
    return graph_from_lockfile(root, locator, request=request), warnings


def _merged_options(options: MetadataOptions, config: PolicyConfig) -> MetadataOptions:
    graph = config.graph
    return MetadataOptions(
        features=tuple(dict.fromkeys((*options.features, *graph.features))),
        all_features=options.all_features or graph.all_features,
        no_default_features=options.no_default_features or graph.no_default_features,
        offline=options.offline,
        locked=options.locked,
        frozen=options.frozen,
    )


def graph_targets(
    triples: Sequence[tuple[str, tuple[str, ...]]],
) -> tuple[list[GraphTarget], list[str]]:
    """Targets with their cfg values from ``rustc --print cfg`` (unknown without rustc)."""
    warnings: list[str] = []
    rustc = shutil.which("rustc")
    targets = []
    for triple, features in triples:
        cfgs = None
        if rustc is None:
            warnings.append(
                f"target {triple}: rustc not found; only [target.{triple}] dependencies match it"
            )
        else:
            cfgs = _rustc_cfgs(rustc, triple, warnings)
        targets.append(GraphTarget(triple=triple, cfgs=cfgs, features=features))
    return targets, warnings


def _rustc_cfgs(
    rustc: str, triple: str, warnings: list[str]
) -> frozenset[tuple[str, str | None]] | None:
    try:
        done = subprocess.run(
            [rustc, "--print", "cfg", "--target", triple],
            capture_output=True,
            text=True,
            timeout=_RUSTC_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        warnings.append(
            f"target {triple}: rustc failed ({e}); only [target.{triple}] dependencies match it"
        )
        return None
    if done.returncode != 0:
        warnings.append(
            f"target {triple}: not a target rustc knows; "
            f"only [target.{triple}] dependencies match it"
        )
        return None
    try:
        return Target.from_rustc_cfg(triple, done.stdout).cfgs
    except InvalidPlatform as e:
        raise CratewatchError(f"target {triple}: {e}") from e


def load_databases(
    sources: Sequence[str], config: PolicyConfig, *, cache_dir: Path | None, fetch: bool
) -> list[AdvisoryDatabase]:
    """The databases named on the command line, else the config's ``db-urls``, else the
    default database."""
    from cratewatch.advisories.database import load_database  # noqa: PLC0415 - only for advisories

    chosen = list(sources) or [url.value for url in config.advisories.db_urls] or [default_db()]
    cache = cache_dir or default_cache_dir()
    return [load_database(source, cache_dir=cache, fetch=fetch) for source in dict.fromkeys(chosen)]


def yank_lookup(graph: CrateGraph, *, index: str | None, offline: bool) -> YankLookup:
    """A lookup answering from one query of the index for every crates.io crate."""
    from cratewatch.audit.model import AuditedPackage, YankedChecked  # noqa: PLC0415
    from cratewatch.audit.yanked import check_yanked  # noqa: PLC0415 - httpx is slow to import
    from cratewatch.registry.index import CRATES_IO_SPARSE  # noqa: PLC0415

    packages = [
        AuditedPackage(
            name=k.name,
            version=k.version,
            source=k.source.to_url(),
            registry_key=registry_key(k.source.to_url()),
        )
        for k in graph.krates
        if k.source is not None and k.source.is_registry
    ]
    checked = check_yanked(
        index or CRATES_IO_SPARSE, packages, cache_dir=default_cache_dir(), offline=offline
    )

    def lookup(krate: Krate) -> YankStatus:
        source = krate.source
        if source is None or registry_key(source.to_url()) != CRATES_IO:
            return YankFailed(reason="only the crates.io index is queried for yanked versions")
        if isinstance(checked, YankedChecked):
            return (krate.name, str(krate.version)) in checked.yanked
        return YankFailed(reason=getattr(checked, "reason", "the index was not queried"))

    return lookup


def project_dir(manifest_path: Path) -> Path:
    """The directory of the manifest (the project root)."""
    if not manifest_path.is_file():
        raise SourceError(f"{manifest_path}: no such Cargo.toml (pass --manifest-path)")
    return manifest_path.parent
