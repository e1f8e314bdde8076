"""Inspecting one crate: layout, per-file rules, manifest and binary checks, combinations.

Nothing is executed: Rust files are parsed with tree-sitter, other files only looked at.

>>> from cratewatch.inspect.source import CrateSource
>>> source = CrateSource(name="demo", version="0.1.0", origin="example", checksum="n/a",
...     files={"build.rs": b'fn main() { std::net::TcpStream::connect("1.2.3.4:80"); }'})
>>> [(s.id, s.severity.value) for s in inspect_source(source).signals]
[('network.socket', 'high'), ('build.script', 'info')]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import PurePosixPath

from cratewatch.errors import CratewatchError
from cratewatch.inspect import binaries as binary_rules
from cratewatch.inspect.buildtime import check_directives, check_layout
from cratewatch.inspect.layout import plan
from cratewatch.inspect.model import InspectReport, Role, Severity, Signal
from cratewatch.inspect.rules import build_deps as build_dep_rules
from cratewatch.inspect.rules import env, filesystem, network, obfuscation, process
from cratewatch.inspect.rules.base import FileContext, FileRule
from cratewatch.inspect.rules.combos import combine
from cratewatch.inspect.source import CrateSource
from cratewatch.inspect.syntax import MAX_PARSE_BYTES, RustFile
from cratewatch.manifest import Manifest, parse_manifest
from cratewatch.semver import Version

__all__ = ["FILE_RULES", "inspect_source"]

FILE_RULES: tuple[FileRule, ...] = (
    network.check,
    process.check,
    env.check,
    filesystem.check,
    obfuscation.check,
    check_directives,
)
"""Rules applied to each parsed Rust file."""

_MIN_NAME = 4


def inspect_source(source: CrateSource) -> InspectReport:
    """Every signal of one crate, most severe first."""
    files = source.files
    manifest, signals = _manifest(source)
    parsed: dict[str, RustFile] = {}

    def parse(path: str) -> RustFile:
        if len(files[path]) > MAX_PARSE_BYTES:
            return RustFile.parse(path, b"")
        if path not in parsed:
            parsed[path] = RustFile.parse(path, files[path])
        return parsed[path]

    layout = plan(files, manifest, parse)
    shipped = binary_rules.find_binaries(files)
    kinds = {b.path: b.kind for b in shipped}
    signals.extend(check_layout(layout, manifest))
    signals.extend(binary_rules.check(shipped))
    signals.extend(_links(source))
    if manifest is not None:
        text = files["Cargo.toml"].decode("utf-8", errors="replace")
        signals.extend(build_dep_rules.check(manifest, text, proc_macro=layout.proc_macro))
    build_strings: list[tuple[str, int, str, Role]] = []
    for path, role in layout.roles.items():
        data = files[path]
        if len(data) > MAX_PARSE_BYTES:
            signals.append(_skipped(path, role, len(data)))
            continue
        rust = parse(path)
        ctx = FileContext(file=rust, role=role, crate_files=files, binaries=kinds)
        for rule in FILE_RULES:
            signals.extend(rule(ctx))
        if role.at_build_time:
            build_strings.extend(_strings(rust, role))
    signals.extend(_binaries_named(shipped, build_strings, parsed))
    signals.extend(combine(signals))
    return InspectReport(
        name=source.name,
        version=source.version,
        origin=source.origin,
        checksum=source.checksum,
        build_script=layout.build_script,
        proc_macro=layout.proc_macro,
        files=len(files),
        rust_files=len(parsed),
        signals=_finalize(signals),
    )


def _manifest(source: CrateSource) -> tuple[Manifest | None, list[Signal]]:
    data = source.files.get("Cargo.toml")
    if data is None:
        return None, []
    try:
        manifest = parse_manifest(data.decode("utf-8", errors="replace"), path="Cargo.toml")
    except CratewatchError as e:
        return None, [
            Signal(
                id="manifest.invalid",
                severity=Severity.LOW,
                file="Cargo.toml",
                line=0,
                end_line=0,
                excerpt=str(e),
                why="Cargo.toml could not be read, so targets were found by file layout only.",
                role=None,
            )
        ]
    signals: list[Signal] = []
    package = manifest.package
    if package is not None:
        declared = package.version if isinstance(package.version, Version) else None
        if package.name != source.name or (
            declared is not None and str(declared) != source.version
        ):
            signals.append(
                Signal(
                    id="manifest.mismatch",
                    severity=Severity.MEDIUM,
                    file="Cargo.toml",
                    line=0,
                    end_line=0,
                    excerpt=f"package {package.name} {declared}",
                    why=f"Cargo.toml describes another package than {source.name} "
                    f"{source.version}: the archive may have been tampered with.",
                    role=None,
                )
            )
    return manifest, signals


def _links(source: CrateSource) -> Iterable[Signal]:
    for link in source.links:
        yield Signal(
            id="archive.link",
            severity=Severity.INFO if link.inside_root else Severity.MEDIUM,
            file=link.path,
            line=0,
            end_line=0,
            excerpt=f"{link.kind.value} -> {link.target}",
            why="Cargo never packages links; this one was added by hand"
            + ("." if link.inside_root else " and points outside the crate."),
            role=None,
        )


def _skipped(path: str, role: Role, size: int) -> Signal:
    return Signal(
        id="inspect.file-too-large",
        severity=Severity.LOW if role.at_build_time else Severity.INFO,
        file=path,
        line=0,
        end_line=0,
        excerpt=f"{size} bytes",
        why=f"Rust file larger than {MAX_PARSE_BYTES} bytes: not parsed, not inspected.",
        role=role,
    )


def _strings(rust: RustFile, role: Role) -> Iterable[tuple[str, int, str, Role]]:
    for site in rust.walk("string_literal", "raw_string_literal"):
        value = rust.string_value(site.node)
        if value:
            yield rust.path, site.line, value, site.fragment.role or role


def _binaries_named(
    shipped: Iterable[binary_rules.ShippedBinary],
    strings: list[tuple[str, int, str, Role]],
    parsed: Mapping[str, RustFile],
) -> Iterable[Signal]:
    for binary in shipped:
        name = PurePosixPath(binary.path).name
        if len(name) < _MIN_NAME:
            continue
        for path, line, value, role in strings:
            if name not in value or not role.at_build_time:
                continue
            severity = Severity.HIGH if binary.executable else Severity.MEDIUM
            yield Signal(
                id="binary.used-at-build",
                severity=severity,
                file=path,
                line=line,
                end_line=line,
                excerpt=parsed[path].excerpt(line, line),
                why=f"Build-time code refers to the shipped {binary.kind} {binary.path}: "
                "prebuilt code taking part in the build cannot be reviewed.",
                role=role,
            )
            break


def _finalize(signals: Iterable[Signal]) -> tuple[Signal, ...]:
    """Drop runtime evidence that no combination used, merge duplicates, sort."""
    best: dict[tuple[str, str, int], Signal] = {}
    for signal in signals:
        if signal.severity is Severity.INFO and signal.role in (Role.RUNTIME, Role.GENERATED):
            continue
        key = (signal.id, signal.file, signal.line)
        kept = best.get(key)
        if kept is None or signal.severity > kept.severity:
            best[key] = signal
    return tuple(
        sorted(
            best.values(),
            key=lambda s: (-s.severity.rank, s.file != "Cargo.toml", s.file, s.line, s.id),
        )
    )
