"""The runnable examples in the docstrings of the provenance modules still run."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import cratewatch.provenance

MODULES = sorted(
    f"cratewatch.provenance.{m.name}" for m in pkgutil.iter_modules(cratewatch.provenance.__path__)
)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0
