"""Parsing Rust with tree-sitter: indexed trees (:class:`Fragment`) and macro re-parsing.

Macro arguments are token trees to the parser; :func:`expand_macros` parses them again as
call arguments, statements or items, in wrappers that never span a line break, so a node's
row plus the fragment's offset is its line in the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import tree_sitter_rust
from tree_sitter import Language, Node, Parser, Query, QueryCursor

from cratewatch.inspect.model import Role

__all__ = [
    "INDEXED",
    "LANGUAGE",
    "MAX_REPARSED_BYTES",
    "Fragment",
    "Site",
    "expand_macros",
    "index_fragment",
    "is_comment",
    "node_text",
    "token_tree",
]

LANGUAGE = Language(tree_sitter_rust.language())
"""The tree-sitter Rust grammar."""
_MAX_MACRO_NESTING = 4
_MAX_MACRO_BYTES = 256 * 1024
MAX_REPARSED_BYTES = 4 * 1024 * 1024
"""Most macro-body bytes re-parsed per file."""
# node types collected by one query per tree; RustFile.walk serves only these
INDEXED = (
    "call_expression", "macro_invocation", "string_literal", "raw_string_literal",
    "array_expression", "binary_expression", "compound_assignment_expr", "mod_item",
    "scoped_identifier", "use_declaration", "extern_crate_declaration", "const_item",
    "static_item", "let_declaration", "function_item", "macro_definition", "attribute_item",
)  # fmt: skip
_QUERY = Query(LANGUAGE, " ".join(f"({t}) @{t}" for t in INDEXED))
_ERRORS = Query(LANGUAGE, "(ERROR) @error")
_WORTH_PARSING = re.compile(rb'"|[A-Za-z0-9_>)\]]\s*\(|!|\^')
_ARGUMENT_MACROS = frozenset(
    {
        "println", "print", "eprintln", "eprint", "format", "format_args", "write", "writeln",
        "panic", "assert", "assert_eq", "assert_ne", "debug_assert", "debug_assert_eq",
        "debug_assert_ne", "vec", "concat", "include", "include_str", "include_bytes", "env",
        "option_env", "matches", "unreachable", "todo", "unimplemented", "trace", "debug",
        "info", "warn", "error", "log", "dbg", "compile_error", "stringify", "cfg",
    }
)  # fmt: skip
_GENERATING_MACROS = frozenset({"quote", "quote_spanned", "parse_quote", "parse_quote_spanned"})


@dataclass(frozen=True, slots=True, eq=False)
class Fragment:
    """One syntax tree of a file: the file itself or a re-parsed macro argument list."""

    root: Node
    """The tree's root node."""
    line_offset: int
    """Add to a node's 0-based row to get its 0-based line in the file."""
    role: Role | None
    """``GENERATED`` for ``quote!`` bodies; ``None`` means the file's own role."""
    index: dict[str, list[Node]] = field(default_factory=dict, repr=False)
    """Nodes of the indexed types, by type, in source order."""


def index_fragment(root: Node, line_offset: int, role: Role | None) -> Fragment:
    captures = QueryCursor(_QUERY).captures(root)
    index = {kind: sorted(nodes, key=lambda n: n.start_byte) for kind, nodes in captures.items()}
    return Fragment(root, line_offset, role, index)


@dataclass(frozen=True, slots=True, eq=False)
class Site:
    """A node and the fragment it belongs to."""

    node: Node
    """The syntax node."""
    fragment: Fragment
    """Where it sits (for line numbers)."""

    @property
    def line(self) -> int:
        """1-based first line in the file."""
        return self.node.start_point.row + self.fragment.line_offset + 1

    @property
    def end_line(self) -> int:
        """1-based last line in the file."""
        return self.node.end_point.row + self.fragment.line_offset + 1

    def at(self, node: Node) -> Site:
        """Another node of the same fragment."""
        return Site(node, self.fragment)


def node_text(node: Node | None) -> str:
    if node is None or node.text is None:
        return ""
    return node.text.decode("utf-8", errors="replace")


def is_comment(node: Node) -> bool:
    return node.type in ("line_comment", "block_comment")


def token_tree(node: Node) -> Node | None:
    return next((c for c in node.children if c.type == "token_tree"), None)


def expand_macros(
    parser: Parser,
    fragment: Fragment,
    fragments: list[Fragment],
    macro_args: dict[Node, tuple[Site, ...]],
    *,
    nesting: int,
    budget: list[int],
) -> None:
    """Parse the token trees of macro invocations in *fragment* as expressions or items."""
    if nesting >= _MAX_MACRO_NESTING:
        return
    for node in fragment.index.get("macro_invocation", ()):
        tree = token_tree(node)
        if tree is None:
            continue
        size = tree.end_byte - tree.start_byte
        if size > _MAX_MACRO_BYTES or size > budget[0] or size <= 2:
            continue
        budget[0] -= size
        macro = node.child_by_field_name("macro")
        name = node_text(macro).rsplit("::", 1)[-1] if macro is not None else ""
        body = (tree.text or b"")[1:-1]
        if not _WORTH_PARSING.search(body):
            continue  # no call, string, macro or XOR: nothing a rule looks at
        role = Role.GENERATED if name in _GENERATING_MACROS else fragment.role
        items_first = name not in _ARGUMENT_MACROS and (tree.text or b"").startswith(b"{")
        parsed, args = _parse_macro_body(parser, body, items_first=items_first)
        child = index_fragment(parsed, fragment.line_offset + tree.start_point.row, role)
        fragments.append(child)
        macro_args[node] = tuple(Site(a, child) for a in args)
        expand_macros(parser, child, fragments, macro_args, nesting=nesting + 1, budget=budget)


def _parse_macro_body(parser: Parser, body: bytes, *, items_first: bool) -> tuple[Node, list[Node]]:
    """Parse a macro body as call arguments, statements or items; return root and arguments.

    The wrapper text never spans a line break, so rows map back to the file by an offset.
    """
    attempts: list[tuple[Node, bool]] = []
    order = ("items", "args", "block") if items_first else ("args", "block", "items")
    for mode in order:
        if mode == "args":
            root = parser.parse(b"fn __m(){__f(" + body + b");}").root_node
        elif mode == "block":
            root = parser.parse(b"fn __m(){" + body + b"\n}").root_node
        else:
            root = parser.parse(body).root_node
        if not root.has_error:
            return root, _wrapper_args(root) if mode == "args" else []
        attempts.append((root, mode == "args"))
        if len(attempts) == 2:
            break
    root, is_args = min(attempts, key=lambda a: _error_count(a[0]))
    return root, _wrapper_args(root) if is_args else []


def _wrapper_args(root: Node) -> list[Node]:
    arguments = _find_first(root, "arguments")
    return [c for c in arguments.named_children if not is_comment(c)] if arguments else []


def _find_first(root: Node, node_type: str) -> Node | None:
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == node_type:
            return node
        stack.extend(reversed(node.children))
    return None


def _error_count(root: Node) -> int:
    return sum(len(nodes) for nodes in QueryCursor(_ERRORS).captures(root).values())
