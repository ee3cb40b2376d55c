"""Schemathesis against a live server: nothing a client can send yields a 5xx.

Path parameters are swapped for real ids half of the time, so requests reach the handlers
instead of stopping at "not found".
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from allotment.db.migrate import upgrade
from tests.servers import running_server

TOKEN = "fuzz-admin-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, dict[str, str]]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}"
    upgrade(url)
    with running_server(url, TOKEN) as server:
        base = server.base_url
        tenant = httpx.post(
            f"{base}/api/v1/tenants", json={"name": "Fuzz", "packageId": "starter"}, headers=AUTH
        ).json()
        key = httpx.post(f"{base}/api/v1/tenants/{tenant['id']}/api-keys", headers=AUTH).json()
        ids = {
            "tenantId": tenant["id"],
            "packageId": "starter",
            "featureId": "ai_posts_limit",
            "keyId": key["id"],
        }
        yield base, ids


_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)


def test_no_server_errors(live: tuple[str, dict[str, str]]) -> None:
    base, ids = live
    api = schemathesis.openapi.from_url(f"{base}/openapi.json")
    operations = [result.ok() for result in api.get_all_operations()]
    assert len(operations) > 10
    statuses: Counter[int] = Counter()

    for operation in operations:

        @_SETTINGS
        @given(case=operation.as_strategy())
        def exercise(case: schemathesis.Case) -> None:
            chooser = random.Random(repr(case.path_parameters))
            if case.path_parameters and chooser.random() < 0.5:
                for name in case.path_parameters:
                    if name in ids:
                        case.path_parameters[name] = ids[name]
            response = case.call(base_url=base, headers=AUTH, timeout=10)
            statuses[response.status_code] += 1
            assert response.status_code < 500, (
                f"{case.method} {case.formatted_path} -> {response.status_code}: "
                f"{response.text[:500]}"
            )

        exercise()

    # The fuzzing really reached the handlers: successes and client errors both occurred.
    assert sum(n for code, n in statuses.items() if code < 300) > 20, statuses
    assert sum(n for code, n in statuses.items() if 400 <= code < 500) > 20, statuses
