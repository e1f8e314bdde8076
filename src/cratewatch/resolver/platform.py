"""Target platforms of dependencies: ``cfg(...)`` expressions and target names, as Cargo reads them.

An index dependency's ``target`` is either a target name (``x86_64-pc-windows-gnu``) or a
``cfg(...)`` expression. Cargo (``cargo-platform``) refuses an index line whose target does not
parse, so :func:`parse_platform` is part of deciding whether a published version can be chosen.
:meth:`Platform.matches` evaluates a platform against one :class:`Target` (its name and the cfg
values ``rustc --print cfg --target NAME`` prints), for ``cratewatch resolve --target``.

>>> linux = Target.from_rustc_cfg("x86_64-unknown-linux-gnu", 'unix\\ntarget_os="linux"')
>>> parse_platform('cfg(any(windows, target_os = "linux"))').matches(linux)
True
>>> parse_platform("x86_64-pc-windows-msvc").matches(linux)
False
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import assert_never

from cratewatch.errors import ParseError

__all__ = [
    "Cfg",
    "CfgAll",
    "CfgAny",
    "CfgBool",
    "CfgNot",
    "CfgValue",
    "InvalidPlatform",
    "Platform",
    "Target",
    "parse_platform",
]


class InvalidPlatform(ParseError):
    """A dependency's ``target`` is neither a valid target name nor a valid ``cfg(...)``."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """The platform dependencies are selected for: a target name and its cfg values."""

    name: str
    """The target triple, e.g. ``x86_64-unknown-linux-gnu``."""
    cfgs: frozenset[tuple[str, str | None]]
    """``(name, None)`` for a bare cfg (``unix``), ``(key, value)`` for ``target_os="linux"``."""

    @classmethod
    def from_rustc_cfg(cls, name: str, text: str) -> Target:
        """Build a target from the output of ``rustc --print cfg --target NAME``.

        >>> sorted(Target.from_rustc_cfg("t", 'unix\\ntarget_family="unix"\\n').cfgs)
        [('target_family', 'unix'), ('unix', None)]
        """
        cfgs: set[tuple[str, str | None]] = set()
        for raw in text.splitlines():
            line = raw.strip()
            if not line:
                continue
            key, sep, value = line.partition("=")
            if sep and len(value) >= 2 and value[0] == value[-1] == '"':
                cfgs.add((key.strip(), value[1:-1]))
            elif not sep:
                cfgs.add((key, None))
            else:
                raise InvalidPlatform(f"rustc cfg output for {name}: cannot read line {raw!r}")
        return cls(name=name, cfgs=frozenset(cfgs))


@dataclass(frozen=True, slots=True)
class CfgValue:
    """A bare cfg name (``unix``) or a key/value pair (``target_os = "linux"``)."""

    key: str
    value: str | None


@dataclass(frozen=True, slots=True)
class CfgNot:
    """``not(expr)``."""

    expr: Cfg


@dataclass(frozen=True, slots=True)
class CfgAll:
    """``all(a, b, ...)``; true when empty."""

    exprs: tuple[Cfg, ...]


@dataclass(frozen=True, slots=True)
class CfgAny:
    """``any(a, b, ...)``; false when empty."""

    exprs: tuple[Cfg, ...]


@dataclass(frozen=True, slots=True)
class CfgBool:
    """The literals ``true`` and ``false``."""

    value: bool


Cfg = CfgValue | CfgNot | CfgAll | CfgAny | CfgBool
"""A parsed cfg expression."""


@dataclass(frozen=True, slots=True)
class Platform:
    """A dependency's platform: a target name, or a cfg expression when ``cfg`` is set."""

    name: str | None
    cfg: Cfg | None

    def matches(self, target: Target) -> bool:
        """Whether a dependency with this platform applies to ``target``."""
        if self.cfg is None:
            return self.name == target.name
        return _eval(self.cfg, target.cfgs)


def _eval(expr: Cfg, cfgs: frozenset[tuple[str, str | None]]) -> bool:
    match expr:
        case CfgValue(key, value):
            return (key, value) in cfgs
        case CfgNot(inner):
            return not _eval(inner, cfgs)
        case CfgAll(exprs):
            return all(_eval(e, cfgs) for e in exprs)
        case CfgAny(exprs):
            return any(_eval(e, cfgs) for e in exprs)
        case CfgBool(value):
            return value
        case _:
            assert_never(expr)


def parse_platform(text: str) -> Platform:
    """Parse an index ``target`` like ``cargo-platform``'s ``Platform::from_str``.

    >>> parse_platform("cfg(unix)")
    Platform(name=None, cfg=CfgValue(key='unix', value=None))
    >>> parse_platform("cfg(target_os = linux)")
    Traceback (most recent call last):
    ...
    cratewatch.resolver.platform.InvalidPlatform: target `cfg(target_os = linux)`: expected a \
string, found an identifier
    """
    if text.startswith("cfg(") and text.endswith(")") and len(text) >= 5:
        inner = text[4:-1]
        parser = _Parser(text, inner)
        expr = parser.expr()
        parser.finish()
        return Platform(name=None, cfg=expr)
    for ch in text:
        if not (ch.isalnum() or ch in "_-."):
            if "(" in text:
                raise InvalidPlatform(
                    f"target `{text}`: unexpected `(` character, cfg expressions must start "
                    "with `cfg(`"
                )
            raise InvalidPlatform(f"target `{text}`: unexpected character `{ch}` in target name")
    return Platform(name=text, cfg=None)


# tokens: ("(",), (")",), (",",), ("=",), ("ident", name, raw), ("str", text)
_Token = tuple[str, ...]


def _is_ident_start(ch: str) -> bool:
    return ch == "_" or ("a" <= ch <= "z") or ("A" <= ch <= "Z")


def _is_ident_rest(ch: str) -> bool:
    return _is_ident_start(ch) or "0" <= ch <= "9"


def _tokens(full: str, s: str) -> Iterator[_Token]:
    i, n = 0, len(s)
    while i < n:
        ch = s[i]
        if ch == " ":
            i += 1
        elif ch in "(),=":
            i += 1
            yield (ch,)
        elif ch == '"':
            end = s.find('"', i + 1)
            if end < 0:
                raise InvalidPlatform(f"target `{full}`: unterminated string in cfg")
            yield ("str", s[i + 1 : end])
            i = end + 1
        elif _is_ident_start(ch):
            raw = ch == "r" and i + 1 < n and s[i + 1] == "#"
            start = i + 2 if raw else i
            if raw and (start >= n or not _is_ident_start(s[start])):
                raise InvalidPlatform(f"target `{full}`: invalid raw identifier in cfg")
            j = start + 1
            while j < n and _is_ident_rest(s[j]):
                j += 1
            yield ("ident", s[start:j], "raw" if raw else "")
            i = j
        else:
            raise InvalidPlatform(f"target `{full}`: unexpected character `{ch}` in cfg")


def _describe(tok: _Token | None) -> str:
    if tok is None:
        return "end of input"
    return {"ident": "an identifier", "str": "a string"}.get(tok[0], f"`{tok[0]}`")


class _Parser:
    def __init__(self, full: str, text: str) -> None:
        self._full = full
        self._toks = list(_tokens(full, text))
        self._pos = 0

    def _peek(self) -> _Token | None:
        return self._toks[self._pos] if self._pos < len(self._toks) else None

    def _next(self) -> _Token | None:
        tok = self._peek()
        self._pos += 1
        return tok

    def _fail(self, expected: str, found: _Token | None) -> InvalidPlatform:
        return InvalidPlatform(
            f"target `{self._full}`: expected {expected}, found {_describe(found)}"
        )

    def _try(self, kind: str) -> bool:
        tok = self._peek()
        if tok is not None and tok[0] == kind:
            self._pos += 1
            return True
        return False

    def _eat(self, kind: str) -> None:
        tok = self._next()
        if tok is None or tok[0] != kind:
            raise self._fail(f"`{kind}`", tok)

    def expr(self) -> Cfg:
        tok = self._peek()
        if tok is None:
            raise self._fail("the start of a cfg expression", None)
        if tok[0] == "ident" and not tok[2] and tok[1] in ("all", "any"):
            self._pos += 1
            self._eat("(")
            exprs: list[Cfg] = []
            while not self._try(")"):
                exprs.append(self.expr())
                if not self._try(","):
                    self._eat(")")
                    break
            return CfgAll(tuple(exprs)) if tok[1] == "all" else CfgAny(tuple(exprs))
        if tok[0] == "ident" and not tok[2] and tok[1] == "not":
            self._pos += 1
            self._eat("(")
            inner = self.expr()
            self._eat(")")
            return CfgNot(inner)
        value = self._cfg()
        if (
            value.value is None
            and tok[0] == "ident"
            and not tok[2]
            and value.key
            in (
                "true",
                "false",
            )
        ):
            return CfgBool(value.key == "true")
        return value

    def _cfg(self) -> CfgValue:
        tok = self._next()
        if tok is None or tok[0] != "ident":
            raise self._fail("an identifier", tok)
        if self._try("="):
            val = self._next()
            if val is None or val[0] != "str":
                raise self._fail("a string", val)
            return CfgValue(tok[1], val[1])
        return CfgValue(tok[1], None)

    def finish(self) -> None:
        if self._pos < len(self._toks):
            raise InvalidPlatform(
                f"target `{self._full}`: unexpected content after the cfg expression"
            )
