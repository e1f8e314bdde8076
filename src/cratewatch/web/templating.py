"""The Jinja2 environment shared by the live pages and the static site.

Autoescaping is on for every template; the only HTML that reaches a page unescaped is
:class:`markupsafe.Markup` produced by :mod:`cratewatch.web.render` (sanitised Markdown).
Undefined variables are errors, so a template typo fails tests instead of rendering blank.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from cratewatch.web.links import Links
from cratewatch.web.render import render_inline

__all__ = ["STATIC_DIR", "TEMPLATES_DIR", "environment", "render_page"]

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
"""Where the page templates are."""
STATIC_DIR = Path(__file__).resolve().parent / "static"
"""Stylesheet and script served under ``/static`` (copied into a static site)."""


@functools.cache
def environment() -> Environment:
    """The shared environment (autoescaping, strict undefined, ``inline_md`` filter)."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        # the templates are package files: no stat() of every template on every render
        auto_reload=False,
    )
    env.filters["inline_md"] = render_inline
    return env


def render_page(template: str, *, links: Links, **context: Any) -> str:
    """Render *template* with *links* (URLs) and *context*."""
    return environment().get_template(template).render(links=links, **context)
