"""Process spawning: ``std::process::Command``, ``libc::system``/``exec*``, ``duct``.

The program and its arguments are folded to constants where possible, then classified:
toolchain probes (``rustc``, ``cc``, ``pkg-config``, ``git rev-parse``) are ``info``; other
programs ``low``; a shell running a command string ``medium``; downloaders (``curl``,
``wget``, PowerShell web cmdlets), package managers, ``git clone`` and shell strings that
download or pipe into a shell are ``high`` at build time.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import PurePosixPath

from tree_sitter import Node

from cratewatch.inspect.model import Role, Severity, Signal
from cratewatch.inspect.rules.base import (
    NETWORK_TOOLS,
    PACKAGE_MANAGERS,
    FileContext,
    by_role,
    describe_indicators,
    find_indicators,
    make_signal,
    role_of,
)
from cratewatch.inspect.syntax import Call, Site

__all__ = ["TOOLCHAIN", "CommandUse", "check", "commands"]

TOOLCHAIN = frozenset(
    {
        "rustc", "cargo", "rustdoc", "rustup", "cc", "gcc", "g++", "c++", "clang", "clang++",
        "cl", "clang-cl", "ar", "ranlib", "ld", "lld", "ld.lld", "link", "lib", "nm", "objcopy",
        "objdump", "strip", "llvm-config", "llvm-ar", "llvm-nm", "llvm-objcopy", "pkg-config",
        "pkgconf", "cmake", "make", "gmake", "mingw32-make", "ninja", "meson", "nmake",
        "msbuild", "xcrun", "xcode-select", "xcodebuild", "nasm", "yasm", "as", "protoc",
        "flatc", "bindgen", "swig", "perl", "python", "python3", "autoreconf", "autoconf",
        "automake", "libtool", "glibtool", "configure", "uname", "sw_vers", "lipo",
        "install_name_tool", "windres", "rc", "mt", "vswhere", "where", "which", "sysctl",
        "getconf", "ldconfig", "emcc", "emar", "wasm-ld", "wasm-opt", "javac", "java", "jar",
        "dotnet", "vcpkg", "sccache", "ccache", "cpp", "file", "lsb_release", "env", "true",
        "echo", "test", "cmd-version", "ml64", "ml", "armasm64", "dlltool", "gcc-ar",
        "x86_64-w64-mingw32-gcc", "i686-w64-mingw32-gcc", "rustfmt", "tar", "patch", "bison",
        "flex", "m4", "ruby", "cygpath", "sed", "cp", "mkdir", "ln", "rm", "mv", "touch",
        "cat", "ls", "gn", "bazel", "scons", "qmake", "moc", "glib-compile-resources",
        "glib-compile-schemas", "gettext", "msgfmt", "xgettext", "doxygen", "sphinx-build",
    }
)  # fmt: skip
"""Programs build scripts commonly run to probe or drive compilers and build systems."""

_TOOLCHAIN_ENV = re.compile(
    r"^(?:RUSTC|RUSTC_WRAPPER|RUSTC_WORKSPACE_WRAPPER|RUSTDOC|CARGO|CC|CXX|AR|LD|RANLIB|"
    r"PKG_CONFIG|CMAKE|MAKE|PROTOC|NASM|LLVM_CONFIG_PATH|LIBCLANG_PATH|[A-Z0-9_]*_(?:CC|CXX|AR)|"
    r"(?:TARGET|HOST)_(?:CC|CXX|AR)|PYTHON|PERL|XCRUN|SDKROOT)$"
)
_SHELLS = frozenset(
    {"sh", "bash", "zsh", "dash", "ksh", "fish", "csh", "tcsh", "cmd", "powershell", "pwsh"}
)
_SHELL_FLAGS = frozenset({"-c", "/c", "/k", "-command", "-encodedcommand", "-e", "-ec", "-lc"})
_GIT_NETWORK = frozenset({"clone", "fetch", "pull", "ls-remote", "archive", "remote"})
_GIT_SUBMODULE = "submodule"
_FETCHING_SUBCOMMANDS = frozenset(
    {
        "install", "i", "add", "get", "download", "pull", "fetch", "update", "upgrade", "run",
        "exec", "x", "dlx", "ci", "build", "mod", "tap", "clone", "sync",
    }
)  # fmt: skip
_SPAWN_METHODS = frozenset({"spawn", "output", "status", "exec"})
_ARG_METHODS = frozenset({"arg", "args"})
_COMMAND_PATHS = ("std::process::Command::new", "process::Command::new", "Command::new")
_LIBC_EXEC = re.compile(
    r"^(?:libc|nix::unistd|nix::libc)::(?:system|popen|execv|execve|execvp|execvpe|execl|"
    r"execlp|execle|fexecve|posix_spawn|posix_spawnp|fork)$"
)
_DUCT = re.compile(r"^(?:duct::cmd|xshell::cmd|cmd_lib::run_cmd|cmd_lib::run_fun|run_script::run)")


@dataclass(frozen=True, slots=True, eq=False)
class CommandUse:
    """One ``Command::new(program)`` with the arguments given to it."""

    site: Site
    """The ``Command::new`` call."""
    program: str | None
    """The program folded to a string, if constant."""
    program_hints: tuple[str, ...]
    """String literals in (or bound to) the program expression, when it is not constant."""
    args: tuple[str | None, ...]
    """Arguments, folded where constant (``None`` = not constant)."""


def commands(ctx: FileContext) -> Iterator[CommandUse]:
    """Every ``std::process::Command`` built in the file."""
    file = ctx.file
    process_imported = file.mentions("std::process") or any(
        "std::process" in (s.node.text or b"").decode("utf-8", "replace")
        for s in file.walk("scoped_identifier")
        if s.node.parent is not None and s.node.parent.type != "scoped_identifier"
    )
    for call in file.calls():
        if not any(_is_command_new(path, process_imported) for path in call.candidates):
            continue
        program_node = call.args[0] if call.args else None
        program = file.string_value(program_node) if program_node is not None else None
        hints: tuple[str, ...] = ()
        if program is None and program_node is not None:
            hints = tuple(_hints(ctx, program_node))
        yield CommandUse(
            site=call.site,
            program=program,
            program_hints=hints,
            args=tuple(_arguments(ctx, call)),
        )


def _is_command_new(path: str, process_imported: bool) -> bool:
    if path == "std::process::Command::new":
        return True
    return path in ("Command::new", "process::Command::new") and process_imported


def _hints(ctx: FileContext, node: Node) -> Iterator[str]:
    yield from ctx.file.literal_strings(node)
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "identifier" and current.text is not None:
            for site in ctx.file.bindings(current.text.decode()):
                yield from ctx.file.literal_strings(site.node)
        stack.extend(current.children)


def _arguments(ctx: FileContext, new_call: Call) -> Iterator[str | None]:
    """Arguments from the method chain on ``Command::new`` and from calls on its variable."""
    file = ctx.file
    node = new_call.site.node
    for method, args in _chain(node):
        if method in _ARG_METHODS:
            for arg in args:
                yield from file.string_list(arg) if method == "args" else [file.string_value(arg)]
    variable = _bound_variable(node)
    if variable is None:
        return
    scope = _enclosing_function(node)
    if scope is None:
        return
    for site in file.walk("call_expression"):
        if not _inside(site.node, scope):
            continue
        call = file.call_at(site)
        receiver = call.receiver
        if call.method not in _ARG_METHODS or receiver is None or not _names(receiver, variable):
            continue
        for arg in call.args:
            yield from file.string_list(arg) if call.method == "args" else [file.string_value(arg)]


def _chain(node: Node) -> Iterator[tuple[str, list[Node]]]:
    current = node
    while True:
        parent = current.parent
        if parent is None or parent.type != "field_expression":
            return
        call = parent.parent
        if call is None or call.type != "call_expression":
            return
        field_node = parent.child_by_field_name("field")
        arguments = call.child_by_field_name("arguments")
        args = list(arguments.named_children) if arguments is not None else []
        if field_node is not None and field_node.text is not None:
            yield field_node.text.decode(), args
        current = call


def _bound_variable(node: Node) -> str | None:
    current = node
    while current.parent is not None and current.parent.type in (
        "field_expression",
        "call_expression",
        "reference_expression",
    ):
        current = current.parent
    parent = current.parent
    if parent is not None and parent.type == "let_declaration":
        pattern = parent.child_by_field_name("pattern")
        if pattern is not None and pattern.type == "mut_pattern":
            pattern = pattern.named_children[0] if pattern.named_children else None
        if pattern is not None and pattern.type == "identifier" and pattern.text is not None:
            return pattern.text.decode()
    return None


def _enclosing_function(node: Node) -> Node | None:
    current: Node | None = node
    while current is not None and current.type not in ("function_item", "closure_expression"):
        current = current.parent
    return current


def _inside(node: Node, scope: Node) -> bool:
    return (
        scope.start_byte <= node.start_byte
        and node.end_byte <= scope.end_byte
        and (node.start_point.row >= scope.start_point.row)
    )


def _names(receiver: Node, variable: str) -> bool:
    node: Node | None = receiver
    while node is not None and node.type in ("reference_expression", "parenthesized_expression"):
        node = node.child_by_field_name("value") or (
            node.named_children[0] if node.named_children else None
        )
    return node is not None and node.type == "identifier" and node.text == variable.encode()


def _program_name(program: str) -> str:
    base = PurePosixPath(program.replace("\\", "/")).name.lower()
    return base.removesuffix(".exe").removesuffix(".cmd").removesuffix(".bat")


def check(ctx: FileContext) -> Iterator[Signal]:
    """Process signals of one file."""
    for use in commands(ctx):
        yield from _classify(ctx, use)
    for call in ctx.file.calls():
        path = call.path or ""
        role = role_of(ctx, call.site)
        if _LIBC_EXEC.match(path) or (call.method == "exec" and _is_command_chain(call)):
            severity = by_role(role, build=Severity.MEDIUM, runtime=Severity.INFO)
            if severity is not None:
                yield make_signal(
                    ctx,
                    call.site,
                    id="process.exec",
                    severity=severity,
                    why=f"Runs a program through {path or 'exec()'}, bypassing "
                    "std::process::Command's usual spawn-and-wait.",
                )
        elif _DUCT.match(path):
            values = [ctx.file.string_value(a) for a in call.args]
            yield from _classify(
                ctx,
                CommandUse(
                    site=call.site,
                    program=values[0] if values else None,
                    program_hints=(),
                    args=tuple(values[1:]),
                ),
            )
    for site in ctx.file.walk("macro_invocation"):
        if ctx.file.macro_name(site) in ("duct::cmd", "xshell::cmd"):
            values = [ctx.file.string_value(a.node) for a in ctx.file.macro_args(site)]
            if values:
                yield from _classify(
                    ctx,
                    CommandUse(
                        site=site, program=values[0], program_hints=(), args=tuple(values[1:])
                    ),
                )


def _is_command_chain(call: Call) -> bool:
    receiver = call.receiver
    while receiver is not None and receiver.type == "call_expression":
        function = receiver.child_by_field_name("function")
        if function is None:
            return False
        if function.type == "scoped_identifier" and (function.text or b"").endswith(
            b"Command::new"
        ):
            return True
        receiver = function.child_by_field_name("value")
    return False


def _emit(
    ctx: FileContext,
    use: CommandUse,
    role: Role,
    *,
    id: str,
    build: Severity | None,
    runtime: Severity | None,
    why: str,
) -> Iterator[Signal]:
    severity = by_role(role, build=build, runtime=runtime)
    if severity is not None:
        yield make_signal(ctx, use.site, id=id, severity=severity, why=why)


def _classify(ctx: FileContext, use: CommandUse) -> Iterator[Signal]:
    role = role_of(ctx, use.site)
    args = [a for a in use.args if a is not None]
    if use.program is None:
        yield from _classify_dynamic(ctx, use, role, args)
        return
    lowered = [a.lower() for a in args]
    name = _program_name(use.program)
    shipped = _shipped(ctx, use.program)
    if name in _SHELLS:
        yield from _shell(ctx, use, role, name, args=args, lowered=lowered)
    elif name in NETWORK_TOOLS or (name in PACKAGE_MANAGERS and _installs(name, lowered)):
        yield from _network_tool(ctx, use, role, name, args)
    elif name in PACKAGE_MANAGERS:
        why = f"Asks the package manager {name} a question ({_short(' '.join(args))})."
        yield from _emit(
            ctx, use, role, id="process.spawn", build=Severity.LOW, runtime=Severity.INFO, why=why
        )
    elif name == "git":
        yield from _git(ctx, use, role, lowered)
    elif name in TOOLCHAIN or _TOOLCHAIN_ENV.match(use.program):
        why = f"Runs {name}, a compiler or build tool build scripts commonly use."
        yield from _emit(
            ctx, use, role, id="process.toolchain", build=Severity.INFO, runtime=None, why=why
        )
    elif shipped is not None:
        why = (
            f"Runs {shipped}, a prebuilt binary shipped inside the crate: its behaviour cannot "
            "be reviewed from source."
        )
        yield from _emit(
            ctx,
            use,
            role,
            id="process.exec-shipped-binary",
            build=Severity.CRITICAL,
            runtime=Severity.HIGH,
            why=why,
        )
    else:
        why = f"Runs the program {use.program!r}."
        yield from _emit(
            ctx, use, role, id="process.spawn", build=Severity.LOW, runtime=Severity.INFO, why=why
        )


def _classify_dynamic(
    ctx: FileContext, use: CommandUse, role: Role, args: list[str]
) -> Iterator[Signal]:
    hints = use.program_hints
    if any(_TOOLCHAIN_ENV.match(h) or _program_name(h) in TOOLCHAIN for h in hints):
        why = (
            "Runs a compiler or build tool named by the environment (RUSTC, CC...), as build "
            "scripts do to probe the toolchain."
        )
        yield from _emit(
            ctx, use, role, id="process.toolchain", build=Severity.INFO, runtime=None, why=why
        )
        return
    network = [h for h in hints if _program_name(h) in NETWORK_TOOLS]
    if network:
        yield from _network_tool(ctx, use, role, _program_name(network[0]), args)
        return
    why = "Runs a program whose name is computed at run time, so it cannot be checked statically."
    yield from _emit(
        ctx, use, role, id="process.dynamic", build=Severity.LOW, runtime=Severity.INFO, why=why
    )


def _installs(name: str, lowered: list[str]) -> bool:
    """Whether a package-manager command line downloads or runs something."""
    if name in ("npx",):
        return True
    subcommand = next((a for a in lowered if not a.startswith("-")), "")
    return subcommand in _FETCHING_SUBCOMMANDS


def _shipped(ctx: FileContext, program: str) -> str | None:
    normalized = program.replace("\\", "/").lstrip("./")
    for path, kind in ctx.binaries.items():
        if normalized and (path == normalized or path.endswith("/" + normalized)):
            return f"{path} ({kind})"
    return None


def _shell(
    ctx: FileContext,
    use: CommandUse,
    role: Role,
    shell: str,
    *,
    args: list[str],
    lowered: list[str],
) -> Iterator[Signal]:
    flag_at = next((i for i, a in enumerate(lowered) if a in _SHELL_FLAGS), None)
    if flag_at is None:
        script = args[0] if args else None
        content = _script_content(ctx, script) if script is not None else None
        indicators = find_indicators(content) if content is not None else []
        risky = [i for i in indicators if i.kind not in ("url", "sensitive-path")]
        if risky:
            severity = by_role(role, build=Severity.HIGH, runtime=Severity.MEDIUM)
            why = (
                f"Runs the shipped script {script!r} with {shell}; the script contains "
                f"{describe_indicators(risky)}."
            )
            if severity is not None:
                yield make_signal(
                    ctx, use.site, id="process.shell-network", severity=severity, why=why
                )
            return
        severity = by_role(role, build=Severity.LOW, runtime=Severity.INFO)
        if severity is not None:
            yield make_signal(
                ctx,
                use.site,
                id="process.shell-script",
                severity=severity,
                why=f"Runs a script with {shell}.",
            )
        return
    command = " ".join(args[flag_at + 1 :]) if flag_at + 1 < len(args) else ""
    dynamic = len(use.args) > len(args)
    indicators = find_indicators(command)
    risky = [i for i in indicators if i.kind != "url"] or [i for i in indicators if i.kind == "url"]
    encoded = "-encodedcommand" in lowered or ("-e" in lowered and shell in ("powershell", "pwsh"))
    if risky or encoded:
        severity = by_role(role, build=Severity.HIGH, runtime=Severity.HIGH)
        detail = describe_indicators(risky) if risky else "an encoded PowerShell command"
        if severity is not None:
            yield make_signal(
                ctx,
                use.site,
                id="process.shell-network",
                severity=severity,
                why=f"Runs a {shell} command line containing {detail}: the classic "
                "download-and-run or exfiltration one-liner.",
            )
        return
    first = command.split()[0] if command.split() else ""
    benign = bool(first) and _program_name(first) in TOOLCHAIN
    severity = by_role(
        role,
        build=Severity.LOW if benign and not dynamic else Severity.MEDIUM,
        runtime=Severity.INFO,
    )
    if severity is not None:
        shown = f" {command!r}" if command else " built at run time"
        yield make_signal(
            ctx,
            use.site,
            id="process.shell",
            severity=severity,
            why=f"Runs a {shell} command line{shown}; shell strings hide what really runs.",
        )


def _script_content(ctx: FileContext, script: str) -> str | None:
    normalized = script.replace("\\", "/").lstrip("./")
    for path, data in ctx.crate_files.items():
        if normalized and (path == normalized or path.endswith("/" + normalized)):
            if len(data) > 256 * 1024 or b"Generated by GNU Autoconf" in data[:4096]:
                return None
            return data.decode("utf-8", errors="replace")
    return None


def _network_tool(
    ctx: FileContext, use: CommandUse, role: Role, name: str, args: list[str]
) -> Iterator[Signal]:
    severity = by_role(role, build=Severity.HIGH, runtime=Severity.LOW)
    if severity is None:
        return
    what = "downloads and installs packages" if name in PACKAGE_MANAGERS else "talks to the network"
    shown = " ".join(args)
    yield make_signal(
        ctx,
        use.site,
        id="process.network-tool",
        severity=severity,
        why=f"Runs {name}, which {what}{f' ({_short(shown)})' if shown else ''}; at build time "
        "this can fetch code or send data away.",
    )


def _git(ctx: FileContext, use: CommandUse, role: Role, lowered: list[str]) -> Iterator[Signal]:
    subcommand = next((a for a in lowered if not a.startswith("-")), "")
    if subcommand in _GIT_NETWORK:
        severity = by_role(role, build=Severity.HIGH, runtime=Severity.LOW)
        why = f"Runs git {subcommand}, which fetches from the network at build time."
        signal_id = "process.network-tool"
    elif subcommand == _GIT_SUBMODULE:
        severity = by_role(role, build=Severity.MEDIUM, runtime=Severity.INFO)
        why = "Runs git submodule, which may fetch sources from the network at build time."
        signal_id = "process.network-tool"
    else:
        severity = by_role(role, build=Severity.INFO, runtime=None)
        why = f"Runs git {subcommand or ''}".rstrip() + " to read repository metadata."
        signal_id = "process.toolchain"
    if severity is not None:
        yield make_signal(ctx, use.site, id=signal_id, severity=severity, why=why)


def _short(text: str) -> str:
    return text if len(text) <= 80 else text[:77] + "..."
