"""Turning errors into one clear line and an exit code."""

from __future__ import annotations

import sys

import click

from cratewatch.errors import AdvisoryDbError, CratewatchError

__all__ = ["EXIT_DB_ERROR", "EXIT_FINDINGS", "EXIT_OK", "EXIT_USAGE", "run_guarded"]

EXIT_OK = 0
"""Nothing that fails."""
EXIT_FINDINGS = 1
"""Findings that fail the run."""
EXIT_USAGE = 2
"""Bad input or usage (click also uses 2 for usage errors)."""
EXIT_DB_ERROR = 3
"""The advisory database could not be loaded."""


def run_guarded(command: click.Command, args: list[str], *, prog_name: str) -> None:
    """Invoke *command* and exit; known errors print one ``cratewatch: error:`` line."""
    try:
        command.main(args=args, prog_name=prog_name, standalone_mode=True)
    except AdvisoryDbError as e:
        _fail(e, EXIT_DB_ERROR)
    except CratewatchError as e:
        _fail(e, EXIT_USAGE)
    except KeyboardInterrupt:
        click.echo("cratewatch: interrupted", err=True)
        sys.exit(130)


def _fail(error: BaseException, code: int) -> None:
    click.echo(f"cratewatch: error: {error}", err=True)
    sys.exit(code)
