"""Cargo's flavour of Semantic Versioning, exactly as the Rust ``semver`` crate 1.x implements it.

Cargo parses every version and requirement with dtolnay's ``semver`` crate; this module is a
faithful port of its parser (``src/parse.rs``), its error messages (``src/error.rs``), its
ordering (``src/impls.rs``) and its matching rules (``src/eval.rs``), so that cratewatch agrees
with Cargo on which versions a requirement selects.

>>> from cratewatch.semver import Version, VersionReq
>>> req = VersionReq.parse(">=1.2.3, <1.8.0")
>>> req.matches(Version.parse("1.3.0"))
True
>>> req.matches(Version.parse("1.2.3-alpha.1"))  # pre-releases need an opted-in comparator
False
>>> sorted(Version.parse(s) for s in ["1.0.0", "1.0.0-rc.1", "0.9.10"])
[Version.parse('0.9.10'), Version.parse('1.0.0-rc.1'), Version.parse('1.0.0')]

Both ``parse`` functions are cached, so re-parsing the same text is a dictionary lookup, and
:meth:`VersionReq.matches` compiles the requirement into one interval for release versions.
"""

from __future__ import annotations

from cratewatch.semver._comparator import Comparator, Op
from cratewatch.semver._req import VersionReq
from cratewatch.semver._syntax import InvalidVersion, InvalidVersionReq
from cratewatch.semver._version import Version

__all__ = [
    "Comparator",
    "InvalidVersion",
    "InvalidVersionReq",
    "Op",
    "Version",
    "VersionReq",
]

# Present the public classes under this module (reprs, tracebacks and pickles name
# ``cratewatch.semver.Version``); the private modules only split the implementation up.
for _public in (Comparator, InvalidVersion, InvalidVersionReq, Op, Version, VersionReq):
    _public.__module__ = __name__
del _public
