"""read_auditable on real binaries built at test time (see toolchain.py for how)."""

from __future__ import annotations

import os
import zlib
from pathlib import Path

import pytest

from cratewatch.binaries import (
    NO_AUDIT_DATA_REASON,
    AuditableDeps,
    BinaryFormat,
    DependencyKind,
    InvalidBinary,
    NoAuditData,
    UnreadableBinary,
    dependency_paths,
    packages_for_audit,
    read_auditable,
)
from cratewatch.semver import Version
from tests.binaries.payloads import SAMPLE, audit_json, compressed, lockfile_tree, package
from tests.binaries.toolchain import FOREIGN_ELF, Toolchain

SAMPLE_SECTION = compressed(audit_json(SAMPLE))


def _expect_sample(result: object, binary_format: BinaryFormat) -> None:
    assert isinstance(result, AuditableDeps)
    assert result.binary_format is binary_format
    assert result.format == 1
    assert [(p.name, str(p.version), p.source) for p in result.packages] == [
        (p["name"], p["version"], p["source"]) for p in SAMPLE
    ]


# -------------------------------------------------------------------------- every format


def test_elf_program_with_section_added_by_objcopy(toolchain: Toolchain, tmp_path: Path) -> None:
    binary = toolchain.elf(tmp_path / "app", {".dep-v0": SAMPLE_SECTION})
    result = read_auditable(binary)
    _expect_sample(result, BinaryFormat.ELF)
    assert isinstance(result, AuditableDeps)
    app, hyper, serde, *_ = result.packages
    assert app.root
    assert not hyper.root
    assert app.dependencies == (1, 2, 5, 6)
    assert serde.kind is DependencyKind.RUNTIME
    assert result.packages[7].kind is DependencyKind.BUILD
    assert result.packages[5].version == Version(
        major=0, minor=3, patch=0, pre="alpha.2", build="build.5"
    )


def test_elf_program_with_section_laid_out_by_the_linker(
    toolchain: Toolchain, tmp_path: Path
) -> None:
    binary = toolchain.elf_linked(tmp_path / "app", SAMPLE_SECTION)
    _expect_sample(read_auditable(binary), BinaryFormat.ELF)


def test_elf_program_without_section_has_no_audit_data(
    toolchain: Toolchain, tmp_path: Path
) -> None:
    binary = toolchain.elf(tmp_path / "app", {})
    assert read_auditable(binary) == NoAuditData(
        reason=NO_AUDIT_DATA_REASON, binary_format=BinaryFormat.ELF
    )


@pytest.mark.parametrize("target", sorted(FOREIGN_ELF))
def test_elf_for_other_machines(toolchain: Toolchain, tmp_path: Path, target: str) -> None:
    with_data = toolchain.elf_foreign(tmp_path / "with.so", target, {".dep-v0": SAMPLE_SECTION})
    _expect_sample(read_auditable(with_data), BinaryFormat.ELF)
    without = toolchain.elf_foreign(tmp_path / "without.so", target, {".other": b"x"})
    assert isinstance(read_auditable(without), NoAuditData)


@pytest.mark.parametrize("target", ["x86_64-pc-windows-msvc", "i686-pc-windows-msvc"])
def test_pe_dll(toolchain: Toolchain, tmp_path: Path, target: str) -> None:
    with_data = toolchain.pe(tmp_path / "app.dll", {".dep-v0": SAMPLE_SECTION}, target)
    _expect_sample(read_auditable(with_data), BinaryFormat.PE)
    without = toolchain.pe(tmp_path / "plain.dll", {".rdata2": b"not audit data"}, target)
    assert read_auditable(without) == NoAuditData(
        reason=NO_AUDIT_DATA_REASON, binary_format=BinaryFormat.PE
    )


@pytest.mark.parametrize("arch", ["x86_64", "arm64"])
def test_macho_dylib(toolchain: Toolchain, tmp_path: Path, arch: str) -> None:
    with_data = toolchain.macho(tmp_path / "app.dylib", {".dep-v0": SAMPLE_SECTION}, arch)
    _expect_sample(read_auditable(with_data), BinaryFormat.MACHO)
    without = toolchain.macho(tmp_path / "plain.dylib", {".other": b"x"}, arch)
    assert isinstance(read_auditable(without), NoAuditData)


def test_macho_section_must_be_in_the_data_segment(toolchain: Toolchain, tmp_path: Path) -> None:
    binary = toolchain.macho(tmp_path / "t.dylib", {".dep-v0": SAMPLE_SECTION}, segment="__TEXT")
    assert isinstance(read_auditable(binary), NoAuditData)


def test_fat_macho(toolchain: Toolchain, tmp_path: Path) -> None:
    slices = {
        "x86_64": toolchain.macho(tmp_path / "x86_64.dylib", {}, "x86_64"),
        "arm64": toolchain.macho(tmp_path / "arm64.dylib", {".dep-v0": SAMPLE_SECTION}, "arm64"),
    }
    universal = toolchain.fat_macho(tmp_path / "universal.dylib", slices)
    _expect_sample(read_auditable(universal), BinaryFormat.MACHO)
    plain = {"x86_64": slices["x86_64"]}
    assert isinstance(read_auditable(toolchain.fat_macho(tmp_path / "p", plain)), NoAuditData)


def test_wasm_module(toolchain: Toolchain, tmp_path: Path) -> None:
    sections = {"producers2": b"\x00", ".dep-v0": SAMPLE_SECTION}
    _expect_sample(read_auditable(toolchain.wasm(tmp_path / "a.wasm", sections)), BinaryFormat.WASM)
    assert isinstance(read_auditable(toolchain.wasm(tmp_path / "b.wasm", {})), NoAuditData)


# -------------------------------------------------------------------------- real-world trees


@pytest.mark.shared
@pytest.mark.parametrize(
    ("project", "root"),
    [("BurntSushi__ripgrep@14.1.1", "ripgrep"), ("zellij-org__zellij", "zellij")],
)
def test_real_dependency_tree_round_trips(
    toolchain: Toolchain, tmp_path: Path, shared_data: Path, project: str, root: str
) -> None:
    tree = lockfile_tree(shared_data / "lockfiles" / project / "Cargo.lock", root)
    binary = toolchain.elf(tmp_path / root, {".dep-v0": compressed(audit_json(tree))})
    result = read_auditable(binary)
    assert isinstance(result, AuditableDeps)
    assert [(p.name, str(p.version), p.source) for p in result.packages] == [
        (p["name"], p["version"], p["source"]) for p in tree
    ]
    assert [p.dependencies for p in result.packages] == [
        tuple(p.get("dependencies", [])) for p in tree
    ]
    (root_package,) = [p for p in result.packages if p.root]
    assert root_package.name == root
    targets = packages_for_audit(result)
    assert len(targets) == len(tree)
    for name, version, _ in targets:
        paths = dependency_paths(result, name, version)
        assert paths, name
        assert all(path[0] == root and path[-1] == name for path in paths)


# -------------------------------------------------------------------------- broken files


def test_not_a_binary(tmp_path: Path) -> None:
    text = tmp_path / "Cargo.toml"
    text.write_text('[package]\nname = "app"\n')
    with pytest.raises(InvalidBinary) as caught:
        read_auditable(text)
    assert str(caught.value) == (
        f"{text}: not an executable (no ELF, PE, Mach-O or WebAssembly header)"
    )


@pytest.mark.parametrize("content", [b"", b"\x7fEL", b"\xca\xfe\xba\xbe\x00\x00\x00\x34"])
def test_too_short_or_java_class_is_not_a_binary(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "f"
    path.write_bytes(content)
    with pytest.raises(InvalidBinary, match="not an executable"):
        read_auditable(path)


def test_missing_file_and_directory_are_unreadable(tmp_path: Path) -> None:
    with pytest.raises(UnreadableBinary) as caught:
        read_auditable(tmp_path / "nope")
    assert str(caught.value) == f"{tmp_path / 'nope'}: cannot open: No such file or directory"
    with pytest.raises(UnreadableBinary) as caught:
        read_auditable(tmp_path)
    assert str(caught.value) == f"{tmp_path}: not a regular file"


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(UnreadableBinary, match="not a regular file"):
        read_auditable(fifo)


def test_truncated_elf(toolchain: Toolchain, tmp_path: Path) -> None:
    binary = toolchain.elf(tmp_path / "app", {".dep-v0": SAMPLE_SECTION})
    data = binary.read_bytes()
    binary.write_bytes(data[: len(data) // 2])
    with pytest.raises(InvalidBinary) as caught:
        read_auditable(binary)
    assert str(caught.value).startswith(f"{binary}: truncated file: the ELF section headers end")


def test_truncated_pe_section(toolchain: Toolchain, tmp_path: Path) -> None:
    binary = toolchain.pe(tmp_path / "app.dll", {".dep-v0": SAMPLE_SECTION})
    data = binary.read_bytes()
    start = data.index(SAMPLE_SECTION)
    binary.write_bytes(data[: start + 10])
    # objcopy rounds a COFF section up to its 4-byte alignment; the linker keeps that size
    size = -(-len(SAMPLE_SECTION) // 4) * 4
    with pytest.raises(InvalidBinary) as caught:
        read_auditable(binary)
    assert str(caught.value) == (
        f"{binary}: truncated file: section .dep-v0 needs bytes "
        f"{start}..{start + size} but the file has {start + 10}"
    )


def test_corrupt_zlib(toolchain: Toolchain, tmp_path: Path) -> None:
    binary = toolchain.elf(tmp_path / "app", {".dep-v0": b"not zlib at all"})
    with pytest.raises(InvalidBinary) as caught:
        read_auditable(binary)
    assert str(caught.value) == (
        f"{binary}: .dep-v0: corrupt zlib data: "
        "Error -3 while decompressing data: incorrect header check"
    )


def test_truncated_zlib_stream(toolchain: Toolchain, tmp_path: Path) -> None:
    binary = toolchain.macho(tmp_path / "app.dylib", {".dep-v0": SAMPLE_SECTION[:-8]})
    with pytest.raises(InvalidBinary) as caught:
        read_auditable(binary)
    assert str(caught.value) == f"{binary}: .dep-v0: corrupt zlib data: the stream is truncated"


def test_zip_bomb_stops_at_the_limit(toolchain: Toolchain, tmp_path: Path) -> None:
    bomb = zlib.compress(b'{"packages":[' + b" " * (64 * 1024 * 1024) + b"]}", 9)
    assert len(bomb) < 100_000  # 64 MiB of JSON in a small section
    binary = toolchain.elf(tmp_path / "app", {".dep-v0": bomb})
    with pytest.raises(InvalidBinary) as caught:
        read_auditable(binary)
    assert str(caught.value) == (
        f"{binary}: .dep-v0: decompressed data exceeds the 8388608-byte limit"
    )
    padded = zlib.compress(b'{"packages":[' + b" " * 2000 + b"]}")
    small_bomb = toolchain.elf(tmp_path / "small", {".dep-v0": padded})
    with pytest.raises(InvalidBinary, match="decompressed data exceeds the 2014-byte limit"):
        read_auditable(small_bomb, max_json_bytes=2014)
    assert read_auditable(small_bomb, max_json_bytes=2015) == AuditableDeps(
        packages=(), format=0, binary_format=BinaryFormat.ELF
    )


def test_oversized_section_is_refused_before_reading(toolchain: Toolchain, tmp_path: Path) -> None:
    binary = toolchain.elf(tmp_path / "app", {".dep-v0": SAMPLE_SECTION})
    with pytest.raises(InvalidBinary) as caught:
        read_auditable(binary, max_json_bytes=100)
    assert str(caught.value) == (
        f"{binary}: .dep-v0: the section is {len(SAMPLE_SECTION)} bytes, over the 100-byte limit"
    )


def test_empty_section(toolchain: Toolchain, tmp_path: Path) -> None:
    binary = toolchain.wasm(tmp_path / "app.wasm", {".dep-v0": b""})
    with pytest.raises(InvalidBinary) as caught:
        read_auditable(binary)
    assert str(caught.value) == f"{binary}: .dep-v0: the section is empty"


def test_field_errors_name_the_binary_and_the_field(toolchain: Toolchain, tmp_path: Path) -> None:
    bad = [package("app", "0.1.0", "local", root=True), package("libc", "0.2")]
    binary = toolchain.elf(tmp_path / "app", {".dep-v0": compressed(audit_json(bad))})
    with pytest.raises(InvalidBinary) as caught:
        read_auditable(binary)
    assert str(caught.value) == (
        f"{binary}: .dep-v0: packages[1].version: invalid version '0.2': "
        "unexpected end of input while parsing minor version number"
    )


def test_padding_after_the_zlib_stream_is_ignored(toolchain: Toolchain, tmp_path: Path) -> None:
    binary = toolchain.elf(tmp_path / "app", {".dep-v0": SAMPLE_SECTION + b"\0" * 13})
    _expect_sample(read_auditable(binary), BinaryFormat.ELF)
