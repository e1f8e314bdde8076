"""Safe reading and extraction of ``.crate`` files (gzip-compressed tar archives).

A ``.crate`` is hostile input. Every member must sit under the ``{name}-{version}/`` prefix
Cargo writes; absolute paths, ``..`` components, device files and FIFOs are refused, and
caps bound the number of members, each file's size, the total uncompressed size and the
compression ratio (a gzip bomb fails after reading a bounded amount). Links are never created:
symbolic and hard links are reported as :class:`ArchiveLink` metadata (with whether their target
stays inside the root) and skipped.

:func:`iter_crate_files` reads in memory, yielding ``(path, bytes)`` with paths relative to
the prefix; :func:`extract_crate` writes regular files and directories under a destination.

>>> import io, tarfile
>>> buf = io.BytesIO()
>>> with tarfile.open(fileobj=buf, mode="w:gz") as tar:
...     info = tarfile.TarInfo("demo-0.1.0/src/lib.rs"); info.size = 2
...     tar.addfile(info, io.BytesIO(b"//"))
>>> list(iter_crate_files(buf.getvalue(), name="demo", version="0.1.0"))
[('src/lib.rs', b'//')]
"""

from __future__ import annotations

import gzip
import io
import os
import stat
import tarfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import IO, BinaryIO

from cratewatch.errors import ParseError

__all__ = [
    "ArchiveLimits",
    "ArchiveLink",
    "ArchiveTooLarge",
    "ExtractedCrate",
    "LinkKind",
    "ReadCrate",
    "UnsafeArchive",
    "extract_crate",
    "iter_crate_files",
    "read_crate",
]


class UnsafeArchive(ParseError):
    """A ``.crate`` contains a member that could escape or damage its destination."""


class ArchiveTooLarge(UnsafeArchive):
    """A ``.crate`` exceeds one of the :class:`ArchiveLimits` (possibly a compression bomb)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ArchiveLimits:
    """Caps applied while reading an archive; exceeding one raises :class:`ArchiveTooLarge`."""

    max_files: int = 20_000
    """Most members (files, directories, links) an archive may hold."""
    max_file_bytes: int = 64 * 1024 * 1024
    """Largest uncompressed size of one file."""
    max_total_bytes: int = 512 * 1024 * 1024
    """Largest uncompressed size of the whole tar stream."""
    max_ratio: int = 200
    """Largest uncompressed/compressed ratio, checked once past :attr:`ratio_floor` bytes."""
    ratio_floor: int = 4 * 1024 * 1024
    """Uncompressed bytes read before the ratio is enforced (small archives compress well)."""


DEFAULT_LIMITS = ArchiveLimits()


class LinkKind(StrEnum):
    """The kind of a link member."""

    SYMLINK = "symlink"
    HARDLINK = "hardlink"


@dataclass(frozen=True, slots=True, kw_only=True)
class ArchiveLink:
    """A link member: reported, never created."""

    path: str
    """The link's path relative to the ``{name}-{version}/`` prefix."""
    target: str
    """The link target as written in the archive."""
    kind: LinkKind
    """Symbolic or hard link."""
    inside_root: bool
    """Whether the target resolves to a path inside the crate's root."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ReadCrate:
    """The content of a ``.crate`` read in memory."""

    files: dict[str, bytes] = field(hash=False)
    """Relative path -> content of every regular file, in archive order."""
    links: tuple[ArchiveLink, ...]
    """Links found (and skipped)."""
    total_bytes: int
    """Sum of the regular files' sizes."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ExtractedCrate:
    """What :func:`extract_crate` wrote."""

    root: Path
    """The directory holding the crate's files (``dest/{name}-{version}``)."""
    files: tuple[str, ...]
    """Relative paths of the regular files written."""
    links: tuple[ArchiveLink, ...]
    """Links found (and not created)."""
    total_bytes: int
    """Sum of the sizes of the files written."""


class _BoundedStream(io.RawIOBase):
    """Decompressed bytes of a gzip stream, failing past the size and ratio caps."""

    def __init__(self, raw: BinaryIO, source: str, limits: ArchiveLimits) -> None:
        self._counting = _CountingReader(raw)
        self._gzip = gzip.GzipFile(fileobj=self._counting, mode="rb")
        self._source = source
        self._limits = limits
        self.produced = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        try:
            data = self._gzip.read(len(buffer))
        except (OSError, EOFError, zlib.error) as e:
            raise UnsafeArchive(f"{self._source}: not a valid gzip stream: {e}") from e
        n = len(data)
        buffer[:n] = data
        self.produced += n
        limits = self._limits
        if self.produced > limits.max_total_bytes:
            raise ArchiveTooLarge(
                f"{self._source}: more than {limits.max_total_bytes} bytes once uncompressed"
            )
        consumed = max(self._counting.count, 1)
        if self.produced > limits.ratio_floor and self.produced > limits.max_ratio * consumed:
            raise ArchiveTooLarge(
                f"{self._source}: compression ratio above {limits.max_ratio}:1 "
                f"({self.produced} bytes from {consumed}); refusing a possible gzip bomb"
            )
        return n


class _CountingReader(io.RawIOBase):
    def __init__(self, raw: BinaryIO) -> None:
        self._raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        n = len(data)
        buffer[:n] = data
        self.count += n
        return n


def _open_source(archive: Path | bytes) -> tuple[BinaryIO, str]:
    if isinstance(archive, bytes):
        return io.BytesIO(archive), "<crate>"
    try:
        return archive.open("rb"), str(archive)
    except OSError as e:
        raise UnsafeArchive(f"{archive}: cannot open: {e.strerror or e}") from e


def _members(
    archive: Path | bytes, *, name: str, version: str, limits: ArchiveLimits, source: str | None
) -> Iterator[tuple[str, tarfile.TarInfo, tarfile.TarFile]]:
    """Validated ``(relative path, member, tar)``; the tar is read as a stream."""
    raw, shown = _open_source(archive)
    shown = source or shown
    prefix = f"{name}-{version}"
    with raw:
        stream = _BoundedStream(raw, shown, limits)
        buffered = io.BufferedReader(stream, buffer_size=64 * 1024)
        try:
            tar = tarfile.open(fileobj=buffered, mode="r|")  # noqa: SIM115 (closed below)
        except tarfile.TarError as e:
            raise UnsafeArchive(f"{shown}: not a tar archive: {e}") from e
        count = 0
        try:
            while True:
                try:
                    member = tar.next()
                except tarfile.TarError as e:
                    raise UnsafeArchive(f"{shown}: corrupt tar archive: {e}") from e
                if member is None:
                    return
                count += 1
                if count > limits.max_files:
                    raise ArchiveTooLarge(f"{shown}: more than {limits.max_files} members")
                relative = _relative_path(member.name, prefix, shown)
                yield relative, member, tar
        finally:
            tar.close()


def _relative_path(member_name: str, prefix: str, source: str) -> str:
    """The member's path below *prefix*; raises :class:`UnsafeArchive` when it is not safe."""
    shown = repr(member_name if len(member_name) <= 200 else member_name[:197] + "...")
    if "\x00" in member_name or "\\" in member_name:
        raise UnsafeArchive(f"{source}: member {shown}: NUL or backslash in path")
    if member_name.startswith("/") or (len(member_name) > 1 and member_name[1] == ":"):
        raise UnsafeArchive(f"{source}: member {shown}: absolute path")
    parts = [p for p in member_name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise UnsafeArchive(f"{source}: member {shown}: '..' in path")
    if not parts or parts[0] != prefix:
        raise UnsafeArchive(f"{source}: member {shown}: outside the {prefix}/ prefix")
    return "/".join(parts[1:])


def _link(relative: str, member: tarfile.TarInfo, prefix: str) -> ArchiveLink:
    target = member.linkname
    if member.issym():
        base = PurePosixPath(relative).parent
        joined = [p for p in (base / target).parts if p not in ("", ".")]
        inside = not target.startswith("/") and _stays_inside(joined)
        return ArchiveLink(path=relative, target=target, kind=LinkKind.SYMLINK, inside_root=inside)
    parts = [p for p in target.split("/") if p not in ("", ".")]
    inside = (
        not target.startswith("/") and bool(parts) and parts[0] == prefix and _stays_inside(parts)
    )
    return ArchiveLink(path=relative, target=target, kind=LinkKind.HARDLINK, inside_root=inside)


def _stays_inside(parts: list[str]) -> bool:
    depth = 0
    for part in parts:
        depth += -1 if part == ".." else 1
        if depth < 0:
            return False
    return True


def _check_kind(member: tarfile.TarInfo, relative: str, source: str) -> None:
    if (
        member.isdev()
        or member.isfifo()
        or not (member.isreg() or member.isdir() or member.issym() or member.islnk())
    ):
        raise UnsafeArchive(f"{source}: member {relative!r}: device, FIFO or special file")


def _read_member(
    tar: tarfile.TarFile, member: tarfile.TarInfo, relative: str, source: str, limits: ArchiveLimits
) -> bytes:
    if member.size > limits.max_file_bytes:
        raise ArchiveTooLarge(
            f"{source}: member {relative!r}: {member.size} bytes, "
            f"more than the limit of {limits.max_file_bytes}"
        )
    handle: IO[bytes] | None = tar.extractfile(member)
    if handle is None:  # pragma: no cover - regular files always have a handle
        return b""
    try:
        data = handle.read()
    except tarfile.TarError as e:
        raise UnsafeArchive(f"{source}: member {relative!r}: truncated: {e}") from e
    if len(data) != member.size:
        raise UnsafeArchive(f"{source}: member {relative!r}: truncated archive")
    return data


def iter_crate_files(
    archive: Path | bytes,
    *,
    name: str,
    version: str,
    limits: ArchiveLimits = DEFAULT_LIMITS,
    source: str | None = None,
    links: list[ArchiveLink] | None = None,
) -> Iterator[tuple[str, bytes]]:
    """Yield ``(relative path, content)`` for each regular file of a ``.crate``.

    Nothing touches the disk. Links are skipped (appended to *links* when given); any unsafe
    member raises :class:`UnsafeArchive` when reached. *source* names the archive in messages.
    """
    prefix = f"{name}-{version}"
    shown = source or (str(archive) if isinstance(archive, Path) else "<crate>")
    seen: set[str] = set()
    for relative, member, tar in _members(
        archive, name=name, version=version, limits=limits, source=shown
    ):
        _check_kind(member, relative, shown)
        if member.issym() or member.islnk():
            if links is not None:
                links.append(_link(relative, member, prefix))
            continue
        if member.isdir():
            continue
        if relative in seen:
            raise UnsafeArchive(f"{shown}: member {relative!r}: appears twice")
        if not relative:
            raise UnsafeArchive(f"{shown}: member {member.name!r}: a file where the root should be")
        seen.add(relative)
        yield relative, _read_member(tar, member, relative, shown, limits)


def read_crate(
    archive: Path | bytes,
    *,
    name: str,
    version: str,
    limits: ArchiveLimits = DEFAULT_LIMITS,
    source: str | None = None,
) -> ReadCrate:
    """Read every regular file of a ``.crate`` into memory (see :func:`iter_crate_files`)."""
    links: list[ArchiveLink] = []
    files = dict(
        iter_crate_files(
            archive, name=name, version=version, limits=limits, source=source, links=links
        )
    )
    return ReadCrate(
        files=files, links=tuple(links), total_bytes=sum(len(d) for d in files.values())
    )


def extract_crate(
    archive: Path | bytes,
    dest: Path,
    *,
    name: str,
    version: str,
    limits: ArchiveLimits = DEFAULT_LIMITS,
    source: str | None = None,
) -> ExtractedCrate:
    """Extract a ``.crate`` into ``dest/{name}-{version}``, which must not exist yet.

    Only directories and regular files are created (mode 0644, or 0755 when executable);
    files are opened with ``O_EXCL | O_NOFOLLOW`` so nothing is written through a link. On
    an unsafe member the partial tree is left for the caller to remove and
    :class:`UnsafeArchive` is raised.
    """
    shown = source or (str(archive) if isinstance(archive, Path) else "<crate>")
    root = dest / f"{name}-{version}"
    try:
        root.mkdir(parents=True, exist_ok=False)
    except OSError as e:
        raise UnsafeArchive(f"{shown}: cannot create {root}: {e.strerror or e}") from e
    prefix = f"{name}-{version}"
    written: list[str] = []
    links: list[ArchiveLink] = []
    total = 0
    for relative, member, tar in _members(
        archive, name=name, version=version, limits=limits, source=shown
    ):
        _check_kind(member, relative, shown)
        if member.issym() or member.islnk():
            links.append(_link(relative, member, prefix))
            continue
        target = root.joinpath(*relative.split("/")) if relative else root
        if member.isdir():
            _mkdirs(root, relative, shown)
            continue
        if not relative:
            raise UnsafeArchive(f"{shown}: member {member.name!r}: a file where the root should be")
        parent = relative.rpartition("/")[0]
        _mkdirs(root, parent, shown)
        data = _read_member(tar, member, relative, shown, limits)
        mode = 0o755 if member.mode & stat.S_IXUSR else 0o644
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(target, flags, mode)
        except FileExistsError as e:
            raise UnsafeArchive(f"{shown}: member {relative!r}: appears twice") from e
        except OSError as e:
            raise UnsafeArchive(f"{shown}: member {relative!r}: cannot write: {e}") from e
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        written.append(relative)
        total += len(data)
    return ExtractedCrate(root=root, files=tuple(written), links=tuple(links), total_bytes=total)


def _mkdirs(root: Path, relative: str, source: str) -> None:
    """Create the directories of *relative* under *root*, refusing anything that is not one."""
    current = root
    for part in relative.split("/") if relative else ():
        current = current / part
        try:
            info = current.lstat()
        except FileNotFoundError:
            current.mkdir(mode=0o755)
            continue
        if not stat.S_ISDIR(info.st_mode):
            raise UnsafeArchive(f"{source}: member {relative!r}: {part!r} is not a directory")
