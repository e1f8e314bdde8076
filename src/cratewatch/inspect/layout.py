"""Which Rust files of a crate run when: build script, proc-macro, runtime, or never.

The build script is the one ``Cargo.toml`` names (``build = ...``), else ``build.rs`` when
present (Cargo's auto-detection); its modules are followed through ``mod x;``,
``#[path = ".."] mod x;`` and ``include!("..")``. Every compiled file of a proc-macro crate
runs inside the compiler. Other ``.rs`` files are runtime code, except those under
``tests/``, ``benches/``, ``examples/`` and fuzzing directories, which dependents never build.

>>> plan({"build.rs": b"mod gen; fn main() {}", "gen.rs": b"", "src/lib.rs": b""}, None).roles
{'build.rs': <Role.BUILD_SCRIPT: 'build-script'>, 'gen.rs': <Role.BUILD_SCRIPT: 'build-script'>, \
'src/lib.rs': <Role.RUNTIME: 'runtime'>}
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from tree_sitter import Node

from cratewatch.inspect.model import Role
from cratewatch.inspect.syntax import RustFile
from cratewatch.manifest import BuildScriptPath, DetectBuildScript, Manifest, NoBuildScript

__all__ = ["Layout", "crate_relative", "plan"]

_NEVER_BUILT = frozenset({"tests", "benches", "examples", "fuzz", "test", "bench", "example"})


@dataclass(frozen=True, slots=True, kw_only=True)
class Layout:
    """The crate's targets as they matter for inspection."""

    build_script: str | None
    """Path of the build script, if the crate has one."""
    proc_macro: bool
    """Whether the library is a procedural macro."""
    roles: Mapping[str, Role] = field(hash=False)
    """Rust file path -> role, for every file worth parsing (sorted by path)."""


def plan(
    files: Mapping[str, bytes],
    manifest: Manifest | None,
    parse: Callable[[str], RustFile] | None = None,
) -> Layout:
    """Assign a role to every Rust file of the crate; *parse* caches parsed files."""
    parser = parse or (lambda path: RustFile.parse(path, files[path]))
    build_script = _build_script(files, manifest)
    proc_macro = bool(manifest and manifest.lib and manifest.lib.proc_macro)
    roles: dict[str, Role] = {}
    if build_script is not None and build_script in files:
        for path in _closure(build_script, files, parser):
            roles[path] = Role.BUILD_SCRIPT
    lib = _lib_path(manifest)
    runtime_role = Role.PROC_MACRO if proc_macro else Role.RUNTIME
    if lib in files:
        for path in _closure(lib, files, parser):
            roles.setdefault(path, runtime_role)
    for path in files:
        if path.endswith(".rs") and path not in roles and _built(path):
            roles[path] = runtime_role
    return Layout(
        build_script=build_script if build_script in files else None,
        proc_macro=proc_macro,
        roles=dict(sorted(roles.items())),
    )


def _build_script(files: Mapping[str, bytes], manifest: Manifest | None) -> str | None:
    build = manifest.package.build if manifest and manifest.package else DetectBuildScript()
    match build:
        case BuildScriptPath(path=path):
            return crate_relative(PurePosixPath(path.replace("\\", "/")))
        case NoBuildScript():
            return None
        case DetectBuildScript():
            return "build.rs" if "build.rs" in files else None


def _lib_path(manifest: Manifest | None) -> str:
    if manifest and manifest.lib and manifest.lib.path:
        return crate_relative(PurePosixPath(manifest.lib.path.replace("\\", "/"))) or "src/lib.rs"
    return "src/lib.rs"


def _built(path: str) -> bool:
    top = path.split("/", 1)[0]
    return top not in _NEVER_BUILT


def _closure(root: str, files: Mapping[str, bytes], parse: Callable[[str], RustFile]) -> list[str]:
    """*root* and every file it pulls in with ``mod`` or ``include!``."""
    seen = [root]
    queue = [(root, True)]
    while queue:
        path, is_mod_root = queue.pop()
        for child, child_is_root in _children(path, is_mod_root, files, parse):
            if child not in seen:
                seen.append(child)
                queue.append((child, child_is_root))
    return seen


def _children(
    path: str, is_mod_root: bool, files: Mapping[str, bytes], parse: Callable[[str], RustFile]
) -> list[tuple[str, bool]]:
    file = parse(path)
    here = PurePosixPath(path).parent
    module_dir = here if is_mod_root else here / PurePosixPath(path).stem
    found: list[tuple[str, bool]] = []
    for site in file.walk("mod_item"):
        node = site.node
        if node.child_by_field_name("body") is not None:
            continue
        name_node = node.child_by_field_name("name")
        if name_node is None or name_node.text is None:
            continue
        name = name_node.text.decode()
        nesting = _inline_modules(node)
        explicit = _path_attribute(file, node)
        if explicit is not None:
            target = crate_relative(here / explicit)
            if target is not None and target in files:
                found.append((target, True))
            continue
        base = module_dir.joinpath(*nesting)
        for candidate, is_root in ((base / f"{name}.rs", False), (base / name / "mod.rs", True)):
            normalized = crate_relative(candidate)
            if normalized is not None and normalized in files:
                found.append((normalized, is_root))
                break
    for site in file.walk("macro_invocation"):
        macro = file.macro_name(site) or ""
        if macro.rsplit("::", 1)[-1] != "include":
            continue
        args = file.macro_args(site)
        target_text = file.string_value(args[0].node) if args else None
        if target_text is None:
            continue
        target = crate_relative(here / target_text)
        if target is not None and target in files:
            found.append((target, True))
    return found


def _inline_modules(node: Node) -> list[str]:
    names: list[str] = []
    current = node.parent
    while current is not None:
        if current.type == "mod_item":
            name = current.child_by_field_name("name")
            if name is not None and name.text is not None:
                names.append(name.text.decode())
        current = current.parent
    return list(reversed(names))


def _path_attribute(file: RustFile, node: Node) -> str | None:
    sibling = node.prev_named_sibling
    while sibling is not None and sibling.type == "attribute_item":
        text = (sibling.text or b"").decode("utf-8", errors="replace")
        if text.replace(" ", "").startswith("#[path="):
            literal = next(
                (
                    c
                    for c in _descendants(sibling)
                    if c.type in ("string_literal", "raw_string_literal")
                ),
                None,
            )
            if literal is not None:
                return file.string_value(literal)
        sibling = sibling.prev_named_sibling
    return None


def _descendants(node: Node) -> list[Node]:
    out: list[Node] = []
    stack = list(node.children)
    while stack:
        current = stack.pop()
        out.append(current)
        stack.extend(current.children)
    return out


def crate_relative(path: PurePosixPath) -> str | None:
    """*path* (relative to the crate root) with ``.`` and ``..`` resolved; None when it leaves
    the root or names the root itself.

    >>> crate_relative(PurePosixPath("src/./net/../lib.rs")), crate_relative(PurePosixPath("../x"))
    ('src/lib.rs', None)
    """
    parts: list[str] = []
    for part in path.parts:
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                return None
            parts.pop()
        else:
            parts.append(part)
    return "/".join(parts) if parts else None
