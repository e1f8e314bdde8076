"""Finding out a crate's license expression, as cargo-deny does.

In order: a ``[[licenses.clarify]]`` entry for the crate whose ``license-files`` all exist with
the given hashes; the manifest's ``license`` field; the text of the crate's ``LICENSE*`` and
``COPYING*`` files (plus its ``license-file``), each detected with at least the configured
confidence and joined with ``AND`` (so every one of them must be acceptable). Otherwise the
crate is unlicensed, with the reasons.

>>> from cratewatch.policy.config import parse_config
>>> from cratewatch.policy.graph import Krate
>>> from cratewatch.semver import Version
>>> found = gather_license(Krate(name="x", version=Version.parse("1.0.0"), source=None,
...                              license="MIT/Apache-2.0"), parse_config("").licenses)
>>> found.source.value, found.expression.lenient
('Cargo.toml `license`', ('`/` read as `OR`',))
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from cratewatch.policy.config.model import Clarification, LicensesConfig
from cratewatch.policy.graph import Krate, ManifestMissing
from cratewatch.policy.licensetext import clarify_hash, detect_license
from cratewatch.policy.spdx import Expression, InvalidExpression, parse_expression

__all__ = [
    "ExpressionSource",
    "Gathered",
    "LicenseFile",
    "Licensed",
    "Unlicensed",
    "gather_license",
    "license_files",
]

_MAX_LICENSE_FILE = 1024 * 1024
_PREFIXES = ("LICENSE", "LICENCE", "COPYING")


class ExpressionSource(StrEnum):
    """Where a crate's license expression came from."""

    METADATA = "Cargo.toml `license`"
    CLARIFICATION = "user override"
    LICENSE_FILES = "LICENSE file(s)"


@dataclass(frozen=True, slots=True, kw_only=True)
class LicenseFile:
    """A license file of a crate, hashed and identified."""

    path: Path
    """The file."""
    relative: str
    """Its path relative to the crate root."""
    hash: int | None
    """cargo-deny's hash of the content; ``None`` when unreadable."""
    license: str | None
    """The closest known license."""
    score: float
    """How close (0.0 to 1.0)."""
    error: str | None = None
    """Why it could not be read."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Licensed:
    """An expression was found."""

    expression: Expression
    """The expression."""
    source: ExpressionSource
    """Where it came from."""
    clarification: Clarification | None = None
    """The clarification used, when :attr:`source` is a clarification."""
    files: tuple[LicenseFile, ...] = ()
    """The license files read (for file-detected expressions)."""
    problems: tuple[str, ...] = ()
    """Things noticed on the way (a manifest expression that does not parse...)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Unlicensed:
    """No usable license information."""

    reasons: tuple[str, ...]
    """Why, one line each."""
    files: tuple[LicenseFile, ...] = ()
    """The license files read."""


Gathered = Licensed | Unlicensed
"""The outcome of gathering one crate's license."""


def license_files(krate: Krate) -> tuple[LicenseFile, ...]:
    """The crate's ``LICENSE*``/``COPYING*`` files and ``license-file``, identified."""
    root = krate.root
    if root is None or not root.is_dir():
        return ()
    try:
        names = sorted(p for p in root.iterdir() if p.name.upper().startswith(_PREFIXES))
    except OSError:
        names = []
    paths = [p for p in names if p.is_file() and not p.is_symlink()]
    if krate.license_file:
        extra = (root / krate.license_file).resolve()
        inside = extra.is_relative_to(root.resolve())
        if inside and extra.is_file() and all(p.resolve() != extra for p in paths):
            paths.append(extra)
    return tuple(_identify(p, root) for p in sorted(paths))


def _identify(path: Path, root: Path) -> LicenseFile:
    relative = path.relative_to(root).as_posix() if path.is_relative_to(root) else path.name
    try:
        with path.open("rb") as stream:
            data = stream.read(_MAX_LICENSE_FILE)
    except OSError as e:
        return LicenseFile(
            path=path,
            relative=relative,
            hash=None,
            license=None,
            score=0.0,
            error=str(e.strerror or e),
        )
    text = data.decode("utf-8", "replace")
    found = detect_license(text)
    return LicenseFile(
        path=path,
        relative=relative,
        hash=clarify_hash(text),
        license=found.license or None,
        score=found.score,
    )


def gather_license(krate: Krate, config: LicensesConfig) -> Gathered:
    """Find the crate's license expression (see the module docstring)."""
    problems: list[str] = []
    files: tuple[LicenseFile, ...] | None = None
    for clarification in config.clarify:
        if not clarification.spec.matches(krate):
            continue
        files = license_files(krate) if files is None else files
        if _clarification_applies(clarification, files, problems):
            try:
                expression = parse_expression(clarification.expression.value)
            except InvalidExpression as e:
                problems.append(f"clarification expression: {e.reason}")
                continue
            return Licensed(
                expression=expression,
                source=ExpressionSource.CLARIFICATION,
                clarification=clarification,
                files=files,
                problems=tuple(problems),
            )
    if krate.license is not None:
        if not krate.license.strip():
            problems.append("license field was present but empty")
        else:
            try:
                return Licensed(
                    expression=parse_expression(krate.license),
                    source=ExpressionSource.METADATA,
                    problems=tuple(problems),
                )
            except InvalidExpression as e:
                problems.append(f"`license = {krate.license!r}`: {e.reason}")
    elif isinstance(krate.manifest, ManifestMissing):
        problems.append(f"the crate's manifest is not available: {krate.manifest.reason}")
    else:
        problems.append("license expression was not specified in the manifest")
    files = license_files(krate) if files is None else files
    return _from_files(files, config.confidence_threshold, problems)


def _clarification_applies(
    clarification: Clarification, files: tuple[LicenseFile, ...], problems: list[str]
) -> bool:
    for expected in clarification.license_files:
        found = next((f for f in files if f.relative == expected.path), None)
        if found is None:
            problems.append(f"clarification: license file {expected.path!r} not found")
            return False
        if found.hash != expected.hash:
            shown = "unreadable" if found.hash is None else f"0x{found.hash:08x}"
            problems.append(
                f"clarification: {expected.path} hashes to {shown}, not 0x{expected.hash:08x}"
            )
            return False
    return True


def _from_files(files: tuple[LicenseFile, ...], threshold: float, problems: list[str]) -> Gathered:
    if not files:
        return Unlicensed(reasons=(*problems, "no LICENSE or COPYING file found"), files=files)
    failures = []
    ids = []
    for file in files:
        if file.error is not None:
            failures.append(f"{file.relative}: unreadable: {file.error}")
        elif file.license is None or file.score < threshold:
            failures.append(
                f"{file.relative}: low confidence in the license text: score {file.score:.2f} "
                f"(closest: {file.license or 'none'}, threshold {threshold:.2f})"
            )
        else:
            ids.append(file.license)
    if failures:
        return Unlicensed(reasons=(*problems, *failures), files=files)
    expression = parse_expression(" AND ".join(ids))
    return Licensed(
        expression=expression,
        source=ExpressionSource.LICENSE_FILES,
        files=files,
        problems=tuple(problems),
    )
