"""Safe Markdown rendering: raw HTML never passes, only http(s)/mailto links survive."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cratewatch.web.render import (
    MAX_MARKDOWN_CHARS,
    is_safe_url,
    render_inline,
    render_markdown,
    render_summary,
)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))


def tags(html: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(html)
    return parser.tags


ALLOWED_TAGS = {
    "p", "a", "em", "strong", "code", "pre", "ul", "ol", "li", "blockquote", "hr", "br",
    "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td", "s",
}  # fmt: skip


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>\n"),
        (
            '<img src=x onerror="alert(1)">',
            "<p>&lt;img src=x onerror=&quot;alert(1)&quot;&gt;</p>\n",
        ),
        ("[x](javascript:alert(1))", "<p>[x](javascript:alert(1))</p>\n"),
        ("[]()", "<p>[]()</p>\n"),
        ("see [the fix]() here", "<p>see [the fix]() here</p>\n"),
        ("[x](JaVaScRiPt:alert(1))", "<p>[x](JaVaScRiPt:alert(1))</p>\n"),
        ("[x](data:text/html,hi)", "<p>[x](data:text/html,hi)</p>\n"),
        ("[x](/relative/path)", "<p>[x](/relative/path)</p>\n"),
        ("[x](//evil.example/a)", "<p>[x](//evil.example/a)</p>\n"),
        ("<javascript:alert(1)>", "<p>&lt;javascript:alert(1)&gt;</p>\n"),
        (
            "[fix](https://github.com/a/b/pull/1)",
            '<p><a href="https://github.com/a/b/pull/1" rel="nofollow noopener noreferrer">'
            "fix</a></p>\n",
        ),
        (
            "<https://example.com/x>",
            '<p><a href="https://example.com/x" rel="nofollow noopener noreferrer">'
            "https://example.com/x</a></p>\n",
        ),
        (
            "[mail](mailto:security@example.com)",
            '<p><a href="mailto:security@example.com" rel="nofollow noopener noreferrer">'
            "mail</a></p>\n",
        ),
        (
            "![pixel](https://evil.example/p.png)",
            '<p>!<a href="https://evil.example/p.png" rel="nofollow noopener noreferrer">'
            "pixel</a></p>\n",
        ),
        (
            "| a |\n|---|\n| b |",
            "<table>\n<thead>\n<tr>\n<th>a</th>\n</tr>\n</thead>\n"
            "<tbody>\n<tr>\n<td>b</td>\n</tr>\n</tbody>\n</table>\n",
        ),
    ],
)
def test_render_markdown_is_safe(markdown: str, expected: str) -> None:
    assert str(render_markdown(markdown)) == expected


def test_headings_move_down_and_stop_at_h6() -> None:
    html = str(render_markdown("# One\n\n## Two\n\n###### Six", heading_offset=2))
    assert html == "<h3>One</h3>\n<h4>Two</h4>\n<h6>Six</h6>\n"


def test_inline_title_has_no_paragraph() -> None:
    assert str(render_inline("Overflow in `grow` <b>")) == "Overflow in <code>grow</code> &lt;b&gt;"


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("First *one*.\n\nSecond.", "<p>First <em>one</em>.</p>\n"),
        ("## Impact\n\nThe text.\n\nMore.", "<p>The text.</p>\n"),
        ("- item one\n- item two", "<ul>\n<li>item one</li>\n<li>item two</li>\n</ul>\n"),
        ("", ""),
    ],
)
def test_summary_is_the_first_paragraph(markdown: str, expected: str) -> None:
    assert str(render_summary(markdown)) == expected


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://example.com", True),
        ("HTTP://EXAMPLE.COM/a", True),
        ("mailto:a@b.c", True),
        ("mailto:", False),
        ("https://", False),
        ("https:///path", False),
        ("javascript:alert(1)", False),
        ("vbscript:x", False),
        ("data:text/html,x", False),
        ("ftp://example.com", False),
        ("/local", False),
        ("https://exa mple.com", False),
        ("https://example.com\\@evil", False),
        ("https://example.com/" + "a" * 3000, False),
    ],
)
def test_is_safe_url(url: str, safe: bool) -> None:
    assert is_safe_url(url) is safe


def test_overlong_text_is_cut() -> None:
    html = str(render_markdown("a" * (MAX_MARKDOWN_CHARS + 50)))
    assert html == "<p>" + "a" * MAX_MARKDOWN_CHARS + "</p>\n"


_PIECES = [
    *"<>[]()!*_`#-:/\"'=& \n|",
    "javascript:",
    "data:",
    "http://x",
    "https://y.z",
    "onerror",
    "script",
    "<img",
    "<a href=",
    "](",
    "![",
    "<https:",
    "mailto:",
    "\\",
    "---",
]
_MARKDOWNISH = st.lists(st.sampled_from(_PIECES), max_size=60).map("".join)


@settings(max_examples=300, deadline=None)
@given(_MARKDOWNISH)
def test_no_markup_outside_the_allowed_set(markdown: str) -> None:
    for rendered in (render_markdown(markdown), render_summary(markdown), render_inline(markdown)):
        for tag, attrs in tags(str(rendered)):
            assert tag in ALLOWED_TAGS
            allowed_attrs = (
                {"href", "rel"} if tag == "a" else {"style"} if tag in {"th", "td"} else set()
            )
            assert set(attrs) <= allowed_attrs
            if tag == "a":
                assert is_safe_url(attrs["href"] or "")
                assert attrs["rel"] == "nofollow noopener noreferrer"
            if "style" in attrs:
                assert attrs["style"] in {
                    "text-align:left",
                    "text-align:right",
                    "text-align:center",
                }
