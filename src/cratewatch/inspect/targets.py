"""Turning what the user names (a file, a directory, ``NAME@VERSION``, a Cargo.lock) into reports.

A crate whose archive is hostile or whose checksum does not match is not an error of the
run: it becomes a report with one ``critical`` signal, so ``--fail-on`` catches it. Crates that
cannot be fetched at all (offline, git sources) are :class:`~cratewatch.inspect.model.NotInspected`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

from cratewatch.archive import ArchiveTooLarge, UnsafeArchive
from cratewatch.errors import CratewatchError, RegistryError
from cratewatch.inspect.model import (
    Inspected,
    InspectReport,
    NotInspected,
    Outcome,
    Severity,
    Signal,
)
from cratewatch.inspect.scan import inspect_source
from cratewatch.inspect.source import (
    CrateSource,
    InvalidCrateInput,
    from_crate_file,
    from_directory,
    from_registry,
    split_crate_dirname,
)
from cratewatch.lockfile import Lockfile, Package
from cratewatch.registry.crates import (
    ChecksumMismatch,
    CrateDownloadError,
    CrateFetcher,
    sha256_file,
)
from cratewatch.registry.index import Index
from cratewatch.registry.paths import validate_crate_name

__all__ = ["inspect_entry_source", "inspect_lockfile", "inspect_spec", "parse_spec"]

_SPEC = re.compile(r"^(?P<name>[A-Za-z][A-Za-z0-9_-]*)@(?P<version>[0-9][0-9A-Za-z.+-]*)$")


def parse_spec(text: str) -> tuple[str, str] | None:
    """``(name, version)`` for ``NAME@VERSION``, else ``None``.

    >>> parse_spec("serde@1.0.200"), parse_spec("./serde")
    (('serde', '1.0.200'), None)
    """
    match = _SPEC.match(text)
    return (match["name"], match["version"]) if match else None


def inspect_spec(
    spec: str, *, fetcher: Callable[[], CrateFetcher], index: Callable[[], Index]
) -> Outcome:
    """Inspect a ``.crate`` path, a crate directory or ``NAME@VERSION`` (from the registry).

    *index* and *fetcher* are only called for ``NAME@VERSION``. Raises
    :class:`InvalidCrateInput` when *spec* is none of these.
    """
    path = Path(spec)
    if path.is_dir():
        return Inspected(report=inspect_source(from_directory(path)))
    if path.is_file():
        identity = split_crate_dirname(path.name.removesuffix(".crate"))
        return _guarded(spec, identity, partial(from_crate_file, path))
    parsed = parse_spec(spec)
    if parsed is None:
        raise InvalidCrateInput(
            f"{spec}: no such file or directory, and not NAME@VERSION (e.g. serde@1.0.200)"
        )
    name, version = parsed
    validate_crate_name(name)
    opened = index()
    entry = next((e for e in opened.versions(name) if e.vers == version), None)
    if entry is None:
        raise RegistryError(f"{name}@{version}: no such version in {opened.source}")
    crate_fetcher = fetcher()
    return _guarded(
        f"{name}@{version}",
        (entry.name, entry.vers),
        partial(from_registry, crate_fetcher, entry.name, entry.vers, checksum=entry.cksum),
    )


def inspect_entry_source(
    fetcher: CrateFetcher, name: str, version: str, checksum: str | None
) -> Outcome:
    """Download (or reuse) and inspect one published version; used by ``watch``.

    A version that cannot be downloaded is :class:`NotInspected` (with the reason).
    """
    try:
        return _guarded(
            f"{name}@{version}",
            (name, version),
            partial(from_registry, fetcher, name, version, checksum=checksum),
        )
    except (CrateDownloadError, InvalidCrateInput) as e:
        return NotInspected(name=name, version=version, reason=str(e))


def inspect_lockfile(
    lock: Lockfile,
    *,
    cargo_home: Path | None,
    fetcher: Callable[[], CrateFetcher],
) -> Iterator[Outcome]:
    """Inspect every registry package of *lock*, preferring the local cargo cache.

    Order of preference: ``$CARGO_HOME/registry/cache/*/NAME-VERSION.crate`` (checked against
    the lockfile checksum), ``$CARGO_HOME/registry/src/*/NAME-VERSION/`` (unverifiable),
    then a download from crates.io. Git and path packages are reported as not inspected.
    """
    for package in lock.packages:
        if package.source is None:
            continue  # workspace members and path dependencies: the user's own code
        name, version = package.name, str(package.version)
        if not package.source.is_registry:
            yield NotInspected(
                name=name,
                version=version,
                reason=f"{package.source.kind.value} source; inspect its checkout directory",
            )
            continue
        local = _from_cargo_home(package, cargo_home) if cargo_home is not None else None
        if local is not None:
            yield local
            continue
        if not package.source.is_crates_io:
            yield NotInspected(
                name=name,
                version=version,
                reason=f"not in the cargo cache and {package.source.url} is not crates.io",
            )
            continue
        try:
            crate_fetcher = fetcher()
            yield _guarded(
                f"{name}@{version}",
                (name, version),
                partial(from_registry, crate_fetcher, name, version, checksum=package.checksum),
            )
        except (CrateDownloadError, RegistryError) as e:
            yield NotInspected(name=name, version=version, reason=str(e))


def _from_cargo_home(package: Package, cargo_home: Path) -> Outcome | None:
    stem = f"{package.name}-{package.version}"
    registry = cargo_home / "registry"
    for crate in sorted((registry / "cache").glob(f"*/{stem}.crate")):
        actual = sha256_file(crate)
        if package.checksum is not None and actual != package.checksum:
            return _rejected(
                package.name,
                str(package.version),
                str(crate),
                ChecksumMismatch(
                    f"{crate}: sha256 {actual}, but Cargo.lock records {package.checksum}"
                ),
            )
        checked = "verified against Cargo.lock" if package.checksum else "no checksum in Cargo.lock"
        return _guarded(
            str(crate),
            (package.name, str(package.version)),
            partial(
                from_crate_file,
                crate,
                name=package.name,
                version=str(package.version),
                checksum=f"sha256 {actual} ({checked})",
            ),
        )
    for directory in sorted((registry / "src").glob(f"*/{stem}")):
        if directory.is_dir():
            source = from_directory(
                directory,
                name=package.name,
                version=str(package.version),
                checksum="unverified (cargo's unpacked source cache)",
            )
            return Inspected(report=inspect_source(source))
    return None


def _guarded(
    shown: str, identity: tuple[str, str] | None, load: Callable[[], CrateSource]
) -> Outcome:
    """Load and inspect; hostile archives and checksum mismatches become critical reports."""
    try:
        source = load()
    except ArchiveTooLarge as e:
        if identity is None:
            raise
        return NotInspected(name=identity[0], version=identity[1], reason=str(e))
    except (UnsafeArchive, ChecksumMismatch) as e:
        if identity is None:
            raise InvalidCrateInput(str(e)) from e
        return _rejected(identity[0], identity[1], shown, e)
    return Inspected(report=inspect_source(source))


def _rejected(name: str, version: str, origin: str, error: CratewatchError) -> Outcome:
    checksum = isinstance(error, ChecksumMismatch)
    signal = Signal(
        id="archive.checksum-mismatch" if checksum else "archive.unsafe",
        severity=Severity.CRITICAL,
        file=f"{name}-{version}.crate",
        line=0,
        end_line=0,
        excerpt=str(error),
        why="The downloaded file is not the one the registry or Cargo.lock vouches for."
        if checksum
        else "The archive tries to escape its directory or hide special files: Cargo never "
        "produces such archives, an attacker does.",
        role=None,
    )
    return Inspected(
        report=InspectReport(
            name=name,
            version=version,
            origin=origin,
            checksum="mismatch" if checksum else "not checked",
            build_script=None,
            proc_macro=False,
            files=0,
            rust_files=0,
            signals=(signal,),
        )
    )
