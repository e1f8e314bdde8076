"""The examples in the binaries modules' docstrings run and say what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest


@pytest.mark.parametrize(
    "module",
    [
        "cratewatch.binaries",
        "cratewatch.binaries.formats",
        "cratewatch.binaries.graph",
        "cratewatch.binaries.model",
        "cratewatch.binaries.reader",
    ],
)
def test_docstring_examples(module: str) -> None:
    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
