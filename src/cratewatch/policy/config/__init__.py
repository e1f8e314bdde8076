"""deny.toml: the model (:mod:`.model`), the reader (:mod:`.parse`), key positions
(:mod:`.spans`) and the ``check init`` template (:mod:`.template`).

>>> cfg = parse_config('[licenses]\\nallow = ["MIT"]\\n')
>>> [a.value for a in cfg.licenses.allow], cfg.licenses.allow[0].at.line
(['MIT'], 2)
"""

from __future__ import annotations

from cratewatch.policy.config.model import (
    AdvisoriesConfig,
    BansConfig,
    ConfigWarning,
    GraphConfig,
    InvalidPolicyConfig,
    LicensesConfig,
    PackageSpec,
    PolicyConfig,
    Scope,
    SourcesConfig,
)
from cratewatch.policy.config.parse import (
    CONFIG_NAMES,
    find_config,
    load_config,
    parse_config,
    parse_rfc3339_duration,
)
from cratewatch.policy.config.template import TEMPLATE

__all__ = [
    "CONFIG_NAMES",
    "TEMPLATE",
    "AdvisoriesConfig",
    "BansConfig",
    "ConfigWarning",
    "GraphConfig",
    "InvalidPolicyConfig",
    "LicensesConfig",
    "PackageSpec",
    "PolicyConfig",
    "Scope",
    "SourcesConfig",
    "find_config",
    "load_config",
    "parse_config",
    "parse_rfc3339_duration",
]
