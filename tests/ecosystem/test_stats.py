"""The study's analysis on datasets whose content is known row by row."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy import stats as sps

from cratewatch.ecosystem.job import DatasetError
from cratewatch.ecosystem.stats import VIEWS, Options, analyse, bin_labels
from tests.ecosystem.datasets import synthetic_rows, write_dataset

BINS = (0, 100, 10_000, 1_000_000)


def _kept(rows: list[dict[str, Any]], cut: int) -> list[dict[str, Any]]:
    return [
        r
        for r in rows
        if r["resolve_error"] is None and r["crate_downloads"] is not None
        and r["crate_downloads"] >= cut
    ]  # fmt: skip


def _group(downloads: int) -> int:
    return max(i for i, low in enumerate(BINS) if downloads >= low)


def test_filters_views_and_groups_match_a_direct_count(tmp_path: Path) -> None:
    rows = synthetic_rows(300)
    assert rows[3]["resolve_error"] is not None
    rows[3]["yanked"] = True  # a yanked root: its own filter
    path = write_dataset(tmp_path / "d.parquet", rows)
    analysis = analyse(path, Options(min_downloads=50, bins=BINS))
    resolved = [r for r in rows if r["resolve_error"] is None]
    with_downloads = [r for r in resolved if r["crate_downloads"] is not None]
    kept = _kept(rows, 50)
    assert analysis.filters[0].description.startswith("yanked versions are left out (every")
    assert [(f.before, f.after) for f in analysis.filters] == [
        (300, 299),
        (299, len(resolved)),
        (len(resolved), len(with_downloads)),
        (len(with_downloads), len(kept)),
    ]
    assert analysis.rows == len(kept)
    assert analysis.downloads is not None
    assert analysis.downloads.below_cut == len(with_downloads) - len(kept)
    assert sum(analysis.downloads.counts) == len(with_downloads)
    assert analysis.group_labels == ("0-100", "100-10k", "10k-1M", "1M+")
    for result, view in zip(analysis.views, VIEWS, strict=True):
        failures = [sum(r[c] for c in view.columns) for r in kept]
        assert result.total == len(kept)
        assert result.failed == sum(f > 0 for f in failures)
        assert result.failed_pct == round(100 * result.failed / len(kept), 3)
        for i, group in enumerate(result.groups):
            members = [
                f for r, f in zip(kept, failures, strict=True) if _group(r["crate_downloads"]) == i
            ]
            assert group.total == len(members)
            assert group.failed == sum(f > 0 for f in members)
            if members:
                assert group.mean_failures == pytest.approx(sum(members) / len(members))
                assert group.rate == pytest.approx(100 * group.failed / len(members))


def test_correlations_are_scipys_on_the_kept_rows(tmp_path: Path) -> None:
    rows = synthetic_rows(250, seed=3)
    path = write_dataset(tmp_path / "d.parquet", rows)
    analysis = analyse(path, Options(min_downloads=50, bins=BINS))
    kept = _kept(rows, 50)
    y = np.array([r["a_vulnerability"] + r["a_unsound"] for r in kept], dtype=float)
    deps = np.array([r["all_deps"] for r in kept], dtype=float)
    found = next(c for c in analysis.correlations if c.x == "all_deps" and c.view is VIEWS[0])
    assert found.n == len(kept)
    assert found.pearson == pytest.approx(tuple(sps.pearsonr(deps, y)))
    assert found.spearman == pytest.approx(tuple(sps.spearmanr(deps, y)))
    assert found.kendall == pytest.approx(tuple(sps.kendalltau(deps, y)))
    assert found.spearman[0] > 0.3  # findings grow with the tree in these rows
    days = np.array([r["created_at"].timestamp() / 86400 for r in kept])
    dated = next(c for c in analysis.correlations if c.x == "created_at" and c.view is VIEWS[0])
    assert dated.spearman == pytest.approx(tuple(sps.spearmanr(days, y)))
    assert set(analysis.points) == {"created_at", "all_deps"}


def test_without_popularity_everything_is_one_group_and_says_so(tmp_path: Path) -> None:
    rows = synthetic_rows(120, popularity=False)
    analysis = analyse(write_dataset(tmp_path / "d.parquet", rows))
    resolved = [r for r in rows if r["resolve_error"] is None]
    assert analysis.downloads is None
    assert analysis.group_labels == ("all",)
    assert analysis.rows == len(resolved)
    assert len(analysis.filters) == 1
    assert not analysis.has_dates
    assert analysis.timing is None
    assert [c.x for c in analysis.correlations] == ["all_deps"] * len(VIEWS)
    assert analysis.notes == (
        "The dataset has no download counts (crate_downloads is empty): the low-download cut "
        'is not applied and every crate forms one popularity group ("all").',
        "The dataset has no release dates (created_at): the correlation with release recency "
        "and the advisory-timing analysis are left out.",
    )


def test_reach_parents_depths_and_timing(tmp_path: Path) -> None:
    rows = synthetic_rows(300, seed=11)
    analysis = analyse(write_dataset(tmp_path / "d.parquet", rows), Options(bins=BINS))
    kept = _kept(rows, 50)
    findings = [(r, f) for r in kept for f in r["advisories"]]
    reach = Counter(f["id"] for _, f in findings)
    assert {(a.id, a.rows) for a in analysis.top_advisories} == set(reach.items())
    assert [a.crates for a in analysis.top_advisories] == sorted(
        (a.crates for a in analysis.top_advisories), reverse=True
    )
    for advisory in analysis.top_advisories:
        mine = [f for _, f in findings if f["id"] == advisory.id]
        assert advisory.direct == sum(f["depth"] == 1 for f in mine)
        assert advisory.dev_only == sum(f["dev_only"] for f in mine)
        assert all(not p.startswith("crate-") for p, _ in advisory.top_parents)
    depth = Counter((f["depth"], f["kind"]) for _, f in findings)
    assert analysis.depths == tuple(
        (d, depth[(d, "vulnerability")], depth[(d, "unsound")]) for d in range(1, 5)
    )
    vulns = [(r, f) for r, f in findings if f["kind"] == "vulnerability"]
    assert analysis.timing is not None
    assert analysis.timing.known == sum(f["date"] <= r["created_at"].date() for r, f in vulns)
    assert analysis.timing.known + analysis.timing.later == len(vulns)
    pairs = {
        (f["parents"][0], r["name"]) for r, f in findings
        if f["kind"] in ("vulnerability", "unsound") and f["depth"] > 1
    }  # fmt: skip
    middle = Counter(parent for parent, _ in pairs)
    assert {(p.parent, p.rows) for p in analysis.top_parents} == set(middle.items())


def test_propagation_for_every_version_datasets(tmp_path: Path) -> None:
    rows = synthetic_rows(150, seed=5, popularity=False)
    rows[0]["self_advisories"] = ["RUSTSEC-2019-0001"]
    analysis = analyse(write_dataset(tmp_path / "d.parquet", rows, all_versions=True))
    resolved = [r for r in rows if r["resolve_error"] is None]
    serious = [
        [f for f in r["advisories"] if f["kind"] in ("vulnerability", "unsound")] for r in resolved
    ]
    p = analysis.propagation
    assert p is not None
    assert p.versions == len(resolved)
    assert p.affected == sum(bool(s) for s in serious)
    assert p.transitive_only == sum(bool(s) and all(f["depth"] > 1 for f in s) for s in serious)
    assert p.dev_only == sum(bool(s) and all(f["dev_only"] for f in s) for s in serious)
    assert p.self_affected == (1 if rows[0]["resolve_error"] is None else 0)


def test_empty_groups_are_nan_not_errors(tmp_path: Path) -> None:
    rows = synthetic_rows(40)
    for row in rows:
        if row["crate_downloads"] is not None:
            row["crate_downloads"] = 500
    analysis = analyse(
        write_dataset(tmp_path / "d.parquet", rows), Options(bins=(0, 100, 1_000_000))
    )
    first = analysis.views[0].groups
    assert first[0].total == 0
    assert math.isnan(first[0].rate)
    assert first[2].total == 0


def test_bad_bins_and_a_file_that_is_not_a_dataset(tmp_path: Path) -> None:
    path = write_dataset(tmp_path / "d.parquet", synthetic_rows(10))
    with pytest.raises(DatasetError, match=r"bins \(10, 100\): expected increasing"):
        analyse(path, Options(bins=(10, 100)))
    other = tmp_path / "other.parquet"
    other.write_bytes(b"PAR1 nonsense")
    with pytest.raises(DatasetError, match=r"other\.parquet: not a readable Parquet file"):
        analyse(other)


def test_bin_labels() -> None:
    assert bin_labels((0, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000)) == (
        "0-100", "100-1k", "1k-10k", "10k-100k", "100k-1M", "1M-10M", "10M+",
    )  # fmt: skip
    assert bin_labels((0, 50, 1500)) == ("0-50", "50-1500", "1500+")
