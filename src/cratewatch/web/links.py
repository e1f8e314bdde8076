"""URLs of the pages, for the live server (absolute paths) and the static site (relative).

Templates never write a URL themselves: they call a :class:`Links` object, so one template
serves both :class:`ServerLinks` (``/crates/serde/security``) and :class:`SiteLinks`
(``../../crates/serde/security.html`` from two directories down), and the static site works
from any directory of any static server.

>>> SiteLinks(depth=2).security("serde", version="1.0.0")
'../../crates/serde/security.html?version=1.0.0'
>>> ServerLinks().security("serde")
'/crates/serde/security'
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from urllib.parse import quote, urlencode

__all__ = ["Links", "ServerLinks", "SiteLinks"]


def _q(text: str) -> str:
    return quote(text, safe="")


def _query(version: str | None) -> str:
    return "" if version is None else "?" + urlencode({"version": version})


class Links(ABC):
    """Where each page is."""

    static_site: bool = False
    """Whether these are the static site's links (pages then need JavaScript for versions)."""

    @abstractmethod
    def home(self) -> str:
        """The index page."""

    @abstractmethod
    def search(self) -> str:
        """Where the search form submits (``q`` parameter)."""

    @abstractmethod
    def crate(self, name: str, *, version: str | None = None) -> str:
        """A crate's Overview tab."""

    @abstractmethod
    def security(self, name: str, *, version: str | None = None) -> str:
        """A crate's Security tab."""

    @abstractmethod
    def advisory(self, advisory_id: str) -> str:
        """An advisory's page."""

    @abstractmethod
    def advisory_osv(self, advisory_id: str) -> str:
        """An advisory's OSV JSON."""

    @abstractmethod
    def crate_osv(self, name: str) -> str:
        """A crate's OSV JSON array."""

    @abstractmethod
    def static(self, file: str) -> str:
        """A stylesheet or script."""

    @abstractmethod
    def root(self) -> str:
        """Prefix that leads to the site root (``""`` or ``../``...)."""


@dataclass(frozen=True, slots=True)
class ServerLinks(Links):
    """Absolute paths served by ``cratewatch serve``."""

    def home(self) -> str:
        return "/"

    def search(self) -> str:
        return "/search"

    def crate(self, name: str, *, version: str | None = None) -> str:
        return f"/crates/{_q(name)}{_query(version)}"

    def security(self, name: str, *, version: str | None = None) -> str:
        return f"/crates/{_q(name)}/security{_query(version)}"

    def advisory(self, advisory_id: str) -> str:
        return f"/advisories/{_q(advisory_id)}"

    def advisory_osv(self, advisory_id: str) -> str:
        return f"/api/v1/advisories/{_q(advisory_id)}"

    def crate_osv(self, name: str) -> str:
        return f"/osv/crates/{_q(name)}.json"

    def static(self, file: str) -> str:
        return f"/static/{file}"

    def root(self) -> str:
        return "/"


@dataclass(frozen=True, slots=True)
class SiteLinks(Links):
    """Relative links between static files; *depth* is how deep the current page is."""

    depth: int = 0
    """Directories between the site root and the page (``crates/x/security.html``: 2)."""
    static_site = True

    def root(self) -> str:
        return "../" * self.depth

    def home(self) -> str:
        return f"{self.root()}index.html"

    def search(self) -> str:
        return f"{self.root()}index.html"

    def crate(self, name: str, *, version: str | None = None) -> str:
        return f"{self.root()}crates/{_q(name)}/index.html{_query(version)}"

    def security(self, name: str, *, version: str | None = None) -> str:
        return f"{self.root()}crates/{_q(name)}/security.html{_query(version)}"

    def advisory(self, advisory_id: str) -> str:
        return f"{self.root()}advisories/{_q(advisory_id)}.html"

    def advisory_osv(self, advisory_id: str) -> str:
        return f"{self.root()}advisories/{_q(advisory_id)}.json"

    def crate_osv(self, name: str) -> str:
        return f"{self.root()}osv/crates/{_q(name)}.json"

    def static(self, file: str) -> str:
        return f"{self.root()}static/{file}"
