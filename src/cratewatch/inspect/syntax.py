"""Rust source as tree-sitter syntax trees, with the helpers every rule shares.

Nothing here runs code: files are parsed with tree-sitter-rust, which tolerates any input.
Macro arguments (``println!(..)``, ``format!(..)``, ``vec![..]``) are token trees to the
parser, so they are parsed again as expressions and kept as extra :class:`Fragment` trees
(``quote!`` bodies are marked as generated code). ``use`` declarations are followed so that
``Cmd::new`` after ``use std::process::Command as Cmd`` resolves to
``std::process::Command::new``, and :meth:`RustFile.string_value` folds constant strings
(literals, ``concat!``, ``String::from_utf8(vec![..])``, consts, ``+``, simple ``format!``).

>>> f = RustFile.parse("build.rs", b'use std::process::Command as C; fn main() { C::new("sh"); }')
>>> [(c.path, f.string_value(c.args[0])) for c in f.calls() if c.path]
[('std::process::Command::new', 'sh')]
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from tree_sitter import Node, Parser

from cratewatch.inspect.literals import (
    MAX_VALUE,
    decode_string,
    format_template,
    ints_to_bytes,
)
from cratewatch.inspect.trees import (
    INDEXED,
    LANGUAGE,
    MAX_REPARSED_BYTES,
    Fragment,
    Site,
    expand_macros,
    index_fragment,
    is_comment,
    node_text,
    token_tree,
)

__all__ = ["MAX_PARSE_BYTES", "Call", "Fragment", "RustFile", "Site"]

MAX_PARSE_BYTES = 4 * 1024 * 1024
"""Rust files larger than this are not parsed (generated tables, not hand-written code)."""

_T = TypeVar("_T")
_MAX_DEPTH = 10
_TEST_ATTRIBUTE = re.compile(
    r"^#\[\s*(?:(?:[a-z_]+::)*test\s*(?:\(.*\))?|cfg\s*\(\s*(?:all\s*\(\s*)?test\b.*)\]$", re.S
)
_GENERICS = re.compile(r"<[^<>]*>")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True, eq=False)
class Call:
    """A call expression: a path call (``std::env::var(..)``) or a method call (``x.arg(..)``)."""

    site: Site
    """The ``call_expression`` node."""
    path: str | None
    """Resolved path of the function for path calls; ``None`` for method calls."""
    candidates: tuple[str, ...]
    """Every path the callee may resolve to (glob imports add some); empty for methods."""
    method: str | None
    """The method name for method calls."""
    receiver: Node | None
    """The receiver expression of a method call."""
    args: tuple[Node, ...]
    """Argument expressions."""


@dataclass(slots=True)
class _Scope:
    imports: dict[str, str] = field(default_factory=dict)
    globs: list[str] = field(default_factory=list)
    bindings: dict[str, list[Site]] = field(default_factory=dict)
    functions: dict[str, list[Site]] = field(default_factory=dict)


class RustFile:
    """A parsed Rust file with its imports and constant bindings."""

    def __init__(
        self,
        path: str,
        source: bytes,
        fragments: list[Fragment],
        macro_args: dict[Node, tuple[Site, ...]],
    ) -> None:
        self.path = path
        """Path inside the crate."""
        self.source = source
        """The file's bytes."""
        self.fragments = fragments
        """The file's tree first, then re-parsed macro arguments."""
        self._lines = source.decode("utf-8", errors="replace").splitlines()
        self._scope = _Scope()
        self._macro_args = macro_args
        self._calls: tuple[Call, ...] | None = None
        self._test_lines: list[tuple[int, int]] = []
        for fragment in fragments:
            self._collect(fragment)
        self._test_lines.sort()

    @classmethod
    def parse(cls, path: str, source: bytes) -> RustFile:
        """Parse *source* (tree-sitter never fails; broken code yields ERROR nodes)."""
        parser = Parser(LANGUAGE)
        root = index_fragment(parser.parse(source).root_node, 0, None)
        fragments = [root]
        macro_args: dict[Node, tuple[Site, ...]] = {}
        expand_macros(parser, root, fragments, macro_args, nesting=0, budget=[MAX_REPARSED_BYTES])
        return cls(path, source, fragments, macro_args)

    # ------------------------------------------------------------------ walking

    def walk(self, *types: str) -> Iterator[Site]:
        """Every node of the given (indexed) types in every fragment, in source order."""
        for kind in types:
            if kind not in INDEXED:
                raise ValueError(f"node type {kind!r} is not indexed")
        for fragment in self.fragments:
            if len(types) == 1:
                for node in fragment.index.get(types[0], ()):
                    yield Site(node, fragment)
                continue
            nodes = [n for kind in types for n in fragment.index.get(kind, ())]
            nodes.sort(key=lambda n: n.start_byte)
            for node in nodes:
                yield Site(node, fragment)

    def calls(self) -> tuple[Call, ...]:
        """Every call expression, with its callee resolved through ``use`` declarations."""
        if self._calls is None:
            found = []
            for site in self.walk("call_expression"):
                function = site.node.child_by_field_name("function")
                if (
                    function is not None
                    and function.type == "identifier"
                    and (function.text == b"__f")
                ):
                    continue  # the wrapper a macro body was parsed in
                found.append(self.call_at(site))
            self._calls = tuple(found)
        return self._calls

    def call_at(self, site: Site) -> Call:
        """The :class:`Call` of a ``call_expression`` site."""
        node = site.node
        function = node.child_by_field_name("function")
        arguments = node.child_by_field_name("arguments")
        args = tuple(c for c in arguments.named_children if not is_comment(c)) if arguments else ()
        if function is not None and function.type == "generic_function":
            function = function.child_by_field_name("function")
        if function is not None and function.type == "field_expression":
            field_node = function.child_by_field_name("field")
            return Call(
                site=site,
                path=None,
                candidates=(),
                method=node_text(field_node) if field_node is not None else None,
                receiver=function.child_by_field_name("value"),
                args=args,
            )
        candidates = self.resolve(function) if function is not None else ()
        return Call(
            site=site,
            path=candidates[0] if candidates else None,
            candidates=candidates,
            method=None,
            receiver=None,
            args=args,
        )

    def macro_name(self, site: Site) -> str | None:
        """The resolved name of a ``macro_invocation`` (``env``, ``std::env``...)."""
        macro = site.node.child_by_field_name("macro")
        if macro is None:
            return None
        resolved = self.resolve(macro)
        return resolved[0] if resolved else None

    def macro_args(self, site: Site) -> tuple[Site, ...]:
        """The argument expressions of a ``macro_invocation``, as re-parsed."""
        return self._macro_args.get(site.node, ())

    # ------------------------------------------------------------------ paths

    def resolve(self, node: Node) -> tuple[str, ...]:
        """Possible full paths of an identifier / scoped identifier, imports applied."""
        if node.type not in ("identifier", "scoped_identifier", "type_identifier"):
            return ()
        text = _SPACE.sub("", node_text(node))
        while True:
            stripped = _GENERICS.sub("", text)
            if stripped == text:
                break
            text = stripped
        text = text.replace("::::", "::")
        segments = [s for s in text.split("::") if s]
        while segments and segments[0] in ("crate", "self", "super"):
            segments = segments[1:]
        if not segments:
            return ()
        head, rest = segments[0], segments[1:]
        if head in self._scope.imports:
            full = "::".join([self._scope.imports[head], *rest])
            return (full,)
        direct = "::".join(segments)
        return (direct, *("::".join([glob, *segments]) for glob in self._scope.globs))

    def mentions(self, prefix: str) -> bool:
        """Whether any ``use`` declaration imports from *prefix* (e.g. ``std::process``)."""
        return any(
            v == prefix or v.startswith(prefix + "::") for v in self._scope.imports.values()
        ) or any(g == prefix or g.startswith(prefix + "::") for g in self._scope.globs)

    def in_test_code(self, line: int) -> bool:
        """Whether the 1-based *line* is inside a ``#[test]`` or ``#[cfg(test)]`` item."""
        return any(start <= line <= end for start, end in self._test_lines)

    def bindings(self, name: str) -> tuple[Site, ...]:
        """Value expressions bound to *name* by ``let``, ``const`` or ``static`` anywhere."""
        return tuple(self._scope.bindings.get(name, ()))

    @property
    def imports(self) -> dict[str, str]:
        """Local name -> full path, from every ``use`` and ``extern crate`` in the file."""
        return dict(self._scope.imports)

    @property
    def globs(self) -> tuple[str, ...]:
        """Prefixes imported with ``*``."""
        return tuple(self._scope.globs)

    # ------------------------------------------------------------------ values

    def string_value(self, node: Node, depth: int = 0) -> str | None:  # noqa: PLR0911 - one per node kind
        """The constant string an expression evaluates to, when it can be folded."""
        if depth > _MAX_DEPTH:
            return None
        match node.type:
            case "string_literal" | "raw_string_literal":
                return decode_string(node)
            case "char_literal":
                value = decode_string(node)
                return value if value is not None and len(value) == 1 else None
            case "parenthesized_expression" | "reference_expression" | "type_cast_expression":
                inner = node.child_by_field_name("value") or (
                    node.named_children[0] if node.named_children else None
                )
                return self.string_value(inner, depth + 1) if inner is not None else None
            case "identifier":
                return self._binding_value(node_text(node), depth, self.string_value)
            case "binary_expression":
                return self._concat(node, depth)
            case "call_expression":
                return self._call_value(node, depth)
            case "macro_invocation":
                return self._macro_value(node, depth)
        return None

    def byte_values(self, node: Node, depth: int = 0) -> bytes | None:  # noqa: PLR0911 - one per node kind
        """The constant bytes of an array / ``vec![..]`` / byte string expression."""
        if depth > _MAX_DEPTH:
            return None
        match node.type:
            case "array_expression" | "token_tree":
                return ints_to_bytes(node)
            case "string_literal":
                text = decode_string(node)
                return text.encode("latin-1", errors="replace") if text is not None else None
            case "reference_expression" | "parenthesized_expression":
                inner = node.child_by_field_name("value") or (
                    node.named_children[0] if node.named_children else None
                )
                return self.byte_values(inner, depth + 1) if inner is not None else None
            case "identifier":
                return self._binding_value(node_text(node), depth, self.byte_values)
            case "macro_invocation":
                macro = node.child_by_field_name("macro")
                tree = token_tree(node)
                if macro is not None and node_text(macro) == "vec" and tree is not None:
                    return ints_to_bytes(tree)
            case "call_expression":
                call = self.call_at(Site(node, self.fragments[0]))
                if call.method in ("to_vec", "into", "as_bytes", "clone") and call.receiver:
                    return self.byte_values(call.receiver, depth + 1)
        return None

    def string_list(self, node: Node, depth: int = 0) -> list[str | None]:
        """The elements of an array / slice / ``vec![..]`` of strings (``None`` = unknown)."""
        if depth > _MAX_DEPTH:
            return []
        match node.type:
            case "reference_expression" | "parenthesized_expression":
                inner = node.child_by_field_name("value") or (
                    node.named_children[0] if node.named_children else None
                )
                return self.string_list(inner, depth + 1) if inner is not None else []
            case "array_expression":
                return [
                    self.string_value(c, depth + 1)
                    for c in node.named_children
                    if not is_comment(c)
                ]
            case "macro_invocation":
                return [
                    self.string_value(s.node, depth + 1) for s in self._macro_args.get(node, ())
                ]
            case "identifier":
                for site in self._scope.bindings.get(node_text(node), ()):
                    values = self.string_list(site.node, depth + 1)
                    if values:
                        return values
        value = self.string_value(node, depth + 1)
        return [value] if value is not None else [None]

    def literal_strings(self, node: Node) -> list[str]:
        """Every string literal inside *node* (decoded), for name heuristics."""
        found: list[str] = []
        stack = [node]
        while stack:
            current = stack.pop()
            if current.type in ("string_literal", "raw_string_literal"):
                value = decode_string(current)
                if value is not None:
                    found.append(value)
                continue
            stack.extend(current.children)
        return found

    def _binding_value(
        self, name: str, depth: int, evaluate: Callable[[Node, int], _T | None]
    ) -> _T | None:
        for site in self._scope.bindings.get(name, ()):
            value = evaluate(site.node, depth + 1)
            if value is not None:
                return value
        return None

    def _function_value(
        self, name: str, depth: int, evaluate: Callable[[Node, int], _T | None]
    ) -> _T | None:
        for site in self._scope.functions.get(name, ()):
            value = evaluate(site.node, depth + 1)
            if value is not None:
                return value
        return None

    def _concat(self, node: Node, depth: int) -> str | None:
        operator = node.child_by_field_name("operator")
        if operator is None or node_text(operator) != "+":
            return None
        left = node.child_by_field_name("left")
        right = node.child_by_field_name("right")
        if left is None or right is None:
            return None
        a = self.string_value(left, depth + 1)
        b = self.string_value(right, depth + 1)
        if a is None or b is None or len(a) + len(b) > MAX_VALUE:
            return None
        return a + b

    def _call_value(self, node: Node, depth: int) -> str | None:  # noqa: PLR0911
        call = self.call_at(Site(node, self.fragments[0]))
        if call.method is not None and call.receiver is not None:
            if call.method in ("to_string", "to_owned", "into", "unwrap", "expect", "clone"):
                return self.string_value(call.receiver, depth + 1)
            if call.method in ("concat", "join") and call.receiver.type in (
                "array_expression",
                "reference_expression",
            ):
                return self._join(call, depth)
            return None
        path = call.path or ""
        if path and "::" not in path and not call.args:
            return self._function_value(path, depth, self.string_value)
        last = path.rsplit("::", 1)[-1]
        if last in ("from", "new", "to_string") and path.rsplit("::", 2)[-2:-1] in (
            ["String"],
            ["OsString"],
            ["PathBuf"],
        ):
            return self.string_value(call.args[0], depth + 1) if call.args else None
        if last in ("from_utf8", "from_utf8_lossy", "from_utf8_unchecked") and call.args:
            data = self.byte_values(call.args[0], depth + 1)
            return data.decode("utf-8", errors="replace") if data is not None else None
        return None

    def _join(self, call: Call, depth: int) -> str | None:
        receiver = call.receiver
        while receiver is not None and receiver.type == "reference_expression":
            receiver = receiver.child_by_field_name("value")
        if receiver is None or receiver.type != "array_expression":
            return None
        parts = [self.string_value(c, depth + 1) for c in receiver.named_children]
        if any(p is None for p in parts):
            return None
        separator = ""
        if call.method == "join":
            if not call.args:
                return None
            sep = self.string_value(call.args[0], depth + 1)
            if sep is None:
                return None
            separator = sep
        return separator.join(p for p in parts if p is not None)

    def _macro_value(self, node: Node, depth: int) -> str | None:
        macro = node.child_by_field_name("macro")
        name = node_text(macro).rsplit("::", 1)[-1] if macro is not None else ""
        args = [site.node for site in self._macro_args.get(node, ())]
        if name == "concat":
            parts = [self.string_value(a, depth + 1) for a in args]
            if any(p is None for p in parts):
                return None
            return "".join(p for p in parts if p is not None)
        if name == "format" and args:
            template = self.string_value(args[0], depth + 1)
            values = [self.string_value(a, depth + 1) for a in args[1:]]
            if template is None or any(v is None for v in values):
                return None
            return format_template(template, [v for v in values if v is not None])
        return None

    # ------------------------------------------------------------------ text

    def excerpt(self, line: int, end_line: int, *, max_lines: int = 4) -> str:
        """The source lines ``line..end_line`` (1-based), trimmed and bounded."""
        if line <= 0:
            return ""
        chosen = self._lines[line - 1 : min(end_line, line + max_lines - 1)]
        shown = [s if len(s) <= 160 else s[:157] + "..." for s in chosen]
        indent = min((len(s) - len(s.lstrip()) for s in shown if s.strip()), default=0)
        text = "\n".join(s[indent:].rstrip() for s in shown)
        if end_line > line + max_lines - 1:
            text += "\n..."
        return text

    # ------------------------------------------------------------------ collection

    def _collect(self, fragment: Fragment) -> None:  # noqa: PLR0912 - one branch per item kind
        index = fragment.index
        for node in index.get("attribute_item", ()):
            if not _TEST_ATTRIBUTE.match(_SPACE.sub(" ", node_text(node))):
                continue
            item = node.next_named_sibling
            while item is not None and item.type in (
                "attribute_item",
                "line_comment",
                "block_comment",
            ):
                item = item.next_named_sibling
            if item is not None:
                offset = fragment.line_offset + 1
                self._test_lines.append(
                    (item.start_point.row + offset, item.end_point.row + offset)
                )
        for node in index.get("use_declaration", ()):
            argument = node.child_by_field_name("argument")
            if argument is not None:
                self._use(argument, "")
        for node in index.get("extern_crate_declaration", ()):
            name = node.child_by_field_name("name")
            alias = node.child_by_field_name("alias")
            if name is not None:
                local = node_text(alias) if alias is not None else node_text(name)
                self._scope.imports[local] = node_text(name)
        for node in index.get("function_item", ()):
            name = node.child_by_field_name("name")
            body = node.child_by_field_name("body")
            parameters = node.child_by_field_name("parameters")
            if name is None or body is None or parameters is None or parameters.named_children:
                continue
            tail = _tail_expression(body)
            if tail is not None:
                self._scope.functions.setdefault(node_text(name), []).append(Site(tail, fragment))
        for kind in ("const_item", "static_item", "let_declaration"):
            for node in index.get(kind, ()):
                target = node.child_by_field_name(
                    "pattern" if kind == "let_declaration" else "name"
                )
                value = node.child_by_field_name("value")
                if target is not None and value is not None and target.type == "identifier":
                    self._scope.bindings.setdefault(node_text(target), []).append(
                        Site(value, fragment)
                    )

    def _use(self, node: Node, prefix: str) -> None:
        def join(path: str) -> str:
            return f"{prefix}::{path}" if prefix else path

        match node.type:
            case "identifier" | "scoped_identifier" | "crate" | "self" | "super":
                full = _SPACE.sub("", join(node_text(node)))
                last = full.rsplit("::", 1)[-1]
                if last == "self":
                    full = full.rsplit("::", 1)[0]
                    last = full.rsplit("::", 1)[-1]
                self._scope.imports[last] = _strip_root(full)
            case "use_as_clause":
                path = node.child_by_field_name("path")
                alias = node.child_by_field_name("alias")
                if path is not None and alias is not None:
                    self._scope.imports[node_text(alias)] = _strip_root(
                        _SPACE.sub("", join(node_text(path)))
                    )
            case "scoped_use_list":
                path = node.child_by_field_name("path")
                inner = join(_SPACE.sub("", node_text(path))) if path is not None else prefix
                listing = node.child_by_field_name("list")
                if listing is not None:
                    self._use(listing, inner)
            case "use_list":
                for child in node.named_children:
                    self._use(child, prefix)
            case "use_wildcard":
                base = node.named_children[0] if node.named_children else None
                glob = join(_SPACE.sub("", node_text(base))) if base is not None else prefix
                if glob:
                    self._scope.globs.append(_strip_root(glob))


def _tail_expression(block: Node) -> Node | None:
    """The value a block evaluates to: its last child when that is an expression."""
    children = [c for c in block.named_children if not is_comment(c)]
    if not children:
        return None
    last = children[-1]
    if last.type.endswith(("_statement", "_declaration", "_item")):
        if last.type == "expression_statement" and last.child_count == 1:
            return last.named_children[0] if last.named_children else None
        return None
    return last


def _strip_root(path: str) -> str:
    segments = [s for s in path.split("::") if s and s not in ("crate", "self", "super")]
    return "::".join(segments)
