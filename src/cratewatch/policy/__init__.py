"""deny.toml policy enforcement (cargo-deny compatible): the ``cratewatch check`` library.

- :mod:`.graph`, :mod:`.graph_metadata`, :mod:`.graph_lock`, :mod:`.crate_sources`: the crate
  graph, from ``cargo metadata`` or from Cargo.lock + manifests, and ``[graph]`` pruning;
- :mod:`.config`: deny.toml (current schema and the 0.14-era keys);
- :mod:`.advisories`, :mod:`.bans` (+ :mod:`.bans_build`), :mod:`.licenses` (+
  :mod:`.license_gather`, :mod:`.spdx`, :mod:`.licensetext`), :mod:`.sources`: the checks;
- :mod:`.diagnostics`: what they report, with the stable code list;
- :mod:`.runner`: running checks over a graph into one :class:`CheckReport`.

>>> from cratewatch.policy import Check, CrateGraph, parse_config, run_checks
>>> empty = CrateGraph(krates=(), edges=(), roots=())
>>> run_checks(empty, parse_config(""), [Check.BANS]).exit_status
0
"""

from __future__ import annotations

from cratewatch.policy.config import (
    InvalidPolicyConfig,
    PolicyConfig,
    find_config,
    load_config,
    parse_config,
)
from cratewatch.policy.diagnostics import CODES, Check, Diagnostic, Label, Severity
from cratewatch.policy.graph import CrateGraph, GraphTarget, Krate, prune
from cratewatch.policy.runner import ALL_CHECKS, CheckReport, apply_graph_config, run_checks

__all__ = [
    "ALL_CHECKS",
    "CODES",
    "Check",
    "CheckReport",
    "CrateGraph",
    "Diagnostic",
    "GraphTarget",
    "InvalidPolicyConfig",
    "Krate",
    "Label",
    "PolicyConfig",
    "Severity",
    "apply_graph_config",
    "find_config",
    "load_config",
    "parse_config",
    "prune",
    "run_checks",
]
