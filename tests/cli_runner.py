"""Running ``cratewatch`` in-process, as the console script does, for the CLI tests."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from cratewatch.cli.main import main


def run_cli(args: Sequence[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Exit status, stdout and stderr of ``cratewatch ARGS``; a traceback fails the test."""
    with pytest.raises(SystemExit) as info:
        main(args)
    out, err = capsys.readouterr()
    code = info.value.code
    assert "Traceback" not in err
    return (code if isinstance(code, int) else 0), out, err
