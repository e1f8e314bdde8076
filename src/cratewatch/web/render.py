"""Safe Markdown rendering of advisory titles and descriptions.

Advisory text is untrusted input: it is rendered with ``markdown-it-py`` (CommonMark plus
tables and strikethrough) with raw HTML turned **off**, so ``<script>`` and friends come out
as text. Links are kept only when their scheme is ``http``, ``https`` or ``mailto``; any
other link (``javascript:``, ``data:``, relative paths) is shown as plain text. Images are
not rendered (an image would fetch from a third party on page load): ``![alt](url)`` becomes
``!`` followed by an ordinary link. Every link gets ``rel="nofollow noopener noreferrer"``.

Headings inside a description are shifted down (``## Impact`` under an ``<h3>`` card title
becomes ``<h5>``) so the page outline stays correct.

>>> str(render_markdown("Use [x](javascript:alert(1)) or <b>y</b> and [docs](https://docs.rs)"))
'<p>Use [x](javascript:alert(1)) or &lt;b&gt;y&lt;/b&gt; and <a href="https://docs.rs" \
rel="nofollow noopener noreferrer">docs</a></p>\\n'
"""

from __future__ import annotations

import functools
import re
from collections.abc import MutableMapping, Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

__all__ = [
    "MAX_MARKDOWN_CHARS",
    "is_safe_url",
    "render_inline",
    "render_markdown",
    "render_summary",
]

MAX_MARKDOWN_CHARS = 100_000
"""Longer texts are cut before rendering (no advisory comes close; this bounds the work)."""

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")
_SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
_UNSAFE_CHARS = re.compile(r"[\x00-\x20\x7f\\]")
_REL = "nofollow noopener noreferrer"


def is_safe_url(url: str) -> bool:
    """Whether *url* may become a link: ``http(s)://host...`` or ``mailto:...``, nothing else.

    >>> is_safe_url("https://github.com/x"), is_safe_url("javascript:alert(1)"), is_safe_url("/a")
    (True, False, False)
    """
    if len(url) > 2048 or _UNSAFE_CHARS.search(url):
        return False
    match = _SCHEME.match(url)
    if match is None:
        return False
    scheme = match.group(1).lower()
    if scheme not in _SAFE_SCHEMES:
        return False
    if scheme == "mailto":
        return len(url) > len("mailto:")
    rest = url[match.end() :]
    return rest.startswith("//") and len(rest) > 2 and rest[2] not in "/?#"


def _link_open(
    self: Any, tokens: Sequence[Token], idx: int, options: Any, env: MutableMapping[str, Any]
) -> str:
    tokens[idx].attrSet("rel", _REL)
    rendered: str = self.renderToken(tokens, idx, options, env)
    return rendered


def _heading(
    self: Any, tokens: Sequence[Token], idx: int, options: Any, env: MutableMapping[str, Any]
) -> str:
    token = tokens[idx]
    offset = int(env.get("heading_offset", 0))
    level = min(6, int(token.tag[1]) + offset)
    return f"<h{level}>" if token.nesting == 1 else f"</h{level}>\n"


def _validate_link(url: str) -> bool:
    return is_safe_url(url)


def _unlink_unsafe(state: Any) -> None:
    """Turn links whose target is not safe back into their text.

    markdown-it calls ``validateLink`` but still emits a link with an empty ``href`` when the
    destination is empty or rejected right before ``)`` (``[x]()``); such links become the
    Markdown they were written as.
    """
    for block in state.tokens:
        children = block.children or []
        for i, token in enumerate(children):
            if token.type != "link_open" or is_safe_url(str(token.attrGet("href") or "")):
                continue
            depth = 0
            for j in range(i, len(children)):
                depth += children[j].nesting
                if depth == 0:
                    children[j] = _text(children[j], f"]({token.attrGet('href') or ''})")
                    break
            children[i] = _text(token, "[")


def _text(token: Token, content: str) -> Token:
    return Token("text", "", 0, content=content, level=token.level)


@functools.cache
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.disable("image")
    md.validateLink = _validate_link  # type: ignore[method-assign]
    md.core.ruler.push("unlink_unsafe", _unlink_unsafe)
    md.add_render_rule("link_open", _link_open)
    md.add_render_rule("heading_open", _heading)
    md.add_render_rule("heading_close", _heading)
    return md


def _bounded(text: str) -> str:
    return text[:MAX_MARKDOWN_CHARS]


@functools.lru_cache(maxsize=8192)
def render_markdown(text: str, *, heading_offset: int = 0) -> Markup:
    """*text* (Markdown) as safe HTML; headings move down by *heading_offset* levels."""
    md = _parser()
    return Markup(md.render(_bounded(text), {"heading_offset": heading_offset}))


@functools.lru_cache(maxsize=8192)
def render_inline(text: str) -> Markup:
    """One line of Markdown (a title) as safe inline HTML, no ``<p>`` around it.

    >>> str(render_inline("Double free in `SmallVec::grow`"))
    'Double free in <code>SmallVec::grow</code>'
    """
    return Markup(_parser().renderInline(_bounded(text)))


@functools.lru_cache(maxsize=8192)
def render_summary(text: str, *, heading_offset: int = 0) -> Markup:
    """The first top-level paragraph of *text* as safe HTML (the first block if none).

    >>> str(render_summary("First *one*.\\n\\nSecond."))
    '<p>First <em>one</em>.</p>\\n'
    """
    md = _parser()
    env = {"heading_offset": heading_offset}
    tokens = md.parse(_bounded(text), env)
    start = next(
        (i for i, t in enumerate(tokens) if t.type == "paragraph_open" and t.level == 0),
        0 if tokens else None,
    )
    if start is None:
        return Markup("")
    end = start
    depth = 0
    for end in range(start, len(tokens)):
        depth += tokens[end].nesting
        if depth <= 0:
            break
    return Markup(md.renderer.render(tokens[start : end + 1], md.options, env))
