"""Read the dependency list ``cargo auditable`` embedded in a binary: open, extract, inflate.

The limits follow auditable-info, the reference reader: the section and the decompressed JSON
are each at most 8 MiB by default (a zip bomb stops at the limit), and the binary itself is
never loaded whole: the format libraries read headers, then only the section is read.
"""

from __future__ import annotations

import os
import stat
import zlib
from pathlib import Path

from cratewatch.binaries.formats import SECTION_NAME, RawAuditData, extract_audit_data
from cratewatch.binaries.model import (
    AuditableDeps,
    AuditableResult,
    InvalidBinary,
    NoAuditData,
    parse_audit_json,
)
from cratewatch.errors import SourceError

__all__ = ["DEFAULT_MAX_JSON_BYTES", "UnreadableBinary", "inflate", "read_auditable"]

DEFAULT_MAX_JSON_BYTES = 8 * 1024 * 1024
"""The default bound on the section and on the decompressed JSON (auditable-info's default)."""


class UnreadableBinary(SourceError):
    """A binary could not be opened or read (missing, a directory, no permission...)."""


def read_auditable(path: Path, *, max_json_bytes: int = DEFAULT_MAX_JSON_BYTES) -> AuditableResult:
    """The dependency tree embedded in the binary at ``path`` by ``cargo auditable``.

    Returns :class:`AuditableDeps`, or :class:`NoAuditData` for an executable built without
    ``cargo auditable``. Raises :class:`InvalidBinary` when the file is not an ELF, PE, Mach-O
    or WebAssembly binary, is truncated, or holds corrupt or oversized data, and
    :class:`UnreadableBinary` when it cannot be read at all.

    >>> import sys
    >>> result = read_auditable(Path(sys.executable))  # Python is not built with cargo
    >>> result.reason
    'no embedded dependency data (build with `cargo auditable build`)'
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as e:
        raise UnreadableBinary(f"{path}: cannot open: {e.strerror or e}") from e
    try:
        regular = stat.S_ISREG(os.fstat(fd).st_mode)
    except OSError as e:
        os.close(fd)
        raise UnreadableBinary(f"{path}: cannot read: {e.strerror or e}") from e
    if not regular:  # a directory cannot be read; a FIFO or device would block or never end
        os.close(fd)
        raise UnreadableBinary(f"{path}: not a regular file")
    with os.fdopen(fd, "rb") as stream:
        try:
            found = extract_audit_data(path, stream, max_bytes=max_json_bytes)
        except OSError as e:
            raise UnreadableBinary(f"{path}: cannot read: {e.strerror or e}") from e
    if isinstance(found, NoAuditData):
        return found
    return _decode(path, found, max_json_bytes)


def _decode(path: Path, raw: RawAuditData, max_json_bytes: int) -> AuditableDeps:
    origin = f"{path}: {SECTION_NAME}"
    deps = parse_audit_json(inflate(raw.data, origin=origin, limit=max_json_bytes), origin=origin)
    return AuditableDeps(
        packages=deps.packages, format=deps.format, binary_format=raw.binary_format
    )


def inflate(data: bytes, *, origin: str, limit: int) -> bytes:
    """Decompress one zlib stream, refusing output beyond ``limit`` bytes (zip bombs).

    Bytes after the end of the stream (section padding) are ignored, as miniz_oxide does.

    >>> inflate(zlib.compress(b"{}"), origin="app: .dep-v0", limit=10)
    b'{}'
    >>> inflate(zlib.compress(b"x" * 11), origin="app: .dep-v0", limit=10)
    Traceback (most recent call last):
    ...
    cratewatch.binaries.model.InvalidBinary: app: .dep-v0: decompressed data exceeds \
the 10-byte limit
    """
    inflater = zlib.decompressobj()
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as e:
        raise InvalidBinary(f"{origin}: corrupt zlib data: {e}") from e
    if len(out) > limit:
        raise InvalidBinary(f"{origin}: decompressed data exceeds the {limit}-byte limit")
    if not inflater.eof:
        raise InvalidBinary(f"{origin}: corrupt zlib data: the stream is truncated")
    return out
