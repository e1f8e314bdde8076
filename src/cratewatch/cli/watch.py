"""``cratewatch watch``: follow an index and alert on risky new publishes, as JSON lines."""

from __future__ import annotations

import functools
import json
import time
from pathlib import Path

import click

from cratewatch.cli.dbopts import default_cache_dir
from cratewatch.errors import CratewatchError
from cratewatch.inspect.model import Severity
from cratewatch.inspect.typosquat.check import DEFAULT_MIN_SCORE
from cratewatch.inspect.typosquat.match import Matcher
from cratewatch.inspect.typosquat.popularity import load_popularity, reverse_dependencies
from cratewatch.registry.crates import CrateFetcher
from cratewatch.registry.index import Index, open_index
from cratewatch.watch import Watcher
from cratewatch.watch.alerts import Webhook
from cratewatch.watch.follow import Follower, GitFollower, NameFollower
from cratewatch.watch.state import load_state, save_state

__all__ = ["watch"]

_EPILOG = """\b
Following:
  a git index (local clone, or URL mirrored under --cache-dir): every commit since the
  last one seen is diffed; added index lines are new versions.
  any index with --names FILE (one crate per line), e.g. the sparse index: those crates
  are re-read each poll and compared with the versions already seen.

\b
The first poll records where the index is (no alerts); later polls resume from the
--state file, written atomically after each poll. Each new version is downloaded from the
index's `dl` URL, checked against its index checksum, inspected (never executed); names
seen for the first time are checked for typosquatting (popularity from --popularity, else
reverse dependencies of a git index).

\b
Output: one JSON alert per line on stdout (schema cratewatch-watch-alert/1) for versions
with a signal at --alert-on or above, or a typosquat candidate (every version with --all);
progress notes on stderr. With --webhook each alert is also POSTed (10 s timeout, 3
retries); failures are reported on stderr and do not stop the watch.

\b
Examples:
  cratewatch watch --index https://github.com/rust-lang/crates.io-index --state watch.json
  cratewatch watch --index sparse+https://index.crates.io/ --names crates.txt --once
"""


@click.command(epilog=_EPILOG)
@click.option(
    "--index",
    "index_spec",
    required=True,
    metavar="SRC",
    help="Index to follow: git clone path or git URL (or any index with --names).",
)
@click.option(
    "--state",
    "state_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="State file to resume from and update. Default: CACHE_DIR/watch/state.json.",
)
@click.option(
    "--webhook", metavar="URL", default=None, help="Also POST every alert as JSON to this URL."
)
@click.option("--once", is_flag=True, help="Poll once and exit.")
@click.option(
    "--interval",
    type=click.FloatRange(min=1.0),
    default=300.0,
    show_default=True,
    help="Seconds between polls.",
)
@click.option(
    "--max-polls",
    type=click.IntRange(min=1),
    default=None,
    help="Stop after this many polls (default: run until interrupted).",
)
@click.option(
    "--names",
    "names_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="Follow only these crates (one name per line), in any index.",
)
@click.option(
    "--alert-on",
    type=click.Choice([s.value for s in Severity]),
    default=Severity.HIGH.value,
    show_default=True,
    help="Lowest inspect severity that raises an alert.",
)
@click.option(
    "--all", "emit_all", is_flag=True, help="Emit a JSON line for every new version, alert or not."
)
@click.option(
    "--popularity",
    type=click.Path(exists=True, path_type=Path),
    default=None,
    metavar="CSV|DBDUMP",
    help="Download counts for the typosquat check (name,downloads CSV or crates.io db-dump).",
)
@click.option("--no-typosquat", is_flag=True, help="Skip the typosquat check of new names.")
@click.option(
    "--min-score",
    type=click.FloatRange(0.0, 1.0),
    default=DEFAULT_MIN_SCORE,
    show_default=True,
    help="Lowest typosquat score that raises an alert.",
)
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the index mirror and downloaded .crate files are kept. "
    "Default: $CRATEWATCH_CACHE_DIR, else ~/.cache/cratewatch.",
)
def watch(
    *,
    index_spec: str,
    state_path: Path | None,
    webhook: str | None,
    once: bool,
    interval: float,
    max_polls: int | None,
    names_file: Path | None,
    alert_on: str,
    emit_all: bool,
    popularity: Path | None,
    no_typosquat: bool,
    min_score: float,
    cache_dir: Path | None,
) -> None:
    """Follow an index and inspect every new crate version as it is published."""
    cache = cache_dir if cache_dir is not None else default_cache_dir()
    state_file = state_path if state_path is not None else cache / "watch" / "state.json"
    follower = _follower(index_spec, names_file, cache)
    hook = Webhook(webhook) if webhook is not None else None
    watcher = Watcher(
        follower,
        fetcher_for=lambda dl: CrateFetcher(cache, dl=dl),
        matcher_for=None if no_typosquat else functools.partial(_matcher, popularity, cache),
        alert_on=Severity(alert_on),
        emit_all=emit_all,
        min_score=min_score,
    )
    try:
        polls = 0
        while True:
            poll = watcher.poll(load_state(state_file))
            for note in poll.notes:
                click.echo(f"cratewatch watch: {note}", err=True)
            for alert in poll.alerts:
                click.echo(json.dumps(alert, ensure_ascii=False, sort_keys=False))
                if hook is not None:
                    failure = hook.send(alert)
                    if failure is not None:
                        click.echo(
                            f"cratewatch watch: webhook {failure.url}: {failure.crate} not "
                            f"delivered: {failure.reason}",
                            err=True,
                        )
            save_state(state_file, poll.state)
            click.echo(
                f"cratewatch watch: poll {poll.state.polls}: {poll.publishes} new versions, "
                f"{poll.inspected} inspected, {len(poll.alerts)} alerts",
                err=True,
            )
            polls += 1
            if once or (max_polls is not None and polls >= max_polls):
                break
            if poll.complete:
                time.sleep(interval)
    finally:
        follower.close()
        if hook is not None:
            hook.close()


def _follower(spec: str, names_file: Path | None, cache: Path) -> Follower:
    if names_file is not None:
        names = [
            line.strip()
            for line in names_file.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.startswith("#")
        ]
        if not names:
            raise CratewatchError(f"{names_file}: no crate names")
        return NameFollower(open_index(spec, cache_dir=cache / "index"), names)
    if spec.startswith("sparse+"):
        raise CratewatchError(
            f"{spec}: a sparse index cannot be listed; give --names FILE with the crates to follow"
        )
    return GitFollower(spec, cache_dir=cache)


def _matcher(popularity: Path | None, cache: Path, index: Index) -> Matcher:
    """Popularity from --popularity, else reverse dependencies of the followed index."""
    if popularity is not None:
        return Matcher(load_popularity(popularity))
    return Matcher(reverse_dependencies(index, cache_dir=cache))
