"""The static site: files, relative links, OSV content, and use in a browser."""

from __future__ import annotations

import functools
import json
import re
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from cratewatch.advisories.database import AdvisoryDatabase
from cratewatch.advisories.osv import export_osv
from cratewatch.errors import SourceError
from cratewatch.registry.dirindex import DirIndex
from cratewatch.web.site import build_site
from cratewatch.web.snapshot import Snapshot
from cratewatch.web.view import version_table
from tests.web.browser import check_page
from tests.web.conftest import FIXTURE_INDEX

_LINK = re.compile(r'(?:href|src)="([^"]*)"')


@pytest.fixture(scope="module")
def site(web_snapshot: Snapshot, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture database built as a site with the fixture index."""
    out = tmp_path_factory.mktemp("site") / "public"
    with DirIndex(FIXTURE_INDEX) as index:
        build_site(web_snapshot, out, index=index)
    return out


def files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


def test_files(site: Path) -> None:
    ids = [
        "RUSTSEC-2019-0106",
        "RUSTSEC-2020-0101",
        "RUSTSEC-2021-0102",
        "RUSTSEC-2022-0103",
        "RUSTSEC-2023-0104",
        "RUSTSEC-2023-0105",
        "RUSTSEC-2024-0107",
        "RUSTSEC-2024-0108",
    ]
    assert files(site) == {
        "index.html",
        "404.html",
        "search-index.json",
        "static/style.css",
        "static/site.js",
        "static/favicon.svg",
        *(
            f"crates/{n}/{page}"
            for n in ("bar", "baz", "foo")
            for page in ("index.html", "security.html")
        ),
        *(f"osv/crates/{n}.json" for n in ("bar", "baz", "foo")),
        *(f"advisories/{i}.{ext}" for i in ids for ext in ("html", "json")),
    }


def test_summary_and_rebuild(web_snapshot: Snapshot, tmp_path: Path) -> None:
    first = build_site(web_snapshot, tmp_path / "a")
    assert (first.crates, first.advisories, first.files) == (3, 8, 31)
    before = {f: (tmp_path / "a" / f).read_bytes() for f in files(tmp_path / "a")}
    build_site(web_snapshot, tmp_path / "a")
    assert {f: (tmp_path / "a" / f).read_bytes() for f in files(tmp_path / "a")} == before


def test_advisory_json_is_the_osv_export(
    site: Path, web_db: AdvisoryDatabase, tmp_path: Path
) -> None:
    export_osv(web_db, tmp_path)
    for exported in tmp_path.glob("*.json"):
        assert (site / "advisories" / exported.name).read_bytes() == exported.read_bytes()


def test_crate_osv_file(site: Path, web_snapshot: Snapshot) -> None:
    data = web_snapshot.crate("foo")
    assert data is not None
    assert (site / "osv/crates/foo.json").read_bytes() == data.osv_file


def test_every_relative_link_resolves(site: Path) -> None:
    checked = 0
    for page in site.rglob("*.html"):
        for link in _LINK.findall(page.read_text()):
            parts = urlsplit(link)
            if parts.scheme in ("http", "https", "mailto") or link.startswith("#"):
                continue
            assert not link.startswith("/"), f"{page}: absolute link {link}"
            target = (page.parent / unquote(parts.path)).resolve()
            assert target.is_file(), f"{page.relative_to(site)}: broken link {link}"
            assert target.is_relative_to(site.resolve())
            checked += 1
    assert checked > 100


def test_security_page_carries_the_version_table(site: Path, web_snapshot: Snapshot) -> None:
    html = (site / "crates/foo/security.html").read_text()
    match = re.search(r'<script type="application/json" id="version-data">(.*?)</script>', html)
    assert match is not None
    table = json.loads(match.group(1))
    data = web_snapshot.crate("foo")
    assert data is not None
    offered = ["2.0.0-rc.1", "1.5.0", "1.4.0", "1.2.3", "1.2.2", "1.0.0", "0.9.0", "0.8.0"]
    assert set(table) == set(offered)
    assert table == version_table(data.advisories, offered)
    assert "1.5.0 (yanked)" in html
    assert "status-line" not in html  # nothing is selected until the script applies ?version=


def test_search_index(site: Path) -> None:
    index = json.loads((site / "search-index.json").read_text())
    assert index["crates"] == [
        {"name": "bar", "advisories": 1},
        {"name": "baz", "advisories": 1},
        {"name": "foo", "advisories": 5},
    ]
    assert [a["id"] for a in index["advisories"]][:2] == ["RUSTSEC-2024-0108", "RUSTSEC-2024-0107"]
    assert "RUSTSEC-2023-0105" not in [a["id"] for a in index["advisories"]]  # withdrawn
    foo = next(a for a in index["advisories"] if a["id"] == "RUSTSEC-2020-0101")
    assert foo == {
        "id": "RUSTSEC-2020-0101",
        "package": "foo",
        "title": "Heap overflow in `foo::Buffer::grow`",
        "aliases": ["CVE-2020-1001", "GHSA-2345-6789-CFGH"],
        "kind": "vulnerability",
    }


def test_refuses_to_write_through_a_symlink(web_snapshot: Snapshot, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    out = tmp_path / "site"
    out.mkdir()
    (out / "crates").symlink_to(elsewhere)
    with pytest.raises(
        SourceError, match=r"crates: is a symbolic link; refusing to write through it"
    ):
        build_site(web_snapshot, out)
    assert list(elsewhere.iterdir()) == []


@pytest.fixture(scope="module")
def static_server(site: Path) -> Iterator[str]:
    """The site served by Python's http.server on 127.0.0.1, under a path prefix."""
    root = site.parent
    handler = functools.partial(_QuietHandler, directory=str(root))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/{site.name}"
    finally:
        server.shutdown()
        server.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


def test_static_site_in_a_browser(browser: Any, static_server: str, screenshots: Path) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto(static_server + "/index.html")
        check_page(page)
        page.get_by_label("Search a crate or an advisory").fill("ba")
        page.get_by_role("button", name="Search").last.click()
        results = page.locator("#search-results")
        results.get_by_role("link", name="baz").wait_for()
        assert results.get_by_role("heading", name="Crates (2)").is_visible()
        page.get_by_label("Search a crate or an advisory").fill("cve-2020-1001")
        page.get_by_role("button", name="Search").last.click()
        results.get_by_role("link", name="RUSTSEC-2020-0101").wait_for()
        page.get_by_label("Search a crate or an advisory").fill("fo")
        page.get_by_role("button", name="Search").last.click()
        results.get_by_role("link", name="foo", exact=True).click()
        page.wait_for_url("**/crates/foo/index.html")
        check_page(page)
        page.get_by_role("link", name="Security 4 advisories").click()
        page.wait_for_url("**/crates/foo/security.html")
        check_page(page)
        assert "Choose a version" in page.inner_text("#version-status")
        page.get_by_label("Version").select_option("1.2.3")
        page.get_by_role("button", name="Check version").click()
        page.wait_for_url("**/crates/foo/security.html?version=1.2.3")
        page.locator(".status-line").wait_for()
        check_page(page)
        status = page.inner_text("#version-status")
        assert "foo 1.2.3 is affected by 2 of the 4 advisories listed below." in status
        assert (
            "Highest severity: High 8.7 (CVSS 4.0, RUSTSEC-2021-0102); 1 affecting advisory has "
            "no CVSS v3/v4 score."
        ) in status
        assert page.locator(".badge.affects").all_text_contents() == [
            "Affects 1.2.3",
            "Affects 1.2.3",
            "Applies to 1.2.3",
        ]
        assert page.locator(".badge.not-affected").count() == 2
        page.screenshot(path=str(screenshots / "static-security.png"), full_page=True)
        page.get_by_role("link", name="Heap overflow in foo::Buffer::grow").click()
        page.wait_for_url("**/advisories/RUSTSEC-2020-0101.html")
        check_page(page)
        osv = page.get_by_role("link", name="OSV JSON of this advisory")
        absolute = osv.evaluate("a => a.href")
        assert absolute == static_server + "/advisories/RUSTSEC-2020-0101.json"
        assert page.request.get(absolute).json()["id"] == "RUSTSEC-2020-0101"
        page.goto(static_server + "/crates/foo/security.html?version=9.9")
        assert "Unknown version" in page.get_by_role("alert").inner_text()
    finally:
        context.close()
    assert errors == []
