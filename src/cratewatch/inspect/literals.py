"""Values of Rust literals: strings with escapes, integers, byte arrays, ``format!`` templates."""

from __future__ import annotations

import re

from tree_sitter import Node

from cratewatch.inspect.trees import is_comment, node_text

__all__ = ["MAX_VALUE", "decode_string", "format_template", "int_value", "ints_to_bytes"]

MAX_VALUE = 1024 * 1024
"""Longest string folded."""
_ESCAPE = re.compile(rb"\\(x[0-9a-fA-F]{2}|u\{[0-9a-fA-F_]{1,8}\}|.)", re.DOTALL)
_SIMPLE_ESCAPES = {
    b"n": "\n",
    b"r": "\r",
    b"t": "\t",
    b"\\": "\\",
    b"0": "\0",
    b"'": "'",
    b'"': '"',
}


def decode_string(node: Node) -> str | None:
    """The value of a string / raw string / byte string / char literal node."""
    raw = node.text or b""
    if node.type == "raw_string_literal":
        content = next((c for c in node.children if c.type == "string_content"), None)
        return node_text(content) if content is not None else ""
    if node.type == "char_literal":
        body = raw[raw.find(b"'") + 1 : raw.rfind(b"'")]
    else:
        start = raw.find(b'"')
        end = raw.rfind(b'"')
        if start < 0 or end <= start:
            return None
        body = raw[start + 1 : end]
    if len(body) > MAX_VALUE:
        return None
    return _ESCAPE.sub(_unescape, body).decode("utf-8", errors="replace")


def _unescape(match: re.Match[bytes]) -> bytes:
    token = match.group(1)
    if token in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[token].encode()
    if token.startswith(b"x") and len(token) == 3:
        return chr(int(token[1:], 16)).encode("utf-8")
    if token.startswith(b"u{"):
        code = int(token[2:-1].replace(b"_", b""), 16)
        return chr(code).encode("utf-8", errors="replace") if code < 0x110000 else b""
    if token == b"\n":  # line continuation
        return b""
    return match.group(0)


def int_value(node: Node) -> int | None:
    if node.type == "char_literal":
        value = decode_string(node)
        return ord(value) if value is not None and len(value) == 1 else None
    if node.type == "type_cast_expression":
        inner = node.child_by_field_name("value")
        return int_value(inner) if inner is not None else None
    if node.type != "integer_literal":
        return None
    text = node_text(node).replace("_", "").lower()
    text = re.sub(r"(u|i)(8|16|32|64|128|size)$", "", text)
    try:
        return int(text, 0)
    except ValueError:
        return None


def ints_to_bytes(node: Node) -> bytes | None:
    values: list[int] = []
    for child in node.named_children:
        if is_comment(child):
            continue
        value = int_value(child)
        if value is None or not 0 <= value <= 255:
            return None
        values.append(value)
    return bytes(values) if values else None


def format_template(template: str, values: list[str]) -> str | None:
    out: list[str] = []
    position = 0
    i = 0
    while i < len(template):
        char = template[i]
        if template.startswith("{{", i) or template.startswith("}}", i):
            out.append(char)
            i += 2
            continue
        if char == "{":
            end = template.find("}", i)
            if end < 0 or template[i + 1 : end] not in ("", ":?"):
                return None
            if position >= len(values):
                return None
            out.append(values[position])
            position += 1
            i = end + 1
            continue
        out.append(char)
        i += 1
    return "".join(out)
