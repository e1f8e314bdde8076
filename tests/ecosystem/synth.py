"""Small synthetic registries and advisory databases for ecosystem tests (real files).

An index is written as a directory in the crates.io layout (``config.json``, ``se/rd/serde``
...), one JSON line per version, and read through the real :class:`DirIndex`. Advisory
databases are directories of real RustSec advisory files, loaded by the real loader.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cratewatch.advisories.database import AdvisoryDatabase, DatabaseInfo
from cratewatch.advisories.model import Advisory, Collection
from cratewatch.registry.paths import index_path
from cratewatch.semver import VersionReq


@dataclass(frozen=True)
class Dep:
    """One dependency of a synthetic version."""

    name: str
    req: str
    kind: str = "normal"
    optional: bool = False
    target: str | None = None

    def line(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "req": self.req,
            "features": [],
            "optional": self.optional,
            "default_features": True,
            "target": self.target,
            "kind": self.kind,
        }


@dataclass(frozen=True)
class Ver:
    """One published version."""

    name: str
    vers: str
    deps: Sequence[Dep] = ()
    yanked: bool = False
    features: dict[str, list[str]] = field(default_factory=dict)

    def line(self) -> str:
        return json.dumps(
            {
                "name": self.name,
                "vers": self.vers,
                "deps": [d.line() for d in self.deps],
                "cksum": "0" * 64,
                "features": self.features,
                "yanked": self.yanked,
            }
        )


def write_index(root: Path, versions: Iterable[Ver]) -> Path:
    """Write *versions* as a directory index under *root*; returns *root*."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "config.json").write_text(json.dumps({"dl": "https://example.test/dl"}))
    files: dict[str, list[str]] = {}
    for ver in versions:
        files.setdefault(ver.name, []).append(ver.line())
    for name, lines in files.items():
        path = root / index_path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n")
    return root


@dataclass(frozen=True)
class Adv:
    """One advisory to write or build."""

    id: str
    package: str
    patched: Sequence[str] = ()
    informational: str | None = None
    date: dt.date = dt.date(2020, 1, 1)
    withdrawn: dt.date | None = None
    source: str | None = None

    def text(self) -> str:
        lines = ["```toml", "[advisory]", f'id = "{self.id}"', f'package = "{self.package}"']
        lines.append(f'date = "{self.date.isoformat()}"')
        if self.informational:
            lines.append(f'informational = "{self.informational}"')
        if self.withdrawn:
            lines.append(f'withdrawn = "{self.withdrawn.isoformat()}"')
        if self.source:
            lines.append(f'source = "{self.source}"')
        patched = ", ".join(f'"{p}"' for p in self.patched)
        lines += ["", "[versions]", f"patched = [{patched}]", "```", "", f"# {self.id}", ""]
        return "\n".join(lines) + "\nDetails.\n"

    def advisory(self) -> Advisory:
        return Advisory(
            id=self.id,
            package=self.package,
            date=self.date,
            title=self.id,
            description="",
            informational=self.informational,
            withdrawn=self.withdrawn,
            source=self.source,
            patched=tuple(VersionReq.parse(p) for p in self.patched),
            collection=Collection.CRATES,
            path=f"crates/{self.package}/{self.id}.md",
        )


def write_db(root: Path, advisories: Iterable[Adv]) -> Path:
    """Write a RustSec-layout advisory directory (``crates/<pkg>/<id>.md``)."""
    for adv in advisories:
        path = root / "crates" / adv.package / f"{adv.id}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(adv.text())
    (root / "rust").mkdir(parents=True, exist_ok=True)
    return root


def database(advisories: Iterable[Adv]) -> AdvisoryDatabase:
    """An in-memory database of *advisories*."""
    info = DatabaseInfo(source="synthetic", path=Path("."), commit="c" * 40, last_commit_time=None)
    return AdvisoryDatabase([a.advisory() for a in advisories], info=info)


# A small ecosystem used by several tests:
#   app 1.0.0 -> web ^1 (-> old-time =0.1.0 [vuln], log ^0.4 [unmaintained]),
#                dev: bench-kit ^0.3 (-> shaky 1.0 [unsound])
#   web 1.1.0 yanked, web 1.0.0; shaky 1.0.0 / 2.0.0; solo 0.1.0 (no deps)
#   broken 0.1.0 -> missing ^1 (cannot resolve)
#   own 1.0.0 has an advisory on itself only
ECOSYSTEM = (
    Ver("old-time", "0.1.0"),
    Ver("old-time", "0.2.0"),
    Ver("log", "0.4.8"),
    Ver("shaky", "1.0.0"),
    Ver("shaky", "2.0.0"),
    Ver("web", "1.0.0", deps=[Dep("old-time", "=0.1.0"), Dep("log", "^0.4")]),
    Ver("web", "1.1.0", deps=[Dep("old-time", "^0.2")], yanked=True),
    Ver("bench-kit", "0.3.0", deps=[Dep("shaky", "^1")]),
    Ver("app", "0.9.0", deps=[Dep("web", "^1")]),
    Ver(
        "app",
        "1.0.0",
        deps=[Dep("web", "^1"), Dep("bench-kit", "^0.3", kind="dev")],
    ),
    Ver("app", "1.1.0-rc.1", deps=[Dep("web", "^1")]),
    Ver("solo", "0.1.0"),
    Ver("broken", "0.1.0", deps=[Dep("missing", "^1")]),
    Ver("own", "1.0.0", deps=[Dep("log", "^0.4")]),
)

ADVISORIES = (
    Adv("RUSTSEC-2020-0001", "old-time", patched=(">= 0.2.0",), date=dt.date(2020, 3, 1)),
    Adv("RUSTSEC-2020-0002", "log", informational="unmaintained", date=dt.date(2020, 4, 1)),
    Adv("RUSTSEC-2021-0003", "shaky", patched=(">= 2.0.0",), informational="unsound"),
    Adv("RUSTSEC-2021-0004", "own", informational="notice"),
    Adv("RUSTSEC-2021-0005", "log", withdrawn=dt.date(2021, 6, 1)),
    Adv(
        "RUSTSEC-2021-0006",
        "log",
        source="https://example.com/other-registry-index",
    ),
)
