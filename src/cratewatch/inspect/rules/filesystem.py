"""Filesystem access outside the build: secrets, persistence spots, home, absolute writes.

Build scripts should read their own package and write into ``OUT_DIR``. Naming SSH keys,
cloud or registry credentials, browser profiles or wallets at build time is ``high``; so is
naming shell start-up files, cron, systemd or ``~/.cargo/bin`` (persistence). Writing to a
literal absolute path is ``medium``; making a file executable is ``medium`` (evidence for
download-and-run); asking for the home directory is ``low``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from cratewatch.inspect.model import Severity, Signal
from cratewatch.inspect.rules.base import (
    FileContext,
    by_role,
    make_signal,
    persistence_path,
    role_of,
    sensitive_path,
)
from cratewatch.inspect.syntax import Call

__all__ = ["check"]

_HOME_CALLS = re.compile(
    r"^(?:std::env::home_dir|dirs(?:_next|_sys)?::home_dir|home::home_dir|"
    r"directories(?:_next)?::(?:UserDirs|BaseDirs)::new|dirs(?:_next)?::(?:config_dir|data_dir|"
    r"data_local_dir|document_dir|download_dir|desktop_dir))$"
)
_WRITE_CALLS = re.compile(
    r"^(?:std::)?fs::(?:write|copy|create_dir|create_dir_all|rename|remove_file|"
    r"remove_dir_all|hard_link|set_permissions)$|^(?:std::fs::)?File::create$|"
    r"^std::os::unix::fs::symlink$"
)
_EXEC_MODE = re.compile(r"^0o[0-7]?[0-7]*[1357][0-7]{2}$|^0o?[0-7]*[1357][0-7]{2}$")
_ABSOLUTE = re.compile(r"^(?:/|~|[A-Za-z]:[\\/]|\\\\)")
_HARMLESS_ABSOLUTE = ("/dev/null", "/dev/stdout", "/dev/stderr", "/proc/cpuinfo", "/proc/self/")


def check(ctx: FileContext) -> Iterator[Signal]:
    """Filesystem signals of one file."""
    yield from _paths(ctx)
    for call in ctx.file.calls():
        yield from _call(ctx, call)


def _paths(ctx: FileContext) -> Iterator[Signal]:
    for site in ctx.file.walk("string_literal", "raw_string_literal"):
        value = ctx.file.string_value(site.node)
        if not value or len(value) > 4096:
            continue
        role = role_of(ctx, site)
        what = sensitive_path(value)
        if what is not None:
            severity = by_role(role, build=Severity.HIGH, runtime=Severity.LOW)
            if severity is not None:
                yield make_signal(
                    ctx,
                    site,
                    id="fs.sensitive-path",
                    severity=severity,
                    why=f"Names a path holding {what}; build-time code has no business "
                    "reading it, and stealing it is what malicious crates do.",
                )
            continue
        if persistence_path(value):
            severity = by_role(role, build=Severity.HIGH, runtime=Severity.LOW)
            if severity is not None:
                yield make_signal(
                    ctx,
                    site,
                    id="fs.persistence",
                    severity=severity,
                    why="Names a file that runs code at login, on a schedule or on every "
                    "cargo/git use (shell rc files, cron, systemd, ~/.cargo, git hooks).",
                )


def _call(ctx: FileContext, call: Call) -> Iterator[Signal]:
    role = role_of(ctx, call.site)
    path = next((p for p in call.candidates if _HOME_CALLS.match(p)), None)
    if path is not None:
        severity = by_role(role, build=Severity.LOW, runtime=None)
        if severity is not None:
            yield make_signal(
                ctx,
                call.site,
                id="fs.home-dir",
                severity=severity,
                why=f"Looks up the user's home or config directory ({path}) at build time.",
            )
        return
    if call.method == "from_mode" or any(p.endswith("::from_mode") for p in call.candidates):
        mode = _text(call.args[0]) if call.args else ""
        if _EXEC_MODE.match(mode.replace("_", "")):
            severity = by_role(role, build=Severity.MEDIUM, runtime=Severity.INFO)
            if severity is not None:
                yield make_signal(
                    ctx,
                    call.site,
                    id="fs.make-executable",
                    severity=severity,
                    why=f"Gives a file execute permission ({mode}); build scripts that download "
                    "something and make it executable are running unreviewed code.",
                )
        return
    write = next((p for p in call.candidates if _WRITE_CALLS.match(p)), None)
    if write is None or not call.args:
        return
    target = ctx.file.string_value(call.args[-1 if write.endswith("copy") else 0])
    if target is None or not _ABSOLUTE.match(target) or target.startswith(_HARMLESS_ABSOLUTE):
        return
    severity = by_role(role, build=Severity.MEDIUM, runtime=None)
    if severity is not None:
        yield make_signal(
            ctx,
            call.site,
            id="fs.write-outside",
            severity=severity,
            why=f"Writes to {target!r}, outside OUT_DIR and the package: build scripts "
            "must not change the builder's system.",
        )


def _text(node: object) -> str:
    text = getattr(node, "text", None)
    return text.decode("utf-8", errors="replace") if isinstance(text, bytes) else ""
