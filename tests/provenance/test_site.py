"""The static report site: built from real batch results, served over loopback HTTP and used
in headless Chromium (filtering, a crate, a version's files and diff); screenshots are saved
to test-artifacts/screenshots/."""

from __future__ import annotations

import functools
import http.server
import json
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from pytest_httpserver import HTTPServer

from cratewatch.provenance.batch import BatchConfig, BatchItem, row_schema, run_batch
from cratewatch.provenance.site import build_site, trend
from cratewatch.provenance.store import ResultStore
from tests.provenance.registry import Releases, build_releases, write_index
from tests.web.browser import check_page


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Batch results for every published version (served by a module-wide loopback registry)."""
    root = tmp_path_factory.mktemp("site-results")
    releases: Releases = build_releases(root / "releases")
    server = HTTPServer(host="127.0.0.1")
    server.start()
    try:
        for crate in releases.crates:
            server.expect_request(
                f"/crates/{crate.name}/{crate.name}-{crate.version}.crate"
            ).respond_with_data(crate.path.read_bytes())
        write_index(
            root / "index", releases, server.url_for("/crates/{crate}/{crate}-{version}.crate")
        )
        dl = json.loads((root / "index/config.json").read_text())["dl"]
        out = root / "results.parquet"
        run_batch(
            [BatchItem(name=c.name, version=c.version, checksum=c.cksum) for c in releases.crates],
            config=BatchConfig(cache_dir=root / "cache", dl=dl, url_rewrites=(releases.rewrite,)),
            store=ResultStore(out, row_schema()),
        )
    finally:
        server.stop()
    return out


@pytest.fixture(scope="module")
def site(results: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site") / "site"
    summary = build_site(results, out, title="Provenance test")
    assert (summary.crates, summary.versions, summary.skipped_rows) == (8, 23, 0)
    return out


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    """The site on a loopback static file server."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            del format, args

    handler = functools.partial(Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


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
    assert errors == []  # includes Content-Security-Policy violations


def test_site_files(site: Path, results: Path) -> None:
    rows = pq.read_table(results).to_pylist()
    summary = json.loads((site / "data/crates.json").read_text())
    assert [r["name"] for r in summary] == sorted({r["name"] for r in rows})
    gamma = next(r for r in summary if r["name"] == "gamma")
    assert gamma["history"] == ["match", "mismatch", "match", "match"]
    assert gamma["latest"] == "2.0.0"
    detail = json.loads((site / "data/crates/gamma.json").read_text())
    assert [v["version"] for v in detail["versions"]] == ["1.0.0", "1.1.0", "1.2.0", "2.0.0"]
    assert detail["versions"][1]["result"]["differences"][0]["path"] == "src/lib.rs"
    index = (site / "index.html").read_text()
    assert len(index.encode()) < 40_000  # per-crate data stays out of the index page
    assert "injected" not in index
    assert "Content-Security-Policy" in index
    assert (site / "crates/gamma/1.1.0.html").is_file()


def test_trend_buckets_spread_release_history() -> None:
    chart = trend({"a": ["no-vcs-info", "no-vcs-info", "match", "match"], "b": ["match"]}, 2)
    assert [b["counts"] for b in chart["buckets"]] == [{"no-vcs-info": 2}, {"match": 3}]
    assert [b["label"] for b in chart["buckets"]] == ["0-50%", "50-100%"]


def test_browse_filter_and_open_a_mismatch(
    page: Any, served: str, results: Path, screenshots: Path
) -> None:
    rows = pq.read_table(results, columns=["status"]).to_pylist()
    counts = Counter(r["status"] for r in rows)
    page.goto(served + "/index.html")
    check_page(page)
    page.wait_for_selector("text=Showing 8 of 8 crates.")
    for status in ("match", "mismatch", "no-vcs-info", "repository-unreachable", "error"):
        cell = page.locator(f"table.counts tr[data-status='{status}'] td.count")
        assert cell.inner_text() == str(counts[status])
    widths = page.eval_on_selector_all(".stackbar .segment", "s => s.map(e => e.style.width)")
    assert len(widths) == len(counts)
    assert all(w.endswith("%") for w in widths)
    page.screenshot(path=str(screenshots / "provenance-index.png"), full_page=True)

    page.get_by_label("Crate name contains").fill("amm")
    page.wait_for_selector("text=Showing 1 of 8 crates.")
    assert page.locator("#crates tbody tr").evaluate_all("r => r.map(e => e.dataset.name)") == [
        "gamma"
    ]
    page.get_by_label("Crate name contains").fill("")
    page.get_by_label("Status of any version").select_option("repository-unreachable")
    page.wait_for_selector("text=Showing 1 of 8 crates.")
    assert page.locator("#crates tbody tr td a").first.inner_text() == "gone"
    page.get_by_label("Status of any version").select_option("")
    page.get_by_label("Only crates with a mismatch or dirty version").check()
    page.wait_for_selector("text=Showing 1 of 8 crates.")
    page.screenshot(path=str(screenshots / "provenance-filtered.png"), full_page=True)

    page.get_by_role("link", name="gamma", exact=True).click()
    page.wait_for_url("**/crates/gamma/index.html")
    check_page(page)
    assert page.locator("table.versions tbody tr").count() == 4
    page.get_by_role("link", name="1.1.0", exact=True).click()
    page.wait_for_url("**/crates/gamma/1.1.0.html")
    page.wait_for_selector("text=5 files.")  # rendered from data/crates/gamma.json
    check_page(page)
    assert page.locator(".verdict .badge").inner_text() == "mismatch"
    row = page.locator("#files tbody tr[data-state='differs']")
    assert row.locator("td").first.inner_text() == "src/lib.rs"
    diff = page.locator("details.diff").first
    assert diff.locator("summary").inner_text() == "src/lib.rs (differs)"
    assert diff.locator("pre.diff").count() == 0  # rendered only when opened
    diff.locator("summary").click()
    diff.locator("pre.diff").wait_for()  # the toggle event renders it
    added = diff.locator("pre.diff span.add").all_inner_texts()
    assert added == ["+pub fn injected() {}"]
    page.screenshot(path=str(screenshots / "provenance-version-mismatch.png"), full_page=True)


def test_version_pages_of_other_statuses(page: Any, served: str, screenshots: Path) -> None:
    page.goto(served + "/crates/alpha/2.0.0.html")
    page.wait_for_selector("text=5 files.")
    check_page(page)
    assert page.locator("#diffs").inner_text() == "None."
    assert page.locator("#missing li").all_inner_texts() == ["None."]
    page.goto(served + "/crates/gone/0.9.0.html")
    check_page(page)
    assert page.locator(".verdict .badge").inner_text() == "repository-unreachable"
    assert "Could not resolve host" in page.locator("dd.reason").inner_text()
    assert page.locator("#files").count() == 0
    page.screenshot(path=str(screenshots / "provenance-version-unreachable.png"), full_page=True)
