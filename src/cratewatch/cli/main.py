"""The ``cratewatch`` command group and the ``cargo cratewatch`` entry point.

Subcommands live one per module in this package and are registered in :data:`_COMMANDS`.
Any :class:`~cratewatch.errors.CratewatchError` that escapes a command becomes one line on
stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence

import click

from cratewatch import __version__
from cratewatch.cli.errors import run_guarded

__all__ = ["cargo_main", "cli", "main"]

# (module, attribute) of every subcommand; imported lazily so `cratewatch --help` stays fast.
_COMMANDS: tuple[tuple[str, str], ...] = (
    ("cratewatch.cli.advisories", "advisories"),
    ("cratewatch.cli.audit", "audit"),
    ("cratewatch.cli.check", "check"),
    ("cratewatch.cli.db", "db"),
    ("cratewatch.cli.ecosystem", "ecosystem"),
    ("cratewatch.cli.index", "index"),
    ("cratewatch.cli.inspect", "inspect"),
    ("cratewatch.cli.provenance", "provenance"),
    ("cratewatch.cli.resolve", "resolve"),
    ("cratewatch.cli.sbom", "sbom"),
    ("cratewatch.cli.serve", "serve"),
    ("cratewatch.cli.site", "site"),
    ("cratewatch.cli.vet", "vet"),
    ("cratewatch.cli.typosquat", "typosquat"),
    ("cratewatch.cli.watch", "watch"),
)


class _LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name.replace("_", "-") for _, name in _COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        for module, name in _COMMANDS:
            if name.replace("_", "-") == cmd_name:
                command = getattr(importlib.import_module(module), name)
                assert isinstance(command, click.Command)
                return command
        return None


@click.group(
    cls=_LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.version_option(__version__, prog_name="cratewatch")
def cli() -> None:
    """cratewatch: Rust supply-chain security.

    Audit Cargo.lock files against the RustSec advisory database, inspect the crates.io
    index, and more. Run `cratewatch COMMAND --help` for the options of each command.
    """


def main(argv: Sequence[str] | None = None) -> None:
    """Run ``cratewatch`` (console script)."""
    run_guarded(cli, list(sys.argv[1:] if argv is None else argv), prog_name="cratewatch")


def cargo_main(argv: Sequence[str] | None = None) -> None:
    """Run as a cargo plugin: ``cargo cratewatch X`` runs ``cargo-cratewatch cratewatch X``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["cratewatch"]:
        args = args[1:]
    run_guarded(cli, args, prog_name="cargo cratewatch")
