"""``cratewatch serve``: the Security pages and the advisory JSON API over HTTP."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, NoReturn

import click

from cratewatch.advisories.database import AdvisoryDatabase, load_database
from cratewatch.advisories.source import parse_source
from cratewatch.cli.dbopts import DbOptions, database_options, echo_warnings, open_database
from cratewatch.errors import CratewatchError
from cratewatch.web.reload import DEFAULT_RELOAD_INTERVAL, DatabaseReloader, head_probe
from cratewatch.web.snapshot import Snapshot

if TYPE_CHECKING:
    from cratewatch.registry.index import Index

__all__ = ["serve"]


@click.command()
@database_options()
@click.option(
    "--index",
    "index_spec",
    metavar="SRC",
    help=(
        "crates.io index for published versions and yanked flags: sparse+https://index.crates.io/, "
        "a git clone, a .bundle file or a directory. Without it, crates without advisories are "
        "unknown (404) and the version box offers the versions the advisories name."
    ),
)
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address to listen on (0.0.0.0 to accept connections from other machines).",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="TCP port (0: any free port, printed at start-up).",
)
@click.option(
    "--reload-interval",
    type=click.FloatRange(min=0),
    default=DEFAULT_RELOAD_INTERVAL,
    show_default=True,
    metavar="SECONDS",
    help=(
        "Check the database source's HEAD at most this often and reload the advisories when "
        "its commit changed (a URL or bundle is fetched first). 0 checks on every request."
    ),
)
@click.option("--no-reload", is_flag=True, help="Never check the source for new commits.")
@click.option(
    "--max-age",
    type=click.IntRange(min=0),
    default=60,
    show_default=True,
    metavar="SECONDS",
    help="Cache-Control max-age of every answer (clients revalidate with the ETag after it).",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help=(
        "Server processes answering on the same port. The advisories are loaded once and the "
        "processes forked afterwards (Linux, macOS), so they share that memory; each one opens "
        "the index and checks the source for new commits by itself. One per CPU core gives the "
        "most requests per second. Ctrl-C or SIGTERM to the first process stops them all."
    ),
)
def serve(
    *,
    db_options: DbOptions,
    index_spec: str | None,
    host: str,
    port: int,
    reload_interval: float,
    no_reload: bool,
    max_age: int,
    workers: int,
) -> None:
    """Serve crate Security pages and the advisory JSON API.

    Pages: / (search, recent advisories), /crates/NAME (with its Security tab),
    /crates/NAME/security?version=V, /advisories/ID. API (documented at /docs):
    /api/v1/crates/NAME/advisories[?version=V], /api/v1/advisories/ID,
    /api/v1/crates/NAME/versions/V/status, /api/v1/search?q=Q, and /osv/crates/NAME.json.
    """
    import uvicorn  # noqa: PLC0415 (slow to import; only this command needs it)

    from cratewatch.registry.index import open_index  # noqa: PLC0415
    from cratewatch.web.app import create_app  # noqa: PLC0415

    if workers > 1 and not hasattr(os, "fork"):
        raise CratewatchError(f"--workers {workers}: this system cannot fork; use --workers 1")
    opened = open_database(db_options)
    echo_warnings(opened.warnings)

    def load_index() -> Index | None:
        if index_spec is None:
            return None
        return open_index(index_spec, cache_dir=db_options.cache_dir, offline=not db_options.fetch)

    index = load_index()  # a bad index is an error before anything listens

    def load() -> AdvisoryDatabase:
        return load_database(db_options.db, cache_dir=db_options.cache_dir, fetch=db_options.fetch)

    def on_error(error: CratewatchError) -> None:
        click.echo(f"cratewatch: warning: advisory database not reloaded: {error}", err=True)

    def on_reload(snapshot: Snapshot) -> None:
        click.echo(
            f"cratewatch: advisory database reloaded at {snapshot.commit}: "
            f"{snapshot.advisory_count} crates.io advisories",
            err=True,
        )

    reloader = DatabaseReloader(
        load,
        None if no_reload else head_probe(parse_source(db_options.db)),
        interval=reload_interval,
        initial=opened.database,
        on_error=on_error,
        on_reload=on_reload,
    )
    try:
        sock = _listen(host, port)
    except CratewatchError:
        if index is not None:
            index.close()
        raise
    bound = sock.getsockname()[1]
    info = opened.database.info
    click.echo(
        f"cratewatch: serving {len(opened.database)} advisories from {info.source}"
        f" ({info.commit or 'no commit'}) on http://{_url_host(host)}:{bound}/"
        + (f" with {workers} worker processes" if workers > 1 else ""),
        err=True,
    )
    if workers > 1 and index is not None:
        # index handles (git repositories, HTTP connection pools) must not be shared by
        # processes: every worker opens its own after the fork
        index.close()
        index = None

    def run_server() -> None:
        # uvicorn shuts down gracefully on SIGTERM, then raises it again under the handler it
        # found: with this one, as before uvicorn runs, SIGTERM ends this function normally
        # (the first process then stops the other workers) instead of killing the process
        own = None
        try:
            signal.signal(signal.SIGTERM, _terminate)
            own = index if workers == 1 else load_index()
            app = create_app(reloader, index=own, max_age=max_age)
            config = uvicorn.Config(app, log_level="info", access_log=False)
            uvicorn.Server(config).run(sockets=[sock])
        except (KeyboardInterrupt, _Terminated):
            pass  # Ctrl-C, SIGTERM: uvicorn has shut down gracefully and re-raised it
        finally:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            if own is not None:
                own.close()

    try:
        _run_workers(workers, run_server)
    finally:
        sock.close()


class _Terminated(BaseException):
    """SIGTERM arrived: stop serving (uvicorn, when running, has shut down gracefully)."""


def _terminate(signum: int, frame: object) -> NoReturn:
    raise _Terminated


def _run_workers(workers: int, run: Callable[[], None]) -> None:
    """Run *run* in this process and in ``workers - 1`` forked ones; stop them when it returns.

    A worker exits after its server stops (SIGINT, SIGTERM); the first process then sends
    SIGTERM to the others and waits for their graceful shutdown.
    """
    children: list[int] = []
    first = os.getpid()
    try:
        for _ in range(workers - 1):
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:  # pragma: no cover (runs in the child; the tests watch it from outside)
                _child(run, first)
            children.append(pid)
        run()
    finally:
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
        for pid in children:
            os.waitpid(pid, 0)


def _child(run: Callable[[], None], parent: int) -> None:  # pragma: no cover (forked child)
    """A forked worker: serve, then leave without running the parent's clean-up."""
    code = 0
    try:
        _exit_with_parent(parent)
        run()
    except CratewatchError as e:
        click.echo(f"cratewatch: error: worker {os.getpid()}: {e}", err=True)
        code = 2
    except BaseException:
        import traceback  # noqa: PLC0415

        traceback.print_exc()
        code = 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _exit_with_parent(parent: int) -> None:  # pragma: no cover (forked child)
    """On Linux, get SIGTERM when the first process dies, even by SIGKILL (no orphans left
    holding the port)."""
    if sys.platform != "linux":
        return
    import ctypes  # noqa: PLC0415

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
    if os.getppid() != parent:  # it died before prctl took effect
        os.kill(os.getpid(), signal.SIGTERM)


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket; port 0 picks a free port (printed in the start-up line)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as e:
        sock.close()
        raise CratewatchError(f"{host}:{port}: cannot listen: {e.strerror or e}") from e
    sock.set_inheritable(True)
    return sock
