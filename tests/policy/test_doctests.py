"""The runnable examples in the docstrings of the policy modules still run."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import cratewatch.policy

MODULES = sorted(
    [
        "cratewatch.policy",
        *(f"cratewatch.policy.{m.name}" for m in pkgutil.iter_modules(cratewatch.policy.__path__)),
        *(
            f"cratewatch.policy.config.{m}"
            for m in ("spans", "model", "reader", "parse", "template")
        ),
        "cratewatch.report.check_json",
        "cratewatch.report.check_sarif",
        "cratewatch.report.check_human",
    ]
)


@pytest.mark.parametrize("name", [m for m in MODULES if not m.endswith(".data")])
def test_docstring_examples(name: str) -> None:
    result = doctest.testmod(importlib.import_module(name))
    assert result.failed == 0
