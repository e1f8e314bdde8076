"""Scenarios shared by the resolver tests: a purpose-built index and the roots to resolve.

Each :class:`Case` names a root request and a check that Cargo's own answer really shows what
the case is about (so a scenario that stopped exercising anything fails loudly).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from cratewatch.resolver import RootRequest
from tests.resolver.cargo_harness import CargoFailed, LocalRegistry, dep, line

__all__ = ["CASES", "INDEX", "LINUX", "LINUX_CFG", "Case", "R", "cargo_answer"]

LINUX = "x86_64-unknown-linux-gnu"
LINUX_CFG = 'unix\ntarget_os="linux"\ntarget_family="unix"\ntarget_arch="x86_64"\n'

INDEX = [
    # unification: one semver-compatible version serves every dependent, features unite
    line("uc", "1.0.0"),
    line("uc", "1.1.0"),
    line("uc", "1.2.0", dep("ud", "^0.1", optional=True), features={"extra": ["ud"]}),
    line("uc", "1.3.0-alpha.1"),
    line("ud", "0.1.0"),
    line("ua", "1.0.0", dep("uc", "^1.1")),
    line("ub", "1.0.0", dep("uc", "^1.0", features=["extra"])),
    line("uroot", "1.0.0", dep("ua", "^1"), dep("ub", "^1")),
    # semver-incompatible duplicates (0.x minor, majors, 0.0.x patch) and a renamed one
    *(line("dx", v) for v in ["0.7.0", "0.7.5", "0.8.0", "0.8.1", "1.0.0", "2.0.0"]),
    line("dp", "0.0.1"),
    line("dp", "0.0.2"),
    line("dy", "1.0.0", dep("dx", "^0.8"), dep("dp", "^0.0.2")),
    line("dz", "1.0.0", dep("dx", "^1")),
    line(
        "droot",
        "1.0.0",
        dep("dx", "^0.7"),
        dep("dy", "^1"),
        dep("dz", "^1"),
        dep("dxnew", "^2", package="dx"),
        dep("dp", "^0.0.1"),
    ),
    # `=` pins that force backtracking
    *(line("bc", v) for v in ["1.0.0", "1.1.0", "1.2.0"]),
    line("ba", "1.0.0", dep("bc", "^1.0")),
    line("ba", "1.1.0", dep("bc", "^1.1")),
    line("ba", "1.2.0", dep("bc", "=1.2.0")),
    *(line("bb", v, dep("bc", "=1.1.0")) for v in ["1.0.0", "1.0.1", "1.0.2", "1.0.3"]),
    line("broot", "1.0.0", dep("ba", "^1"), dep("bb", "^1")),
    # links: one package per native library
    line("ls-a", "1.0.0", links="native"),
    line("ls-b", "1.0.0", links="native"),
    line("lk", "0.9.0"),
    line("lk", "1.0.0", dep("ls-b", "^1")),
    line("lroot", "1.0.0", dep("ls-a", "^1"), dep("lk", ">=0.9")),
    line("lfail", "1.0.0", dep("ls-a", "^1"), dep("ls-b", "^1")),
    # optional dependencies, `dep:`, `dep/feat`, weak `dep?/feat` (features2, v2)
    line("fo-dep", "1.0.0", features={"std": [], "alloc": []}),
    line("fo-opt", "1.0.0"),
    line("fo-weak", "1.0.0", features={"feat": []}),
    line("fo-hidden", "1.0.0"),
    line(
        "fo",
        "1.0.0",
        dep("fo-dep", "^1", default_features=False),
        dep("fo-opt", "^1", optional=True),
        dep("fo-weak", "^1", optional=True),
        dep("fo-hidden", "^1", optional=True),
        features={"default": ["std"], "std": ["fo-dep/std"], "opt": ["fo-opt"]},
        features2={"weak": ["fo-weak?/feat"], "hid": ["dep:fo-hidden"]},
    ),
    line("hx-dep", "1.0.0", features={"f": []}),
    line(
        "hx",
        "1.0.0",
        dep("hx-dep", "^1", optional=True),
        features2={"a": ["dep:hx-dep"], "b": ["hx-dep/f"]},
    ),
    # a feature naming a dev-dependency: Cargo cannot enable it outside the workspace
    line("fd-dev", "1.0.0", features={"x": []}),
    line("fd", "1.0.0", dep("fd-dev", "^1", kind="dev"), features={"t": ["fd-dev/x"]}),
    # renamed dependencies (`package`), two versions of one crate under two names
    line("rn-real", "1.0.0", features={"x": []}),
    line("rn-real", "2.0.0"),
    line(
        "rn",
        "1.0.0",
        dep("alias", "^1", package="rn-real", optional=True),
        dep("rn-real", "^2"),
        features={"use-alias": ["alias/x"]},
    ),
    # pre-releases only when a requirement asks for one on the same major.minor.patch
    *(line("pr-x", v) for v in ["1.0.0", "1.1.0-beta.1", "2.0.0-rc.1"]),
    line("pr-a", "1.0.0", dep("pr-x", "^1.0")),
    line("pr-b", "1.0.0", dep("pr-x", "^1.1.0-beta")),
    line("pr-c", "1.0.0", dep("pr-x", "=2.0.0-rc.1")),
    line("pr-d", "1.0.0", dep("pr-x", ">=1.0.0")),
    # yanked versions are never chosen for a new lock file
    line("yk", "1.0.0"),
    line("yk", "1.1.0", yanked=True),
    line("ykroot", "1.0.0", dep("yk", "^1")),
    # target-specific dependencies (all kept in Cargo.lock) and build dependencies
    line("tg-win", "1.0.0"),
    line("tg-lin", "1.0.0"),
    line("tg-any", "1.0.0"),
    line("tg-bld", "1.0.0"),
    line("tg-bld", "2.0.0"),
    line(
        "tg",
        "1.0.0",
        dep("tg-win", "^1", target="cfg(windows)"),
        dep("tg-lin", "^1", target=LINUX),
        dep("tg-any", "^1"),
        dep("tg-bld", "^1", kind="build", target="cfg(unix)"),
        dep("tg-bld", "^2", kind="build", target="cfg(windows)"),
    ),
    # lines Cargo skips: bad requirement, bad version, bad cfg, bad features, optional dev-dep
    line("bad-x", "1.0.0"),
    line("bad-x", "1.1.0", dep("ud", "^0-.11.0")),
    line("bad-x", "1.2.0-alpha.01"),
    line("bad-x", "1.3.0", dep("ud", "^0.1", target="cfg(target_os = linux)")),
    line("bad-x", "1.4.0", features={"f": ["nothing-here"]}),
    line("bad-x", "1.5.0", dep("ud", "^0.1", kind="dev", optional=True)),
    line("bad-x", "1.6.0", features={"f g": []}),
    line("bad-x", "1.7.0", v=3),
    line("badroot", "1.0.0", dep("bad-x", "^1")),
    # no solution: no matching version, no such crate
    line("ns-x", "1.0.0"),
    line("nsroot", "1.0.0", dep("ns-x", "^2")),
    line("nsmissing", "1.0.0", dep("no-such-crate", "^1")),
    # dev-dependencies: the root's only when asked, never those of other packages
    line("dv-dev", "1.0.0"),
    line("dv-ndev", "1.0.0"),
    line("dv-normal", "1.0.0", dep("dv-ndev", "^1", kind="dev")),
    line(
        "dv",
        "1.0.0",
        dep("dv-normal", "^1"),
        dep("dv-dev", "^1", kind="dev"),
        dep("dv-tdev", "^1", kind="dev", target="cfg(windows)"),
    ),
    line("dv-tdev", "1.0.0"),
    # a requested feature missing from the newest version: Cargo takes an older one
    line("mf-x", "1.0.0", features={"f": []}),
    line("mf-x", "1.1.0"),
    line("mfroot", "1.0.0", dep("mf-x", "^1", features=["f"])),
    line("mfdefault", "1.0.0", dep("mf-x", "^1", features=["default"])),
    line("mfslash", "1.0.0", dep("fo", "^1", features=["fo-dep/alloc"])),
    line("mfdepsyntax", "1.0.0", dep("fo", "^1", features=["dep:fo-hidden"])),
    # a feature that includes itself aborts the resolution (no older version is tried)
    line("fc", "1.0.0", features={"default": []}),
    line("fc", "1.1.0", features={"default": ["default"]}),
    line("fcroot", "1.0.0", dep("fc", "^1")),
    # names are matched exactly: a differently-cased request finds nothing
    line("CaseCrate", "1.0.0"),
    line("caseroot", "1.0.0", dep("casecrate", "^1")),
    # a dependency cycle through normal dependencies
    line("cy-a", "1.0.0", dep("cy-b", "^1")),
    line("cy-b", "1.0.0", dep("cy-a", "^1")),
    # the same crate as normal and build dependency with different features
    line("mk-x", "1.0.0", dep("ud", "^0.1", optional=True), features={"a": [], "b": ["ud"]}),
    line("mk", "1.0.0", dep("mk-x", "^1", features=["a"]), dep("mk-x", "^1", kind="build",
                                                                 features=["b"])),
]  # fmt: skip


@dataclass(frozen=True)
class Case:
    id: str
    request: RootRequest
    target: str | None = None
    check: Callable[[frozenset[str] | CargoFailed], bool] = field(default=lambda answer: True)


def _has(*names: str) -> Callable[[frozenset[str] | CargoFailed], bool]:
    return lambda answer: not isinstance(answer, CargoFailed) and set(names) <= answer


def _lacks(*names: str) -> Callable[[frozenset[str] | CargoFailed], bool]:
    return lambda answer: not isinstance(answer, CargoFailed) and not set(names) & answer


def _fails(answer: frozenset[str] | CargoFailed) -> bool:
    return isinstance(answer, CargoFailed)


def R(name: str, version: str = "1.0.0", **kw: object) -> RootRequest:
    return RootRequest(name=name, version=version, **kw)  # type: ignore[arg-type]


CASES = [
    Case("unification", R("uroot"), check=_has("uc@1.2.0", "ud@0.1.0")),
    Case("duplicates", R("droot"), check=_has("dx@0.7.5", "dx@0.8.1", "dx@1.0.0", "dx@2.0.0",
                                              "dp@0.0.1", "dp@0.0.2")),
    Case("pins-backtrack", R("broot"), check=_lacks("ba@1.2.0", "bc@1.2.0")),
    Case("links-backtrack", R("lroot"), check=_has("lk@0.9.0")),
    Case("links-conflict", R("lfail"), check=_fails),
    Case("features-default", R("fo"), check=_has("fo-dep@1.0.0")),
    Case("features-no-default", R("fo", default_features=False), check=_lacks("fo-opt@1.0.0")),
    Case("features-implicit", R("fo", features=("fo-opt",)), check=_has("fo-opt@1.0.0")),
    Case("features-named", R("fo", features=("opt",)), check=_has("fo-opt@1.0.0")),
    Case("features-weak", R("fo", features=("weak",)), check=_has("fo-weak@1.0.0")),
    Case("features-dep-syntax", R("fo", features=("hid",)), check=_has("fo-hidden@1.0.0")),
    Case("features-hidden-name", R("fo", features=("fo-hidden",)), check=_fails),
    Case("features-all", R("fo", all_features=True), check=_has("fo-hidden@1.0.0",
                                                                "fo-opt@1.0.0")),
    Case("features-dep-slash-hidden", R("hx", features=("b",)), check=_has("hx-dep@1.0.0")),
    Case("features-dev-dep-feature", R("fd", features=("t",)), check=_lacks("fd-dev@1.0.0")),
    Case("features-missing", R("fo", features=("nope",)), check=_fails),
    Case("rename-default", R("rn"), check=_lacks("rn-real@1.0.0")),
    Case("rename-feature", R("rn", features=("use-alias",)), check=_has("rn-real@1.0.0",
                                                                         "rn-real@2.0.0")),
    Case("prerelease-no", R("pr-a"), check=_has("pr-x@1.0.0")),
    Case("prerelease-asked", R("pr-b"), check=_has("pr-x@1.1.0-beta.1")),
    Case("prerelease-exact", R("pr-c"), check=_has("pr-x@2.0.0-rc.1")),
    Case("prerelease-open", R("pr-d"), check=_has("pr-x@1.0.0")),
    Case("prerelease-root", R("pr-x", "1.1.0-beta.1")),
    Case("yanked-skipped", R("ykroot"), check=_has("yk@1.0.0")),
    Case("yanked-root", R("yk", "1.1.0"), check=_fails),
    Case("target-all", R("tg"), check=_has("tg-win@1.0.0", "tg-lin@1.0.0", "tg-bld@2.0.0")),
    Case("target-linux", R("tg"), target=LINUX, check=_lacks("tg-win@1.0.0")),
    Case("unparseable-lines", R("badroot"), check=_has("bad-x@1.0.0")),
    Case("no-matching-version", R("nsroot"), check=_fails),
    Case("no-such-crate", R("nsmissing"), check=_fails),
    Case("missing-root-version", R("ns-x", "9.9.9"), check=_fails),
    Case("dev-excluded", R("dv"), check=_lacks("dv-dev@1.0.0", "dv-ndev@1.0.0")),
    Case("dev-included", R("dv", include_dev=True), check=_has("dv-dev@1.0.0", "dv-tdev@1.0.0")),
    Case("missing-feature-older", R("mfroot"), check=_has("mf-x@1.0.0")),
    Case("missing-default-feature", R("mfdefault"), check=_fails),
    Case("dependency-feature-with-slash", R("mfslash"), check=_fails),
    Case("dependency-feature-dep-syntax", R("mfdepsyntax"), check=_fails),
    Case("case-sensitive-dependency", R("caseroot"), check=_fails),
    Case("feature-cycle-is-fatal", R("fcroot"), check=_fails),
    Case("case-kept-root", R("CaseCrate"), check=_has("CaseCrate@1.0.0")),
    Case("cycle", R("cy-a"), check=_fails),
    Case("normal-and-build", R("mk"), check=_has("ud@0.1.0")),
]  # fmt: skip


def _root_line(name: str, version: str) -> dict[str, object]:
    return next(obj for obj in INDEX if obj["name"] == name and obj["vers"] == version)


def _all_features(name: str, version: str) -> list[str]:
    obj = _root_line(name, version)
    table: dict[str, list[str]] = {
        **obj["features"],  # type: ignore[dict-item]
        **obj.get("features2", {}),  # type: ignore[dict-item]
    }
    explicit = {v[4:] for vs in table.values() for v in vs if v.startswith("dep:")}
    implicit = [
        str(d["name"])
        for d in obj["deps"]  # type: ignore[attr-defined]
        if d["optional"] and d["name"] not in table and d["name"] not in explicit
    ]
    return sorted({*table, *implicit})


def cargo_answer(registry: LocalRegistry, case: Case) -> frozenset[str] | CargoFailed:
    req = case.request
    dev: list[dict[str, object]] = []
    if req.include_dev:
        dev = [d for d in _root_line(req.name, req.version)["deps"] if d["kind"] == "dev"]  # type: ignore[attr-defined]
    features = _all_features(req.name, req.version) if req.all_features else []
    return registry.lock(req, dev_deps=dev, all_features=features, target=case.target)
