"""What real cargo says about a Cargo.toml (``cargo metadata --no-deps``), and the same view
of a parsed :class:`~cratewatch.manifest.Manifest`, for the manifest tests to compare."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from cratewatch.manifest import Manifest

needs_cargo = pytest.mark.skipif(shutil.which("cargo") is None, reason="cargo is not on PATH")


def cargo_metadata(directory: Path, cargo_home: Path) -> dict[str, Any]:
    """``cargo metadata --no-deps --offline`` run in *directory*."""
    done = subprocess.run(
        ["cargo", "metadata", "--no-deps", "--format-version", "1", "--offline"],
        cwd=directory,
        env={**os.environ, "CARGO_HOME": str(cargo_home)},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def cargo_dependencies(package: dict[str, Any]) -> list[tuple[object, ...]]:
    """The dependencies of one ``cargo metadata`` package, comparable with
    :func:`our_dependencies`."""
    return sorted(
        (
            dep["rename"] or dep["name"],
            dep["name"],
            dep["req"],
            dep["kind"] or "normal",
            dep["target"],
            dep["optional"],
            dep["uses_default_features"],
            tuple(dep["features"]),
            None if dep.get("path") is None else str(Path(dep["path"]).resolve()),
        )
        for dep in package["dependencies"]
    )


def our_dependencies(manifest: Manifest, directory: Path) -> list[tuple[object, ...]]:
    """The dependencies of *manifest* (read from *directory*) as cargo metadata shows them."""
    return sorted(
        (
            d.name,
            d.package,
            str(d.effective_req),
            d.kind.value,
            d.target,
            d.optional,
            d.default_features,
            d.features,
            None if d.path is None else str((directory / d.path).resolve()),
        )
        for d in manifest.dependencies
    )
