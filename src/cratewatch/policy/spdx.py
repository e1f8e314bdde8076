"""SPDX license expressions: parsing (with :mod:`license_expression`), and who satisfies what.

:func:`parse_expression` reads an expression strictly first (SPDX ids exactly as listed,
upper-case ``AND``/``OR``/``WITH``); when that fails it tries the lenient reading cargo-deny
applies to crate metadata: ``/`` as ``OR``, ids in any case, deprecated ids
(``GPL-2.0`` is ``GPL-2.0-only``) and the GNU ``+`` (``GPL-2.0+`` is ``GPL-2.0-or-later``),
recording each liberty taken in :attr:`Expression.lenient`. Every requirement keeps its
position in the text, so a diagnostic can underline the part that failed.

An allowed license (:class:`Licensee`) satisfies a requirement with the same id and the same
exception; a requirement written ``X+`` is also satisfied by a later version of ``X``
(``MPL-2.0`` satisfies ``MPL-1.1+``), as the ``spdx`` crate decides. ``-only`` and
``-or-later`` GNU ids are different licenses: ``GPL-3.0-only`` does not satisfy
``GPL-3.0-or-later``.

>>> expr = parse_expression("MIT/Apache-2.0")
>>> [r.license for r in expr.requirements], expr.lenient
(['MIT', 'Apache-2.0'], ('`/` read as `OR`',))
>>> satisfies(parse_licensee("MPL-2.0"), parse_expression("MPL-1.1+").requirements[0])
True
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import license_expression

from cratewatch.errors import ParseError

__all__ = [
    "AllOf",
    "AnyOf",
    "Expression",
    "InvalidExpression",
    "LicenseReq",
    "Licensee",
    "Node",
    "evaluate",
    "family",
    "parse_expression",
    "parse_licensee",
    "satisfies",
]

_REF = re.compile(r"(?:DocumentRef-[A-Za-z0-9.\-]+:)?LicenseRef-[A-Za-z0-9.\-]+")
_OPERATOR = {"AND", "OR", "WITH"}
_SPLIT_VERSION = re.compile(r"^(?P<base>.*?)-(?P<version>\d+(?:\.\d+)*)(?P<rest>.*)$")


class InvalidExpression(ParseError):
    """An SPDX expression does not parse; :attr:`start`/:attr:`end` locate the problem."""

    def __init__(self, text: str, reason: str, start: int, end: int) -> None:
        super().__init__(f"{text!r} is not a valid SPDX expression: {reason}")
        self.text = text
        """The expression."""
        self.reason = reason
        """What is wrong."""
        self.start = start
        """Where the problem starts (0-based offset)."""
        self.end = end
        """Where it ends."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LicenseReq:
    """One license requirement of an expression: a license, maybe with an exception."""

    license: str
    """The SPDX id (canonical spelling) or a ``LicenseRef-``."""
    exception: str | None = None
    """The ``WITH`` exception id."""
    or_later: bool = False
    """Whether written ``X+`` for a non-GNU license (later versions satisfy it)."""
    start: int = 0
    """Offset of the requirement in the expression text."""
    end: int = 0
    """End offset."""

    def __str__(self) -> str:
        text = self.license + ("+" if self.or_later else "")
        return text if self.exception is None else f"{text} WITH {self.exception}"


@dataclass(frozen=True, slots=True)
class AllOf:
    """``a AND b``: every part must be satisfied."""

    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    """``a OR b``: one part is enough."""

    children: tuple[Node, ...]


Node = LicenseReq | AllOf | AnyOf
"""A node of an expression tree."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Expression:
    """A parsed expression."""

    text: str
    """The expression as written."""
    tree: Node
    """Its structure."""
    requirements: tuple[LicenseReq, ...]
    """Every requirement, left to right."""
    lenient: tuple[str, ...] = ()
    """The liberties the lenient reading took (empty for a strict SPDX expression)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Licensee:
    """An allowed license: one id, maybe ``WITH`` an exception."""

    license: str
    """The SPDX id or ``LicenseRef-``."""
    exception: str | None = None
    """The exception."""
    lenient: tuple[str, ...] = ()
    """How the text was read leniently (a deprecated id, the wrong case)."""

    def __str__(self) -> str:
        return self.license if self.exception is None else f"{self.license} WITH {self.exception}"


@functools.cache
def _licensing() -> license_expression.Licensing:
    return license_expression.get_spdx_licensing()


@functools.lru_cache(maxsize=4096)
def parse_expression(text: str, *, lenient: bool = True) -> Expression:
    """Parse *text*, strictly, or leniently when that fails and *lenient* is set (results are
    cached: a graph repeats the same few expressions)."""
    if not text.strip():
        raise InvalidExpression(text, "empty expression", 0, len(text))
    try:
        return _parse(text, text, list(range(len(text) + 1)), strict=True)
    except InvalidExpression:
        if not lenient:
            raise
    normalized, offsets, notes = _loosen(text)
    expression = _parse(text, normalized, offsets, strict=False)
    return Expression(
        text=text,
        tree=expression.tree,
        requirements=expression.requirements,
        lenient=tuple(dict.fromkeys((*notes, *expression.lenient))),
    )


def parse_licensee(text: str) -> Licensee:
    """Parse one allowed license (``MIT``, ``Apache-2.0 WITH LLVM-exception``)."""
    expression = parse_expression(text)
    tree = expression.tree
    if not isinstance(tree, LicenseReq):
        raise InvalidExpression(
            text, "an allowed license is one license, not an expression", 0, len(text)
        )
    if tree.or_later:
        raise InvalidExpression(
            text, "`+` only applies to a crate's own license expression", 0, len(text)
        )
    return Licensee(license=tree.license, exception=tree.exception, lenient=expression.lenient)


def _loosen(text: str) -> tuple[str, list[int], list[str]]:
    """*text* with ``/`` spelled `` OR `` and a map from new offsets to original ones."""
    out: list[str] = []
    offsets: list[int] = []
    notes = []
    for i, ch in enumerate(text):
        if ch == "/":
            out.append(" OR ")
            offsets.extend([i] * 4)
            notes.append("`/` read as `OR`")
        else:
            out.append(ch)
            offsets.append(i)
    offsets.append(len(text))
    return "".join(out), offsets, notes


def _parse(original: str, text: str, offsets: list[int], *, strict: bool) -> Expression:
    licensing = _licensing()
    if strict and "/" in text:
        at = text.index("/")
        raise InvalidExpression(original, "`/` is not an SPDX operator (write OR)", at, at + 1)
    text, plus = _strip_plus(text, strict=strict)
    try:
        tokens = list(licensing.tokenize(text))
        tree = licensing.parse(text, validate=False, strict=True)
    except license_expression.ExpressionParseError as e:
        at = offsets[min(max(getattr(e, "position", 0), 0), len(offsets) - 1)]
        width = len(getattr(e, "token_string", "") or " ")
        raise InvalidExpression(original, _reason(e), at, at + width) from e
    except license_expression.ExpressionError as e:
        raise InvalidExpression(original, _reason(e), 0, len(original)) from e
    if tree is None:
        raise InvalidExpression(original, "empty expression", 0, len(original))
    notes: list[str] = []
    for token, written, start in tokens:
        if _is_symbol(token) or written.upper() not in _OPERATOR or written == written.upper():
            continue
        if strict:
            span = (offsets[start], offsets[start + len(written)])
            raise InvalidExpression(
                original, f"`{written}` must be written `{written.upper()}`", *span
            )
        notes.append(f"`{written}` read as `{written.upper()}`")
    symbols = iter([(w, st) for s, w, st in tokens if _is_symbol(s)])
    leaves: list[LicenseReq] = []

    def build(node: Any) -> Node:
        if not _is_symbol(node):
            children = tuple(build(arg) for arg in node.args)
            return AllOf(children) if type(node).__name__ == "AND" else AnyOf(children)
        written, start = next(symbols)
        end = start + len(written.rstrip())
        later = any(start <= p < end + 1 for p in plus)
        if later:
            end = max(end, *(p + 1 for p in plus if start <= p < end + 1))
        req = _requirement(
            original,
            node,
            written,
            (offsets[start], offsets[end]),
            strict=strict,
            or_later=later,
            notes=notes,
        )
        leaves.append(req)
        return req

    built = build(tree)
    return Expression(text=original, tree=built, requirements=tuple(leaves), lenient=tuple(notes))


_PLUS = re.compile(r"[A-Za-z0-9.\-]+\+")


def _strip_plus(text: str, *, strict: bool) -> tuple[str, set[int]]:
    """Blank out the ``+`` of ``X+`` where ``X+`` is no known id (a GNU alias) but ``X`` is;
    the positions blanked mark requirements satisfied by later versions."""
    licensing = _licensing()
    chars = list(text)
    plus = set()
    for match in _PLUS.finditer(text):
        written = match.group(0)
        if _known(written, strict=strict):
            continue
        if _known(written[:-1], strict=strict) or (
            not strict and written[:-1].lower() in licensing.known_symbols_lowercase
        ):
            chars[match.end() - 1] = " "
            plus.add(match.end() - 1)
    return "".join(chars), plus


def _known(key: str, *, strict: bool) -> bool:
    licensing = _licensing()
    if key in licensing.known_symbols:
        return True
    return any(key in symbol.aliases for symbol in _alias_index().get(key.lower(), ()))


@functools.cache
def _alias_index() -> dict[str, tuple[Any, ...]]:
    index: dict[str, list[Any]] = {}
    for symbol in _licensing().known_symbols.values():
        for alias in symbol.aliases:
            index.setdefault(alias.lower(), []).append(symbol)
    return {k: tuple(v) for k, v in index.items()}


def _is_symbol(token: Any) -> bool:
    return isinstance(
        token, (license_expression.LicenseSymbol, license_expression.LicenseWithExceptionSymbol)
    )


def _unknown(symbol: Any) -> bool:
    return (
        isinstance(symbol, license_expression.LicenseSymbol)
        and symbol.key not in _licensing().known_symbols
    )


def _requirement(
    original: str,
    symbol: Any,
    written: str,
    span: tuple[int, int],
    *,
    strict: bool,
    or_later: bool,
    notes: list[str],
) -> LicenseReq:
    start, end = span
    if isinstance(symbol, license_expression.LicenseWithExceptionSymbol):
        license_symbol, exception_symbol = symbol.license_symbol, symbol.exception_symbol
        license_written, _, exception_written = re.split(
            r"(\s+with\s+)", written, maxsplit=1, flags=re.I
        )
    else:
        license_symbol, exception_symbol = symbol, None
        license_written, exception_written = written, ""
    license_id = _check_id(
        original,
        license_symbol.key,
        license_written.strip(),
        start,
        end,
        strict=strict,
        exception=False,
        notes=notes,
        or_later=or_later,
    )
    exception_id = None
    if exception_symbol is not None:
        exception_id = _check_id(
            original,
            exception_symbol.key,
            exception_written.strip(),
            start,
            end,
            strict=strict,
            exception=True,
            notes=notes,
            or_later=False,
        )
        if not re.search(r"\sWITH\s", written):
            if strict:
                raise InvalidExpression(original, "`with` must be written `WITH`", start, end)
            notes.append("`with` read as `WITH`")
    return LicenseReq(
        license=license_id, exception=exception_id, or_later=or_later, start=start, end=end
    )


def _check_id(
    original: str,
    key: str,
    written: str,
    start: int,
    end: int,
    *,
    strict: bool,
    exception: bool,
    notes: list[str],
    or_later: bool,
) -> str:
    licensing = _licensing()
    known = licensing.known_symbols.get(key)
    if known is None:
        if not exception and _REF.fullmatch(key):
            return key
        what = "license exception" if exception else "license id"
        raise InvalidExpression(original, f"unknown {what} `{written or key}`", start, end)
    if bool(known.is_exception) != exception:
        expected = "an exception" if exception else "a license"
        raise InvalidExpression(original, f"`{key}` is not {expected}", start, end)
    shown = written.removesuffix("+") if or_later else written
    if shown != key:
        if strict:
            raise InvalidExpression(
                original, f"`{written}` is not an SPDX id as listed (`{key}`)", start, end
            )
        notes.append(f"`{written}` read as `{key}`")
    return str(key)


def _reason(error: Exception) -> str:
    token = getattr(error, "token_string", None)
    if token and "cannot be used as an exception" in str(error):
        return f"`{token}` is not a known license exception"
    text = str(error).strip()
    return re.sub(r"\s+at position: \d+", "", text) or type(error).__name__


# --- satisfaction ---------------------------------------------------------------------------


def family(license_id: str) -> str:
    """The license without version or GNU suffix: ``GPL-3.0-or-later`` -> ``GPL``."""
    match = _SPLIT_VERSION.match(license_id)
    return match.group("base") if match else license_id


def satisfies(licensee: Licensee, req: LicenseReq) -> bool:
    """Whether an allowed license satisfies a requirement (see the module docstring)."""
    if licensee.exception != req.exception:
        return False
    if licensee.license == req.license:
        return True
    if not req.or_later:
        return False
    ours = licensee.license.split("-")
    theirs = req.license.split("-")
    if len(ours) != len(theirs):
        return False
    for a, b in zip(ours, theirs, strict=True):
        if a == b:
            continue
        if _is_version(a) and _is_version(b) and _version_key(a) > _version_key(b):
            continue
        return False
    return True


def _is_version(text: str) -> bool:
    return bool(text) and all(c.isdigit() or c == "." for c in text)


def _version_key(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".") if p)


def evaluate(
    expression: Expression, decide: Callable[[LicenseReq], bool]
) -> tuple[bool, tuple[bool, ...]]:
    """Decide every requirement (left to right, each once) and combine the decisions."""
    decisions = tuple(decide(req) for req in expression.requirements)
    verdicts = dict(zip((id(r) for r in expression.requirements), decisions, strict=True))

    def walk(node: Node) -> bool:
        match node:
            case LicenseReq():
                return verdicts[id(node)]
            case AllOf(children):
                return all(walk(c) for c in children)
            case AnyOf(children):
                return any(walk(c) for c in children)

    return walk(expression.tree), decisions


def failed_parts(node: Node, verdicts: Callable[[LicenseReq], bool]) -> list[str]:
    """Why *node* fails, one line per failing combination (for notes)."""
    lines: list[str] = []

    def text(n: Node) -> str:
        match n:
            case LicenseReq():
                return str(n)
            case AllOf(children):
                return " AND ".join(_group(c, text) for c in children)
            case AnyOf(children):
                return " OR ".join(_group(c, text) for c in children)

    def ok(n: Node) -> bool:
        match n:
            case LicenseReq():
                return verdicts(n)
            case AllOf(children):
                return all(ok(c) for c in children)
            case AnyOf(children):
                return any(ok(c) for c in children)

    def walk(n: Node) -> None:
        match n:
            case LicenseReq():
                return
            case AllOf(children):
                bad = [c for c in children if not ok(c)]
                lines.append(
                    f"`{text(n)}` needs every part; failing: "
                    + ", ".join(f"`{text(c)}`" for c in bad)
                )
                for c in bad:
                    walk(c)
            case AnyOf(children):
                lines.append(f"`{text(n)}` needs one part; none is accepted")
                for c in children:
                    walk(c)

    if not ok(node):
        walk(node)
    return lines


def _group(node: Node, text: Callable[[Node], str]) -> str:
    return text(node) if isinstance(node, LicenseReq) else f"({text(node)})"
