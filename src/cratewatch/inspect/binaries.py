"""Shipped binaries, recognised by their magic bytes (never by their extension).

Crates are source packages: a prebuilt executable or shared library inside one cannot be
reviewed and has been used to smuggle code (``medium``, ``high`` once build-time code names it,
see :mod:`~cratewatch.inspect.scan`). Static libraries and objects (Windows import libraries)
are ``low``; WebAssembly, Java classes and compressed archives ``info`` to ``low``. Files under
``tests/``, ``benches/``, ``examples/`` or fuzzing corpora count one level lower.

>>> identify(b"\\x7fELF\\x02\\x01\\x01" + bytes(9) + b"\\x02\\x00")
'ELF executable'
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from cratewatch.inspect.model import Severity, Signal

__all__ = ["ShippedBinary", "check", "find_binaries", "identify"]

_ELF_TYPES = {
    1: "ELF relocatable object",
    2: "ELF executable",
    3: "ELF shared library",
    4: "ELF core dump",
}
_MACHO = {
    b"\xfe\xed\xfa\xce", b"\xce\xfa\xed\xfe", b"\xfe\xed\xfa\xcf", b"\xcf\xfa\xed\xfe",
}  # fmt: skip
_ARCHIVES = (
    (b"PK\x03\x04", "zip archive"),
    (b"\x1f\x8b", "gzip data"),
    (b"\xfd7zXZ\x00", "xz data"),
    (b"\x28\xb5\x2f\xfd", "zstd data"),
    (b"7z\xbc\xaf\x27\x1c", "7-zip archive"),
    (b"BZh", "bzip2 data"),
    (b"Rar!\x1a\x07", "RAR archive"),
)
_TEST_DIRS = frozenset({"tests", "test", "benches", "examples", "fuzz", "testdata", "test-data"})


@dataclass(frozen=True, slots=True, kw_only=True)
class ShippedBinary:
    """A binary file found in a crate."""

    path: str
    """Path inside the crate."""
    kind: str
    """What it is (``ELF executable``, ``PE executable (DLL)``, ``ar archive``...)."""
    size: int
    """Size in bytes."""
    sha256: str
    """SHA-256 of the content."""

    @property
    def executable(self) -> bool:
        """Whether it is machine code that can be run or loaded (not an object or archive)."""
        return self.kind.startswith(("ELF executable", "ELF shared", "PE", "Mach-O"))


def identify(data: bytes) -> str | None:  # noqa: PLR0911 - one return per format
    """What kind of binary *data* is, by magic bytes; ``None`` for anything else."""
    head = data[:64]
    if head.startswith(b"\x7fELF") and len(head) >= 18:
        little = head[5] == 1
        (e_type,) = struct.unpack("<H" if little else ">H", head[16:18])
        return _ELF_TYPES.get(e_type, "ELF file")
    if head.startswith(b"MZ"):
        return _pe(data)
    if head[:4] in _MACHO:
        return "Mach-O binary"
    if head.startswith(b"\xca\xfe\xba\xbe") and len(head) >= 8:
        (count,) = struct.unpack(">I", head[4:8])
        return "Mach-O universal binary" if 0 < count < 32 else "Java class file"
    if head.startswith(b"\x00asm"):
        return "WebAssembly module"
    if head.startswith(b"!<arch>\n"):
        return "ar archive (static library)"
    for magic, kind in _ARCHIVES:
        if head.startswith(magic):
            return kind
    return None


def _pe(data: bytes) -> str | None:
    if len(data) < 0x40:
        return None
    (offset,) = struct.unpack("<I", data[0x3C:0x40])
    if offset + 24 > len(data) or data[offset : offset + 4] != b"PE\x00\x00":
        return None
    (characteristics,) = struct.unpack("<H", data[offset + 22 : offset + 24])
    return "PE executable (DLL)" if characteristics & 0x2000 else "PE executable"


def find_binaries(files: Mapping[str, bytes]) -> tuple[ShippedBinary, ...]:
    """Every binary file of a crate, in path order."""
    found = []
    for path in sorted(files):
        data = files[path]
        kind = identify(data)
        if kind is not None:
            found.append(
                ShippedBinary(
                    path=path, kind=kind, size=len(data), sha256=hashlib.sha256(data).hexdigest()
                )
            )
    return tuple(found)


def _severity(binary: ShippedBinary) -> Severity:
    if binary.executable:
        severity = Severity.MEDIUM
    elif binary.kind.startswith(("ELF relocatable", "ar archive")) or binary.kind.startswith(
        ("WebAssembly", "Java")
    ):
        severity = Severity.LOW
    else:
        severity = Severity.INFO
    top = binary.path.split("/", 1)[0].lower()
    if top in _TEST_DIRS and severity > Severity.INFO:
        severity = Severity(("info", "low", "medium", "high", "critical")[severity.rank - 1])
    return severity


def check(binaries: tuple[ShippedBinary, ...]) -> Iterator[Signal]:
    """One signal per shipped binary."""
    for binary in binaries:
        slug = (
            "executable"
            if binary.executable
            else (
                "archive"
                if binary.kind.endswith(("archive", "data")) and "static" not in binary.kind
                else "object"
            )
        )
        yield Signal(
            id=f"binary.{slug}",
            severity=_severity(binary),
            file=binary.path,
            line=0,
            end_line=0,
            excerpt=f"{binary.kind}, {binary.size} bytes, sha256 {binary.sha256}",
            why=f"The crate ships a prebuilt {binary.kind}; its content cannot be reviewed "
            "as source and is not rebuilt from the code you can read.",
            role=None,
        )
