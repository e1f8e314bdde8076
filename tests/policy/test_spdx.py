"""SPDX expressions: strict and lenient parsing with positions, and satisfaction rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cratewatch.policy.spdx import (
    AllOf,
    AnyOf,
    InvalidExpression,
    LicenseReq,
    evaluate,
    failed_parts,
    parse_expression,
    parse_licensee,
    satisfies,
)


@pytest.mark.parametrize(
    ("text", "requirements", "lenient"),
    [
        ("MIT OR Apache-2.0", ["MIT", "Apache-2.0"], []),
        ("MIT/Apache-2.0", ["MIT", "Apache-2.0"], ["`/` read as `OR`"]),
        ("mit", ["MIT"], ["`mit` read as `MIT`"]),
        ("MIT or Apache-2.0", ["MIT", "Apache-2.0"], ["`or` read as `OR`"]),
        ("GPL-3.0", ["GPL-3.0-only"], ["`GPL-3.0` read as `GPL-3.0-only`"]),
        ("GPL-2.0+", ["GPL-2.0-or-later"], ["`GPL-2.0+` read as `GPL-2.0-or-later`"]),
        ("GPL-3.0-or-later", ["GPL-3.0-or-later"], []),
        ("MPL-1.1+", ["MPL-1.1+"], []),
        ("Apache-2.0 WITH LLVM-exception", ["Apache-2.0 WITH LLVM-exception"], []),
        ("LicenseRef-Proprietary", ["LicenseRef-Proprietary"], []),
        (
            "(MIT OR Apache-2.0) AND Unicode-DFS-2016",
            ["MIT", "Apache-2.0", "Unicode-DFS-2016"],
            [],
        ),
    ],
)
def test_parsing(text: str, requirements: list[str], lenient: list[str]) -> None:
    expression = parse_expression(text)
    assert [str(r) for r in expression.requirements] == requirements
    assert list(expression.lenient) == lenient


def test_positions_cover_each_requirement_as_written() -> None:
    text = "mit/Apache-2.0 WITH LLVM-exception OR MPL-1.1+"
    expression = parse_expression(text)
    assert [text[r.start : r.end] for r in expression.requirements] == [
        "mit",
        "Apache-2.0 WITH LLVM-exception",
        "MPL-1.1+",
    ]


def test_precedence_and_binds_tighter_than_or() -> None:
    tree = parse_expression("MIT OR Apache-2.0 AND BSD-2-Clause").tree
    assert isinstance(tree, AnyOf)
    assert isinstance(tree.children[1], AllOf)


@pytest.mark.parametrize(
    ("text", "reason", "span"),
    [
        ("Unknown-Thing", "unknown license id `Unknown-Thing`", (0, 13)),
        ("MIT OR Nope-1.0", "unknown license id `Nope-1.0`", (7, 15)),
        ("(MIT", "Invalid expression", (0, 1)),
        ("MIT OR", "OR requires two or more licenses as in: MIT OR BSD", (0, 6)),
        ("", "empty expression", (0, 0)),
        (
            "MIT WITH LLVM-exception-nope",
            "`LLVM-exception-nope` is not a known license exception",
            (9, 28),
        ),
    ],
)
def test_invalid_expressions(text: str, reason: str, span: tuple[int, int]) -> None:
    with pytest.raises(InvalidExpression) as info:
        parse_expression(text)
    assert info.value.reason == reason
    assert (info.value.start, info.value.end) == span


def test_strict_mode_refuses_what_lenient_reads() -> None:
    with pytest.raises(InvalidExpression, match="`/` is not"):
        parse_expression("MIT/Apache-2.0", lenient=False)
    with pytest.raises(InvalidExpression) as info:
        parse_expression("mit", lenient=False)
    assert info.value.reason == "`mit` is not an SPDX id as listed (`MIT`)"


@pytest.mark.parametrize(
    ("licensee", "requirement", "satisfied"),
    [
        ("MIT", "MIT", True),
        ("MIT", "mit", True),
        ("Apache-2.0", "Apache-2.0 WITH LLVM-exception", False),
        ("Apache-2.0 WITH LLVM-exception", "Apache-2.0 WITH LLVM-exception", True),
        ("Apache-2.0 WITH LLVM-exception", "Apache-2.0", False),
        ("GPL-3.0-only", "GPL-3.0-or-later", False),
        ("GPL-3.0-or-later", "GPL-3.0+", True),
        ("GPL-3.0-only", "GPL-3.0", True),
        ("MPL-2.0", "MPL-1.1+", True),
        ("MPL-1.1", "MPL-2.0+", False),
        ("MPL-2.0", "MPL-1.1", False),
        ("LicenseRef-Mine", "LicenseRef-Mine", True),
        ("LicenseRef-Mine", "LicenseRef-Other", False),
    ],
)
def test_satisfaction(licensee: str, requirement: str, satisfied: bool) -> None:
    (req,) = parse_expression(requirement).requirements
    assert satisfies(parse_licensee(licensee), req) is satisfied


def test_licensee_is_a_single_license() -> None:
    with pytest.raises(InvalidExpression, match="one license, not an expression"):
        parse_licensee("MIT OR Apache-2.0")
    with pytest.raises(InvalidExpression, match="`\\+` only applies"):
        parse_licensee("MPL-2.0+")


def test_evaluation_decides_every_requirement_once_and_explains_failures() -> None:
    expression = parse_expression("MIT AND (Apache-2.0 OR BSD-3-Clause) AND Zlib")
    seen: list[str] = []

    def decide(req: LicenseReq) -> bool:
        seen.append(str(req))
        return req.license in {"MIT", "BSD-3-Clause"}

    ok, decisions = evaluate(expression, decide)
    assert ok is False
    assert seen == ["MIT", "Apache-2.0", "BSD-3-Clause", "Zlib"]
    assert decisions == (True, False, True, False)
    assert failed_parts(expression.tree, lambda r: r.license in {"MIT", "BSD-3-Clause"}) == [
        "`MIT AND (Apache-2.0 OR BSD-3-Clause) AND Zlib` needs every part; failing: `Zlib`"
    ]


_IDS = st.sampled_from(["MIT", "Apache-2.0", "BSD-3-Clause", "Zlib", "ISC", "Unicode-3.0"])


@st.composite
def _expressions(draw: st.DrawFn, depth: int = 0) -> str:
    if depth > 2 or draw(st.booleans()):
        return draw(_IDS)
    op = draw(st.sampled_from([" AND ", " OR "]))
    parts = [draw(_expressions(depth + 1)) for _ in range(draw(st.integers(2, 3)))]
    return "(" + op.join(parts) + ")"


@given(_expressions(), st.sets(_IDS))
def test_evaluation_matches_boolean_semantics(text: str, allowed: set[str]) -> None:
    expression = parse_expression(text)
    ok, _ = evaluate(expression, lambda r: r.license in allowed)
    python = text.replace(" AND ", " and ").replace(" OR ", " or ")
    for name in ["Apache-2.0", "BSD-3-Clause", "Unicode-3.0", "MIT", "Zlib", "ISC"]:
        python = python.replace(name, str(name in allowed))
    assert ok is eval(python)  # a boolean formula of True/False built above
