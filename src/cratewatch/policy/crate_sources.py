"""Finding the unpacked sources (and so the Cargo.toml) of a locked package without cargo.

A :class:`SourceLocator` tries, in order: a vendor directory (``cargo vendor`` layout), cargo's
registry cache (``$CARGO_HOME/registry/src/*/NAME-VERSION``), cargo's git checkouts
(``$CARGO_HOME/git/checkouts/*/SHORTREV``), and, when a :class:`~cratewatch.registry.crates.
CrateFetcher` is given, the ``.crate`` file downloaded from static.crates.io, verified against
the Cargo.lock checksum and extracted safely (:func:`cratewatch.archive.extract_crate`) into a
cache directory. The caller decides where ``CARGO_HOME`` is; nothing here reads the environment.

>>> locator = SourceLocator(vendor_dirs=(), cargo_home=None)
>>> from cratewatch.lockfile import parse_lockfile
>>> pkg = parse_lockfile('version = 4\\n[[package]]\\nname = "a"\\nversion = "1.0.0"\\n'
...     'source = "registry+https://github.com/rust-lang/crates.io-index"\\n').packages[0]
>>> locator.locate(pkg)
SourceNotFound(reason='not vendored, not in the cargo registry cache, and downloading is off')
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cratewatch.archive import UnsafeArchive, extract_crate
from cratewatch.errors import RegistryError
from cratewatch.lockfile import Package
from cratewatch.manifest import InvalidManifest, load_manifest
from cratewatch.semver import Version

if TYPE_CHECKING:
    from cratewatch.registry.crates import CrateFetcher

__all__ = ["SourceFound", "SourceLocator", "SourceNotFound", "SourceResult"]

_MAX_CHECKOUT_MANIFESTS = 2000
_MARKER = ".cratewatch-sha256"


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceFound:
    """The package's sources are unpacked on disk."""

    manifest: Path
    """Its Cargo.toml."""
    origin: str
    """Where they were found (vendor, registry cache, git checkout, download)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class SourceNotFound:
    """No copy of the package's sources was found."""

    reason: str
    """Why."""


SourceResult = SourceFound | SourceNotFound
"""The outcome of looking for a package's sources."""


class SourceLocator:
    """Looks for package sources in the places listed in the module docstring."""

    def __init__(
        self,
        *,
        vendor_dirs: Sequence[Path],
        cargo_home: Path | None,
        fetcher: CrateFetcher | None = None,
        extract_dir: Path | None = None,
    ) -> None:
        self.vendor_dirs = tuple(vendor_dirs)
        """``cargo vendor`` directories, searched first."""
        self.cargo_home = cargo_home
        """cargo's home (registry cache and git checkouts), when known."""
        self.fetcher = fetcher
        """Downloads ``.crate`` files of crates.io packages (``None``: never download)."""
        self.extract_dir = extract_dir
        """Where downloaded crates are unpacked (required with a fetcher)."""
        if fetcher is not None and extract_dir is None:
            raise ValueError("a fetcher needs an extract_dir")

    def locate(self, package: Package) -> SourceResult:
        """Where the sources of a registry or git *package* are."""
        for found in self._vendored(package):
            return SourceFound(manifest=found, origin="vendor directory")
        source = package.source
        if source is not None and source.is_git:
            found_git = self._git_checkout(package)
            if found_git is None:
                return SourceNotFound(reason="not vendored and no cargo git checkout of its commit")
            return SourceFound(manifest=found_git, origin="git checkout")
        cached = self._registry_cache(package)
        if cached is not None:
            return SourceFound(manifest=cached, origin="cargo registry cache")
        if self.fetcher is None or self.extract_dir is None:
            reason = "not vendored, not in the cargo registry cache, and downloading is off"
        elif source is None or not source.is_crates_io:
            reason = "not vendored or cached; only crates.io crates are downloaded"
        else:
            return self._download(package, self.fetcher, self.extract_dir)
        return SourceNotFound(reason=reason)

    # --- places ---------------------------------------------------------------------------

    def _vendored(self, package: Package) -> Iterator[Path]:
        for directory in self.vendor_dirs:
            for name in (f"{package.name}-{package.version}", package.name):
                manifest = directory / name / "Cargo.toml"
                if manifest.is_file() and _is_package(manifest, package):
                    yield manifest

    def _registry_cache(self, package: Package) -> Path | None:
        if self.cargo_home is None:
            return None
        src = self.cargo_home / "registry" / "src"
        if not src.is_dir():
            return None
        registries = sorted(src.iterdir(), key=lambda p: (not _looks_like_crates_io(p), p.name))
        source = package.source
        for registry in registries:
            if source is not None and source.is_crates_io != _looks_like_crates_io(registry):
                continue
            manifest = registry / f"{package.name}-{package.version}" / "Cargo.toml"
            if manifest.is_file():
                return manifest
        return None

    def _git_checkout(self, package: Package) -> Path | None:
        source = package.source
        if self.cargo_home is None or source is None or not source.precise:
            return None
        checkouts = self.cargo_home / "git" / "checkouts"
        if not checkouts.is_dir():
            return None
        short = source.precise[:7]
        budget = [_MAX_CHECKOUT_MANIFESTS]
        for repo in sorted(checkouts.iterdir()):
            checkout = repo / short
            if not checkout.is_dir():
                continue
            for manifest in _manifests_under(checkout, budget):
                if _is_package(manifest, package):
                    return manifest
        return None

    def _download(self, package: Package, fetcher: CrateFetcher, extract_dir: Path) -> SourceResult:
        name, version = package.name, str(package.version)
        target = extract_dir / f"{name}-{version}"
        marker = target / _MARKER
        try:
            crate = fetcher.fetch(name, version, checksum=package.checksum)
        except RegistryError as e:
            return SourceNotFound(reason=f"download failed: {e}")
        sha = crate.checksum.sha256
        if marker.is_file() and marker.read_text().strip() == sha:
            return SourceFound(manifest=target / "Cargo.toml", origin="downloaded .crate")
        extract_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".extract-", dir=extract_dir))
        try:
            extracted = extract_crate(crate.path, staging, name=name, version=version)
            (extracted.root / _MARKER).write_text(sha + "\n")
            if target.exists():
                shutil.rmtree(target)
            os.replace(extracted.root, target)
        except (UnsafeArchive, OSError) as e:
            return SourceNotFound(reason=f"{crate.path}: cannot extract: {e}")
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return SourceFound(manifest=target / "Cargo.toml", origin="downloaded .crate")


def _looks_like_crates_io(path: Path) -> bool:
    return path.name.startswith(("index.crates.io-", "github.com-"))


def _is_package(manifest: Path, package: Package) -> bool:
    try:
        parsed = load_manifest(manifest)
    except (InvalidManifest, OSError):
        return False
    meta = parsed.package
    if meta is None or meta.name != package.name:
        return False
    version = meta.version
    # a version inherited from a git checkout's workspace cannot be told without the root
    return not isinstance(version, Version) or version == package.version


def _manifests_under(root: Path, budget: list[int]) -> Iterator[Path]:
    """Cargo.toml files below *root*, breadth first, never through symlinks or ``target``."""
    queue = [root]
    while queue and budget[0] > 0:
        directory = queue.pop(0)
        try:
            entries = sorted(directory.iterdir())
        except OSError:
            continue
        for entry in entries:
            if entry.is_symlink():
                continue
            if entry.is_dir() and entry.name not in (".git", "target"):
                queue.append(entry)
            elif entry.name == "Cargo.toml":
                budget[0] -= 1
                yield entry
