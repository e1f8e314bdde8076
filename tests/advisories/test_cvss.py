"""CVSS vectors and scores (cratewatch.advisories.cvss); expected scores are published ones."""

from __future__ import annotations

import pytest

from cratewatch.advisories.cvss import InvalidCvss, Severity, parse_cvss


@pytest.mark.parametrize(
    ("vector", "version", "score", "severity"),
    [
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "3.1", 9.8, Severity.CRITICAL),
        ("CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:C/C:L/I:L/A:N", "3.0", 6.1, Severity.MEDIUM),
        ("CVSS:3.1/AV:N/AC:H/PR:N/UI:N/S:U/C:N/I:N/A:H", "3.1", 5.9, Severity.MEDIUM),
        ("CVSS:3.1/AV:L/AC:H/PR:L/UI:N/S:U/C:L/I:N/A:N", "3.1", 2.5, Severity.LOW),
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:N", "3.1", 0.0, Severity.NONE),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N",
            "4.0",
            9.3,
            Severity.CRITICAL,
        ),
        (
            "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N",
            "4.0",
            0.0,
            Severity.NONE,
        ),
        ("AV:N/AC:L/Au:N/C:P/I:P/A:P", "2.0", 7.5, Severity.HIGH),
        ("AV:N/AC:M/Au:N/C:N/I:P/A:N", "2.0", 4.3, Severity.MEDIUM),
        ("AV:N/AC:H/Au:N/C:N/I:N/A:P", "2.0", 2.6, Severity.LOW),
    ],
)
def test_scores(vector: str, version: str, score: float, severity: Severity) -> None:
    parsed = parse_cvss(vector)
    assert (parsed.vector, parsed.version, parsed.base_score, parsed.severity) == (
        vector,
        version,
        score,
        severity,
    )


@pytest.mark.parametrize(
    ("vector", "message"),
    [
        (
            "CVSS:3.1/AV:N",
            "invalid CVSS vector 'CVSS:3.1/AV:N': Missing mandatory metrics "
            '"AC, PR, UI, S, C, I, A"',
        ),
        (
            "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/AV:L",
            "invalid CVSS vector 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H/AV:L': "
            'Duplicate metric "AV"',
        ),
        (
            "CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P",
            "invalid CVSS vector 'CVSS:2.0/AV:N/AC:L/Au:N/C:P/I:P/A:P': expected a CVSS:3.0/, "
            "CVSS:3.1/ or CVSS:4.0/ prefix, or a CVSS v2 vector starting with AV:",
        ),
        ("A" * 600, "CVSS vector is too long (600 characters)"),
    ],
)
def test_malformed_vectors(vector: str, message: str) -> None:
    with pytest.raises(InvalidCvss) as caught:
        parse_cvss(vector)
    assert str(caught.value) == message
