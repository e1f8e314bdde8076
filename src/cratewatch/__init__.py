"""cratewatch: Rust supply-chain security.

The library is layered: :mod:`cratewatch.semver`, :mod:`cratewatch.lockfile`,
:mod:`cratewatch.manifest`, :mod:`cratewatch.advisories` and :mod:`cratewatch.registry`
form the core; the faces (audit, policy, provenance, ecosystem, web) build on it.
Only :mod:`cratewatch.cli` prints, exits or reads the environment.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
