"""Every signal id inspect can emit, with a one-line title (SARIF rule names, ``--help``).

A test checks that every id the rules emit is listed here.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

__all__ = ["CATALOG", "title"]

CATALOG: Mapping[str, str] = MappingProxyType(
    {
        "archive.checksum-mismatch": (
            "The .crate differs from the checksum the index or lockfile"
            " records"
        ),
        "archive.link": "The crate contains a symbolic or hard link",
        "archive.unsafe": "The .crate archive tries to escape its directory or hide special files",
        "binary.archive": "The crate ships a compressed archive",
        "binary.executable": "The crate ships a prebuilt executable or shared library",
        "binary.object": "The crate ships an object file or static library",
        "binary.used-at-build": "Build-time code refers to a shipped binary",
        "build-deps.network": "A build-time dependency is a network client",
        "build-deps.obfuscation": "A build-time dependency hides strings",
        "build-deps.process": "A build-time dependency runs programs",
        "build.link-arg": "The build script passes unusual linker arguments",
        "build.link-search": (
            "The build script adds a temporary or home directory to the linker"
            " path"
        ),
        "build.links": "The crate links a native library",
        "build.native-lib": "The build script links a native library",
        "build.proc-macro": "The crate is a procedural macro (runs in the compiler)",
        "build.script": "The crate has a build script (runs before compilation)",
        "combo.ci-gated": "Code checks for CI and reaches the network or runs programs",
        "combo.download-execute": (
            "Code reaches the network and runs programs or makes files"
            " executable"
        ),
        "combo.exfiltration": "Code reads secrets and reaches the network",
        "combo.obfuscated-behaviour": (
            "Build-time code hides data and reaches the network, runs programs or reads"
            " secrets"
        ),
        "env.ci": "Build-time code checks whether it runs in CI",
        "env.compile-time-secret": "env!/option_env! embeds a secret-looking variable",
        "env.dump": "Code iterates over every environment variable",
        "env.home": "Build-time code reads the user's home or identity",
        "env.secret": "Code reads a secret-looking environment variable",
        "fs.home-dir": "Build-time code looks up the home directory",
        "fs.make-executable": "Code gives a file execute permission",
        "fs.persistence": "Code names a login, schedule or hook file",
        "fs.sensitive-path": "Code names a credential, browser or wallet path",
        "fs.write-outside": "The build script writes to an absolute path",
        "inspect.file-too-large": "A Rust file too large to parse was skipped",
        "manifest.invalid": "Cargo.toml could not be read",
        "manifest.mismatch": "Cargo.toml describes another package than the archive name",
        "network.dns": "Code resolves host names",
        "network.http-client": "Code uses an HTTP or network client",
        "network.socket": "Code opens a network socket",
        "network.suspicious-url": "Code contains a request-capture, webhook, tunnel or raw-IP URL",
        "obfuscation.base64": "Build-time code carries a long base64 blob",
        "obfuscation.byte-blob": "Build-time code embeds high-entropy bytes",
        "obfuscation.char-codes": "Code builds text from numeric character codes",
        "obfuscation.decoded-payload": "Encoded data decodes to a command, URL or secret path",
        "obfuscation.hex": "Build-time code carries a long hex blob",
        "obfuscation.include-binary": (
            "Code embeds an executable or opaque file with"
            " include_bytes!"
        ),
        "obfuscation.xor": "Build-time code XOR-decodes data in a loop",
        "process.dynamic": "Code runs a program whose name is computed",
        "process.exec": "Code replaces or forks the process (exec, system, fork)",
        "process.exec-shipped-binary": "Code runs a prebuilt binary shipped in the crate",
        "process.network-tool": "Code runs a downloader, package manager or git clone",
        "process.shell": "Code runs a shell command line",
        "process.shell-network": (
            "Code runs a shell command that downloads, pipes to a shell or opens a reverse"
            " shell"
        ),
        "process.shell-script": "Code runs a script with a shell",
        "process.spawn": "Code runs a program",
        "process.toolchain": "The build script runs a compiler or build tool",
    }
)  # fmt: skip
"""Signal id -> one-line title."""


def title(signal_id: str) -> str:
    """The title of *signal_id* (the id itself when unknown)."""
    return CATALOG.get(signal_id, signal_id)
