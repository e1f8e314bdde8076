"""Property tests of the JSON API from its own OpenAPI description (Schemathesis).

The schema is the application's own OpenAPI document; requests go to a live server with the
fixture database and index. Every generated request must get a documented status (no 500)
and a body that matches the documented response model.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from cratewatch.advisories.database import AdvisoryDatabase, DatabaseInfo
from cratewatch.registry.dirindex import DirIndex
from cratewatch.web.app import create_app
from cratewatch.web.reload import DatabaseReloader
from tests.web.conftest import FIXTURE_INDEX, live_server


def _openapi() -> dict[str, Any]:
    """The OpenAPI document (it does not depend on the advisories served)."""
    empty = AdvisoryDatabase(
        (), info=DatabaseInfo(source="none", path=Path(), commit=None, last_commit_time=None)
    )
    return create_app(DatabaseReloader(lambda: empty, None, initial=empty)).openapi()


schema = schemathesis.openapi.from_dict(_openapi())


@pytest.fixture(scope="module")
def base_url(web_db: AdvisoryDatabase) -> Iterator[str]:
    """A live server with the fixture database and index."""
    with DirIndex(FIXTURE_INDEX) as index:
        app = create_app(DatabaseReloader(lambda: web_db, None, initial=web_db), index=index)
        with live_server(app) as url:
            yield url


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_conforms_to_its_schema(case: Any, base_url: str) -> None:
    case.call_and_validate(base_url=base_url)
