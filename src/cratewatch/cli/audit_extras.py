"""The optional parts of ``cratewatch audit``: the fix plan and the build selection.

Imported only when ``--fix-plan`` or a feature/target option is given, so a plain audit
does not load the index backends and manifest parser.
"""

from __future__ import annotations

import shutil
from dataclasses import replace

from cratewatch.audit.built import BuildSelection, built_packages, run_cargo_metadata
from cratewatch.audit.fixplan import FixStep, plan_fixes
from cratewatch.audit.fixsources import IndexFixSources
from cratewatch.audit.members import member_manifests
from cratewatch.audit.model import AuditReport
from cratewatch.cli.audit_inputs import AuditInputError, Loaded
from cratewatch.cli.dbopts import DbOptions
from cratewatch.registry.index import open_index

__all__ = ["fix_plan", "not_built"]


def not_built(inputs: list[Loaded], selection: BuildSelection) -> frozenset[tuple[str, str]]:
    cargo = shutil.which("cargo")
    if cargo is None:
        raise AuditInputError("--features/--all-features/--no-default-features/--target need cargo")
    not_built: set[tuple[str, str]] = set()
    for loaded in inputs:
        if loaded.lock is None or loaded.project is None:
            raise AuditInputError(
                f"{loaded.item.path}: a feature/target selection needs a project directory"
            )
        manifest = loaded.project / "Cargo.toml"
        if not manifest.is_file():
            raise AuditInputError(f"{loaded.project}: no Cargo.toml beside the Cargo.lock")
        built = built_packages(run_cargo_metadata(cargo, manifest, selection))
        not_built |= {
            (p.name, str(p.version))
            for p in loaded.lock.packages
            if (p.name, str(p.version)) not in built
        }
    return frozenset(not_built)


def fix_plan(
    inputs: list[Loaded], report: AuditReport, index_spec: str, db_options: DbOptions
) -> tuple[FixStep, ...]:
    steps: list[FixStep] = []
    with open_index(
        index_spec, cache_dir=db_options.cache_dir / "index", offline=not db_options.fetch
    ) as index:
        for loaded in inputs:
            if loaded.lock is None:
                continue
            members = member_manifests(loaded.project) if loaded.project is not None else {}
            sources = IndexFixSources(loaded.lock, index, members)
            origin = loaded.item.path
            own = replace(
                report,
                findings=tuple(f for f in report.findings if f.package.origin == origin),
            )
            sources.prefetch([f.package.name for f in own.findings])
            steps.extend(
                plan_fixes(own, published=sources.published, dependents=sources.dependents)
            )
    return tuple(steps)
