"""The real crates.io git index of 2020-07-20 (../shared/data), read through the git backend.

The counts are the facts documented with the data; the raw JSON of every file is compared
with what the parser made of it, so a dependency without ``kind`` or with ``package`` is
checked against the real lines, not against the parser itself.
"""

from __future__ import annotations

import json
from collections import Counter

import pytest

from cratewatch.registry.gitindex import GitIndex
from cratewatch.registry.index import CrateNotFound
from cratewatch.registry.model import DepKind
from cratewatch.registry.parse import parse_index_file

pytestmark = pytest.mark.shared


def test_the_whole_index(real_index: GitIndex) -> None:
    counts: Counter[str] = Counter()
    for path, data in real_index.files():
        entries = parse_index_file(data, source=path, crate=path.rpartition("/")[2])
        counts["crates"] += 1
        counts["versions"] += len(entries)
        counts["yanked"] += sum(e.yanked for e in entries)
        deps = sum(len(e.deps) for e in entries)
        if b'"package"' not in data and data.count(b'"kind":') == deps:
            continue  # nothing special in this file: skip the slow raw comparison
        raw_lines = [json.loads(line) for line in data.splitlines() if line.strip()]
        for entry, raw in zip(entries, raw_lines, strict=True):
            assert (entry.name, entry.vers, entry.cksum) == (raw["name"], raw["vers"], raw["cksum"])
            for dep, raw_dep in zip(entry.deps, raw["deps"], strict=True):
                if "kind" not in raw_dep:
                    counts["no kind"] += 1
                    assert dep.kind is DepKind.NORMAL
                if "package" in raw_dep:
                    counts["package key"] += 1
                    assert (dep.name, dep.package) == (raw_dep["name"], raw_dep["package"])
                    counts["renamed"] += dep.is_renamed
    assert counts == {
        "crates": 43_451,
        "versions": 259_132,
        "yanked": 9_294,
        "no kind": 216,
        "package key": 12_897,
        "renamed": 12_897 - 404,  # 404 deps name their own crate in `package`
    }
    names = list(real_index.names())
    assert len(set(names)) == len(names) == 43_451
    assert "eee" not in names  # README.md/eee in the real tree is not where `eee` would live


def test_lookups(real_index: GitIndex) -> None:
    assert real_index.ref == "HEAD"  # a bare clone of the bundle
    serde = real_index.versions("serde")
    assert (serde[0].vers, serde[-1].vers) == ("0.0.0", "1.0.114")
    assert [e.name for e in real_index.versions("inflector")][:1] == ["Inflector"]
    assert real_index.config().dl == "https://crates.io/api/v1/crates"
    with pytest.raises(CrateNotFound):
        real_index.versions("cratewatch")
