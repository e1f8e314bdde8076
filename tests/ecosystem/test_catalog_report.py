"""The DuckDB catalog and the written report (Markdown, HTML, figures)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cratewatch.ecosystem.catalog import CatalogError, run_query, store_dataset
from cratewatch.ecosystem.report import STUDY, write_report
from cratewatch.ecosystem.stats import Options
from tests.ecosystem.datasets import synthetic_rows, write_dataset


def test_store_then_query_tables_views_and_runs(tmp_path: Path) -> None:
    rows = synthetic_rows(60)
    data = write_dataset(tmp_path / "d.parquet", rows)
    catalog = tmp_path / "cat" / "catalog.duckdb"
    stored = store_dataset(catalog, data)
    assert (stored.table, stored.rows) == ("crates", 60)
    result = run_query(catalog, "SELECT count(*) AS n, count(resolve_error) AS errors FROM crates")
    assert result.columns == ("n", "errors")
    assert result.rows == [(60, sum(r["resolve_error"] is not None for r in rows))]
    findings = run_query(
        catalog, "SELECT root_name, id, depth FROM crates_findings ORDER BY root_name, id"
    )
    expected = sorted(
        (r["name"], f["id"], f["depth"]) for r in rows for f in r.get("advisories") or []
    )
    assert findings.rows == expected
    runs = run_query(catalog, "SELECT table_name, metadata->>'$.index.commit' FROM runs")
    assert runs.rows == [("crates", "1" * 40)]
    # storing again replaces, every-version data goes to `versions`
    store_dataset(catalog, write_dataset(tmp_path / "v.parquet", rows[:5], all_versions=True))
    tables = run_query(catalog, "SELECT table_name FROM runs ORDER BY 1")
    assert tables.rows == [("crates",), ("versions",)]


def test_queries_are_read_only_and_errors_are_one_line(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.duckdb"
    store_dataset(catalog, write_dataset(tmp_path / "d.parquet", synthetic_rows(5)))
    with pytest.raises(CatalogError, match=r"query failed: .*read-only"):
        run_query(catalog, "DROP TABLE crates")
    with pytest.raises(CatalogError, match=r"query failed: Catalog Error: Table with name nope"):
        run_query(catalog, "SELECT * FROM nope")
    assert run_query(catalog, "SELECT count(*) FROM crates").rows == [(5,)]
    limited = run_query(catalog, "SELECT name FROM crates", max_rows=2)
    assert (len(limited.rows), limited.truncated) == (2, True)
    with pytest.raises(CatalogError, match=r"absent\.duckdb: no catalog there"):
        run_query(tmp_path / "absent.duckdb", "SELECT 1")
    with pytest.raises(CatalogError, match="table name 'bad name': expected letters"):
        store_dataset(catalog, tmp_path / "d.parquet", table="bad name")


def test_report_with_popularity_has_every_section_and_figure(tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "d.parquet", synthetic_rows(200))
    report = write_report(data, tmp_path / "out", Options(bins=(0, 100, 10_000, 1_000_000)))
    text = report.markdown.read_text()
    analysis = report.analysis
    first = analysis.views[0]
    assert (
        f"| vulnerability OR unsound | {first.total:,} | {first.passed:,} | {first.failed:,} "
        f"| {first.passed_pct:.3f}% | {first.failed_pct:.3f}% | {STUDY['vuln_unsound']:.3f}% |"
    ) in text
    for heading in (
        "## Headline",
        "## Data and filters",
        "## Downloads and popularity groups",
        "### unmaintained OR yanked",
        "## Correlations",
        "### Advisories reaching the most crates",
        "### Upgrades that would clean the most",
        "### Depth of vulnerable dependencies",
        "### Was the advisory already published at release?",
        "## Methods",
    ):
        assert heading in text
    assert "![log-download histogram](plots/downloads.png)" in text
    stems = {p.stem for p in report.plots}
    assert {"downloads", "views", "corr-created_at", "corr-all_deps", "timing", "depths"} <= stems
    for plot in report.plots:
        head = plot.read_bytes()[:8]
        assert head == b"\x89PNG\r\n\x1a\n" if plot.suffix == ".png" else b"<?xml" in head
    page = report.html.read_text()
    assert page.startswith("<!doctype html>")
    assert '<img src="plots/downloads.svg" alt="log-download histogram"' in page
    assert "<table>" in page
    summary = json.loads(report.summary.read_text())
    assert summary["views"]["vuln_unsound"]["failed"] == first.failed


def test_report_without_popularity_says_so_and_keeps_the_rest(tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "d.parquet", synthetic_rows(80, popularity=False))
    report = write_report(data, tmp_path / "out")
    text = report.markdown.read_text()
    assert "The dataset has no download counts, so the download distribution" in text
    assert "Release dates are missing, so advisory dates cannot be compared" in text
    assert "| all |" in text
    assert "plots/downloads" not in text
    assert "## Correlations" in text
    assert "corr-all_deps" in {p.stem for p in report.plots}
