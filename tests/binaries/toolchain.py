"""Build real binaries at test time with the Rust toolchain's own compiler and linkers.

* ELF: ``rustc`` compiles a real program; binutils ``objcopy --add-section`` adds ``.dep-v0``
  (the command the brief gives), or the program itself places the bytes with
  ``#[link_section = ".dep-v0"]`` so the real linker lays the section out (what
  ``cargo auditable`` does through an extra object file).
* ELF for other machines (32-bit, big-endian), PE and Mach-O: ``rustc --emit=obj`` for the
  foreign target (an empty ``#![no_core]`` crate, so no foreign standard library is needed;
  ``RUSTC_BOOTSTRAP`` unlocks the attribute on stable), linked by rust-lld, which ships with
  every rustup toolchain: ``ld.lld``, ``lld-link`` and ``ld64.lld``. The section goes in
  with ``objcopy`` (ELF, COFF) or ``ld64.lld -sectcreate __DATA .dep-v0 FILE`` (Mach-O).
* Fat Mach-O: two real thin dylibs behind a fat header, written the way ``lipo`` writes it.
* WebAssembly: ``wasm-ld`` links the module; the custom section is appended, as
  ``wasm-tools``/``wasm-custom-section`` do (custom sections may appear anywhere).
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

_EMPTY_CRATE = "#![no_core]\n#![feature(no_core)]\n"
_PROGRAM = 'fn main() {\n    println!("hello from a test binary");\n}\n'
_LINKED_PROGRAM = """
#[used]
#[link_section = ".dep-v0"]
static AUDIT_DATA: [u8; {size}] = *include_bytes!("deps.zlib");

fn main() {{
    println!("hello from a test binary");
}}
"""
FOREIGN_ELF = {
    # target -> objcopy's BFD name where Debian's binutils has no machine-specific one
    "i686-unknown-linux-gnu": None,
    "powerpc-unknown-linux-gnu": "elf32-big",
    "s390x-unknown-linux-gnu": "elf64-big",
}
_MACHO_ARCHS = {"x86_64": "x86_64-apple-darwin", "arm64": "aarch64-apple-darwin"}
_FAT_CPU = {"x86_64": (0x01000007, 3), "arm64": (0x0100000C, 0)}  # (cputype, cpusubtype)
_FAT_ALIGN = 14  # 2**14: lipo's alignment for x86_64 and arm64 slices


class ToolMissing(Exception):
    """A tool the builder needs is not installed (the test is skipped)."""


@dataclass
class Toolchain:
    """Makes binaries in ``work`` (cached base objects) and wherever a test asks."""

    rustc: str
    objcopy: str
    lld_dir: Path
    work: Path
    _cache: dict[str, Path] = field(default_factory=dict)

    @classmethod
    def find(cls, work: Path) -> Toolchain:
        rustc = shutil.which("rustc")
        if rustc is None:
            raise ToolMissing("rustc is not on PATH")
        sysroot = Path(_run([rustc, "--print", "sysroot"]).strip())
        host = next(
            line.split(": ", 1)[1]
            for line in _run([rustc, "-vV"]).splitlines()
            if line.startswith("host: ")
        )
        lld_dir = sysroot / "lib" / "rustlib" / host / "bin" / "gcc-ld"
        if not (lld_dir / "ld.lld").exists():
            raise ToolMissing(f"rust-lld not found in {lld_dir}")
        objcopy = shutil.which("objcopy")
        if objcopy is None:
            raise ToolMissing("binutils objcopy is not on PATH (apt-get install binutils)")
        return cls(rustc=rustc, objcopy=objcopy, lld_dir=lld_dir, work=work)

    # ---------------------------------------------------------------------------- ELF

    def elf(self, out: Path, sections: Mapping[str, bytes]) -> Path:
        """A real Rust program for the host, plus ``sections`` added by objcopy."""
        program = self._cached("program", self._compile_program)
        shutil.copyfile(program, out)
        out.chmod(0o755)
        self.add_sections(out, sections)
        return out

    def elf_linked(self, out: Path, section: bytes) -> Path:
        """A Rust program whose ``.dep-v0`` the linker itself lays out (``#[link_section]``)."""
        build = out.parent / f"{out.name}.build"
        build.mkdir()
        (build / "deps.zlib").write_bytes(section)
        source = build / "main.rs"
        source.write_text(_LINKED_PROGRAM.format(size=len(section)))
        _run([self.rustc, "-C", "opt-level=1", "-o", str(out), str(source)])
        return out

    def elf_foreign(self, out: Path, target: str, sections: Mapping[str, bytes]) -> Path:
        """A shared object for another machine (``i686``, ``powerpc``, ``s390x`` Linux)."""
        obj = self._empty_object(target)
        _run([str(self.lld_dir / "ld.lld"), "-shared", "-o", str(out), str(obj)])
        self.add_sections(out, sections, bfd_target=FOREIGN_ELF[target])
        return out

    # ---------------------------------------------------------------------------- PE

    def pe(
        self, out: Path, sections: Mapping[str, bytes], target: str = "x86_64-pc-windows-msvc"
    ) -> Path:
        """A Windows DLL linked by lld-link from a COFF object that carries ``sections``."""
        obj = out.parent / f"{out.name}.obj"
        shutil.copyfile(self._empty_object(target), obj)
        self.add_sections(obj, sections, flags="contents,readonly,data")
        machine = "/machine:x86" if target.startswith("i686") else "/machine:x64"
        lld_link = str(self.lld_dir / "lld-link")
        # /opt:noref keeps the unreferenced section, as cargo-auditable's exported symbol does.
        _run([lld_link, "/dll", "/noentry", "/opt:noref", machine, f"/out:{out}", str(obj)])
        return out

    # ---------------------------------------------------------------------------- Mach-O

    def macho(
        self,
        out: Path,
        sections: Mapping[str, bytes],
        arch: str = "x86_64",
        segment: str = "__DATA",
    ) -> Path:
        """A macOS dylib linked by ld64.lld with each section created in ``segment``."""
        obj = self._empty_object(_MACHO_ARCHS[arch])
        command = [str(self.lld_dir / "ld64.lld"), "-arch", arch, "-dylib", "-o", str(out)]
        command += ["-platform_version", "macos", "11.0", "11.0"]
        for index, (name, data) in enumerate(sections.items()):
            payload = out.parent / f"{out.name}.section{index}"
            payload.write_bytes(data)
            command += ["-sectcreate", segment, name, str(payload)]
        _run([*command, str(obj)])
        return out

    @staticmethod
    def fat_macho(out: Path, slices: Mapping[str, Path]) -> Path:
        """A universal binary: a big-endian fat header, then each slice aligned (``lipo``)."""
        align = 1 << _FAT_ALIGN
        image = bytearray(struct.pack(">II", 0xCAFEBABE, len(slices)))
        entries_end = len(image) + 20 * len(slices)
        bodies = bytearray()
        for arch, path in slices.items():
            body = path.read_bytes()
            start = -(-(entries_end + len(bodies)) // align) * align
            bodies += b"\0" * (start - entries_end - len(bodies)) + body
            cputype, cpusubtype = _FAT_CPU[arch]
            image += struct.pack(">iiIII", cputype, cpusubtype, start, len(body), _FAT_ALIGN)
        out.write_bytes(bytes(image + bodies))
        return out

    # ---------------------------------------------------------------------------- WASM

    def wasm(self, out: Path, sections: Mapping[str, bytes]) -> Path:
        """A module linked by wasm-ld, with each custom section appended."""
        obj = self._empty_object("wasm32-unknown-unknown")
        _run([str(self.lld_dir / "wasm-ld"), "--no-entry", "-o", str(out), str(obj)])
        with out.open("ab") as module:
            for name, data in sections.items():
                module.write(wasm_custom_section(name, data))
        return out

    # ---------------------------------------------------------------------------- helpers

    def _cached(self, key: str, build: Callable[[], Path]) -> Path:
        if key not in self._cache:
            self._cache[key] = build()
        return self._cache[key]

    def _compile_program(self) -> Path:
        source = self.work / "program.rs"
        source.write_text(_PROGRAM)
        out = self.work / "program"
        _run([self.rustc, "-C", "opt-level=1", "-o", str(out), str(source)])
        return out

    def _empty_object(self, target: str) -> Path:
        def build() -> Path:
            source = self.work / "empty.rs"
            source.write_text(_EMPTY_CRATE)
            out = self.work / f"empty-{target}.o"
            env = {**os.environ, "RUSTC_BOOTSTRAP": "1"}
            command = [self.rustc, "--target", target, "--crate-type=lib", "--emit=obj"]
            _run([*command, "-o", str(out), str(source)], env=env)
            return out

        return self._cached(f"empty-{target}", build)

    def add_sections(
        self,
        path: Path,
        sections: Mapping[str, bytes],
        *,
        flags: str = "noload,readonly",
        bfd_target: str | None = None,
    ) -> None:
        if not sections:
            return
        command = [self.objcopy]
        if bfd_target is not None:
            command += ["-I", bfd_target, "-O", bfd_target]
        for index, (name, data) in enumerate(sections.items()):
            payload = path.parent / f"{path.name}.section{index}"
            payload.write_bytes(data)
            command += ["--add-section", f"{name}={payload}"]
            command += ["--set-section-flags", f"{name}={flags}"]
        _run([*command, str(path)])


def wasm_custom_section(name: str, data: bytes) -> bytes:
    """Encode a WebAssembly custom section (id 0, size, name, payload)."""
    encoded = name.encode()
    body = _uleb128(len(encoded)) + encoded + data
    return b"\0" + _uleb128(len(body)) + body


def _uleb128(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def _run(command: list[str], env: Mapping[str, str] | None = None) -> str:
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({result.returncode}):\n{result.stderr}")
    return result.stdout
