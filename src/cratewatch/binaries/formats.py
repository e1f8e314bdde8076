"""Find the ``.dep-v0`` section of an executable: format detection and section extraction.

Where ``cargo auditable`` puts the data (auditable-extract's ``raw_auditable_data``):

========  ==============================================  ====================
format    section                                          read with
========  ==============================================  ====================
ELF       section ``.dep-v0``                              pyelftools
PE        section ``.dep-v0``                              pefile
Mach-O    segment ``__DATA``, section ``.dep-v0``          macholib structures
WASM      custom section ``.dep-v0``                       (no library: 40 lines)
========  ==============================================  ====================

The libraries are pure Python, so a hostile file can only make them raise, never crash the
process; every such failure becomes one :class:`InvalidBinary`. Only headers are read (Mach-O
load commands are walked here with macholib's structure definitions, because its ``MachO``
loader reads every section), and offsets and sizes are checked against the file before the
section itself is read.
"""

from __future__ import annotations

import errno
import mmap
import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, assert_never

from macholib import mach_o
from macholib.ptypes import sizeof

from cratewatch.binaries.model import (
    NO_AUDIT_DATA_REASON,
    BinaryFormat,
    InvalidBinary,
    NoAuditData,
)

__all__ = ["SECTION_NAME", "RawAuditData", "detect_format", "extract_audit_data"]

SECTION_NAME = ".dep-v0"
"""The section name ``cargo auditable`` uses in every format."""

_MACHO_SEGMENT = "__DATA"
_ELF_MAGIC = b"\x7fELF"
_PE_MAGIC = b"MZ"
_WASM_MAGIC = b"\0asm"
_MACHO_MAGICS = frozenset(
    {
        b"\xfe\xed\xfa\xce",  # MH_MAGIC (32-bit, big-endian)
        b"\xce\xfa\xed\xfe",  # MH_CIGAM (32-bit, little-endian)
        b"\xfe\xed\xfa\xcf",  # MH_MAGIC_64
        b"\xcf\xfa\xed\xfe",  # MH_CIGAM_64
    }
)
_FAT_MAGICS = frozenset({b"\xca\xfe\xba\xbe", b"\xca\xfe\xba\xbf"})  # FAT_MAGIC, FAT_MAGIC_64
_JAVA_CLASS_MIN = 45  # a Java class file shares CAFEBABE; its version field is >= 45
_ELF_MAX_SECTIONS = 0xFF00  # SHN_LORESERVE: more needs extended numbering, never in executables
_MACHO_HEADERS = {  # magic read big-endian -> (header structure, byte order, 64-bit)
    mach_o.MH_MAGIC: (mach_o.mach_header, ">", False),
    mach_o.MH_CIGAM: (mach_o.mach_header, "<", False),
    mach_o.MH_MAGIC_64: (mach_o.mach_header_64, ">", True),
    mach_o.MH_CIGAM_64: (mach_o.mach_header_64, "<", True),
}
_MACHO_ZEROFILL_TYPES = frozenset({0x1, 0xC, 0x12})  # S_ZEROFILL, S_GB_ZEROFILL, S_THREAD_...

# What the parsers raise on malformed input. They are pure Python, so a hostile header makes
# them index, unpack or decode past what they expected (each library's own exceptions are
# turned into _LibraryError where it is imported); tests/binaries/test_formats.py fuzzes real
# binaries of every format to check that nothing else escapes.
_PARSER_ERRORS = (
    ValueError,
    struct.error,
    IndexError,
    KeyError,
    TypeError,
    AttributeError,
    EOFError,
    OverflowError,
)


class _LibraryError(ValueError):
    """A format library's own exception type (imported lazily, so not nameable above)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RawAuditData:
    """The still-compressed content of a binary's ``.dep-v0`` section."""

    binary_format: BinaryFormat
    """The executable format the section was found in."""
    data: bytes
    """The section content (a zlib stream)."""


def detect_format(head: bytes) -> BinaryFormat | None:
    """The executable format announced by a file's first 8 bytes, or ``None`` when none is.

    >>> detect_format(b"\\x7fELF\\x02\\x01\\x01\\x00")
    <BinaryFormat.ELF: 'elf'>
    >>> detect_format(b"\\xca\\xfe\\xba\\xbe\\x00\\x00\\x00\\x34") is None  # a Java class file
    True
    """
    magic = head[:4]
    if magic == _ELF_MAGIC:
        return BinaryFormat.ELF
    if magic[:2] == _PE_MAGIC:
        return BinaryFormat.PE
    if magic in _MACHO_MAGICS:
        return BinaryFormat.MACHO
    if magic in _FAT_MAGICS and len(head) >= 8:
        (nfat_arch,) = struct.unpack(">I", head[4:8])
        return BinaryFormat.MACHO if nfat_arch < _JAVA_CLASS_MIN else None
    if magic == _WASM_MAGIC:
        return BinaryFormat.WASM
    return None


def extract_audit_data(
    path: Path, stream: BinaryIO, *, max_bytes: int
) -> RawAuditData | NoAuditData:
    """Read the ``.dep-v0`` section of the executable at ``path`` (open as ``stream``).

    Raises :class:`InvalidBinary` when the file is not an executable, is truncated or
    malformed, or the section is larger than ``max_bytes``.
    """
    stream.seek(0, os.SEEK_END)
    size = stream.tell()
    stream.seek(0)
    binary_format = detect_format(stream.read(8))
    if binary_format is None:
        raise InvalidBinary(f"{path}: not an executable (no ELF, PE, Mach-O or WebAssembly header)")
    reader = _Reader(path=path, stream=stream, size=size, max_bytes=max_bytes)
    try:
        match binary_format:
            case BinaryFormat.ELF:
                span = _elf_section(reader)
            case BinaryFormat.PE:
                span = _pe_section(reader)
            case BinaryFormat.MACHO:
                span = _macho_section(reader)
            case BinaryFormat.WASM:
                span = _wasm_section(reader)
            case _:
                assert_never(binary_format)
    except InvalidBinary:  # a ValueError too, but already says what is wrong
        raise
    except _PARSER_ERRORS as e:
        raise _malformed(path, binary_format, e) from e
    except OSError as e:
        # A hostile offset makes the parsers seek before the start of the file (EINVAL) or
        # outside an architecture's slice (macholib's fileview, no errno): malformed input.
        # Anything else is a genuine I/O failure for the caller to report.
        if e.errno not in (None, errno.EINVAL):
            raise
        raise _malformed(path, binary_format, e) from e
    if span is None:
        return NoAuditData(reason=NO_AUDIT_DATA_REASON, binary_format=binary_format)
    return RawAuditData(binary_format=binary_format, data=reader.read(*span))


_FORMAT_NAMES = {
    BinaryFormat.ELF: "ELF",
    BinaryFormat.PE: "PE",
    BinaryFormat.MACHO: "Mach-O",
    BinaryFormat.WASM: "WebAssembly",
}


def _malformed(path: Path, binary_format: BinaryFormat, error: Exception) -> InvalidBinary:
    return InvalidBinary(f"{path}: malformed {_FORMAT_NAMES[binary_format]} file: {_reason(error)}")


def _reason(error: Exception) -> str:
    text = " ".join(str(error).split())
    return text[:200] if text else type(error).__name__


@dataclass(frozen=True, slots=True, kw_only=True)
class _Reader:
    """The open file and the checks every format applies to a section's place in it."""

    path: Path
    stream: BinaryIO
    size: int
    max_bytes: int

    def fail(self, problem: str) -> InvalidBinary:
        return InvalidBinary(f"{self.path}: {SECTION_NAME}: {problem}")

    def span(self, offset: int, length: int) -> tuple[int, int]:
        """Check that ``length`` bytes at ``offset`` are in the file and within the limit."""
        if length == 0:
            raise self.fail("the section is empty")
        if length > self.max_bytes:
            raise self.fail(f"the section is {length} bytes, over the {self.max_bytes}-byte limit")
        if offset < 0 or offset + length > self.size:
            raise InvalidBinary(
                f"{self.path}: truncated file: section {SECTION_NAME} needs bytes "
                f"{offset}..{offset + length} but the file has {self.size}"
            )
        return offset, length

    def read(self, offset: int, length: int) -> bytes:
        self.stream.seek(offset)
        data = self.stream.read(length)
        if len(data) != length:  # the file shrank while we read it
            raise InvalidBinary(f"{self.path}: truncated file: short read of {SECTION_NAME}")
        return data


def _elf_section(reader: _Reader) -> tuple[int, int] | None:
    # pyelftools takes a quarter of a second to import: only ELF files pay for it.
    from elftools.common.exceptions import ELFError  # noqa: PLC0415
    from elftools.construct.core import ConstructError  # noqa: PLC0415

    try:
        return _elf_walk(reader)
    except (ELFError, ConstructError) as e:
        raise _LibraryError(str(e)) from e


def _elf_walk(reader: _Reader) -> tuple[int, int] | None:
    from elftools.elf.constants import SH_FLAGS  # noqa: PLC0415
    from elftools.elf.elffile import ELFFile  # noqa: PLC0415

    elf = ELFFile(reader.stream)
    count = elf.num_sections()
    table_end = elf["e_shoff"] + count * elf["e_shentsize"]
    if count > _ELF_MAX_SECTIONS:
        raise ValueError(f"{count} section headers (an executable has far fewer)")
    if count and table_end > reader.size:
        raise InvalidBinary(
            f"{reader.path}: truncated file: the ELF section headers end at byte {table_end} "
            f"but the file has {reader.size}"
        )
    for section in elf.iter_sections():
        if section.name != SECTION_NAME:
            continue
        if section["sh_type"] == "SHT_NOBITS":
            raise reader.fail("the section has no data in the file (SHT_NOBITS)")
        if section["sh_flags"] & SH_FLAGS.SHF_COMPRESSED:
            raise reader.fail("ELF-compressed sections are not supported")
        return reader.span(section["sh_offset"], section["sh_size"])
    return None


def _pe_section(reader: _Reader) -> tuple[int, int] | None:
    import pefile  # noqa: PLC0415 (a fifth of a second to import: only PE files pay for it)

    # pefile gets our own read-only map: given a file name it maps the file itself, and its
    # close() then runs a full gc.collect(), which costs ~0.1 s per binary in a big process.
    with mmap.mmap(reader.stream.fileno(), 0, access=mmap.ACCESS_READ) as image:
        try:
            pe = pefile.PE(data=image, fast_load=True)
        except pefile.PEFormatError as e:
            raise _LibraryError(e.value if isinstance(e.value, str) else str(e)) from e
        sections = [
            (s.Name, s.PointerToRawData, s.SizeOfRawData, s.Misc_VirtualSize) for s in pe.sections
        ]
        del pe
    for name, offset, raw_size, virtual_size in sections:
        if name.rstrip(b"\0") == SECTION_NAME.encode():
            # The file holds SizeOfRawData bytes, padded to the file alignment; the data
            # itself is VirtualSize bytes when that is smaller.
            length = min(raw_size, virtual_size) if virtual_size else raw_size
            return reader.span(offset, length)
    return None


def _macho_section(reader: _Reader) -> tuple[int, int] | None:
    """Look in each architecture of a fat (universal) binary, or in the one of a thin one."""
    stream = reader.stream
    stream.seek(0)
    magic = stream.read(4)
    if magic in _FAT_MAGICS:
        stream.seek(0)
        fat = mach_o.fat_header.from_fileobj(stream)  # big-endian, as lipo always writes it
        arch_type = mach_o.fat_arch64 if fat.magic == mach_o.FAT_MAGIC_64 else mach_o.fat_arch
        archs = [arch_type.from_fileobj(stream) for _ in range(fat.nfat_arch)]
        slices = [(arch.offset, arch.size) for arch in archs]
    else:
        slices = [(0, reader.size)]
    for offset, size in slices:
        if offset + size > reader.size:
            raise InvalidBinary(
                f"{reader.path}: truncated file: a Mach-O architecture needs bytes "
                f"{offset}..{offset + size} but the file has {reader.size}"
            )
        span = _macho_slice(reader, offset, size)
        if span is not None:
            return span
    return None


def _macho_slice(reader: _Reader, base: int, size: int) -> tuple[int, int] | None:
    """Walk one Mach-O image's load commands with macholib's structures.

    macholib's ``MachO`` class would read every section's data into memory while loading, so
    a small hostile file naming the same bytes from thousands of sections could take
    gigabytes; this walk reads only headers, and every size is checked against the image.
    """
    stream = reader.stream
    stream.seek(base)
    magic = struct.unpack(">I", stream.read(4))[0]
    if magic not in _MACHO_HEADERS:
        raise ValueError(f"unknown Mach-O magic 0x{magic:08x} at byte {base}")
    header_type, endian, is_64 = _MACHO_HEADERS[magic]
    segment_type, section_type = (
        (mach_o.segment_command_64, mach_o.section_64)
        if is_64
        else (mach_o.segment_command, mach_o.section)
    )
    stream.seek(base)
    header = header_type.from_fileobj(stream, _endian_=endian)
    position = base + sizeof(header_type)
    end = position + header.sizeofcmds
    if end > base + size:
        raise ValueError("the load commands run past the end of the image")
    for _ in range(header.ncmds):
        stream.seek(position)
        command = mach_o.load_command.from_fileobj(stream, _endian_=endian)
        if command.cmdsize < sizeof(mach_o.load_command) or position + command.cmdsize > end:
            raise ValueError(f"a load command has an invalid size ({command.cmdsize})")
        if command.cmd in (mach_o.LC_SEGMENT, mach_o.LC_SEGMENT_64):
            segment = segment_type.from_fileobj(stream, _endian_=endian)
            needed = sizeof(mach_o.load_command) + sizeof(segment_type)
            if needed + segment.nsects * sizeof(section_type) > command.cmdsize:
                raise ValueError("a segment's sections run past its load command")
            for _ in range(segment.nsects):
                entry = section_type.from_fileobj(stream, _endian_=endian)
                if (
                    _c_string(entry.segname) == _MACHO_SEGMENT
                    and _c_string(entry.sectname) == SECTION_NAME
                ):
                    if entry.flags & 0xFF in _MACHO_ZEROFILL_TYPES:
                        raise reader.fail("the section has no data in the file (zero-fill)")
                    return reader.span(base + entry.offset, entry.size)
        position += command.cmdsize
    return None


def _c_string(raw: bytes) -> str:
    return raw.split(b"\0", 1)[0].decode("latin-1")


def _wasm_section(reader: _Reader) -> tuple[int, int] | None:
    """Walk the module's sections; a custom section (id 0) starts with its name."""
    stream = reader.stream
    stream.seek(4)
    if stream.read(4) != b"\x01\0\0\0":
        raise ValueError("unsupported WebAssembly version")
    position = 8
    while position < reader.size:
        stream.seek(position)
        section_id = stream.read(1)[0]
        length, start = _leb128(stream, position + 1)
        end = start + length
        if end > reader.size:
            raise InvalidBinary(
                f"{reader.path}: truncated file: a WebAssembly section ends at byte {end} "
                f"but the file has {reader.size}"
            )
        if section_id == 0:
            name_length, name_start = _leb128(stream, start)
            name_end = name_start + name_length
            if name_end > end:
                raise ValueError("a custom section name runs past its section")
            if stream.read(name_length) == SECTION_NAME.encode():
                return reader.span(name_end, end - name_end)
        position = end
    return None


def _leb128(stream: BinaryIO, position: int) -> tuple[int, int]:
    """Decode an unsigned 32-bit LEB128 at ``position``: (value, position after it)."""
    stream.seek(position)
    value = 0
    for i in range(5):
        byte = stream.read(1)
        if not byte:
            raise EOFError("the file ends inside a WebAssembly section header")
        value |= (byte[0] & 0x7F) << (7 * i)
        if not byte[0] & 0x80:
            return value, position + i + 1
    raise ValueError("a WebAssembly LEB128 number is longer than 5 bytes")
