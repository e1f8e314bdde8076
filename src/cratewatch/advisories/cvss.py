"""CVSS vectors (v2, v3.0, v3.1, v4.0) scored through the ``cvss`` library.

RustSec advisories carry a ``cvss`` vector string; this module turns it into a
:class:`CvssScore` with the base score and the qualitative severity rating.

>>> score = parse_cvss("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N")
>>> score.version, score.base_score, score.severity
('3.1', 7.5, <Severity.HIGH: 'high'>)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from cratewatch.errors import ParseError

__all__ = ["CvssScore", "InvalidCvss", "Severity", "parse_cvss"]

_MAX_VECTOR_LEN = 512


class InvalidCvss(ParseError):
    """A CVSS vector string is malformed."""


class Severity(StrEnum):
    """Qualitative severity rating of a base score (FIRST CVSS / NVD scale)."""

    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


@dataclass(frozen=True, slots=True, kw_only=True)
class CvssScore:
    """A parsed CVSS vector with its base score."""

    vector: str
    """The vector exactly as written in the advisory."""
    version: str
    """CVSS version: ``"2.0"``, ``"3.0"``, ``"3.1"`` or ``"4.0"``."""
    base_score: float
    """Base score, 0.0 to 10.0, one decimal."""
    severity: Severity
    """Qualitative rating of :attr:`base_score`."""


def parse_cvss(vector: str) -> CvssScore:
    """Score a CVSS vector; raises :class:`InvalidCvss` naming the vector on bad input.

    A vector starting ``CVSS:3.0/``, ``CVSS:3.1/`` or ``CVSS:4.0/`` is read as that version;
    a bare vector starting ``AV:`` is CVSS v2 (which has no version prefix).

    >>> parse_cvss("AV:N/AC:L/Au:N/C:P/I:P/A:P").severity
    <Severity.HIGH: 'high'>
    """
    if len(vector) > _MAX_VECTOR_LEN:
        raise InvalidCvss(f"CVSS vector is too long ({len(vector)} characters)")
    # Imported here: loading a cached database never scores vectors, and the library is slow
    # to import.
    from cvss import CVSS2, CVSS3, CVSS4  # noqa: PLC0415
    from cvss.exceptions import CVSSError  # noqa: PLC0415

    try:
        if vector.startswith(("CVSS:3.0/", "CVSS:3.1/")):
            v3 = CVSS3(vector)
            return CvssScore(
                vector=vector,
                version=vector[5:8],
                base_score=float(v3.base_score),
                severity=_severity(str(v3.severities()[0])),
            )
        if vector.startswith("CVSS:4.0/"):
            v4 = CVSS4(vector)
            return CvssScore(
                vector=vector,
                version="4.0",
                base_score=float(v4.base_score),
                severity=_severity(str(v4.severity)),
            )
        if vector.startswith("AV:"):
            v2 = CVSS2(vector)
            return CvssScore(
                vector=vector,
                version="2.0",
                base_score=float(v2.base_score),
                severity=_severity(str(v2.severities()[0])),
            )
    except CVSSError as e:
        raise InvalidCvss(f"invalid CVSS vector {vector!r}: {e}") from e
    raise InvalidCvss(
        f"invalid CVSS vector {vector!r}: expected a CVSS:3.0/, CVSS:3.1/ or CVSS:4.0/ prefix, "
        "or a CVSS v2 vector starting with AV:"
    )


def _severity(name: str) -> Severity:
    try:
        return Severity(name.lower())
    except ValueError as e:  # the library only ever returns the five FIRST ratings
        raise InvalidCvss(f"unexpected CVSS severity {name!r}") from e
