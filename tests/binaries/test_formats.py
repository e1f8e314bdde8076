"""Format detection, hostile headers, and fuzzing the section readers with real binaries."""

from __future__ import annotations

import resource
import struct
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cratewatch.binaries import (
    AuditableDeps,
    BinaryFormat,
    InvalidBinary,
    NoAuditData,
    detect_format,
    read_auditable,
)
from tests.binaries.payloads import SAMPLE, audit_json, compressed
from tests.binaries.toolchain import Toolchain

SECTION = {".dep-v0": compressed(audit_json(SAMPLE))}


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"\x7fELF\x02\x01\x01\x00", BinaryFormat.ELF),
        (b"\x7fELF\x01\x02\x01\x00", BinaryFormat.ELF),
        (b"MZ\x90\x00\x03\x00\x00\x00", BinaryFormat.PE),
        (b"\xcf\xfa\xed\xfe\x07\x00\x00\x01", BinaryFormat.MACHO),  # 64-bit little-endian
        (b"\xce\xfa\xed\xfe\x07\x00\x00\x00", BinaryFormat.MACHO),  # 32-bit little-endian
        (b"\xfe\xed\xfa\xce\x00\x00\x00\x12", BinaryFormat.MACHO),  # 32-bit big-endian (PPC)
        (b"\xfe\xed\xfa\xcf\x00\x00\x00\x12", BinaryFormat.MACHO),
        (b"\xca\xfe\xba\xbe\x00\x00\x00\x02", BinaryFormat.MACHO),  # fat, 2 architectures
        (b"\xca\xfe\xba\xbf\x00\x00\x00\x02", BinaryFormat.MACHO),  # fat with 64-bit offsets
        (b"\0asm\x01\x00\x00\x00", BinaryFormat.WASM),
        (b"\xca\xfe\xba\xbe\x00\x00\x00\x41", None),  # Java 21 class file
        (b"\xca\xfe\xba\xbe", None),
        (b"!<arch>\n", None),  # a static library / .rlib
        (b"\x64\x86\x03\x00", None),  # a COFF object (not linked)
        (b"#!/bin/sh", None),
        (b"", None),
    ],
)
def test_detect_format(head: bytes, expected: BinaryFormat | None) -> None:
    assert detect_format(head) is expected


# -------------------------------------------------------------------------- minimal headers

_UNPACK = "unpack requires a buffer of"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"MZ", "malformed PE file: Unable to read the DOS Header, possibly a truncated file."),
        (b"MZ" + b"\0" * 62, "malformed PE file: Invalid NT Headers signature."),
        (
            b"MZ" + b"\0" * 58 + b"\xff\xff\0\0",
            "malformed PE file: Invalid e_lfanew value, probably not a PE file",
        ),
        (b"\x7fELF", "malformed ELF file: Invalid EI_CLASS b''"),
        (b"\x7fELF\x09\x01\x01" + b"\0" * 57, "malformed ELF file: Invalid EI_CLASS b'\\t'"),
        (b"\xcf\xfa\xed\xfe\x07\0\0\x01", f"malformed Mach-O file: {_UNPACK} 32 bytes"),
        (b"\xca\xfe\xba\xbe\0\0\0\x02", f"malformed Mach-O file: {_UNPACK} 20 bytes"),
        (
            b"\0asm\x01\0\0\0\0",
            "malformed WebAssembly file: the file ends inside a WebAssembly section header",
        ),
    ],
)  # fmt: skip
def test_broken_headers_name_the_format(tmp_path: Path, content: bytes, message: str) -> None:
    """Each format's reader is reached from its magic number and fails in its own words."""
    path = tmp_path / "broken"
    path.write_bytes(content)
    with pytest.raises(InvalidBinary) as caught:
        read_auditable(path)
    assert str(caught.value) == f"{path}: {message}"


def test_bare_wasm_header_has_no_audit_data(tmp_path: Path) -> None:
    path = tmp_path / "empty.wasm"
    path.write_bytes(b"\0asm\x01\0\0\0")
    assert read_auditable(path) == NoAuditData(
        reason="no embedded dependency data (build with `cargo auditable build`)",
        binary_format=BinaryFormat.WASM,
    )


# -------------------------------------------------------------------------- hostile headers


def _patch(path: Path, offset: int, data: bytes) -> None:
    image = bytearray(path.read_bytes())
    image[offset : offset + len(data)] = data
    path.write_bytes(bytes(image))


def test_elf_extended_section_count_is_bounded(toolchain: Toolchain, tmp_path: Path) -> None:
    """e_shnum = 0 defers the count to section 0's sh_size: 4 billion sections, claimed."""
    binary = toolchain.elf(tmp_path / "app", SECTION)
    image = binary.read_bytes()
    (shoff,) = struct.unpack_from("<Q", image, 0x28)
    _patch(binary, 0x3C, b"\0\0")  # e_shnum
    _patch(binary, shoff + 0x20, struct.pack("<Q", 0xFFFFFFFF))  # section 0 sh_size
    with pytest.raises(InvalidBinary) as caught:
        read_auditable(binary)
    assert str(caught.value) == (
        f"{binary}: malformed ELF file: 4294967295 section headers (an executable has far fewer)"
    )


def test_elf_nobits_section_has_no_data(toolchain: Toolchain, tmp_path: Path) -> None:
    binary = toolchain.elf_foreign(tmp_path / "a.so", "i686-unknown-linux-gnu", SECTION)
    image = bytearray(binary.read_bytes())
    (shoff,) = struct.unpack_from("<I", image, 0x20)
    (shnum,) = struct.unpack_from("<H", image, 0x30)
    (shstrndx,) = struct.unpack_from("<H", image, 0x32)
    strtab = struct.unpack_from("<I", image, shoff + shstrndx * 40 + 0x10)[0]
    for index in range(shnum):
        header = shoff + index * 40
        name = struct.unpack_from("<I", image, header)[0]
        if image[strtab + name : strtab + name + 8] == b".dep-v0\0":
            struct.pack_into("<I", image, header + 4, 8)  # sh_type = SHT_NOBITS
    binary.write_bytes(bytes(image))
    with pytest.raises(InvalidBinary) as caught:
        read_auditable(binary)
    assert (
        str(caught.value) == f"{binary}: .dep-v0: the section has no data in the file (SHT_NOBITS)"
    )


def _macho_image(sections: list[tuple[bytes, bytes, int, int]], file_size: int) -> bytes:
    """A 64-bit Mach-O with one LC_SEGMENT_64 holding ``sections`` (segname, sectname, offset,
    size), padded to ``file_size``: the hostile shape macholib's loader would read in full."""
    section_headers = b"".join(
        struct.pack("<16s16sQQIIIIIIII", name, seg, 0, size, offset, 0, 0, 0, 0, 0, 0, 0)
        for seg, name, offset, size in sections
    )
    cmdsize = 72 + len(section_headers)
    segment = struct.pack(
        "<II16sQQQQiiII", 0x19, cmdsize, b"__DATA", 0, 0, 0, 0, 7, 3, len(sections), 0
    )
    header = struct.pack("<IiiIIIII", 0xFEEDFACF, 0x01000007, 3, 6, 1, cmdsize, 0, 0)
    image = header + segment + section_headers
    return image + b"\0" * (file_size - len(image))


def test_macho_many_sections_naming_the_whole_file_are_not_read(tmp_path: Path) -> None:
    size = 4 * 1024 * 1024
    count = 20_000  # macholib's loader would read 20 000 x 4 MiB = 78 GiB
    bomb = [(b"__TEXT", b"__text", 0, size)] * count
    path = tmp_path / "bomb.dylib"
    path.write_bytes(_macho_image(bomb, size))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    assert isinstance(read_auditable(path), NoAuditData)
    assert time.perf_counter() - started < 5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 64 * 1024  # KiB


def test_macho_zerofill_section_has_no_data(tmp_path: Path) -> None:
    path = tmp_path / "zerofill.dylib"
    image = bytearray(_macho_image([(b"__DATA", b".dep-v0", 0, 64)], 4096))
    struct.pack_into("<I", image, 32 + 72 + 64, 0x1)  # flags = S_ZEROFILL
    path.write_bytes(bytes(image))
    with pytest.raises(InvalidBinary) as caught:
        read_auditable(path)
    assert str(caught.value) == f"{path}: .dep-v0: the section has no data in the file (zero-fill)"


def test_macho_load_commands_past_the_image(tmp_path: Path) -> None:
    path = tmp_path / "short.dylib"
    image = bytearray(_macho_image([(b"__DATA", b".dep-v0", 0, 64)], 4096))
    struct.pack_into("<I", image, 20, 1 << 20)  # sizeofcmds: 1 MiB in a 4 KiB file
    path.write_bytes(bytes(image))
    with pytest.raises(InvalidBinary) as caught:
        read_auditable(path)
    assert str(caught.value) == (
        f"{path}: malformed Mach-O file: the load commands run past the end of the image"
    )


def test_fat_slice_past_the_end(toolchain: Toolchain, tmp_path: Path) -> None:
    thin = toolchain.macho(tmp_path / "thin.dylib", SECTION)
    fat = toolchain.fat_macho(tmp_path / "fat", {"x86_64": thin})
    _patch(fat, 8 + 12, struct.pack(">I", 1 << 30))  # the slice's size
    with pytest.raises(InvalidBinary) as caught:
        read_auditable(fat)
    assert str(caught.value) == (
        f"{fat}: truncated file: a Mach-O architecture needs bytes "
        f"16384..{16384 + (1 << 30)} but the file has {fat.stat().st_size}"
    )


def test_wasm_section_length_past_the_end(toolchain: Toolchain, tmp_path: Path) -> None:
    module = toolchain.wasm(tmp_path / "a.wasm", {})
    with module.open("ab") as out:
        out.write(b"\0\xff\xff\x03\x07.dep-v0")  # a custom section claiming 65535 bytes
    size = module.stat().st_size
    with pytest.raises(InvalidBinary) as caught:
        read_auditable(module)
    start = size - 8
    assert str(caught.value) == (
        f"{module}: truncated file: a WebAssembly section ends at byte {start + 65535} "
        f"but the file has {size}"
    )


def test_wasm_version_2_is_refused(toolchain: Toolchain, tmp_path: Path) -> None:
    module = toolchain.wasm(tmp_path / "a.wasm", SECTION)
    _patch(module, 4, b"\x02")
    with pytest.raises(InvalidBinary) as caught:
        read_auditable(module)
    assert (
        str(caught.value)
        == f"{module}: malformed WebAssembly file: unsupported WebAssembly version"
    )


# -------------------------------------------------------------------------- fuzzing

Build = Callable[[Toolchain, Path], Path]
_SEEDS: dict[str, Build] = {
    "elf32": lambda t, d: t.elf_foreign(d / "s.so", "i686-unknown-linux-gnu", SECTION),
    "elf64be": lambda t, d: t.elf_foreign(d / "be.so", "s390x-unknown-linux-gnu", SECTION),
    "pe": lambda t, d: t.pe(d / "s.dll", SECTION),
    "macho": lambda t, d: t.macho(d / "s.dylib", SECTION),
    "fat": lambda t, d: t.fat_macho(
        d / "fat",
        {"x86_64": t.macho(d / "x.dylib", {}), "arm64": t.macho(d / "a", SECTION, "arm64")},
    ),
    "wasm": lambda t, d: t.wasm(d / "s.wasm", SECTION),
}


@pytest.fixture(scope="module")
def seeds(toolchain: Toolchain, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """One small real binary per format, each holding the sample tree."""
    directory = tmp_path_factory.mktemp("seeds")
    return {name: build(toolchain, directory).read_bytes() for name, build in _SEEDS.items()}


_EDITS = st.lists(
    st.tuples(
        st.sampled_from([64, 512, 4096, 1 << 30]),  # where: headers first, anywhere at times
        st.integers(0, 1 << 30),
        st.sampled_from([b"\0", b"\xff", b"\0\0\0\0", b"\xff\xff\xff\xff", b"\x7f\xff\xff\xff"])
        | st.binary(min_size=1, max_size=8),
    ),
    min_size=1,
    max_size=8,
)


@pytest.mark.parametrize("seed", sorted(_SEEDS))
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(edits=_EDITS, cut=st.none() | st.floats(0, 1))
def test_mutated_binaries_fail_cleanly(
    seeds: dict[str, bytes],
    seed: str,
    edits: list[tuple[int, int, bytes]],
    cut: float | None,
) -> None:
    """Whatever the damage, the result is data, no data, or one InvalidBinary: no other
    exception, no hang, and the parsed data is still well-formed."""
    image = bytearray(seeds[seed])
    for region, position, data in edits:
        at = position % min(region, len(image))
        image[at : at + len(data)] = data
    if cut is not None:
        image = image[: int(len(image) * cut)]
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "mutated"
        path.write_bytes(bytes(image))
        started = time.perf_counter()
        try:
            result = read_auditable(path)
        except InvalidBinary as e:
            message = str(e)
        else:
            message = f"{path}: parsed"
            if isinstance(result, AuditableDeps):
                assert all(
                    d < len(result.packages) for p in result.packages for d in p.dependencies
                )
        assert time.perf_counter() - started < 5
        assert message.startswith(f"{path}: ")
        assert "\n" not in message
