"""What the benchmark scripts share: where the real data is, and timing an action.

The scripts run as ``uv run python benchmarks/bench_<area>.py``, so this directory is on
``sys.path`` and they import this module as ``_common``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["REPO_ROOT", "shared_data", "time_runs"]

REPO_ROOT = Path(__file__).resolve().parent.parent
"""The checkout (the parent of ``benchmarks/``)."""


def shared_data() -> Path:
    """``$CRATEWATCH_SHARED_DATA``, else ``../shared/data`` next to the checkout."""
    configured = os.environ.get("CRATEWATCH_SHARED_DATA")
    return Path(configured) if configured else REPO_ROOT.parent / "shared" / "data"


def time_runs(action: Callable[[], object], runs: int) -> list[float]:
    """Wall-clock seconds of each of *runs* calls of *action*."""
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        out.append(time.perf_counter() - start)
    return out
