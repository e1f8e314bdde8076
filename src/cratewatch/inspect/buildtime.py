"""Facts about what runs at build time: build script, proc-macro, ``links``, native libraries.

These are ``info`` signals that say where to look (``build.script``, ``build.proc-macro``,
``build.links``, ``build.native-lib``), plus ``low`` ones for linker directives that reach
outside the build (``rustc-link-search`` of an absolute directory that is not derived from
``OUT_DIR``, ``rustc-link-arg`` that wraps symbols or sets an rpath).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from cratewatch.inspect.layout import Layout
from cratewatch.inspect.model import Role, Severity, Signal
from cratewatch.inspect.rules.base import FileContext, make_signal, role_of
from cratewatch.manifest import Manifest

__all__ = ["check_directives", "check_layout"]

_DIRECTIVE = re.compile(r"^cargo::?(rustc-link-lib|rustc-link-search|rustc-link-arg[-a-z]*)=(.*)$")
_RISKY_LINK_ARG = re.compile(r"--wrap|-rpath|-z\s*execstack|--defsym|-init|-fini|LD_PRELOAD", re.I)
_OUTSIDE = re.compile(
    r"^(?:[a-z]+=)?(?:/tmp|/var/tmp|/dev/shm|~|/home/|/Users/|[A-Za-z]:\\\\Users)"
)


def check_layout(layout: Layout, manifest: Manifest | None) -> Iterator[Signal]:
    """Where build-time code is."""
    if layout.build_script is not None:
        yield Signal(
            id="build.script",
            severity=Severity.INFO,
            file=layout.build_script,
            line=0,
            end_line=0,
            excerpt=f"build script {layout.build_script}",
            why="Cargo compiles and runs this program on the builder's machine before the "
            "crate itself, with the builder's permissions.",
            role=Role.BUILD_SCRIPT,
        )
    if layout.proc_macro:
        yield Signal(
            id="build.proc-macro",
            severity=Severity.INFO,
            file="Cargo.toml",
            line=0,
            end_line=0,
            excerpt="[lib] proc-macro = true",
            why="A procedural macro runs inside the compiler on the builder's machine, "
            "whenever a dependent crate is compiled (or checked by an IDE).",
            role=Role.PROC_MACRO,
        )
    links = manifest.package.links if manifest and manifest.package else None
    if links is not None:
        yield Signal(
            id="build.links",
            severity=Severity.INFO,
            file="Cargo.toml",
            line=0,
            end_line=0,
            excerpt=f'links = "{links}"',
            why=f"The crate links the native library {links!r}; its build script decides "
            "where that library comes from.",
            role=None,
        )


def check_directives(ctx: FileContext) -> Iterator[Signal]:
    """``cargo:`` linker directives printed by a build script."""
    if ctx.role is not Role.BUILD_SCRIPT:
        return
    for site in ctx.file.walk("string_literal", "raw_string_literal"):
        if role_of(ctx, site) is not Role.BUILD_SCRIPT:
            continue
        value = ctx.file.string_value(site.node)
        match = _DIRECTIVE.match(value or "")
        if match is None:
            continue
        key, argument = match.groups()
        if key == "rustc-link-lib":
            yield make_signal(
                ctx,
                site,
                id="build.native-lib",
                severity=Severity.INFO,
                why=f"Links a native library ({argument or 'computed name'}).",
            )
        elif key == "rustc-link-search" and _OUTSIDE.match(argument):
            yield make_signal(
                ctx,
                site,
                id="build.link-search",
                severity=Severity.LOW,
                why=f"Adds {argument!r} to the linker search path: libraries from a temporary "
                "or home directory, not from the package or OUT_DIR.",
            )
        elif key.startswith("rustc-link-arg") and _RISKY_LINK_ARG.search(argument):
            yield make_signal(
                ctx,
                site,
                id="build.link-arg",
                severity=Severity.LOW,
                why=f"Passes {argument!r} to the linker, which can redirect symbols or "
                "library lookups in the final binary.",
            )
