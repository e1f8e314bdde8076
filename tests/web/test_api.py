"""The JSON API and the pages over HTTP: a real uvicorn server on 127.0.0.1."""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from cratewatch.advisories.database import AdvisoryDatabase, load_database
from cratewatch.advisories.source import parse_source
from cratewatch.registry.dirindex import DirIndex
from cratewatch.web.app import create_app
from cratewatch.web.reload import DatabaseReloader, head_probe
from cratewatch.web.snapshot import Snapshot
from tests.advisories.gitrepo import BASE_TIME, add_advisory
from tests.web.conftest import FIXTURE_INDEX, live_server, make_web_db_repo


@pytest.fixture(scope="module")
def api(web_db: AdvisoryDatabase) -> Iterator[httpx.Client]:
    """A client of a server with the fixture database and the fixture index."""
    with DirIndex(FIXTURE_INDEX) as index:
        app = create_app(DatabaseReloader(lambda: web_db, None, initial=web_db), index=index)
        with live_server(app) as url, httpx.Client(base_url=url, timeout=30) as client:
            yield client


@pytest.fixture(scope="module")
def no_index(web_db: AdvisoryDatabase) -> Iterator[httpx.Client]:
    """A client of a server with the fixture database and no index."""
    app = create_app(DatabaseReloader(lambda: web_db, None, initial=web_db))
    with live_server(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client


def error(code: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": message}}


def ids(response: httpx.Response) -> list[str]:
    return [record["id"] for record in response.json()]


def test_crate_advisories_are_the_precomputed_osv(
    api: httpx.Client, web_snapshot: Snapshot
) -> None:
    response = api.get("/api/v1/crates/foo/advisories")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    data = web_snapshot.crate("foo")
    assert data is not None
    assert response.content == data.osv_json
    assert len(response.json()) == 6  # withdrawn one included, with its "withdrawn" date
    assert [r.get("withdrawn") for r in response.json() if "withdrawn" in r] == [
        "2023-12-01T12:00:00Z"
    ]
    assert response.headers["cache-control"] == "public, max-age=60"
    assert response.headers["etag"].startswith('"')


def test_fast_path_answers_like_the_route(api: httpx.Client) -> None:
    fast = api.get("/api/v1/crates/foo/advisories")  # served from precomputed bytes
    routed = api.get("/api/v1/crates/foo/advisories?unused=1")  # through FastAPI's route
    assert fast.content == routed.content
    for header in ("content-type", "cache-control", "content-length"):
        assert fast.headers[header] == routed.headers[header]
    assert fast.headers["etag"] != routed.headers["etag"]  # the query is part of the ETag


def test_known_crate_without_advisories_is_an_empty_list(api: httpx.Client) -> None:
    response = api.get("/api/v1/crates/plain/advisories")
    assert (response.status_code, response.json()) == (200, [])


@pytest.mark.parametrize(
    ("path", "status", "body"),
    [
        (
            "/api/v1/crates/nothere/advisories",
            404,
            error("crate_not_found", "crate 'nothere' is not in the index and has no advisories"),
        ),
        (
            "/api/v1/crates/bad.name/advisories",
            404,
            error(
                "crate_not_found",
                "crate name 'bad.name': only ASCII letters, digits, '-' and '_' are allowed",
            ),
        ),
        (
            "/api/v1/crates/0/advisories",
            404,
            error("crate_not_found", "crate name '0': must start with an ASCII letter"),
        ),
        (
            "/api/v1/crates/foo/advisories?version=1.2",
            422,
            error(
                "invalid_version",
                "'1.2' is not a version: unexpected end of input while parsing minor version "
                "number; expected a full version such as 1.2.3",
            ),
        ),
        (
            "/api/v1/crates/foo/versions/banana/status",
            422,
            error(
                "invalid_version",
                "'banana' is not a version: unexpected character 'b' while parsing major "
                "version number; expected a full version such as 1.2.3",
            ),
        ),
        (
            "/api/v1/crates/nothere/versions/1.0.0/status",
            404,
            error("crate_not_found", "crate 'nothere' is not in the index and has no advisories"),
        ),
        (
            "/api/v1/advisories/CVE-2020-1001",
            404,
            error(
                "advisory_not_found",
                "advisory 'CVE-2020-1001': no such RustSec advisory; it is an alias of "
                "RUSTSEC-2020-0101",
            ),
        ),
        (
            "/api/v1/advisories/CVE-2021-28877",
            404,
            error("advisory_not_found", "advisory 'CVE-2021-28877': no such RustSec advisory"),
        ),
        (
            "/osv/crates/nothere.json",
            404,
            error("crate_not_found", "crate 'nothere' is not in the index and has no advisories"),
        ),
        ("/api/v1/nope", 404, error("not_found", "/api/v1/nope: no such page")),
        (
            "/api/v1/search?q=" + "x" * 101,
            422,
            error("invalid_request", "q: String should have at most 100 characters"),
        ),
    ],
)
def test_errors_have_one_shape(api: httpx.Client, path: str, status: int, body: object) -> None:
    response = api.get(path)
    assert (response.status_code, response.json()) == (status, body)
    assert response.headers["cache-control"] == "no-cache"
    assert "etag" not in response.headers


def test_without_index_only_crates_with_advisories_are_known(no_index: httpx.Client) -> None:
    assert no_index.get("/api/v1/crates/foo/advisories").status_code == 200
    response = no_index.get("/api/v1/crates/plain/advisories")
    assert (response.status_code, response.json()) == (
        404,
        error(
            "crate_not_found",
            "crate 'plain' has no advisories, and no index was given to tell whether it exists",
        ),
    )


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ("1.2.3", ["RUSTSEC-2023-0104", "RUSTSEC-2022-0103", "RUSTSEC-2021-0102"]),
        ("0.8.0", ["RUSTSEC-2023-0104", "RUSTSEC-2022-0103", "RUSTSEC-2019-0106"]),
        ("2.0.0", ["RUSTSEC-2023-0104"]),
    ],
)
def test_version_filter(api: httpx.Client, version: str, expected: list[str]) -> None:
    response = api.get("/api/v1/crates/foo/advisories", params={"version": version})
    assert response.status_code == 200
    assert ids(response) == expected


def test_version_status(api: httpx.Client, web_snapshot: Snapshot) -> None:
    body = api.get("/api/v1/crates/FOO/versions/1.0.0/status").json()
    assert body["crate"] == "foo"
    assert body["version"] == "1.0.0"
    assert body["affected"] is True
    assert [a["id"] for a in body["advisories"]] == [
        "RUSTSEC-2022-0103",
        "RUSTSEC-2021-0102",
        "RUSTSEC-2020-0101",
        "RUSTSEC-2019-0106",
    ]
    assert [(a["id"], a["kind"]) for a in body["informational"]] == [
        ("RUSTSEC-2023-0104", "unmaintained")
    ]
    assert body["max_severity"] == {
        "advisory": "RUSTSEC-2020-0101",
        "rating": "critical",
        "base_score": 9.8,
        "cvss_version": "3.1",
        "vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
    }
    assert body["severity_method"].startswith("Highest severity is the highest CVSS base score")
    assert body["database"]["commit"] == web_snapshot.commit


def test_version_status_of_a_clean_version(api: httpx.Client) -> None:
    body = api.get("/api/v1/crates/plain/versions/0.1.0/status").json()
    assert (body["affected"], body["advisories"], body["informational"], body["max_severity"]) == (
        False,
        [],
        [],
        None,
    )


def test_advisory(api: httpx.Client, web_snapshot: Snapshot) -> None:
    response = api.get("/api/v1/advisories/rustsec-2020-0101")
    assert response.status_code == 200
    assert response.content == web_snapshot.osv_json("RUSTSEC-2020-0101")


def test_search(api: httpx.Client) -> None:
    body = api.get("/api/v1/search", params={"q": "ba"}).json()
    assert body["crates"] == [{"name": "bar", "advisories": 1}, {"name": "baz", "advisories": 1}]
    assert [a["id"] for a in body["advisories"]] == ["RUSTSEC-2024-0108", "RUSTSEC-2024-0107"]
    plain = api.get("/api/v1/search", params={"q": "plain"}).json()
    assert plain == {
        "query": "plain",
        "crates": [{"name": "plain", "advisories": 0}],
        "advisories": [],
    }


def test_crate_list(api: httpx.Client) -> None:
    assert api.get("/api/v1/crates").json() == [
        {"name": "bar", "advisories": 1},
        {"name": "baz", "advisories": 1},
        {"name": "foo", "advisories": 5},
    ]


def test_osv_file_per_crate(api: httpx.Client, web_snapshot: Snapshot) -> None:
    data = web_snapshot.crate("foo")
    assert data is not None
    assert api.get("/osv/crates/foo.json").content == data.osv_file
    assert api.get("/osv/crates/plain.json").json() == []


def test_etag_and_not_modified(api: httpx.Client) -> None:
    first = api.get("/api/v1/crates/foo/advisories")
    etag = first.headers["etag"]
    again = api.get("/api/v1/crates/foo/advisories", headers={"If-None-Match": etag})
    assert (again.status_code, again.content) == (304, b"")
    assert again.headers["etag"] == etag
    weak = api.get("/api/v1/crates/foo/advisories", headers={"If-None-Match": f'"x", W/{etag}'})
    assert weak.status_code == 304
    other = api.get("/api/v1/crates/foo/advisories", headers={"If-None-Match": '"other"'})
    assert other.status_code == 200
    assert api.get("/api/v1/crates/bar/advisories").headers["etag"] != etag
    filtered = api.get("/api/v1/crates/foo/advisories?version=1.0.0")
    assert filtered.headers["etag"] != etag
    page = api.get("/crates/foo/security")
    assert (
        api.get("/crates/foo/security", headers={"If-None-Match": page.headers["etag"]}).status_code
        == 304
    )


def test_openapi_documents_the_api_only(api: httpx.Client) -> None:
    spec = api.get("/api/v1/openapi.json").json()
    assert sorted(spec["paths"]) == [
        "/api/v1/advisories/{advisory_id}",
        "/api/v1/crates",
        "/api/v1/crates/{name}/advisories",
        "/api/v1/crates/{name}/versions/{version}/status",
        "/api/v1/database",
        "/api/v1/search",
        "/osv/crates/{name}.json",
    ]
    advisories = spec["paths"]["/api/v1/crates/{name}/advisories"]["get"]["responses"]
    assert advisories["404"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorResponse"
    }
    assert "OsvRecord" in spec["components"]["schemas"]


def test_security_page(api: httpx.Client) -> None:
    response = api.get("/crates/foo/security", params={"version": "1.0.0"})
    assert response.status_code == 200
    html = response.text
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert "foo 1.0.0 is affected</strong> by 4 of the 4 advisories listed below." in html
    assert 'Critical 9.8</span>\n      (CVSS 3.1, <a href="#RUSTSEC-2020-0101">' in html
    assert "&lt;script&gt;alert(&#34;xss&#34;)&lt;/script&gt;" in html or "&lt;script&gt;" in html
    assert "<script>alert" not in html
    assert html.count('class="badge affects"') == 5  # four listed + the unmaintained notice
    assert "Withdrawn: not a bug" not in html
    assert "1 withdrawn advisory is not shown." in html
    assert 'href="https://nvd.nist.gov/vuln/detail/CVE-2020-1001"' in html
    assert 'href="https://github.com/advisories/GHSA-2345-6789-cfgh"' in html


def test_security_page_with_a_bad_version(api: httpx.Client) -> None:
    response = api.get("/crates/foo/security", params={"version": "1.x"})
    assert response.status_code == 400
    assert (
        "<strong>Not a version:</strong> &#39;1.x&#39; is not a version: unexpected character "
        "&#39;x&#39; while parsing minor version number; expected a full version such as 1.2.3"
    ) in response.text


def test_security_page_of_a_crate_without_advisories(
    api: httpx.Client, web_snapshot: Snapshot
) -> None:
    html = api.get("/crates/plain/security").text
    assert "No advisories have been reported to RustSec for this crate." in html
    assert (
        f'at commit <code title="{web_snapshot.commit}">{(web_snapshot.commit or "")[:12]}</code>'
        in html
    )
    # no version form or status line: nothing could be said about a version but the same
    assert "No advisory listed below" not in html
    assert 'class="version-form"' not in html
    assert "vulnerabilit" not in html.lower().split("no advisories have been reported")[1][:200]


@pytest.mark.parametrize(
    ("path", "status", "location"),
    [
        ("/crates/FOO", 308, "/crates/foo"),
        ("/crates/FOO/security?version=1.0.0", 308, "/crates/foo/security?version=1.0.0"),
        ("/advisories/cve-2020-1001", 308, "/advisories/RUSTSEC-2020-0101"),
        ("/advisories/rustsec-2020-0101", 308, "/advisories/RUSTSEC-2020-0101"),
        ("/search?q=plain", 303, "/crates/plain"),
        ("/search?q=BAZ", 303, "/crates/baz"),
        ("/search?q=cve-2020-1001", 303, "/advisories/RUSTSEC-2020-0101"),
        ("/search?q=RUSTSEC-2022-0103", 303, "/advisories/RUSTSEC-2022-0103"),
    ],
)
def test_redirects(api: httpx.Client, path: str, status: int, location: str) -> None:
    response = api.get(path)
    assert (response.status_code, response.headers["location"]) == (status, location)


@pytest.mark.parametrize(
    ("path", "status", "text"),
    [
        ("/", 200, "Recently published advisories"),
        ("/crates/foo", 200, "<code>1.4.0</code>"),
        ("/crates/foo?version=2.0.0", 200, "no listed advisory affects this version"),
        ("/advisories/RUSTSEC-2023-0105", 200, "This advisory was withdrawn on 2023-12-01"),
        ("/search?q=ba", 200, "Crates (2)"),
        ("/search?q=heap", 200, "Heap overflow in <code>foo::Buffer::grow</code>"),
        ("/crates/nothere", 404, "No such crate: crate &#39;nothere&#39; is not in the index"),
        ("/advisories/RUSTSEC-2000-0000", 404, "No RustSec advisory has the id"),
        ("/no/such/page", 404, "/no/such/page: no such page"),
    ],
)
def test_pages(api: httpx.Client, path: str, status: int, text: str) -> None:
    response = api.get(path)
    assert response.status_code == status
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert text in response.text


def test_index_that_cannot_answer_is_a_503(web_db: AdvisoryDatabase, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    shutil.copytree(FIXTURE_INDEX, index_dir)
    (index_dir / "pl" / "ai" / "plain").write_text("{not json\n")
    with DirIndex(index_dir) as index:
        app = create_app(DatabaseReloader(lambda: web_db, None, initial=web_db), index=index)
        with live_server(app) as url:
            broken = httpx.get(url + "/api/v1/crates/plain/advisories")
            assert broken.status_code == 503
            assert broken.json()["error"]["code"] == "index_unavailable"
            assert broken.json()["error"]["message"].startswith(
                "crate 'plain': the index could not answer: "
            )
            # a crate with advisories is still served, without version data
            assert httpx.get(url + "/api/v1/crates/foo/advisories").status_code == 200


def test_database_reloads_when_a_commit_lands(tmp_path: Path) -> None:
    repo = tmp_path / "advisory-db"
    first = make_web_db_repo(repo)
    source = parse_source(str(repo))

    def load() -> AdvisoryDatabase:
        return load_database(str(repo), cache_dir=tmp_path / "cache")

    reloader = DatabaseReloader(load, head_probe(source), interval=0.2)
    with live_server(create_app(reloader)) as url, httpx.Client(base_url=url) as client:
        assert client.get("/api/v1/database").json()["commit"] == first
        assert client.get("/api/v1/crates/fresh/advisories").status_code == 404
        old_etag = client.get("/api/v1/crates/foo/advisories").headers["etag"]
        second = add_advisory(repo, "fresh", "RUSTSEC-2025-0999", when=BASE_TIME + 60)
        deadline = time.monotonic() + 20
        while client.get("/api/v1/database").json()["commit"] != second:
            assert time.monotonic() < deadline, "the database was not reloaded"
            time.sleep(0.1)
        fresh = client.get("/api/v1/crates/fresh/advisories")
        assert ids(fresh) == ["RUSTSEC-2025-0999"]
        assert json.loads(client.get("/api/v1/advisories/RUSTSEC-2025-0999").content)[
            "summary"
        ] == ("A new flaw")
        # same content for foo, but a new commit: clients must revalidate
        assert client.get("/api/v1/crates/foo/advisories").headers["etag"] != old_etag
        assert "RUSTSEC-2025-0999" in client.get("/").text
