"""Security pages and advisory API: the crates.io Security tab, served and as a static site.

- :mod:`.view` -- what each page shows, computed from advisories (pure, testable);
- :mod:`.render` -- safe Markdown rendering of advisory text;
- :mod:`.snapshot` -- one database indexed and pre-serialised; :mod:`.reload` keeps it current;
- :mod:`.crates` -- which crates exist (advisories and an optional index);
- :mod:`.app`, :mod:`.api`, :mod:`.pages` -- the FastAPI application (``cratewatch serve``);
- :mod:`.site` -- the same pages as a static site (``cratewatch site build``).
"""

from __future__ import annotations

__all__: list[str] = []
