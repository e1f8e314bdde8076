"""Following a git index: baseline, new publishes inspected and typosquat-checked, resuming."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from cratewatch.inspect.typosquat.match import Matcher
from cratewatch.inspect.typosquat.popularity import load_popularity
from cratewatch.registry.crates import CrateFetcher
from cratewatch.registry.index import Index, open_index
from cratewatch.watch import Watcher
from cratewatch.watch.alerts import Webhook
from cratewatch.watch.follow import GitFollower, NameFollower
from cratewatch.watch.state import InvalidState, WatchState, load_state, save_state
from tests.conftest import ASSETS
from tests.crates import index_line, sha256, write_index
from tests.inspect.gitindex import git
from tests.watch.registry import Registry

CSV = ASSETS / "typosquat" / "downloads.csv"
NOW = dt.datetime(2024, 6, 1, 12, 0, tzinfo=dt.UTC)


def _watcher(registry: Registry, tmp_path: Path, **kwargs: object) -> Watcher:
    follower = GitFollower(registry.url, cache_dir=tmp_path / "cache")
    return Watcher(
        follower,
        fetcher_for=lambda dl: CrateFetcher(tmp_path / "cache", dl=dl),
        matcher_for=lambda index: Matcher(load_popularity(CSV)),
        clock=lambda: NOW,
        **kwargs,  # type: ignore[arg-type]
    )


def test_baseline_then_alerts_then_quiet(registry: Registry, tmp_path: Path) -> None:
    watcher = _watcher(registry, tmp_path)
    first = watcher.poll(None)
    assert (first.alerts, first.publishes) == ((), 0)
    assert first.notes[0].startswith(f"baseline: following {registry.url} from ")
    assert first.state.polls == 1

    evil = registry.evil()
    registry.publish("sneaky-build", "0.1.0", evil, date="2024-06-01T10:00:00+00:00")
    registry.publish("rustdecimal", "1.23.1", Registry.benign("rustdecimal", "1.23.1"),
                     date="2024-06-01T10:05:00+00:00")  # fmt: skip
    head = registry.publish("harmless", "1.0.0", Registry.benign("harmless", "1.0.0"),
                            date="2024-06-01T10:10:00+00:00")  # fmt: skip

    second = watcher.poll(first.state)
    assert (second.publishes, second.inspected) == (3, 3)
    assert second.state.last_commit == head
    assert second.state.updated == "2024-06-01T12:00:00+00:00"
    evil_alert, squat_alert = second.alerts
    assert evil_alert["crate"] == "sneaky-build"
    assert evil_alert["version"] == "0.1.0"
    assert evil_alert["checksum"] == sha256(evil)
    assert evil_alert["published_at"] == "2024-06-01T10:00:00+00:00"
    assert evil_alert["new_crate"] is True
    assert evil_alert["max_severity"] == "critical"
    assert evil_alert["reasons"] == ["inspect"]
    assert {s["id"] for s in evil_alert["signals"]} >= {"combo.exfiltration", "network.socket"}
    assert all(s["severity"] in ("high", "critical") for s in evil_alert["signals"])
    assert squat_alert["crate"] == "rustdecimal"
    assert squat_alert["reasons"] == ["typosquat"]
    assert squat_alert["typosquat"][0]["target"] == "rust_decimal"
    assert squat_alert["max_severity"] is None

    third = watcher.poll(second.state)
    assert (third.alerts, third.publishes, third.state.polls) == ((), 0, 3)


def test_resume_from_the_state_file(registry: Registry, tmp_path: Path) -> None:
    state_file = tmp_path / "state.json"
    save_state(state_file, _watcher(registry, tmp_path).poll(None).state)
    registry.publish("sneaky-build", "0.2.0", registry.evil("0.2.0"), date="2024-06-02T00:00:00Z")
    resumed = _watcher(registry, tmp_path).poll(load_state(state_file))
    assert [(a["crate"], a["version"]) for a in resumed.alerts] == [("sneaky-build", "0.2.0")]
    assert resumed.alerts[0]["new_crate"] is True


def test_emit_all_and_existing_crates(registry: Registry, tmp_path: Path) -> None:
    registry.publish(
        "harmless", "1.0.0", Registry.benign("harmless", "1.0.0"), date="2024-06-01T00:00:00Z"
    )
    watcher = _watcher(registry, tmp_path, emit_all=True)
    state = watcher.poll(None).state
    registry.publish(
        "harmless", "1.1.0", Registry.benign("harmless", "1.1.0"), date="2024-06-02T00:00:00Z"
    )
    (alert,) = watcher.poll(state).alerts
    assert (alert["crate"], alert["version"], alert["new_crate"], alert["reasons"]) == (
        "harmless", "1.1.0", False, []
    )  # fmt: skip


def test_undownloadable_versions_are_reported(registry: Registry, tmp_path: Path) -> None:
    watcher = _watcher(registry, tmp_path)
    state = watcher.poll(None).state
    # an index line whose .crate is not served, and one whose checksum is wrong
    from tests.inspect.gitindex import line, publish  # noqa: PLC0415

    publish(registry.repo, [line("missing", "1.0.0", "a" * 64)], date="2024-06-02T00:00:00Z")
    registry.server.expect_request("/crates/liar/liar-1.0.0.crate").respond_with_data(b"other")
    publish(registry.repo, [line("liar", "1.0.0", "b" * 64)], date="2024-06-02T00:01:00Z")
    missing, liar = watcher.poll(state).alerts
    assert (missing["inspected"], missing["reasons"]) == (False, ["not-inspected"])
    url = registry.server.url_for("/crates/missing/missing-1.0.0.crate")
    # pytest-httpserver answers unknown paths with HTTP 500, which is retried then given up
    assert missing["not_inspected"] == (
        f"{url}: HTTP 500 Internal Server Error (after 3 attempts); check the network or use "
        "--offline with a filled cache"
    )
    assert liar["max_severity"] == "critical"
    assert [s["id"] for s in liar["signals"]] == ["archive.checksum-mismatch"]


def test_rewritten_history_rebaselines(registry: Registry, tmp_path: Path) -> None:
    watcher = _watcher(registry, tmp_path)
    state = watcher.poll(None).state
    gone = WatchState(index=state.index, last_commit="0" * 40, known={}, polls=1, updated="")
    poll = watcher.poll(gone)
    assert poll.alerts == ()
    assert poll.notes[0].startswith(
        f"the last commit seen (000000000000) is no longer in {registry.url}"
    )
    assert poll.state.last_commit == state.last_commit


def test_state_of_another_index_is_refused(registry: Registry, tmp_path: Path) -> None:
    other = WatchState(index="elsewhere", last_commit=None, known={}, polls=1, updated="")
    with pytest.raises(Exception, match=r"^the state file follows elsewhere, not file://"):
        _watcher(registry, tmp_path).poll(other)


def test_local_clone_is_fetched_from_origin(registry: Registry, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(registry.repo), str(clone))
    watcher = Watcher(
        GitFollower(str(clone), cache_dir=tmp_path / "cache"),
        fetcher_for=lambda dl: CrateFetcher(tmp_path / "cache", dl=dl),
    )
    state = watcher.poll(None).state
    registry.publish("sneaky-build", "0.3.0", registry.evil("0.3.0"), date="2024-06-03T00:00:00Z")
    assert [a["version"] for a in watcher.poll(state).alerts] == ["0.3.0"]


def test_name_list_mode(httpserver: HTTPServer, tmp_path: Path) -> None:
    good = Registry.benign("tracked", "1.0.0")
    httpserver.expect_request("/dl/tracked/tracked-1.0.0.crate").respond_with_data(good)
    dl = httpserver.url_for("/dl/{crate}/{crate}-{version}.crate")
    root = write_index(
        tmp_path / "index", dl, {"tracked": [index_line("tracked", "1.0.0", sha256(good))]}
    )

    def watcher() -> Watcher:
        index: Index = open_index(str(root))
        return Watcher(
            NameFollower(index, ["tracked", "absent"]),
            fetcher_for=lambda u: CrateFetcher(tmp_path / "cache", dl=u),
            emit_all=True,
        )

    first = watcher().poll(None)
    assert first.alerts == ()
    assert dict(first.state.known) == {"tracked": ("1.0.0",), "absent": ()}
    newer = Registry.benign("tracked", "1.1.0")
    httpserver.expect_request("/dl/tracked/tracked-1.1.0.crate").respond_with_data(newer)
    newcomer = Registry.benign("absent", "0.1.0")
    httpserver.expect_request("/dl/absent/absent-0.1.0.crate").respond_with_data(newcomer)
    tracked = [
        index_line("tracked", "1.0.0", sha256(good)),
        index_line("tracked", "1.1.0", sha256(newer)),
    ]
    write_index(
        root, dl, {"tracked": tracked, "absent": [index_line("absent", "0.1.0", sha256(newcomer))]}
    )
    second = watcher().poll(first.state)
    assert [(a["crate"], a["version"], a["new_crate"]) for a in second.alerts] == [
        ("tracked", "1.1.0", False),
        ("absent", "0.1.0", True),
    ]


def test_webhook_delivery_is_bounded(httpserver: HTTPServer) -> None:
    received: list[dict[str, object]] = []

    def accept(request: Request) -> Response:
        received.append(json.loads(request.data))
        return Response("ok")

    httpserver.expect_request("/hook", method="POST").respond_with_handler(accept)
    httpserver.expect_request("/broken", method="POST").respond_with_data("no", status=503)
    httpserver.expect_request("/refused", method="POST").respond_with_data("no", status=400)
    alert = {"crate": "x", "version": "1.0.0"}
    sleeps: list[float] = []
    hook = Webhook(httpserver.url_for("/hook"), sleep=sleeps.append)
    assert hook.send(alert) is None
    assert received == [alert]
    broken = Webhook(httpserver.url_for("/broken"), retries=3, sleep=sleeps.append)
    failure = broken.send(alert)
    assert failure is not None
    assert (failure.crate, failure.reason) == ("x@1.0.0", "HTTP 503")
    assert sleeps == [0.5, 1.0, 2.0]
    refused = Webhook(httpserver.url_for("/refused"), retries=3, sleep=sleeps.append)
    assert refused.send(alert) is not None
    assert sleeps == [0.5, 1.0, 2.0]  # a 4xx is not retried
    for h in (hook, broken, refused):
        h.close()


def test_webhook_timeout(httpserver: HTTPServer) -> None:
    import time  # noqa: PLC0415

    def slow(request: Request) -> Response:
        time.sleep(1.0)
        return Response("late")

    httpserver.expect_request("/slow", method="POST").respond_with_handler(slow)
    hook = Webhook(httpserver.url_for("/slow"), timeout=0.2, retries=1, sleep=lambda s: None)
    failure = hook.send({"crate": "x", "version": "1"})
    hook.close()
    assert failure is not None
    assert failure.reason.startswith("ReadTimeout")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{}", "not a cratewatch watch state (version 1)"),
        ('{"version": 1, "index": 3}', "index: expected a string, got 3"),
        ('{"version": 1, "index": "i", "known": {"a": [1]}}',
         "known: expected a table of version lists"),
        ("not json", "cannot read the watch state: "),
    ],
)  # fmt: skip
def test_bad_state_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "state.json"
    path.write_text(content)
    with pytest.raises(InvalidState) as caught:
        load_state(path)
    assert str(caught.value).startswith(f"{path}: {message}")


def test_state_is_written_atomically(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "state.json"
    state = WatchState(index="i", last_commit="c", known={"a": ("1.0.0",)}, polls=2, updated="t")
    save_state(path, state)
    assert load_state(path) == state
    assert [p.name for p in path.parent.iterdir()] == ["state.json"]
    assert load_state(tmp_path / "absent.json") is None
