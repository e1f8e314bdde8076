"""The SARIF 2.1.0 envelope the ``*_sarif`` reports share: one run of one cratewatch tool."""

from __future__ import annotations

from typing import Any

from cratewatch import __version__

__all__ = ["SARIF_SCHEMA", "sarif_log"]

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def sarif_log(
    *,
    tool: str,
    information_uri: str,
    rules: list[dict[str, Any]],
    results: list[dict[str, Any]],
) -> dict[str, Any]:
    """A SARIF 2.1.0 log with one run of *tool* (at cratewatch's version).

    >>> sarif_log(tool="cratewatch", information_uri="https://rustsec.org/", rules=[],
    ...           results=[])["runs"][0]["tool"]["driver"]["informationUri"]
    'https://rustsec.org/'
    """
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": tool,
                        "version": __version__,
                        "informationUri": information_uri,
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }
