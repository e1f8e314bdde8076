"""The advisory-database options every command that needs advisories shares, and the small
pieces several commands share: :func:`index_cache_options` (``--offline``/``--cache-dir`` of
the commands that read a crates.io index), :func:`rustc_target`, :func:`write_report`.

Decorate a command with :func:`database_options`; it adds ``--db``, ``--cache-dir``,
``--no-fetch``, ``--stale-days`` and ``--stale`` and passes one :class:`DbOptions` as the
``db_options`` argument. :func:`open_database` loads the database and returns it with the
warnings the command should print (:func:`echo_warnings`)::

    @click.command()
    @database_options()
    def audit(db_options: DbOptions) -> None:
        opened = open_database(db_options)
        echo_warnings(opened.warnings)
        ...
"""

from __future__ import annotations

import datetime
import functools
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, assert_never

import click
from rich.console import Console

from cratewatch.advisories.database import AdvisoryDatabase, load_database
from cratewatch.advisories.source import (
    DEFAULT_DATABASE_URL,
    DEFAULT_MAX_AGE_DAYS,
    Fresh,
    Stale,
    UnknownAge,
)
from cratewatch.errors import AdvisoryDbError, CratewatchError

if TYPE_CHECKING:
    from cratewatch.resolver.platform import Target

__all__ = [
    "CACHE_ENV_VAR",
    "DB_ENV_VAR",
    "SHARED_BUNDLE",
    "DbOptions",
    "OpenedDatabase",
    "StalePolicy",
    "database_options",
    "default_cache_dir",
    "default_db",
    "echo_warnings",
    "index_cache_options",
    "open_database",
    "output_console",
    "rustc_target",
    "write_report",
]

DB_ENV_VAR = "CRATEWATCH_ADVISORY_DB"
"""Environment variable giving the default ``--db``."""
CACHE_ENV_VAR = "CRATEWATCH_CACHE_DIR"
"""Environment variable giving the default ``--cache-dir``."""
SHARED_BUNDLE = Path("..") / "shared" / "data" / "advisory-db.bundle"
"""Bundle used by default when present (relative to the current directory)."""

_R = TypeVar("_R")
_PIPE_WIDTH = 10_000
_RUSTC_TIMEOUT = 60.0


class StalePolicy(StrEnum):
    """What to do when the database's last commit is older than ``--stale-days``."""

    FAIL = "fail"
    """Refuse to run (exit 3)."""
    WARN = "warn"
    """Print a warning and go on."""
    IGNORE = "ignore"
    """Say nothing."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DbOptions:
    """The values of the shared database options."""

    db: str
    """Database source: git URL, directory or bundle file."""
    cache_dir: Path
    """cratewatch's cache root (clones and compiled caches live in ``advisory-db/``)."""
    fetch: bool
    """Whether to clone/fetch the database (False: use the cached copy)."""
    stale_days: int
    """Allowed age of the last commit, in days."""
    stale: StalePolicy
    """What to do with an older database."""


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenedDatabase:
    """A loaded database and the warnings to show the user."""

    database: AdvisoryDatabase
    """The advisories."""
    warnings: tuple[str, ...]
    """Messages for stderr (stale database, skipped files, uncommitted changes)."""


def default_db() -> str:
    """``$CRATEWATCH_ADVISORY_DB``, else ``../shared/data/advisory-db.bundle`` if it exists,
    else the upstream URL.
    """
    configured = os.environ.get(DB_ENV_VAR)
    if configured:
        return configured
    if SHARED_BUNDLE.is_file():
        return str(SHARED_BUNDLE)
    return DEFAULT_DATABASE_URL


def default_cache_dir() -> Path:
    """``$CRATEWATCH_CACHE_DIR``, else ``~/.cache/cratewatch``."""
    configured = os.environ.get(CACHE_ENV_VAR)
    return Path(configured).expanduser() if configured else Path.home() / ".cache" / "cratewatch"


def database_options(
    *, fetch_option: bool = True
) -> Callable[[Callable[..., _R]], Callable[..., _R]]:
    """Add the shared database options to a click command; it receives ``db_options``.

    ``fetch_option=False`` leaves out ``--no-fetch`` (for ``db update``, which always fetches).
    """

    def decorate(command: Callable[..., _R]) -> Callable[..., _R]:
        @functools.wraps(command)
        def wrapper(*args: Any, **kwargs: Any) -> _R:
            options = DbOptions(
                db=kwargs.pop("db") or default_db(),
                cache_dir=kwargs.pop("cache_dir") or default_cache_dir(),
                fetch=not kwargs.pop("no_fetch", False),
                stale_days=kwargs.pop("stale_days"),
                stale=StalePolicy(kwargs.pop("stale")),
            )
            return command(*args, db_options=options, **kwargs)

        options = [
            click.option(
                "--db",
                metavar="SRC",
                help=(
                    "Advisory database: a git URL (cloned into the cache), a checkout "
                    "directory (used as it is) or a git bundle file. Default: "
                    f"${DB_ENV_VAR}, else {SHARED_BUNDLE} if present, else "
                    f"{DEFAULT_DATABASE_URL}."
                ),
            ),
            click.option(
                "--cache-dir",
                type=click.Path(file_okay=False, path_type=Path),
                help=(
                    "Cache directory for database clones and the compiled advisory cache. "
                    f"Default: ${CACHE_ENV_VAR}, else ~/.cache/cratewatch."
                ),
            ),
            *(
                [
                    click.option(
                        "--no-fetch",
                        is_flag=True,
                        help="Do not clone or fetch the database: use the cached copy (offline).",
                    )
                ]
                if fetch_option
                else []
            ),
            click.option(
                "--stale-days",
                type=click.IntRange(min=0),
                default=DEFAULT_MAX_AGE_DAYS,
                show_default=True,
                metavar="N",
                help="A database whose last commit is older than N days is stale.",
            ),
            click.option(
                "--stale",
                type=click.Choice([p.value for p in StalePolicy]),
                default=StalePolicy.WARN.value,
                show_default=True,
                help="On a stale database: fail (exit 3), warn, or ignore.",
            ),
        ]
        decorated: Callable[..., _R] = wrapper
        for option in reversed(options):
            decorated = option(decorated)
        return decorated

    return decorate


def index_cache_options(command: Callable[..., _R]) -> Callable[..., _R]:
    """Add ``--offline`` and ``--cache-dir`` to a command that reads a crates.io index; it
    receives ``offline`` and ``cache_dir`` (None: use :func:`default_cache_dir`)."""
    command = click.option(
        "--cache-dir",
        type=click.Path(file_okay=False, path_type=Path),
        help=(
            "Cache for sparse index files and bundle clones. "
            f"Default: ${CACHE_ENV_VAR}, else ~/.cache/cratewatch."
        ),
    )(command)
    return click.option(
        "--offline",
        is_flag=True,
        help="Sparse index only: use the cached files, make no network request.",
    )(command)


def open_database(
    options: DbOptions, *, fetch: bool | None = None, now: datetime.datetime | None = None
) -> OpenedDatabase:
    """Load the database the options name and apply the staleness policy.

    *fetch* overrides ``options.fetch``; *now* is the reference time for the age (default:
    the current time). Raises :class:`~cratewatch.errors.AdvisoryDbError` when the database
    cannot be loaded, or is stale under ``--stale fail``.
    """
    database = load_database(
        options.db,
        cache_dir=options.cache_dir,
        fetch=options.fetch if fetch is None else fetch,
    )
    info = database.info
    warnings: list[str] = []
    if options.stale is not StalePolicy.IGNORE:
        age = info.staleness(
            now=now or datetime.datetime.now(datetime.UTC),
            max_age=datetime.timedelta(days=options.stale_days),
        )
        match age:
            case Fresh():
                pass
            case Stale(age=elapsed):
                message = (
                    f"{info.source}: the advisory database is stale: its last commit is "
                    f"{elapsed.days} days old, more than {options.stale_days} "
                    "(run `cratewatch db update`, or pass --stale-days)"
                )
                if options.stale is StalePolicy.FAIL:
                    raise AdvisoryDbError(message)
                warnings.append(message)
            case UnknownAge(reason=reason):
                warnings.append(
                    f"{info.source}: cannot tell whether the database is stale: {reason}"
                )
            case _:
                assert_never(age)
    if info.modified:
        warnings.append(f"{info.path}: the checkout has uncommitted changes (not cached)")
    if info.skipped:
        shown = ", ".join(s.path for s in info.skipped[:3])
        warnings.append(
            f"{info.source}: {len(info.skipped)} file(s) that are not advisories were skipped: "
            f"{shown}"
        )
    return OpenedDatabase(database=database, warnings=tuple(warnings))


def echo_warnings(warnings: tuple[str, ...]) -> None:
    """Print each warning to stderr as ``cratewatch: warning: ...``."""
    for warning in warnings:
        click.echo(f"cratewatch: warning: {warning}", err=True)


def output_console() -> Console:
    """A rich console on stdout; when stdout is not a terminal, lines are never wrapped."""
    console = Console(highlight=False, soft_wrap=True)
    if not console.is_terminal:
        console.width = _PIPE_WIDTH
    return console


def write_report(text: str, output: Path | None) -> None:
    """Print *text* as it is to stdout, or write it to *output* (a one-line
    :class:`~cratewatch.errors.CratewatchError` when the file cannot be written)."""
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as e:
        raise CratewatchError(f"{output}: cannot write the report: {e.strerror or e}") from e


def rustc_target(rustc: str, triple: str, error: type[CratewatchError]) -> Target:
    """The ``--target`` *triple* with its cfg values from ``rustc --print cfg``; raises *error*
    (a message starting with ``--target TRIPLE``) when rustc hangs, rejects the target or
    prints what cannot be parsed."""
    from cratewatch.resolver.platform import InvalidPlatform, Target  # noqa: PLC0415 - rare

    try:
        done = subprocess.run(
            [rustc, "--print", "cfg", "--target", triple],
            capture_output=True,
            text=True,
            timeout=_RUSTC_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired as e:
        raise error(f"--target {triple}: rustc did not answer in time") from e
    if done.returncode != 0:
        detail = (done.stderr.strip().splitlines() or ["failed"])[0]
        raise error(f"--target {triple}: rustc does not know this target: {detail}")
    try:
        return Target.from_rustc_cfg(triple, done.stdout)
    except InvalidPlatform as e:
        raise error(f"--target {triple}: {e}") from e
