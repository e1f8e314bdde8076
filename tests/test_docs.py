"""Documentation gates: every command and option is documented, the reference is current."""

from __future__ import annotations

import click
import pytest
from scripts.gen_cli_docs import DOC, render, walk

from cratewatch.cli.main import cli
from tests.conftest import REPO_ROOT

COMMANDS = list(walk(cli, ("cratewatch",)))


def test_cli_reference_is_current() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/cli.md is out of date: run `uv run python scripts/gen_cli_docs.py`"
    )


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[" ".join(p) for p, _ in COMMANDS])
def test_every_command_and_option_explains_itself(
    path: tuple[str, ...], command: click.Command
) -> None:
    assert (command.help or "").strip(), f"{' '.join(path)} has no help text"
    for param in command.params:
        if isinstance(param, click.Option) and param.name != "help":
            assert (param.help or "").strip(), f"{' '.join(path)} {param.opts[0]} has no help"


def test_readme_names_every_top_level_command() -> None:
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    top = {path[1] for path, _ in COMMANDS if len(path) == 2}
    missing = sorted(name for name in top if f"cratewatch {name}" not in readme)
    assert missing == [], f"README.md does not mention: {missing}"
