"""Criteria closures, minimal names and the mapping of imported criteria."""

from __future__ import annotations

import pytest

from cratewatch.vet.criteria import BUILTIN_CRITERIA, CriteriaMapper, UnknownCriteria
from cratewatch.vet.model import CriteriaEntry, RemoteImport

LOCAL = {
    "crypto": CriteriaEntry(description="c", implies=("safe-to-deploy",)),
    "fuzzed": CriteriaEntry(description="f"),
    "loop-a": CriteriaEntry(description="a", implies=("loop-b",)),
    "loop-b": CriteriaEntry(description="b", implies=("loop-a",)),
}


@pytest.mark.parametrize(
    ("names", "closure"),
    [
        (["safe-to-run"], {"safe-to-run"}),
        (["safe-to-deploy"], {"safe-to-deploy", "safe-to-run"}),
        (["crypto"], {"crypto", "safe-to-deploy", "safe-to-run"}),
        (["fuzzed", "safe-to-run"], {"fuzzed", "safe-to-run"}),
        (["loop-a"], {"loop-a", "loop-b"}),
        ([], set()),
    ],
)
def test_closures(names: list[str], closure: set[str]) -> None:
    assert CriteriaMapper(LOCAL).closure(names) == closure


def test_minimal_names_drop_what_is_implied() -> None:
    mapper = CriteriaMapper(LOCAL)
    assert mapper.minimal({"crypto", "safe-to-deploy", "safe-to-run", "fuzzed"}) == (
        "crypto",
        "fuzzed",
    )


def test_unknown_names_are_errors_listing_the_known_ones() -> None:
    with pytest.raises(UnknownCriteria) as caught:
        CriteriaMapper({}).closure(["safe-to-fly"])
    assert (
        str(caught.value) == "unknown criteria 'safe-to-fly' (known: safe-to-deploy, safe-to-run)"
    )


def test_builtins_match_cargo_vet() -> None:
    assert set(BUILTIN_CRITERIA) == {"safe-to-run", "safe-to-deploy"}
    assert BUILTIN_CRITERIA["safe-to-deploy"].implies == ("safe-to-run",)


FOREIGN = {
    "reviewed": CriteriaEntry(description="r", implies=("safe-to-deploy",)),
    "audited": CriteriaEntry(description="a"),
    "fuzzed": CriteriaEntry(description="f"),
}


@pytest.mark.parametrize(
    ("criteria_map", "theirs", "ours"),
    [
        ({}, ["safe-to-deploy"], {"safe-to-deploy", "safe-to-run"}),
        ({}, ["reviewed"], {"safe-to-deploy", "safe-to-run"}),
        ({}, ["audited"], set()),
        ({"audited": ("crypto",)}, ["audited"], {"crypto", "safe-to-deploy", "safe-to-run"}),
        ({"safe-to-deploy": ("safe-to-run",)}, ["reviewed"], {"safe-to-run"}),
        ({"safe-to-run": ()}, ["safe-to-run"], set()),
        ({"fuzzed": ("fuzzed",)}, ["fuzzed", "audited"], {"fuzzed"}),
        ({}, ["never-defined"], set()),
    ],
)
def test_foreign_criteria_mapping(
    criteria_map: dict[str, tuple[str, ...]], theirs: list[str], ours: set[str]
) -> None:
    remote = RemoteImport(urls=("https://x",), criteria_map=criteria_map)
    mapper = CriteriaMapper(LOCAL, {"peer": (FOREIGN, remote)})
    assert mapper.foreign("peer", theirs) == ours


def test_violations_map_without_implied_criteria() -> None:
    remote = RemoteImport(urls=("https://x",))
    mapper = CriteriaMapper(LOCAL, {"peer": (FOREIGN, remote)})
    assert mapper.foreign_direct("peer", ["safe-to-deploy"]) == {"safe-to-deploy"}
    assert mapper.foreign_direct("peer", ["reviewed"]) == set()


def test_criteria_map_to_an_unknown_local_criterion_is_an_error() -> None:
    remote = RemoteImport(urls=("https://x",), criteria_map={"audited": ("nope",)})
    with pytest.raises(
        UnknownCriteria, match=r"imports\.peer\.criteria-map\.audited: unknown criteria 'nope'"
    ):
        CriteriaMapper(LOCAL, {"peer": (FOREIGN, remote)})
