"""Build-time dependencies (from ``Cargo.toml``) that bring network, process or obfuscation.

A ``[build-dependencies]`` entry on an HTTP client, or a proc-macro crate depending on one,
means build-time code can reach the network: ``medium`` (``low`` when optional, i.e. behind a
feature). Process helpers (``duct``, ``xshell``...) are ``low``; string-obfuscation crates
(``obfstr``, ``litcrypt``...) ``medium``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from cratewatch.inspect.model import Severity, Signal
from cratewatch.inspect.rules.network import HTTP_CRATES
from cratewatch.manifest import Dependency, DepKind, Manifest

__all__ = ["NETWORK_CRATES", "OBFUSCATION_CRATES", "PROCESS_CRATES", "check"]

NETWORK_CRATES = frozenset(
    {name.replace("_", "-") for name in HTTP_CRATES} | {"hyper-tls", "hyper-rustls", "http-req"}
)
"""Crate names (dash form) whose purpose is network access."""
PROCESS_CRATES = frozenset(
    {"duct", "xshell", "cmd_lib", "cmd-lib", "subprocess", "run_script", "execute", "shell-words"}
)
"""Crates that wrap process spawning."""
OBFUSCATION_CRATES = frozenset(
    {"obfstr", "litcrypt", "litcrypt2", "cryptify", "obfuscate", "goldberg", "obfuscator"}
)
"""Crates that hide string literals or control flow."""


def check(manifest: Manifest, text: str, *, proc_macro: bool) -> Iterator[Signal]:
    """Signals for the build-time dependencies declared in *manifest* (*text* is its source)."""
    lines = text.splitlines()
    for dep in manifest.dependencies:
        build_time = dep.kind is DepKind.BUILD or (proc_macro and dep.kind is DepKind.NORMAL)
        if not build_time:
            continue
        where = "build-dependency" if dep.kind is DepKind.BUILD else "dependency of a proc-macro"
        name = dep.package.replace("_", "-")
        if name in NETWORK_CRATES:
            yield _signal(
                dep,
                lines,
                "build-deps.network",
                Severity.LOW if dep.optional else Severity.MEDIUM,
                f"{dep.package} is a {where}: build-time code can reach the network with it.",
            )
        elif name in {n.replace("_", "-") for n in OBFUSCATION_CRATES}:
            yield _signal(
                dep,
                lines,
                "build-deps.obfuscation",
                Severity.MEDIUM,
                f"{dep.package} is a {where}; it exists to hide strings from readers.",
            )
        elif name in {n.replace("_", "-") for n in PROCESS_CRATES}:
            yield _signal(
                dep,
                lines,
                "build-deps.process",
                Severity.LOW,
                f"{dep.package} is a {where}: build-time code runs programs with it.",
            )


def _signal(
    dep: Dependency, lines: list[str], signal_id: str, severity: Severity, why: str
) -> Signal:
    table = "build-dependencies" if dep.kind is DepKind.BUILD else "dependencies"
    line = _line_of(lines, table, dep.name)
    return Signal(
        id=signal_id,
        severity=severity,
        file="Cargo.toml",
        line=line,
        end_line=line,
        excerpt=f"[{table}] {dep.name}"
        + (f" (package {dep.package})" if dep.name != dep.package else ""),
        why=why,
        role=None,
    )


def _line_of(lines: list[str], table: str, name: str) -> int:
    """The 1-based line declaring *name* in a *table* section; 0 when not found."""
    key = re.compile(rf"^\s*[\"']?{re.escape(name)}[\"']?\s*=")
    header = re.compile(rf"^\s*\[[^\]]*{re.escape(table)}\.[\"']?{re.escape(name)}[\"']?\s*\]")
    in_table = False
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if header.match(line):
            return number
        if stripped.startswith("["):
            in_table = stripped.strip("[]").rsplit(".", 1)[-1].strip() == table
            continue
        if in_table and key.match(line):
            return number
    return 0
