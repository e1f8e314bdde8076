"""Shipped-binary detection by magic bytes."""

from __future__ import annotations

import hashlib
import struct

import pytest

from cratewatch.inspect.binaries import check, find_binaries, identify
from cratewatch.inspect.model import Severity


def elf(e_type: int, *, little: bool = True) -> bytes:
    ident = b"\x7fELF" + bytes([2, 1 if little else 2, 1]) + bytes(9)
    return ident + struct.pack("<H" if little else ">H", e_type) + bytes(46)


def pe(*, dll: bool) -> bytes:
    data = bytearray(0x100)
    data[0:2] = b"MZ"
    data[0x3C:0x40] = struct.pack("<I", 0x80)
    data[0x80:0x84] = b"PE\x00\x00"
    data[0x80 + 22 : 0x80 + 24] = struct.pack("<H", 0x2022 if dll else 0x0022)
    return bytes(data)


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (elf(2), "ELF executable"),
        (elf(3, little=False), "ELF shared library"),
        (elf(1), "ELF relocatable object"),
        (pe(dll=False), "PE executable"),
        (pe(dll=True), "PE executable (DLL)"),
        (b"MZ" + bytes(100), None),  # a DOS stub without a PE header is not an executable
        (b"\xcf\xfa\xed\xfe" + bytes(28), "Mach-O binary"),
        (b"\xca\xfe\xba\xbe\x00\x00\x00\x02" + bytes(8), "Mach-O universal binary"),
        (b"\xca\xfe\xba\xbe\x00\x00\x00\x34" + bytes(8), "Java class file"),
        (b"\x00asm\x01\x00\x00\x00", "WebAssembly module"),
        (b"!<arch>\n" + bytes(8), "ar archive (static library)"),
        (b"PK\x03\x04" + bytes(8), "zip archive"),
        (b"\x1f\x8b\x08\x00", "gzip data"),
        (b"\xfd7zXZ\x00\x00", "xz data"),
        (b"\x28\xb5\x2f\xfd\x00", "zstd data"),
        (b"7z\xbc\xaf\x27\x1c\x00", "7-zip archive"),
        (b"BZh91AY", "bzip2 data"),
        (b"fn main() {}\n", None),
        (b"", None),
    ],
)
def test_identify(data: bytes, kind: str | None) -> None:
    assert identify(data) == kind


def test_signals_and_test_directories_count_lower() -> None:
    files = {
        "bin/tool": elf(2),
        "tests/fixtures/tool": elf(2),
        "lib/x.lib": b"!<arch>\n",
        "data.gz": b"\x1f\x8b\x08",
        "src/lib.rs": b"//",
    }
    shipped = find_binaries(files)
    assert [b.path for b in shipped] == ["bin/tool", "data.gz", "lib/x.lib", "tests/fixtures/tool"]
    assert shipped[0].sha256 == hashlib.sha256(elf(2)).hexdigest()
    assert shipped[0].size == len(elf(2))
    signals = {s.file: (s.id, s.severity) for s in check(shipped)}
    assert signals == {
        "bin/tool": ("binary.executable", Severity.MEDIUM),
        "tests/fixtures/tool": ("binary.executable", Severity.LOW),
        "lib/x.lib": ("binary.object", Severity.LOW),
        "data.gz": ("binary.archive", Severity.INFO),
    }
