"""Where inspected sources come from: a ``.crate`` file, a directory, or the registry.

Every loader returns a :class:`CrateSource`: the crate's files in memory (bounded by
:class:`~cratewatch.archive.ArchiveLimits`), never executed, with links reported but never
followed.

>>> split_crate_dirname("foo-bar-2d-1.0.0-rc.1")
('foo-bar-2d', '1.0.0-rc.1')
"""

from __future__ import annotations

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from cratewatch.archive import (
    DEFAULT_LIMITS,
    ArchiveLimits,
    ArchiveLink,
    ArchiveTooLarge,
    LinkKind,
    read_crate,
)
from cratewatch.errors import CratewatchError, ParseError
from cratewatch.registry.crates import CrateFetcher, Unverified, Verified
from cratewatch.semver import InvalidVersion, Version

__all__ = [
    "CrateSource",
    "InvalidCrateInput",
    "from_crate_file",
    "from_directory",
    "from_registry",
    "split_crate_dirname",
]

_SKIPPED_DIRS = frozenset({".git", "target", ".hg", ".svn"})


class InvalidCrateInput(ParseError):
    """What was given to inspect is not a crate (bad file name, no such path...)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class CrateSource:
    """A crate's files, read into memory."""

    name: str
    """The crate name."""
    version: str
    """The crate version."""
    origin: str
    """Where the files came from, for reports."""
    checksum: str
    """How the files were verified (``sha256 ... (verified against ...)``, ``unverified``)."""
    files: Mapping[str, bytes] = field(hash=False)
    """Relative ``/``-separated path -> content."""
    links: tuple[ArchiveLink, ...] = ()
    """Links found and not followed."""
    oversized: tuple[str, ...] = ()
    """Files skipped because they exceed the per-file limit (directories only)."""


def split_crate_dirname(text: str) -> tuple[str, str] | None:
    """Split ``name-version`` (a ``.crate`` stem or a cargo source dir name)."""
    for i, char in enumerate(text):
        if char == "-" and i + 1 < len(text) and text[i + 1].isdigit():
            try:
                Version.parse(text[i + 1 :])
            except InvalidVersion:
                continue
            return text[:i], text[i + 1 :]
    return None


def from_crate_file(
    path: Path,
    *,
    name: str | None = None,
    version: str | None = None,
    checksum: str = "unverified (local file)",
    limits: ArchiveLimits = DEFAULT_LIMITS,
) -> CrateSource:
    """Read a ``.crate``; name and version come from ``NAME-VERSION.crate`` unless given.

    Raises :class:`~cratewatch.archive.UnsafeArchive` for hostile archives and
    :class:`InvalidCrateInput` when the name cannot be known.
    """
    if name is None or version is None:
        split = split_crate_dirname(path.name.removesuffix(".crate"))
        if split is None:
            raise InvalidCrateInput(
                f"{path}: cannot tell the crate name and version; expected a file named "
                "NAME-VERSION.crate"
            )
        name, version = split
    read = read_crate(path, name=name, version=version, limits=limits)
    return CrateSource(
        name=name,
        version=version,
        origin=str(path),
        checksum=checksum,
        files=read.files,
        links=read.links,
    )


def from_registry(
    fetcher: CrateFetcher, name: str, version: str, *, checksum: str | None
) -> CrateSource:
    """Download (or take from the cache) and read ``name`` ``version``."""
    crate = fetcher.fetch(name, version, checksum=checksum)
    match crate.checksum:
        case Verified(sha256=sha):
            described = f"sha256 {sha} (verified)"
        case Unverified(sha256=sha, reason=reason):
            described = f"sha256 {sha} (unverified: {reason})"
    source = from_crate_file(crate.path, name=name, version=version, checksum=described)
    return replace(source, origin=crate.url or str(crate.path))


def from_directory(
    root: Path,
    *,
    name: str | None = None,
    version: str | None = None,
    checksum: str = "unverified (directory)",
    limits: ArchiveLimits = DEFAULT_LIMITS,
) -> CrateSource:
    """Read a crate's source directory without following any link out of it.

    The name and version come from ``Cargo.toml`` when not given (else from a
    ``NAME-VERSION`` directory name). ``.git`` and ``target`` are skipped.
    """
    if not root.is_dir():
        raise InvalidCrateInput(f"{root}: not a directory")
    files: dict[str, bytes] = {}
    links: list[ArchiveLink] = []
    oversized: list[str] = []
    total = 0
    count = 0
    real_root = root.resolve()
    for current, dirnames, filenames in os.walk(root, followlinks=False):
        base = Path(current)
        relative_dir = base.relative_to(root).as_posix()
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIPPED_DIRS)
        entries = [*((d, True) for d in dirnames), *((f, False) for f in sorted(filenames))]
        for entry, is_dir in entries:
            full = base / entry
            relative = entry if relative_dir == "." else f"{relative_dir}/{entry}"
            count += 1
            if count > limits.max_files:
                raise ArchiveTooLarge(f"{root}: more than {limits.max_files} files")
            info = full.lstat()
            if stat.S_ISLNK(info.st_mode):
                links.append(_directory_link(full, relative, real_root))
                if is_dir:
                    dirnames.remove(entry)
                continue
            if is_dir or not stat.S_ISREG(info.st_mode):
                continue
            if info.st_size > limits.max_file_bytes:
                oversized.append(relative)
                continue
            total += info.st_size
            if total > limits.max_total_bytes:
                raise ArchiveTooLarge(f"{root}: more than {limits.max_total_bytes} bytes of files")
            files[relative] = _read_regular(full)
    if name is None or version is None:
        name, version = _identify(root, files)
    return CrateSource(
        name=name,
        version=version,
        origin=str(root),
        checksum=checksum,
        files=files,
        links=tuple(links),
        oversized=tuple(oversized),
    )


def _read_regular(path: Path) -> bytes:
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except OSError as e:
        raise InvalidCrateInput(f"{path}: cannot read: {e.strerror or e}") from e
    with os.fdopen(fd, "rb") as f:
        return f.read()


def _directory_link(full: Path, relative: str, real_root: Path) -> ArchiveLink:
    target = os.readlink(full)
    resolved = (full.parent / target).resolve()
    inside = resolved == real_root or real_root in resolved.parents
    return ArchiveLink(path=relative, target=target, kind=LinkKind.SYMLINK, inside_root=inside)


def _identify(root: Path, files: Mapping[str, bytes]) -> tuple[str, str]:
    manifest = files.get("Cargo.toml")
    if manifest is not None:
        from cratewatch.manifest import InvalidManifest, parse_manifest  # noqa: PLC0415

        try:
            parsed = parse_manifest(manifest.decode("utf-8", errors="replace"))
        except (InvalidManifest, CratewatchError):
            parsed = None
        if parsed is not None and parsed.package is not None:
            version = parsed.package.version
            if isinstance(version, Version):
                return parsed.package.name, str(version)
    split = split_crate_dirname(root.resolve().name)
    if split is None:
        raise InvalidCrateInput(
            f"{root}: cannot tell the crate name and version (no readable Cargo.toml "
            "[package] and the directory is not named NAME-VERSION)"
        )
    return split
