"""Imports: audits files fetched over HTTP (a real loopback server) or read from a path,
filtered like cargo-vet, written to imports.lock."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from cratewatch.vet.files import parse_config
from cratewatch.vet.imports import ImportFetchError, fetch_imports, read_audits_source
from cratewatch.vet.model import ImportsLock, InvalidVetStore, Store
from cratewatch.vet.render import render_imports_lock


def _config(url: str) -> str:
    return (
        f'[imports.globex]\nurl = "{url}"\nexclude = ["leftpad"]\n'
        '[imports.globex.criteria-map]\nglobex-reviewed = "safe-to-deploy"\n'
    )


def test_fetch_over_http_filters_and_renders(
    httpserver: HTTPServer, vet_assets: Path, acme_store: Store, tmp_path: Path
) -> None:
    httpserver.expect_request("/globex/audits.toml").respond_with_data(
        (vet_assets / "globex-audits.toml").read_bytes()
    )
    config = parse_config(_config(httpserver.url_for("/globex/audits.toml")))
    lock = fetch_imports(
        config,
        store=tmp_path,
        previous=acme_store.imports,
        crates={"serde-lite", "leftpad", "anyhow"},
    )
    globex = lock.audits["globex"]
    assert list(globex.audits) == ["serde-lite"]  # leftpad excluded, unused-crate not in the graph
    assert [str(e.kind) for e in globex.audits["serde-lite"]] == [
        "1.0.100",
        "1.0.100 -> 1.0.104",
    ]  # the entry marked importable = false is not imported
    assert set(globex.criteria) == {"globex-reviewed", "globex-fuzzed"}
    assert lock.publisher == acme_store.imports.publisher
    text = render_imports_lock(lock)
    expected = (vet_assets / "acme" / "supply-chain" / "imports.lock").read_text()
    fuzzed = (
        '[audits.globex.criteria.globex-fuzzed]\ndescription = "Fuzzed for a week on the '
        'Globex cluster."\n\n'
    )
    leftpad = (
        '[[audits.globex.audits.leftpad]]\nwho = "Hank Scorpio <hank@globex.example>"\n'
        'criteria = "safe-to-deploy"\nversion = "1.0.0"\n\n'
    )
    assert text == expected.replace(
        "[audits.globex.criteria.globex-reviewed]",
        fuzzed + "[audits.globex.criteria.globex-reviewed]",
    ).replace(leftpad, "")


def test_paths_are_read_relative_to_the_store(vet_assets: Path) -> None:
    audits = read_audits_source(
        "../globex-audits.toml", store=vet_assets / "acme", client=httpx.Client()
    )
    assert "serde-lite" in audits.audits


def test_several_urls_are_merged(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/a.toml").respond_with_data(
        "[[audits.x]]\ncriteria = 'safe-to-run'\nversion = '1.0.0'\n"
    )
    httpserver.expect_request("/b.toml").respond_with_data(
        "[[audits.x]]\ncriteria = 'safe-to-run'\nversion = '2.0.0'\n"
    )
    first, second = httpserver.url_for("/a.toml"), httpserver.url_for("/b.toml")
    config = parse_config(f'[imports.p]\nurl = ["{first}", "{second}"]\n')
    lock = fetch_imports(config, store=tmp_path, previous=ImportsLock())
    assert [str(e.kind) for e in lock.audits["p"].audits["x"]] == ["1.0.0", "2.0.0"]


def test_http_errors_say_what_to_do(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/gone.toml").respond_with_data("nope", status=404)
    url = httpserver.url_for("/gone.toml")
    with pytest.raises(ImportFetchError) as caught:
        fetch_imports(
            parse_config(f'[imports.p]\nurl = "{url}"\n'), store=tmp_path, previous=ImportsLock()
        )
    assert str(caught.value) == (
        f"{url}: HTTP 404 Not Found; check the URL and the network, or run without "
        "--update-imports to use imports.lock"
    )


def test_slow_servers_time_out(httpserver: HTTPServer, tmp_path: Path) -> None:
    def slow(_request: Request) -> Response:
        time.sleep(1.5)
        return Response("[audits]\n")

    httpserver.expect_request("/slow.toml").respond_with_handler(slow)
    url = httpserver.url_for("/slow.toml")
    with pytest.raises(ImportFetchError, match=r"timed out; check the URL"):
        fetch_imports(
            parse_config(f'[imports.p]\nurl = "{url}"\n'),
            store=tmp_path,
            previous=ImportsLock(),
            timeout=0.3,
        )


def test_malformed_imported_files_name_the_url(httpserver: HTTPServer, tmp_path: Path) -> None:
    httpserver.expect_request("/bad.toml").respond_with_data(
        "[[audits.x]]\ncriteria = 1\nversion = '1.0.0'\n"
    )
    url = httpserver.url_for("/bad.toml")
    with pytest.raises(InvalidVetStore) as caught:
        fetch_imports(
            parse_config(f'[imports.p]\nurl = "{url}"\n'), store=tmp_path, previous=ImportsLock()
        )
    assert str(caught.value) == f"{url}: audits.x[0].criteria: expected an array, got 1"


def test_oversized_files_are_refused(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/big.toml").respond_with_data("#" * 5000)
    with httpx.Client() as client, pytest.raises(ImportFetchError, match="larger than 1000 bytes"):
        read_audits_source(
            httpserver.url_for("/big.toml"), store=Path("."), client=client, max_bytes=1000
        )
