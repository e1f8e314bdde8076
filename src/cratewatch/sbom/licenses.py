"""Concluding a package's licence from its licence files, for the SBOM's concluded licence.

The files are the manifest's ``license-file`` and the ``LICENSE*``, ``LICENCE*``, ``COPYING*``
and ``UNLICENSE*`` files at the package root (regular files only, never through a symlink or
out of the root). Each is matched against the SPDX texts by
:func:`cratewatch.policy.licensetext.detect_license`. The conclusion is drawn only when every
file is recognised with at least :data:`CONFIDENCE` (cargo-deny's default threshold):

* the files agree with the declared expression (each detected licence appears in it): the
  declared expression is concluded;
* nothing is declared: the detected licences, joined with ``AND`` (they all apply);
* otherwise (an unrecognised file, a licence the manifest does not name): no conclusion.

>>> from cratewatch.policy.licensetext import license_text
>>> import pathlib, shutil, tempfile
>>> root = pathlib.Path(tempfile.mkdtemp())
>>> _ = (root / "LICENSE-MIT").write_text(license_text("MIT"))
>>> conclude_license(root, declared="MIT OR Apache-2.0", license_file=None)
'MIT OR Apache-2.0'
>>> conclude_license(root, declared=None, license_file=None)
'MIT'
>>> shutil.rmtree(root)
"""

from __future__ import annotations

import functools
from pathlib import Path

from license_expression import Licensing, get_spdx_licensing

from cratewatch.policy.licensetext import detect_license

__all__ = [
    "CONFIDENCE",
    "MAX_LICENSE_FILES",
    "conclude_license",
    "license_files",
    "spdx_expression",
    "spdx_licensing",
]

CONFIDENCE = 0.8
"""The lowest detection score that counts as recognised."""
MAX_LICENSE_FILES = 16
"""The most licence files read per package."""
_MAX_BYTES = 512 * 1024
_PREFIXES = ("license", "licence", "copying", "unlicense")


@functools.cache
def spdx_licensing() -> Licensing:
    """The SPDX licence index of ``license-expression`` (loaded once)."""
    return get_spdx_licensing()


def spdx_expression(raw: str | None) -> str | None:
    """The manifest ``license`` field as a normalised SPDX expression, ``None`` when it is not
    one (cargo's deprecated ``/`` separator reads as ``OR``).

    >>> spdx_expression("MIT/Apache-2.0"), spdx_expression("Apache-2.0 WITH LLVM-exception")
    ('MIT OR Apache-2.0', 'Apache-2.0 WITH LLVM-exception')
    >>> spdx_expression("Proprietary") is None
    True
    """
    if raw is None or not raw.strip() or len(raw) > 1000:
        return None
    info = spdx_licensing().validate(raw.replace("/", " OR "), strict=True)
    if info.errors or info.normalized_expression is None:
        return None
    return str(info.normalized_expression)


def license_files(root: Path, license_file: str | None) -> list[Path]:
    """The licence files of the package whose sources are in *root* (see the module docstring)."""
    found: list[Path] = []
    real_root = root.resolve()
    if license_file:
        candidate = root / license_file
        if _safe_file(candidate, real_root):
            found.append(candidate)
    try:
        entries = sorted(root.iterdir())
    except OSError:
        return found
    seen = {f.resolve() for f in found}
    for entry in entries:
        if len(found) >= MAX_LICENSE_FILES:
            break
        named = entry.name.lower().startswith(_PREFIXES)
        if named and _safe_file(entry, real_root) and entry.resolve() not in seen:
            found.append(entry)
            seen.add(entry.resolve())
    return found


def _safe_file(path: Path, real_root: Path) -> bool:
    try:
        return not path.is_symlink() and path.is_file() and path.resolve().is_relative_to(real_root)
    except OSError:
        return False


def conclude_license(root: Path, *, declared: str | None, license_file: str | None) -> str | None:
    """The concluded SPDX expression of the package in *root*, or ``None``."""
    files = license_files(root, license_file)
    if not files:
        return None
    detected: set[str] = set()
    for path in files:
        try:
            with path.open("rb") as stream:
                text = stream.read(_MAX_BYTES).decode("utf-8", errors="replace")
        except OSError:
            return None
        match = detect_license(text)
        if match.score < CONFIDENCE or not match.license:
            return None
        detected.add(match.license)
    if declared is None:
        return " AND ".join(sorted(detected))
    named = set(spdx_licensing().license_keys(declared))
    return declared if detected <= named else None
