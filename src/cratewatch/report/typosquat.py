"""Reports of ``cratewatch typosquat``: JSON and human-readable text."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

from rich.console import Console
from rich.text import Text

from cratewatch import __version__
from cratewatch.inspect.typosquat.check import Suspect
from cratewatch.inspect.typosquat.match import Candidate
from cratewatch.inspect.typosquat.popularity import Popularity

__all__ = ["SCHEMA", "candidate_to_json", "print_typosquat_human", "render_typosquat_json"]

SCHEMA = "cratewatch-typosquat/1"


def _date(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def candidate_to_json(candidate: Candidate) -> dict[str, Any]:
    """One candidate with its evidence."""
    return {
        "target": candidate.target,
        "kind": candidate.kind.value,
        "edit": candidate.edit,
        "distance": candidate.distance,
        "target_popularity": candidate.target_popularity,
        "name_popularity": candidate.name_popularity,
        "gap": round(candidate.gap, 1) if candidate.gap is not None else None,
        "target_first_seen": _date(candidate.target_created),
        "name_first_seen": _date(candidate.name_created),
        "score": candidate.score,
    }


def render_typosquat_json(
    suspects: Sequence[Suspect], *, popularity: Popularity, checked: int, notes: Sequence[str]
) -> str:
    """The report as indented JSON text."""
    document = {
        "schema": SCHEMA,
        "tool": {"name": "cratewatch", "version": __version__},
        "popularity": {"kind": popularity.kind.value, "source": popularity.source},
        "notes": list(notes),
        "checked": checked,
        "suspects": [
            {
                "name": s.name,
                "first_seen": _date(s.first_seen),
                "candidates": [candidate_to_json(c) for c in s.candidates],
            }
            for s in suspects
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def print_typosquat_human(
    console: Console,
    suspects: Sequence[Suspect],
    *,
    popularity: Popularity,
    checked: int,
    notes: Sequence[str],
) -> None:
    """One block per suspect name, then a summary line."""
    unit = "downloads" if popularity.kind.value == "downloads" else "dependents"
    for note in notes:
        console.print(f"note: {note}", style="yellow")
    for suspect in suspects:
        header = Text(suspect.name, style="bold")
        if suspect.first_seen is not None:
            header.append(f"  first seen {suspect.first_seen:%Y-%m-%d}", style="dim")
        console.print(header)
        for c in suspect.candidates:
            own = f"{c.name_popularity:,}" if c.name_popularity is not None else "unknown"
            line = Text(f"  {c.score:.2f}  ", style="bold red" if c.score >= 0.8 else "yellow")
            line.append(f"{c.target}", style="bold")
            line.append(f"  {c.kind.value}: {c.edit}")
            line.append(f"  ({c.target_popularity:,} {unit} vs {own})", style="dim")
            console.print(line)
    console.print(
        f"{checked} name{'s' if checked != 1 else ''} checked against {popularity.source}; "
        f"{len(suspects)} look{'s' if len(suspects) == 1 else ''} like a popular crate",
        style="bold red" if suspects else "bold",
    )
