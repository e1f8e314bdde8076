"""``[bans.build]``: which crates may run code at build time, and what their sources ship.

A crate runs code during the build when it has a build script or is a proc-macro. With
``allow-build-scripts`` only the listed crates may have a build script. With ``executables``
not ``allow``, the sources of every such crate (and, with ``include-dependencies``, of every
crate they depend on; with ``include-workspace``, of workspace members) are walked: a file
matching a ``script-extensions`` glob (or a built-in one) is denied; a native executable
(ELF, PE, Mach-O, and with ``include-archives`` ``ar`` archives) is an error; a script with a
shebang gets the ``interpreted`` level. A ``[[bans.build.bypass]]`` entry allows files by
path (optionally pinned by SHA-256) or glob, or skips the crate entirely when its build script
has the given checksum and none of its ``required-features`` is enabled.

>>> executable_kind(b"\\x7fELF" + bytes(12), "bin/tool", include_archives=False)
'elf'
>>> executable_kind(b"#!/usr/bin/env python3\\n", "run", include_archives=False)
'interpreter:python3'
"""

from __future__ import annotations

import fnmatch
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from cratewatch.policy.config.model import BuildConfig, Bypass, Named, PolicyConfig
from cratewatch.policy.diagnostics import Check, Diagnostic, Label, LintLevel, Severity
from cratewatch.policy.graph import CrateGraph, Krate
from cratewatch.policy.labels import Labeller, crate_ref, labels

__all__ = ["BUILTIN_SCRIPT_GLOBS", "check_build", "executable_kind"]

BUILTIN_SCRIPT_GLOBS: tuple[str, ...] = tuple(
    f"*.{ext}"
    for ext in (
        "bat", "cmd", "go", "java", "js", "_js", "es", "es6", "pl", "perl", "pm",
        "6pl", "6pm", "p6", "p6l", "p6m", "pl6", "pm6", "t", "ps1", "psd1", "psm1",
        "py", "rb", "sh", "bash", "zsh",
    )
)  # fmt: skip
"""Script extensions ``enable-builtin-globs`` denies (those cargo-deny ships)."""

_MAX_FILES = 50_000
_HEADER = 16
_SHEBANG_READ = 256
_MACHO = (b"\xfe\xed\xfa\xce", b"\xfe\xed\xfa\xcf", b"\xce\xfa\xed\xfe", b"\xcf\xfa\xed\xfe")


def executable_kind(header: bytes, relative: str, *, include_archives: bool) -> str | None:
    """What a file starting with *header* is: ``elf``, ``pe``, ``mach``, ``archive`` or
    ``interpreter:NAME`` for a shebang script; ``None`` for anything else. Like cargo-deny,
    a file shorter than 16 bytes is never an executable."""
    if len(header) < _HEADER:
        return None
    native = _native_kind(header)
    if native == "archive" and not include_archives:
        return None
    if native is not None:
        return native
    if not header.startswith(b"#!"):
        return None
    name = _interpreter(header, relative)
    return None if name is None else f"interpreter:{name}"


def _native_kind(header: bytes) -> str | None:
    if header.startswith(b"\x7fELF"):
        return "elf"
    if header.startswith(b"MZ"):
        return "pe"
    fat = header.startswith(b"\xca\xfe\xba\xbe") and 0 < int.from_bytes(header[4:8], "big") < 45
    if header[:4] in _MACHO or fat:
        return "mach"
    if header.startswith(b"!<arch>\n"):
        return "archive"
    return None


def _interpreter(header: bytes, relative: str) -> str | None:
    """The interpreter a shebang line names (through ``/usr/bin/env``), as cargo-deny."""
    try:
        text = header.split(b"\n", 1)[0].decode("utf-8")
    except UnicodeDecodeError:
        return None
    if relative.endswith(".rs") and text.startswith("#!["):
        return None
    items = text.split(" ")
    interpreter, rest = items[0], items[1:]
    if interpreter.endswith("#!"):
        if not rest:
            return None
        interpreter, rest = rest[0], rest[1:]
    interpreter = interpreter.removeprefix("#!")
    if interpreter.endswith("/env"):
        return rest[0] if rest and rest[0] else None
    return interpreter.rsplit("/", 1)[-1] or None


@dataclass(slots=True)
class _Run:
    graph: CrateGraph
    build: BuildConfig
    labeller: Labeller
    out: list[Diagnostic]

    def add(
        self,
        code: str,
        severity: Severity,
        message: str,
        krate: Krate | None,
        *,
        labels_: tuple[Label | None, ...] = (),
        notes: tuple[str, ...] = (),
    ) -> None:
        self.out.append(
            Diagnostic(
                code=code,
                severity=severity,
                check=Check.BANS,
                message=message,
                crates=() if krate is None else (crate_ref(krate),),
                labels=labels(*labels_),
                notes=notes,
            )
        )


def check_build(graph: CrateGraph, config: PolicyConfig, build: BuildConfig) -> list[Diagnostic]:
    """Run the ``[bans.build]`` checks over every crate of *graph*."""
    run = _Run(
        graph=graph,
        build=build,
        labeller=Labeller(config_path=config.path, lockfile=graph.lockfile),
        out=[],
    )
    needs = _needs_checking(graph) if build.include_dependencies else None
    hits = [False] * len(build.bypass)
    for i, krate in enumerate(graph.krates):
        hit = _check_crate(run, krate, checked=needs[i] if needs is not None else None)
        if hit is not None:
            hits[hit] = True
    for hit, bypass in zip(hits, build.bypass, strict=True):
        if not hit:
            run.add(
                "unmatched-bypass",
                Severity.WARNING,
                "crate build bypass was not encountered",
                None,
                labels_=(run.labeller.config(bypass.spec.at, "unmatched bypass"),),
            )
    return run.out


def _needs_checking(graph: CrateGraph) -> list[bool]:
    """Whether each crate runs at build time or is a dependency of one that does."""
    needs = [k.executes_at_build_time for k in graph.krates]
    stack = [i for i, flag in enumerate(needs) if flag]
    while stack:
        for edge in graph.dependencies(stack.pop()):
            if not needs[edge.child]:
                needs[edge.child] = True
                stack.append(edge.child)
    return needs


def _check_crate(run: _Run, krate: Krate, *, checked: bool | None) -> int | None:
    """Check one crate; the index of the bypass entry it used, if any."""
    build = run.build
    script_allowed = (
        build.allow_build_scripts is None
        or krate.build_script is None
        or any(spec.matches(krate) for spec in build.allow_build_scripts)
    )
    if script_allowed and build.executables is LintLevel.ALLOW:
        return None
    if krate.workspace_member and not build.include_workspace:
        return None
    if (checked is None and not krate.executes_at_build_time) or checked is False:
        return None
    index = next((n for n, b in enumerate(build.bypass) if b.spec.matches(krate)), None)
    bypass = None if index is None else build.bypass[index]
    if (
        bypass is not None
        and bypass.build_script is not None
        and krate.build_script is not None
        and _skip_by_build_script(run, krate, bypass, bypass.build_script)
    ):
        return index
    if not script_allowed:
        run.add(
            "build-script-not-allowed",
            Severity.ERROR,
            f"crate '{krate.name} = {krate.version}' has a build script but is not allowed to "
            "have one",
            krate,
        )
        return index
    root = krate.root
    if root is not None and root.is_dir():
        _scan(run, krate, root, bypass)
    return index


def _skip_by_build_script(run: _Run, krate: Krate, bypass: Bypass, expected: Named) -> bool:
    """Verify the build script's checksum; ``True`` when the crate can be skipped."""
    assert krate.build_script is not None
    path = krate.build_script
    actual = _sha256(path)
    shown = _shown(path, krate)
    if actual != expected.value.lower():
        run.add(
            "checksum-mismatch",
            Severity.WARNING,
            "file did not match the expected checksum",
            krate,
            labels_=(run.labeller.config(expected.at, "expected checksum"),),
            notes=(f"path = '{shown}'", f"error = build script failed checksum: {actual}"),
        )
        return False
    run.add(
        "checksum-match",
        Severity.HELP,
        "file checksum matched",
        krate,
        labels_=(run.labeller.config(expected.at, "checksum"),),
        notes=(f"path = '{shown}'",),
    )
    for feature in bypass.required_features:
        if feature.value not in krate.features:
            run.add(
                "unknown-feature",
                Severity.WARNING,
                f"found unknown feature '{feature.value}' for crate '{krate.name} = "
                f"{krate.version}'",
                krate,
                labels_=(run.labeller.config(feature.at, "unknown feature"),),
            )
    enabled = [f for f in bypass.required_features if f.value in krate.enabled_features]
    if not enabled:
        return True
    run.add(
        "features-enabled",
        Severity.NOTE,
        f"{len(enabled)} features enabled for crate with build script, checking sources",
        krate,
        labels_=tuple(run.labeller.config(f.at, primary=False) for f in enabled),
    )
    return False


def _scan(run: _Run, krate: Krate, root: Path, bypass: Bypass | None) -> None:
    hits = _BypassHits(bypass)
    for path, relative in _files(root):
        shown = f"$crate/{relative}"
        if bypass is not None and _bypassed(run, krate, bypass, hits, path=path, relative=relative):
            continue
        if not _denied_by_extension(run, krate, relative):
            _check_executable(run, krate, path, relative, shown)
    if bypass is not None:
        hits.report(run, krate, bypass)


class _BypassHits:
    """Which allowed paths and globs of a bypass entry matched a file."""

    def __init__(self, bypass: Bypass | None) -> None:
        self.paths = [False] * (len(bypass.allow) if bypass else 0)
        self.globs = [False] * (len(bypass.allow_globs) if bypass else 0)
        self.checksums: list[tuple[Path, str, Named]] = []
        """Files pinned by checksum, verified after the walk (cargo-deny's order)."""

    def report(self, run: _Run, krate: Krate, bypass: Bypass) -> None:
        for hit, entry in zip(self.paths, bypass.allow, strict=True):
            if not hit:
                run.add(
                    "unmatched-path-bypass",
                    Severity.WARNING,
                    "allowed path was not encountered",
                    krate,
                    labels_=(run.labeller.config(entry.path.at),),
                )
        for hit, glob in zip(self.globs, bypass.allow_globs, strict=True):
            if not hit:
                run.add(
                    "unmatched-glob",
                    Severity.WARNING,
                    "glob was not encountered",
                    krate,
                    labels_=(run.labeller.config(glob.at),),
                )
        for path, shown, checksum in self.checksums:
            _verify_file(run, krate, path, shown, checksum)


def _bypassed(
    run: _Run, krate: Krate, bypass: Bypass, hits: _BypassHits, *, path: Path, relative: str
) -> bool:
    """Handle a file the bypass entry may allow; ``True`` when nothing else is to be done."""
    shown = f"$crate/{relative}"
    n = next((n for n, e in enumerate(bypass.allow) if e.path.value == relative), None)
    if n is not None:
        hits.paths[n] = True
        if bypass.allow[n].checksum is None:
            run.add(
                "path-bypassed",
                Severity.HELP,
                "file explicitly allowed",
                krate,
                labels_=(run.labeller.config(bypass.allow[n].path.at, "allowed path"),),
            )
            return True
    matched = [
        g for g, glob in enumerate(bypass.allow_globs) if fnmatch.fnmatchcase(relative, glob.value)
    ]
    if matched:
        for g in matched:
            hits.globs[g] = True
        run.add(
            "path-bypassed-by-glob",
            Severity.HELP,
            "file allowed by glob",
            krate,
            labels_=tuple(
                run.labeller.config(bypass.allow_globs[g].at, primary=False) for g in matched
            ),
            notes=(f"path = '{shown}'",),
        )
        return True
    checksum = None if n is None else bypass.allow[n].checksum
    if checksum is not None:
        hits.checksums.append((path, shown, checksum))
        return True
    return False


def _denied_by_extension(run: _Run, krate: Krate, relative: str) -> bool:
    build = run.build
    denied = [g for g in build.script_extensions if fnmatch.fnmatchcase(relative, f"*.{g.value}")]
    builtin = BUILTIN_SCRIPT_GLOBS if build.enable_builtin_globs else ()
    builtin_hits = [glob for glob in builtin if fnmatch.fnmatchcase(relative, glob)]
    if not denied and not builtin_hits:
        return False
    run.add(
        "denied-by-extension",
        Severity.ERROR,
        "path disallowed by extension",
        krate,
        labels_=tuple(run.labeller.config(g.at, primary=False) for g in denied),
        notes=(f"path = '$crate/{relative}'", *(f"builtin glob: {glob}" for glob in builtin_hits)),
    )
    return True


def _check_executable(run: _Run, krate: Krate, path: Path, relative: str, shown: str) -> None:
    try:
        with path.open("rb") as stream:
            header = stream.read(_HEADER)
            if header.startswith(b"#!") and b"\n" not in header:
                header += stream.read(_SHEBANG_READ - _HEADER)
    except OSError as e:
        run.add(
            "unable-to-check-path",
            Severity.ERROR,
            "unable to check if path is an executable",
            krate,
            notes=(f"path = {shown}", f"error = {e.strerror or e}"),
        )
        return
    kind = executable_kind(header, relative, include_archives=run.build.include_archives)
    if kind is None:
        return
    if kind.startswith("interpreter:"):
        level = run.build.interpreted
        run.add(
            "detected-executable-script",
            level.severity,
            "detected executable",
            krate,
            notes=(f"path = '{shown}'", f"interpreter = '{kind.removeprefix('interpreter:')}'"),
        )
        return
    run.add(
        "detected-executable",
        Severity.ERROR,
        "detected executable",
        krate,
        notes=(f"path = '{shown}'", f"executable-kind = '{kind}'"),
    )


def _verify_file(run: _Run, krate: Krate, path: Path, shown: str, expected: Named) -> None:
    actual = _sha256(path)
    if actual == expected.value.lower():
        run.add(
            "checksum-match",
            Severity.HELP,
            "file checksum matched",
            krate,
            labels_=(run.labeller.config(expected.at, "checksum"),),
            notes=(f"path = '{shown}'",),
        )
        return
    run.add(
        "checksum-mismatch",
        Severity.ERROR,
        "file did not match the expected checksum",
        krate,
        labels_=(run.labeller.config(expected.at, "expected checksum"),),
        notes=(f"path = '{shown}'", f"error = checksum mismatch, calculated {actual}"),
    )


def _files(root: Path) -> Iterator[tuple[Path, str]]:
    """Regular files under *root*, depth first in name order (as ``walkdir`` sorted by file
    name), never through symlinks or into ``.git``, at most :data:`_MAX_FILES`."""
    count = 0
    stack = [iter(_entries(root))]
    while stack:
        entry = next(stack[-1], None)
        if entry is None:
            stack.pop()
            continue
        if entry.is_symlink() or entry.name == ".git":
            continue
        if entry.is_dir():
            stack.append(iter(_entries(entry)))
        elif entry.is_file():
            count += 1
            if count > _MAX_FILES:
                return
            yield entry, entry.relative_to(root).as_posix()


def _entries(directory: Path) -> list[Path]:
    try:
        return sorted(directory.iterdir(), key=lambda p: p.name)
    except OSError:
        return []


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as stream:
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
    except OSError as e:
        return f"unreadable ({e.strerror or e})"
    return digest.hexdigest()


def _shown(path: Path, krate: Krate) -> str:
    root = krate.root
    if root is not None and path.is_relative_to(root):
        return f"$crate/{path.relative_to(root).as_posix()}"
    return str(path)
