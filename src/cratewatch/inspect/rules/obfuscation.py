"""Obfuscation: encoded blobs, strings built from character codes, XOR decoding, binary includes.

Each encoded thing is decoded (base64, hex, byte arrays) and the result searched for URLs,
downloaders, shell pipes and secret paths: a hidden payload with such content is ``high``
anywhere. Without it, encoded blobs and XOR loops are ``medium`` at build time (and dropped
at run time, where crypto code and test vectors are ordinary).
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import PurePosixPath

from tree_sitter import Node

from cratewatch.inspect.layout import crate_relative
from cratewatch.inspect.model import Severity, Signal
from cratewatch.inspect.rules.base import (
    FileContext,
    Indicator,
    by_role,
    describe_indicators,
    find_indicators,
    make_signal,
    role_of,
)
from cratewatch.inspect.syntax import Site

__all__ = ["check", "decode_blob"]

_BASE64 = re.compile(r"^[A-Za-z0-9+/]+={0,2}$|^[A-Za-z0-9_-]+={0,2}$")
_HEX = re.compile(r"^(?:0x)?[0-9a-fA-F]+$")
_MIN_BASE64 = 40
_MIN_BLOB_STRING = 80
_MIN_HEX = 96
_MIN_CHAR_CODES = 8
_MIN_BLOB_BYTES = 256
_SOURCE_SUFFIXES = frozenset(
    {
        ".rs", ".md", ".txt", ".toml", ".json", ".html", ".htm", ".css", ".js", ".svg", ".xml",
        ".yml", ".yaml", ".c", ".h", ".cpp", ".hpp", ".py", ".sh", ".in", ".csv", ".tsv", ".pest",
        ".lalrpop", ".proto", ".sql", ".wgsl", ".glsl", ".hlsl", ".vert", ".frag", ".ld", ".x",
        ".s", ".asm", ".pem", ".der", ".crt", ".key", ".ttf", ".otf", ".woff", ".woff2", ".png",
        ".jpg", ".jpeg", ".gif", ".ico", ".bmp", ".webp", ".wav", ".ogg", ".mp3", ".dat",
        ".bin", ".gz", ".zst", ".xz", ".bz2", ".zip", ".tar", ".wasm", ".spv", ".ron", ".ini",
        ".cfg", ".conf", ".rst", ".tex", ".lock", ".pub", ".ui", ".glade", ".ftl", ".po",
        ".mo", ".dic", ".aff", ".tzif", ".zoneinfo", ".ucd", ".icu",
    }
)  # fmt: skip
_PLAIN_SUFFIXES = frozenset({".rs", ".md", ".txt", ".toml", ".json", ".in", ".sh", ".py"})


def decode_blob(text: str) -> bytes | None:
    """Decode *text* as hex or base64 when it plausibly is one; ``None`` otherwise."""
    compact = "".join(text.split())
    if len(compact) >= _MIN_HEX and _HEX.match(compact):
        digits = compact.removeprefix("0x")
        if len(digits) % 2 == 0:
            return bytes.fromhex(digits)
    if len(compact) >= _MIN_BASE64 and _BASE64.match(compact) and _mixed(compact):
        padded = compact + "=" * (-len(compact) % 4)
        try:
            if "-" in compact or "_" in compact:
                return base64.urlsafe_b64decode(padded)
            return base64.b64decode(padded, validate=True)
        except (binascii.Error, ValueError):
            return None
    return None


def _mixed(text: str) -> bool:
    return (
        any(c.isupper() for c in text)
        and any(c.islower() for c in text)
        and any(c.isdigit() for c in text)
    )


def _printable(data: bytes) -> str | None:
    if not data:
        return None
    text = data.decode("utf-8", errors="replace")
    good = sum(1 for c in text if c.isprintable() or c in "\r\n\t")
    return text if good / len(text) >= 0.9 else None


def _entropy(data: bytes) -> float:
    if not data:
        return 0.0
    counts = Counter(data)
    total = len(data)
    return -sum(n / total * math.log2(n / total) for n in counts.values())


def check(ctx: FileContext) -> Iterator[Signal]:
    """Obfuscation signals of one file."""
    yield from _encoded_strings(ctx)
    yield from _char_codes(ctx, _xor_keys(ctx))
    yield from _xor(ctx)
    yield from _includes(ctx)


def _payload_signal(
    ctx: FileContext, site: Site, what: str, indicators: list[Indicator]
) -> Signal | None:
    risky = [i for i in indicators if i.kind != "url"]
    role = role_of(ctx, site)
    if risky:
        severity = by_role(role, build=Severity.HIGH, runtime=Severity.HIGH)
    elif indicators:  # only plain URLs: hidden, but not a command or a known bad endpoint
        risky = indicators
        severity = by_role(role, build=Severity.MEDIUM, runtime=None)
    else:
        return None
    if severity is None:
        return None
    return make_signal(
        ctx,
        site,
        id="obfuscation.decoded-payload",
        severity=severity,
        why=f"{what} decodes to text containing {describe_indicators(risky)}: a hidden "
        "command or endpoint, the hallmark of a malicious payload.",
    )


def _encoded_strings(ctx: FileContext) -> Iterator[Signal]:
    for site in ctx.file.walk("string_literal", "raw_string_literal"):
        value = ctx.file.string_value(site.node)
        if value is None or len(value) < _MIN_BASE64:
            continue
        decoded = decode_blob(value)
        if decoded is None:
            continue
        kind = "hex" if _HEX.match("".join(value.split())) else "base64"
        text = _printable(decoded)
        indicators = find_indicators(text) if text is not None else []
        payload = _payload_signal(ctx, site, f"A {kind} string", indicators)
        if payload is not None:
            yield payload
            continue
        if len(value) < _MIN_BLOB_STRING:
            continue
        severity = by_role(role_of(ctx, site), build=Severity.MEDIUM, runtime=None)
        if severity is not None:
            yield make_signal(
                ctx,
                site,
                id=f"obfuscation.{kind}",
                severity=severity,
                why=f"Carries a {len(value)}-character {kind} blob in build-time code; "
                "encoded data there usually hides what the code does.",
            )


def _xor_keys(ctx: FileContext) -> list[int]:
    """Single-byte keys XORed with data in the file (``b ^ 0x5a``, ``x ^= KEY``)."""
    keys: list[int] = []
    for site in ctx.file.walk("binary_expression", "compound_assignment_expr"):
        operator = site.node.child_by_field_name("operator")
        if operator is None or operator.text not in (b"^", b"^="):
            continue
        for side in ("left", "right"):
            operand = site.node.child_by_field_name(side)
            value = ctx.file.byte_values(operand) if operand is not None else None
            if operand is not None and operand.type == "integer_literal":
                number = _int((operand.text or b"").decode(errors="replace").replace("_", ""))
                if number is not None and 0 < number < 256 and number not in keys:
                    keys.append(number)
            elif value is not None and len(value) == 1 and value[0] not in keys:
                keys.append(value[0])
    return keys[:8]


def _char_codes(ctx: FileContext, keys: list[int]) -> Iterator[Signal]:
    for site in ctx.file.walk("array_expression", "macro_invocation", "call_expression"):
        data, what = _codes_at(ctx, site)
        if data is None or len(data) < _MIN_CHAR_CODES:
            continue
        decoded = _xor_decoded(data, keys)
        if decoded is not None:
            key, plain = decoded
            payload = _payload_signal(
                ctx, site, f"{what} XORed with 0x{key:02x}", find_indicators(plain)
            )
            if payload is not None:
                yield payload
                continue
        text = _printable(data)
        role = role_of(ctx, site)
        if text is not None:
            payload = _payload_signal(ctx, site, what, find_indicators(text))
            if payload is not None:
                yield payload
                continue
            if site.node.type == "call_expression" or _all_numeric(site.node):
                severity = by_role(role, build=Severity.MEDIUM, runtime=None)
                if severity is not None:
                    yield make_signal(
                        ctx,
                        site,
                        id="obfuscation.char-codes",
                        severity=severity,
                        why=f"Builds the text {_short(text)!r} from numeric character codes: "
                        "a way to keep strings out of reach of reviewers and scanners.",
                    )
        elif len(data) >= _MIN_BLOB_BYTES and _entropy(data) > 6.0:
            severity = by_role(role, build=Severity.LOW, runtime=None)
            if severity is not None:
                yield make_signal(
                    ctx,
                    site,
                    id="obfuscation.byte-blob",
                    severity=severity,
                    why=f"Embeds {len(data)} bytes of high-entropy data in build-time code "
                    "(encrypted or compressed content).",
                )


def _xor_decoded(data: bytes, keys: list[int]) -> tuple[int, str] | None:
    for key in keys:
        text = _printable(bytes(b ^ key for b in data))
        if text is not None and find_indicators(text):
            return key, text
    return None


def _codes_at(ctx: FileContext, site: Site) -> tuple[bytes | None, str]:  # noqa: PLR0911
    node = site.node
    file = ctx.file
    if node.type == "call_expression":
        call = file.call_at(site)
        last = (call.path or "").rsplit("::", 1)[-1]
        if last in ("from_utf8", "from_utf8_lossy", "from_utf8_unchecked") and call.args:
            return file.byte_values(call.args[0]), "A string built from bytes"
        return None, ""
    if node.type == "macro_invocation":
        if file.macro_name(site) != "vec":
            return None, ""
        if _inside_from_utf8(node):
            return None, ""
        return file.byte_values(node), "A byte vector"
    if _inside_from_utf8(node):
        return None, ""
    return file.byte_values(node), "A byte array"


def _inside_from_utf8(node: Node) -> bool:
    current = node.parent
    for _ in range(4):
        if current is None:
            return False
        if current.type == "call_expression":
            function = current.child_by_field_name("function")
            text = (function.text or b"") if function is not None else b""
            return b"from_utf8" in text
        current = current.parent
    return False


def _all_numeric(node: Node) -> bool:
    children = [c for c in node.named_children if c.type not in ("line_comment", "block_comment")]
    if node.type == "macro_invocation":
        tree = next((c for c in node.children if c.type == "token_tree"), None)
        children = list(tree.named_children) if tree is not None else []
    return bool(children) and all(c.type == "integer_literal" for c in children)


def _xor(ctx: FileContext) -> Iterator[Signal]:
    for site in ctx.file.walk("binary_expression", "compound_assignment_expr"):
        node = site.node
        operator = node.child_by_field_name("operator")
        if operator is None or operator.text not in (b"^", b"^="):
            continue
        if not _in_loop(node) or _hash_like(node):
            continue
        severity = by_role(role_of(ctx, site), build=Severity.MEDIUM, runtime=None)
        if severity is None:
            continue
        yield make_signal(
            ctx,
            site,
            id="obfuscation.xor",
            severity=severity,
            why="XORs data in a loop or closure at build time: the usual way to decode a "
            "hidden payload or string.",
        )
        return


def _hash_like(node: Node) -> bool:
    """Checksum and hash arithmetic: wide constants, shifts, rotations."""
    for side in ("left", "right"):
        operand = node.child_by_field_name(side)
        if operand is None:
            continue
        text = (operand.text or b"").replace(b"_", b"")
        if operand.type == "integer_literal":
            value = _int(text.decode(errors="replace"))
            if value is None or value > 0xFF:
                return True
        if b">>" in text or b"<<" in text or b"rotate_" in text or b"wrapping_" in text:
            return True
    return False


def _int(text: str) -> int | None:
    text = re.sub(r"(u|i)(8|16|32|64|128|size)$", "", text.lower())
    try:
        return int(text, 0)
    except ValueError:
        return None


def _in_loop(node: Node) -> bool:
    current = node.parent
    while current is not None:
        if current.type in ("for_expression", "while_expression", "loop_expression"):
            return True
        if current.type == "closure_expression":
            return True
        if current.type == "function_item":
            return False
        current = current.parent
    return False


def _includes(ctx: FileContext) -> Iterator[Signal]:
    file = ctx.file
    base = PurePosixPath(file.path).parent
    for site in file.walk("macro_invocation"):
        name = file.macro_name(site) or ""
        if name.rsplit("::", 1)[-1] not in ("include_bytes", "include_str"):
            continue
        args = file.macro_args(site)
        target = file.string_value(args[0].node) if args else None
        if target is None:
            continue
        resolved = crate_relative(base / target)
        if resolved is None:
            continue
        role = role_of(ctx, site)
        binary = ctx.binaries.get(resolved)
        data = ctx.crate_files.get(resolved)
        if binary is not None and binary.startswith(("ELF", "PE", "Mach-O")):
            severity = by_role(role, build=Severity.HIGH, runtime=Severity.MEDIUM)
            why = f"Embeds the executable {resolved} ({binary}) with {name}!."
        elif data is not None and _opaque(resolved, data):
            severity = by_role(role, build=Severity.MEDIUM, runtime=None)
            why = (
                f"Embeds {resolved}, {len(data)} bytes of opaque data, into build-time code "
                f"with {name}!."
            )
        else:
            continue
        if severity is not None:
            yield make_signal(
                ctx, site, id="obfuscation.include-binary", severity=severity, why=why
            )


def _opaque(path: str, data: bytes) -> bool:
    suffix = PurePosixPath(path).suffix.lower()
    if suffix in _PLAIN_SUFFIXES:
        return False
    return suffix not in _SOURCE_SUFFIXES or (_entropy(data) > 7.0 and len(data) >= 512)


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."
