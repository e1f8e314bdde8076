"""The fix plan in words and as JSON (shared by every report format)."""

from __future__ import annotations

from typing import Any, assert_never

from cratewatch.audit.fixplan import Blocked, FixStep, NoFixedVersion, PreciseUpdate, Unknown

__all__ = ["fix_step_json", "fix_step_line"]


def fix_step_line(step: FixStep) -> str:
    """One line: a cargo command, or why there is none."""
    ids = ", ".join(step.advisories)
    match step:
        case PreciseUpdate():
            return f"{step.command}  # fixes {ids}"
        case Blocked():
            blockers = "; ".join(
                f"{b.label} requires {b.requirement}"
                if b.requirement is not None
                else f"{b.label} (requirement unknown)"
                for b in step.blockers
            )
            return (
                f"{step.name} {step.current}: fixed in {step.fixed} ({ids}), a semver-incompatible "
                f"upgrade blocked by {blockers}"
            )
        case NoFixedVersion():
            return f"{step.name} {step.current}: no fixed version is published ({ids})"
        case Unknown():
            return f"{step.name} {step.current}: cannot plan a fix: {step.reason} ({ids})"
        case _:
            assert_never(step)


def fix_step_json(step: FixStep) -> dict[str, Any]:
    """The step as a JSON object (``status`` says which variant)."""
    base: dict[str, Any] = {
        "name": step.name,
        "current": str(step.current),
        "advisories": list(step.advisories),
        "fixed": None,
        "command": None,
        "blockers": [],
        "reason": None,
    }
    match step:
        case PreciseUpdate():
            return base | {"status": "update", "fixed": str(step.fixed), "command": step.command}
        case Blocked():
            blockers = [
                {
                    "dependent": b.label,
                    "requirement": str(b.requirement) if b.requirement is not None else None,
                }
                for b in step.blockers
            ]
            return base | {"status": "blocked", "fixed": str(step.fixed), "blockers": blockers}
        case NoFixedVersion():
            return base | {"status": "no-fix"}
        case Unknown():
            return base | {"status": "unknown", "reason": step.reason}
        case _:
            assert_never(step)
