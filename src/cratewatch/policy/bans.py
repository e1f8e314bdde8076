"""``check bans``: banned and allowed crates, duplicate versions, wildcards, feature rules.

The rules are cargo-deny's, crate by crate in name/version order:

- ``deny``: a matching crate is an error, unless every crate depending on it directly is one
  of the entry's ``wrappers`` (each wrapper met is a note, any other parent a warning);
  an entry with ``deny-multiple-versions`` only makes duplicates of that crate errors.
- ``allow``: when not empty, every crate must match an entry.
- ``multiple-versions``: two or more versions of a crate among the crates that are not
  ``skip``-ped, not under a ``skip-tree`` root (to its ``depth``) and, unless
  ``multiple-versions-include-dev``, reachable without dev-dependencies.
- ``wildcards``: a ``*`` requirement in those same crates (git crates excepted); with
  ``allow-wildcard-paths`` a path/git dependency of a private crate, or any path/git
  dev-dependency, is fine.
- ``[[bans.features]]`` and ``workspace-``/``external-default-features`` on enabled features.

``[bans.build]`` is in :mod:`.bans_build`.

>>> from cratewatch.policy.config import parse_config
>>> from cratewatch.policy.graph import CrateGraph
>>> check_bans(CrateGraph(krates=(), edges=(), roots=()), parse_config(""))
()
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cratewatch.policy.bans_build import check_build
from cratewatch.policy.config.model import BanEntry, FeatureBan, PolicyConfig, SpecEntry, TreeSkip
from cratewatch.policy.diagnostics import Check, Diagnostic, Label, LintLevel, Severity
from cratewatch.policy.graph import CrateGraph, DepKind, Krate
from cratewatch.policy.labels import Labeller, crate_ref, labels

__all__ = ["check_bans", "display"]


def display(krate: Krate) -> str:
    """cargo-deny's way of naming a crate in messages: ``name = version``."""
    return f"{krate.name} = {krate.version}"


@dataclass(slots=True)
class _Ctx:
    graph: CrateGraph
    config: PolicyConfig
    labeller: Labeller
    out: list[Diagnostic]

    def add(
        self,
        code: str,
        severity: Severity,
        message: str,
        crates: Iterable[Krate] = (),
        *,
        labels_: Iterable[Label | None] = (),
        notes: Sequence[str] = (),
    ) -> None:
        self.out.append(
            Diagnostic(
                code=code,
                severity=severity,
                check=Check.BANS,
                message=message,
                crates=tuple(crate_ref(k) for k in crates),
                labels=labels(*labels_),
                notes=tuple(notes),
            )
        )

    def spec_labels(
        self, entry: SpecEntry | BanEntry | TreeSkip, message: str
    ) -> list[Label | None]:
        found = [self.labeller.config(entry.spec.at, message)]
        if entry.reason is not None:
            found.append(self.labeller.config(entry.reason.at, "reason", primary=False))
        if isinstance(entry, BanEntry) and entry.use_instead is not None:
            found.append(self.labeller.config(entry.use_instead.at, "use instead", primary=False))
        return found


def check_bans(graph: CrateGraph, config: PolicyConfig) -> tuple[Diagnostic, ...]:
    """Run the bans check."""
    cfg = config.bans
    ctx = _Ctx(
        graph=graph,
        config=config,
        labeller=Labeller(config_path=config.path, lockfile=graph.lockfile),
        out=[],
    )
    candidates = (
        frozenset(range(len(graph)))
        if cfg.multiple_versions_include_dev
        else graph.reachable(frozenset({DepKind.NORMAL, DepKind.BUILD}))
    )
    tree_skipped = _tree_skips(ctx)
    skip_hits = [False] * len(cfg.skip)
    bans = [entry for entry in cfg.deny if not entry.deny_multiple_versions]
    wrapper_hits = {
        (n, w): False for n, entry in enumerate(bans) for w in range(len(entry.wrappers))
    }
    dupes: dict[str, list[int]] = {}
    for i, krate in enumerate(graph.krates):
        _banned(ctx, i, bans, wrapper_hits)
        _allowed(ctx, krate)
        _features(ctx, krate)
        if i not in candidates:
            continue
        skips = [n for n, entry in enumerate(cfg.skip) if entry.spec.matches(krate)]
        if skips:
            for n in skips:
                skip_hits[n] = True
                ctx.add(
                    "skipped",
                    Severity.NOTE,
                    f"crate '{display(krate)}' skipped when checking for duplicates",
                    [krate],
                    labels_=ctx.spec_labels(cfg.skip[n], "skipped here"),
                )
            continue
        roots = tree_skipped.get(i, [])
        for root in roots:
            ctx.add(
                "skipped-by-root",
                Severity.NOTE,
                f"skipping crate '{display(krate)}' due to root skip",
                [krate],
                labels_=ctx.spec_labels(root, "matched skip root"),
            )
        if roots:
            continue
        dupes.setdefault(krate.name, []).append(i)
        _wildcards(ctx, krate)
    for indices in dupes.values():
        _duplicates(ctx, indices)
    for hit, entry in zip(skip_hits, cfg.skip, strict=True):
        if not hit:
            ctx.add(
                "unmatched-skip",
                Severity.WARNING,
                f"skipped crate '{entry.spec}' was not encountered",
                labels_=ctx.spec_labels(entry, "unmatched skip configuration"),
            )
    for (n, w), hit in wrapper_hits.items():
        if not hit:
            ctx.add(
                "unused-wrapper",
                Severity.WARNING,
                "wrapper for banned crate was not encountered",
                labels_=[ctx.labeller.config(bans[n].wrappers[w].at, "unmatched wrapper")],
            )
    if cfg.build is not None:
        ctx.out.extend(check_build(graph, config, cfg.build))
    return tuple(ctx.out)


def _tree_skips(ctx: _Ctx) -> dict[int, list[TreeSkip]]:
    """Crates under a skip-tree root, with the roots that cover them."""
    graph = ctx.graph
    covered: dict[int, list[TreeSkip]] = {}
    for entry in ctx.config.bans.skip_tree:
        roots = [i for i, krate in enumerate(graph.krates) if entry.spec.matches(krate)]
        if not roots:
            ctx.add(
                "unmatched-skip-root",
                Severity.WARNING,
                "skip tree root was not found in the dependency graph",
                labels_=[ctx.labeller.config(entry.spec.at, "no crate matched these criteria")],
            )
        depth_limit = entry.depth if entry.depth is not None else len(graph) + 1
        for root in roots:
            seen = {root}
            stack = [(root, 1)]
            while stack:
                node, depth = stack.pop()
                if depth < depth_limit:
                    for edge in graph.dependencies(node):
                        if edge.child not in seen:
                            seen.add(edge.child)
                            stack.append((edge.child, depth + 1))
            for node in seen:
                if entry not in covered.setdefault(node, []):
                    covered[node].append(entry)
    return covered


def _banned(
    ctx: _Ctx, i: int, bans: Sequence[BanEntry], wrapper_hits: dict[tuple[int, int], bool]
) -> None:
    krate = ctx.graph.krates[i]
    for n, entry in enumerate(bans):
        if not entry.spec.matches(krate):
            continue
        allowed_by_wrappers = False
        if entry.wrappers:
            allowed_by_wrappers = True
            for edge in ctx.graph.dependents(i):
                parent = ctx.graph.krates[edge.parent]
                w = next(
                    (w for w, name in enumerate(entry.wrappers) if name.value == parent.name), None
                )
                if w is None:
                    allowed_by_wrappers = False
                    ctx.add(
                        "unmatched-wrapper",
                        Severity.WARNING,
                        f"direct parent '{display(parent)}' of banned crate '{display(krate)}' "
                        "was not marked as a wrapper",
                        [krate],
                        labels_=ctx.spec_labels(entry, "banned here"),
                    )
                    continue
                wrapper_hits[(n, w)] = True
                ctx.add(
                    "allowed-by-wrapper",
                    Severity.NOTE,
                    f"banned crate '{display(krate)}' allowed by wrapper '{display(parent)}'",
                    [krate],
                    labels_=[
                        ctx.labeller.config(entry.spec.at, "banned here"),
                        ctx.labeller.config(entry.wrappers[w].at, "allowed wrapper", primary=False),
                    ],
                )
        if not allowed_by_wrappers:
            notes = []
            if entry.reason is not None:
                notes.append(f"reason: {entry.reason.value}")
            if entry.use_instead is not None:
                notes.append(f"use instead: {entry.use_instead.value}")
            ctx.add(
                "banned",
                Severity.ERROR,
                f"crate '{display(krate)}' is explicitly banned",
                [krate],
                labels_=ctx.spec_labels(entry, "banned here"),
                notes=notes,
            )


def _allowed(ctx: _Ctx, krate: Krate) -> None:
    allow = ctx.config.bans.allow
    if not allow:
        return
    matches = [entry for entry in allow if entry.spec.matches(krate)]
    for entry in matches:
        ctx.add(
            "allowed",
            Severity.NOTE,
            f"crate '{display(krate)}' is explicitly allowed",
            [krate],
            labels_=ctx.spec_labels(entry, "allowed here"),
        )
    if not matches:
        ctx.add(
            "not-allowed",
            Severity.ERROR,
            f"crate '{display(krate)}' is not explicitly allowed",
            [krate],
            labels_=[ctx.labeller.lock(krate, "crate")],
        )


def _duplicates(ctx: _Ctx, indices: list[int]) -> None:
    if len(indices) <= 1:
        return
    krates = [ctx.graph.krates[i] for i in indices]
    cfg = ctx.config.bans
    level = cfg.multiple_versions
    if any(e.deny_multiple_versions and e.spec.matches(k) for e in cfg.deny for k in krates):
        level = LintLevel.DENY
    if level is LintLevel.ALLOW:
        return
    ctx.add(
        "duplicate",
        level.severity,
        f"found {len(krates)} duplicate entries for crate '{krates[0].name}'",
        krates,
        labels_=[ctx.labeller.lock(k, "lock entry", key="version") for k in krates],
    )


def _wildcards(ctx: _Ctx, krate: Krate) -> None:
    cfg = ctx.config.bans
    if cfg.wildcards is LintLevel.ALLOW or (krate.source is not None and krate.source.is_git):
        return
    private = krate.is_private()
    found = []
    for dep in krate.dependencies:
        if not dep.is_wildcard:
            continue
        if (
            cfg.allow_wildcard_paths
            and not dep.is_registry
            and (private or dep.kind is DepKind.DEV)
        ):
            continue
        found.append(ctx.labeller.dependency(krate, dep, "wildcard dependency"))
    if not found:
        return
    count = len(found)
    suffix = (
        ". allow-wildcard-paths is enabled, but does not apply to public crates as crates.io "
        "disallows path dependencies."
        if cfg.allow_wildcard_paths
        else ""
    )
    ctx.add(
        "wildcard",
        cfg.wildcards.severity,
        f"found {count} wildcard dependenc{'y' if count == 1 else 'ies'} for crate "
        f"'{krate.name}'{suffix}",
        [krate],
        labels_=found,
    )


def _features(ctx: _Ctx, krate: Krate) -> None:
    cfg = ctx.config.bans
    level, at = None, None
    if "default" in krate.enabled_features:
        if krate.workspace_member:
            level, at = cfg.workspace_default_features, cfg.workspace_default_features_at
        else:
            level, at = cfg.external_default_features, cfg.external_default_features_at
    matching = [entry for entry in cfg.features if entry.spec.matches(krate)]
    denied_default = level is LintLevel.DENY and (
        not matching
        or any(
            not e.exact and "default" not in {f.value for f in (*e.allow, *e.deny)}
            for e in matching
        )
    )
    if level is LintLevel.WARN or denied_default:
        assert level is not None
        ctx.add(
            "default-feature-enabled",
            level.severity,
            f"'default' feature enabled for crate '{display(krate)}'",
            [krate],
            labels_=[ctx.labeller.config(at, "lint level")],
        )
    for entry in matching:
        _feature_entry(ctx, krate, entry, level)


def _feature_entry(
    ctx: _Ctx, krate: Krate, entry: FeatureBan, default_level: LintLevel | None
) -> None:
    enabled = krate.enabled_features
    allowed = {a.value for a in entry.allow}
    not_allowed = sorted(
        f
        for f in enabled
        if f not in allowed and not (f == "default" and default_level not in (None, LintLevel.DENY))
    )
    matched = True
    if entry.exact:
        missing = [a for a in entry.allow if a.value not in enabled]
        if missing or not_allowed:
            matched = False
            ctx.add(
                "exact-features-mismatch",
                Severity.ERROR,
                f"feature set for crate '{display(krate)}' did not match exactly",
                [krate],
                labels_=[
                    ctx.labeller.config(entry.exact_at, "exact enabled here"),
                    *(
                        ctx.labeller.config(m.at, "allowed feature not present", primary=False)
                        for m in missing
                    ),
                ],
                notes=[
                    f"'{f}' feature was enabled but not explicitly allowed" for f in not_allowed
                ],
            )
    else:
        for name in not_allowed if entry.allow else ():
            if not any(_has_feature(krate, a, name, set()) for a in allowed):
                ctx.add(
                    "feature-not-explicitly-allowed",
                    Severity.ERROR,
                    f"feature '{name}' for crate '{display(krate)}' was not explicitly allowed",
                    [krate],
                    labels_=[ctx.labeller.config(entry.allow_at, "allowed features")],
                )
        for denied in entry.deny:
            if denied.value in enabled:
                ctx.add(
                    "feature-banned",
                    Severity.ERROR,
                    f"feature '{denied.value}' for crate '{display(krate)}' is explicitly denied",
                    [krate],
                    labels_=[ctx.labeller.config(denied.at, "feature denied here")],
                )
    if not matched:
        return
    for named in (*entry.allow, *entry.deny):
        if named.value not in krate.features:
            ctx.add(
                "unknown-feature",
                Severity.WARNING,
                f"found unknown feature '{named.value}' for crate '{display(krate)}'",
                [krate],
                labels_=[ctx.labeller.config(named.at, "unknown feature")],
            )


def _has_feature(krate: Krate, parent: str, feature: str, seen: set[str]) -> bool:
    """Whether enabling *parent* enables *feature* (through plain feature values)."""
    if parent in seen:
        return False
    seen.add(parent)
    for value in krate.features.get(parent, ()):
        if "/" in value or value.startswith("dep:"):
            continue
        if value == feature or _has_feature(krate, value, feature, seen):
            return True
    return False
