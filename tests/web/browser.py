"""Checks that browser tests run on any page: accessibility basics, contrast, layout width."""

from __future__ import annotations

import itertools
from typing import Any

CONTRAST_JS = """
(selector) => {
  function parse(c) {
    const m = c.match(/rgba?\\(([^)]+)\\)/);
    if (!m) return null;
    const p = m[1].split(',').map((x) => parseFloat(x));
    return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 };
  }
  function lum(c) {
    const f = (v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
  }
  function background(el) {
    while (el) {
      const c = parse(getComputedStyle(el).backgroundColor);
      if (c && c.a > 0) return c;
      el = el.parentElement;
    }
    return { r: 255, g: 255, b: 255, a: 1 };
  }
  return Array.from(document.querySelectorAll(selector))
    .filter((e) => e.getClientRects().length > 0 && e.textContent.trim())
    .map((e) => {
      const fg = parse(getComputedStyle(e).color);
      const l1 = lum(fg), l2 = lum(background(e));
      const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
      return { text: e.textContent.trim().slice(0, 40), ratio: ratio };
    });
}
"""

STRUCTURE_JS = """
() => ({
  lang: document.documentElement.lang,
  h1: document.querySelectorAll('h1').length,
  headings: Array.from(document.querySelectorAll('h1,h2,h3,h4,h5,h6')).map((h) => +h.tagName[1]),
  unlabelled: Array.from(document.querySelectorAll('input, select, textarea'))
    .filter((e) => e.type !== 'hidden' && e.labels.length === 0 && !e.getAttribute('aria-label'))
    .map((e) => e.id || e.name),
  images_without_alt: document.querySelectorAll('img:not([alt])').length,
  landmarks: ['header', 'main', 'footer', 'nav'].filter((t) => document.querySelector(t)),
  overflow: document.documentElement.scrollWidth - document.documentElement.clientWidth,
})
"""

TEXT_SELECTOR = (
    "body, p, a, li, dt, dd, code, .badge, .muted, .help, button, summary, label, "
    "h1, h2, h3, .status-line strong, .count, .recent-meta"
)


def check_page(page: Any) -> None:
    """Assert the accessibility basics of the current page (WCAG AA text contrast)."""
    facts = page.evaluate(STRUCTURE_JS)
    assert facts["lang"] == "en"
    assert facts["h1"] == 1
    levels = facts["headings"]
    assert levels[0] == 1
    assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), levels
    assert facts["unlabelled"] == []
    assert facts["images_without_alt"] == 0
    assert {"header", "main", "footer"} <= set(facts["landmarks"])
    assert facts["overflow"] <= 0, f"page is wider than the viewport by {facts['overflow']}px"
    low = [c for c in page.evaluate(CONTRAST_JS, TEXT_SELECTOR) if c["ratio"] < 4.5]
    assert low == [], low
