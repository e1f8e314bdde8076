"""``cratewatch resolve``: the Cargo.lock package set of a published crate version.

The answer is what ``cargo generate-lockfile`` writes for a package whose only dependency is
``NAME = "=VERSION"`` (with the features asked): every package, the root included, sorted by
name then version. JSON output::

    {"root": {"name": ..., "version": ...}, "packages": [{"name": ..., "version": ...}, ...]}

With ``--batch FILE`` every root of the file is resolved in one process (everything learnt
from the index is reused) and one JSON object is printed per root, in input order, with an
``error`` key that is ``null`` or says why Cargo would fail.
"""

from __future__ import annotations

import gc
import json
import shutil
from pathlib import Path

import click
from rich.table import Table

from cratewatch.cli.dbopts import (
    default_cache_dir,
    index_cache_options,
    output_console,
    rustc_target,
)
from cratewatch.errors import CratewatchError
from cratewatch.registry.index import CRATES_IO_SPARSE, open_index
from cratewatch.resolver import Resolved, Resolver, RootRequest, Target, Unresolved
from cratewatch.resolver.batch import parse_batch, parse_root, resolution_json, resolve_all
from cratewatch.resolver.model import ResolutionFailed

__all__ = ["resolve"]

_MAX_BATCH_BYTES = 64 << 20
_FREEZE_EVERY = 256


@click.command()
@click.argument("root", metavar="NAME@VERSION", required=False)
@click.option(
    "--index",
    "index_spec",
    metavar="SRC",
    default=CRATES_IO_SPARSE,
    show_default=True,
    help=(
        "The index: a sparse+https:// URL, a git repository, a .bundle file (cloned into the "
        "cache) or a directory laid out like the index."
    ),
)
@click.option(
    "--batch",
    "batch_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help=(
        "Resolve every root listed in FILE instead of NAME@VERSION: one per line, "
        "'NAME@VERSION' optionally followed by 'features=a,b', 'all-features' or "
        "'no-default-features'. Prints one JSON object per root (json format)."
    ),
)
@click.option(
    "--features",
    metavar="A,B",
    default="",
    help="Features of the root to enable (comma separated; may name optional dependencies).",
)
@click.option("--all-features", is_flag=True, help="Enable every feature of the root.")
@click.option(
    "--no-default-features", is_flag=True, help="Do not enable the root's default feature."
)
@click.option(
    "--include-dev",
    is_flag=True,
    help="Also resolve the root's dev-dependencies (as Cargo does for a workspace member).",
)
@click.option(
    "--target",
    metavar="TRIPLE",
    help=(
        "Keep only packages the root uses when built for TRIPLE (versions stay the lock "
        "file's). Its cfg values come from `rustc --print cfg --target TRIPLE`. Without it "
        "every platform's dependencies are listed, as in Cargo.lock."
    ),
)
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["human", "json"]),
    default="human",
    show_default=True,
    help="human: a table (a summary line per root with --batch); json: see above.",
)
@index_cache_options
def resolve(
    *,
    root: str | None,
    index_spec: str,
    batch_file: Path | None,
    features: str,
    all_features: bool,
    no_default_features: bool,
    include_dev: bool,
    target: str | None,
    output_format: str,
    offline: bool,
    cache_dir: Path | None,
) -> None:
    """Resolve NAME@VERSION (or every root of --batch FILE) like `cargo generate-lockfile`."""
    if (root is None) == (batch_file is None):
        raise click.UsageError("give either NAME@VERSION or --batch FILE")
    platform = _target(target) if target else None
    with open_index(
        index_spec, cache_dir=cache_dir or default_cache_dir(), offline=offline
    ) as index:
        resolver = Resolver.from_index(index, target=platform)
        if batch_file is not None:
            if features or all_features or no_default_features:
                raise click.UsageError("with --batch, give features per line in the file")
            requests = parse_batch(
                _read_batch(batch_file), source=str(batch_file), include_dev=include_dev
            )
            for done, resolution in enumerate(resolve_all(resolver, requests), start=1):
                _echo_batch(resolution, output_format)
                if done % _FREEZE_EVERY == 0:
                    # What the resolver has learnt stays alive for the whole run: keep the
                    # cyclic garbage collector from rescanning it (a third of the run time).
                    gc.freeze()
            return
        assert root is not None
        if all_features and (features or no_default_features):
            raise click.UsageError("--all-features cannot be combined with other feature flags")
        name, version = parse_root(root)
        request = RootRequest(
            name=name,
            version=version,
            features=tuple(f for f in features.replace(" ", ",").split(",") if f),
            all_features=all_features,
            default_features=not no_default_features,
            include_dev=include_dev,
        )
        resolution = resolver.resolve(request)
    if isinstance(resolution, Unresolved):
        raise ResolutionFailed(f"{request.describe()}: {resolution.reason}")
    if output_format == "json":
        data = resolution_json(resolution)
        click.echo(json.dumps({"root": data["root"], "packages": data["packages"]}, indent=2))
        return
    _print_table(resolution)


def _read_batch(path: Path) -> str:
    try:
        with path.open("rb") as f:
            data = f.read(_MAX_BATCH_BYTES + 1)
    except OSError as e:
        raise CratewatchError(f"{path}: cannot read the batch file: {e.strerror}") from e
    if len(data) > _MAX_BATCH_BYTES:
        raise CratewatchError(f"{path}: batch file larger than {_MAX_BATCH_BYTES} bytes")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise CratewatchError(f"{path}: batch file is not UTF-8") from e


def _target(triple: str) -> Target:
    rustc = shutil.which("rustc")
    if rustc is None:
        raise CratewatchError(
            f"--target {triple}: rustc is needed to learn the target's cfg values "
            "(install Rust, or omit --target to list every platform's dependencies)"
        )
    return rustc_target(rustc, triple, CratewatchError)


def _echo_batch(resolution: Resolved | Unresolved, output_format: str) -> None:
    if output_format == "json":
        click.echo(json.dumps(resolution_json(resolution)))
    elif isinstance(resolution, Resolved):
        click.echo(f"{resolution.request.describe()}: {len(resolution.packages)} packages")
    else:
        click.echo(f"{resolution.request.describe()}: error: {resolution.reason}")


def _print_table(resolution: Resolved) -> None:
    console = output_console()
    table = Table(
        title=f"{resolution.request.describe()}: {len(resolution.packages)} packages",
        title_justify="left",
    )
    table.add_column("name")
    table.add_column("version")
    table.add_column("features")
    for package in resolution.packages:
        chosen = ", ".join(sorted(resolution.features.get(package, ())))
        table.add_row(package.name, str(package.version), chosen)
    console.print(table)
