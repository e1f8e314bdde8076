"""The pages in a real browser (Chromium via Playwright) against a live server.

A person searches, opens a crate, its Security tab and checks a version; the test asserts
what they see, checks accessibility basics on every page and saves screenshots to
test-artifacts/screenshots/.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cratewatch.advisories.database import AdvisoryDatabase
from cratewatch.registry.dirindex import DirIndex
from cratewatch.semver import Version
from cratewatch.web.app import create_app
from cratewatch.web.reload import DatabaseReloader
from cratewatch.web.snapshot import Snapshot
from cratewatch.web.view import severity_summary
from tests.web.browser import check_page
from tests.web.conftest import FIXTURE_INDEX, live_server

pytestmark = pytest.mark.shared


@pytest.fixture(scope="module")
def real_server(real_db: AdvisoryDatabase) -> Iterator[str]:
    """A live server with the real advisory database and no index."""
    with live_server(create_app(DatabaseReloader(lambda: real_db, None, initial=real_db))) as url:
        yield url


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    errors: list[str] = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    tab.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield tab
    context.close()
    # the page for an invalid ?version= is deliberately a 400; anything else is a fault
    assert [e for e in errors if "status of 400" not in e] == []


def test_search_crate_security_version(
    page: Any, real_server: str, real_snapshot: Snapshot, screenshots: Path
) -> None:
    page.goto(real_server + "/")
    check_page(page)
    assert page.get_by_role("heading", name="Recently published advisories").is_visible()
    page.get_by_label("Search a crate or an advisory").fill("smallv")
    page.get_by_role("button", name="Search").last.click()
    page.wait_for_url("**/search?q=smallv")
    check_page(page)
    page.get_by_role("link", name="smallvec", exact=True).click()
    page.wait_for_url("**/crates/smallvec")
    check_page(page)
    data = real_snapshot.crate("smallvec")
    assert data is not None
    listed = [a for a in data.shown if a.kind.value in ("vulnerability", "unsound")]
    tab = page.get_by_role("navigation", name="Crate sections").get_by_role(
        "link", name=f"Security {len(listed)} advisories"
    )
    assert tab.locator(".count").inner_text() == str(len(listed))
    tab.click()
    page.wait_for_url("**/crates/smallvec/security")
    check_page(page)
    assert page.locator("ol.advisories > li > article").count() == len(listed)
    assert "Choose a version to see which advisories affect it." in page.inner_text(
        "#version-status"
    )

    page.get_by_label("Version").fill("0.6.9")
    page.get_by_role("button", name="Check version").click()
    page.wait_for_url("**/crates/smallvec/security?version=0.6.9")
    check_page(page)
    summary = severity_summary(data.advisories, Version.parse("0.6.9"))
    status = page.inner_text("#version-status")
    assert (
        f"smallvec 0.6.9 is affected by {len(summary.affecting)} of the {len(listed)} "
        "advisories listed below."
    ) in status
    assert summary.highest is not None
    assert (
        f"Highest severity: {summary.highest.rating} {summary.highest.base_score:.1f} "
        f"(CVSS {summary.highest.version}, {summary.highest_id})"
    ) in status
    affected_cards = page.locator("article.advisory.is-affected")
    assert affected_cards.count() == len(summary.affecting)
    assert sorted(affected_cards.evaluate_all("cards => cards.map(c => c.id)")) == sorted(
        summary.affecting
    )
    for card_id in summary.affecting:
        assert (
            page.locator(f"article[id='{card_id}'] .badge.affects").inner_text() == "Affects 0.6.9"
        )
    assert page.locator(".badge.not-affected").count() == len(listed) - len(summary.affecting)
    page.get_by_text("What is listed, and how is the highest severity computed?").click()
    assert page.get_by_text("CVSS v3.0, v3.1 or v4.0").is_visible()
    page.screenshot(path=str(screenshots / "security-desktop.png"), full_page=True)

    page.get_by_label("Version").fill("0.6")
    page.get_by_role("button", name="Check version").click()
    alert = page.get_by_role("alert")
    assert alert.inner_text() == (
        "Not a version: '0.6' is not a version: unexpected end of input while parsing minor "
        "version number; expected a full version such as 1.2.3"
    )
    assert page.locator("article.advisory").count() >= len(listed)


def test_informational_advisories_are_collapsed(
    page: Any, real_server: str, real_snapshot: Snapshot
) -> None:
    name = next(
        n
        for n in real_snapshot.crate_names()
        if any(a.kind.value == "unmaintained" for a in real_snapshot.crate(n).shown)  # type: ignore[union-attr]
        and any(a.kind.value == "vulnerability" for a in real_snapshot.crate(n).shown)  # type: ignore[union-attr]
    )
    page.goto(f"{real_server}/crates/{name}/security")
    details = page.locator("details.informational")
    assert details.evaluate("d => d.open") is False
    unmaintained = details.locator(".badge.kind-unmaintained").first
    assert not unmaintained.is_visible()
    details.locator("summary").click()
    assert unmaintained.is_visible()
    assert page.locator("ol.advisories").first.locator(".badge.kind-unmaintained").count() == 0


def test_keyboard_only(page: Any, real_server: str) -> None:
    page.goto(real_server + "/crates/smallvec/security")
    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    assert skip.inner_text() == "Skip to main content"
    assert skip.is_visible()
    page.keyboard.press("Enter")
    for _ in range(30):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "version":
            break
    else:
        pytest.fail("the version box cannot be reached with Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"
    page.keyboard.type("1.0.0")
    page.keyboard.press("Enter")
    page.wait_for_url("**/crates/smallvec/security?version=1.0.0")
    assert "smallvec 1.0.0" in page.inner_text("#version-status")


def test_phone_width(browser: Any, real_server: str, screenshots: Path) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    phone = context.new_page()
    try:
        phone.goto(real_server + "/crates/smallvec/security?version=0.6.9")
        check_page(phone)
        phone.screenshot(path=str(screenshots / "security-phone.png"))
        # the facts stack into one column: labels sit above their values
        dt = phone.locator("article.advisory dt").first.bounding_box()
        dd = phone.locator("article.advisory dd").first.bounding_box()
        assert dt is not None
        assert dd is not None
        assert dd["y"] > dt["y"]
        for path, shot in [
            ("/", "home-phone.png"),
            ("/advisories/RUSTSEC-2019-0009", "advisory-phone.png"),
        ]:
            phone.goto(real_server + path)
            check_page(phone)
            phone.screenshot(path=str(screenshots / shot))
    finally:
        context.close()


def test_advisory_page(page: Any, real_server: str, screenshots: Path) -> None:
    page.goto(real_server + "/advisories/RUSTSEC-2019-0009")
    check_page(page)
    assert (
        page.get_by_role("heading", level=1).inner_text()
        == "Double-free and use-after-free in SmallVec::grow()"
    )
    nvd = page.get_by_role("link", name="CVE-2019-15551")
    assert nvd.get_attribute("href") == "https://nvd.nist.gov/vuln/detail/CVE-2019-15551"
    assert page.get_by_role("link", name="OSV JSON of this advisory").get_attribute("href") == (
        "/api/v1/advisories/RUSTSEC-2019-0009"
    )
    page.screenshot(path=str(screenshots / "advisory-desktop.png"), full_page=True)


def test_published_versions_from_an_index(
    page: Any, web_db: AdvisoryDatabase, screenshots: Path
) -> None:
    with DirIndex(FIXTURE_INDEX) as index:
        app = create_app(DatabaseReloader(lambda: web_db, None, initial=web_db), index=index)
        with live_server(app) as url:
            page.goto(url + "/crates/foo/security")
            check_page(page)
            select = page.get_by_label("Version")
            assert select.evaluate("s => s.tagName") == "SELECT"
            assert select.input_value() == "1.4.0"  # the latest release that is not yanked
            assert "1.5.0 (yanked)" in select.locator("option").all_inner_texts()
            assert "foo 1.4.0 is affected" in page.inner_text("#version-status")
            select.select_option("1.2.3")
            page.get_by_role("button", name="Check version").click()
            page.wait_for_url("**/security?version=1.2.3")
            assert "foo 1.2.3 is affected by 2 of the 4 advisories" in page.inner_text(
                "#version-status"
            )
            assert page.locator(".badge.not-affected").count() == 2
            page.screenshot(path=str(screenshots / "security-index.png"), full_page=True)
            page.goto(url + "/crates/plain/security")
            check_page(page)
            assert page.get_by_text(
                "No advisories have been reported to RustSec for this crate."
            ).is_visible()
            tab = page.get_by_role("link", name="Security 0 advisories")
            assert tab.get_attribute("aria-current") == "page"
