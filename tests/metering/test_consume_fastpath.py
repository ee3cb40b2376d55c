"""The framework-free consume path answers exactly as the route does, and hands everything it
cannot vouch for to the route."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
from fastapi import FastAPI

from allotment.access.dependencies import current_principal
from allotment.errors import Unauthorized
from tests.factories import make_tenant, make_tenant_key

FEATURE = "ai_website_analysis"  # starter: 10 a month


def _url(tenant_id: str) -> str:
    return f"/api/v1/tenants/{tenant_id}/features/{FEATURE}/consume"


@contextmanager
def _route_disabled(app: FastAPI) -> Iterator[None]:
    """While set, any request that reaches a route needing a principal fails with 401."""

    async def refuse() -> None:
        raise Unauthorized("the route was reached")

    app.dependency_overrides[current_principal] = refuse
    try:
        yield
    finally:
        app.dependency_overrides.pop(current_principal, None)


async def _fresh_key(client: httpx.AsyncClient, admin: dict[str, str], tenant_id: str) -> dict:
    return await make_tenant_key(client, admin, tenant_id)


async def test_warm_key_is_answered_without_the_route(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    tenant = await make_tenant(client, admin, package_id="starter")
    key = await _fresh_key(client, admin, tenant["id"])
    first = await client.post(_url(tenant["id"]), json={"idempotencyKey": "a"}, headers=key)
    assert first.json() == {"allowed": True, "remaining": 9, "limit": 10, "used": 1}
    with _route_disabled(app):
        again = await client.post(_url(tenant["id"]), json={"idempotencyKey": "a"}, headers=key)
        more = await client.post(
            _url(tenant["id"]), json={"idempotencyKey": "b", "amount": 9}, headers=key
        )
        over = await client.post(_url(tenant["id"]), json={"idempotencyKey": "c"}, headers=key)
    assert again.status_code == 200 and again.json() == first.json()  # a retry counts once
    assert more.json() == {"allowed": True, "remaining": 0, "limit": 10, "used": 10}
    assert over.status_code == 200
    assert over.json() == {"allowed": False, "remaining": 0, "limit": 10, "used": 10}


async def test_errors_match_the_route(client: httpx.AsyncClient, admin: dict[str, str]) -> None:
    tenant = await make_tenant(client, admin, package_id="starter")
    warm = await _fresh_key(client, admin, tenant["id"])
    await client.post(_url(tenant["id"]), json={"idempotencyKey": "x"}, headers=warm)

    async def via_route(body: dict, path: str) -> httpx.Response:
        cold = await _fresh_key(client, admin, tenant["id"])  # first use: the route answers
        return await client.post(path, json=body, headers=cold)

    cases = [
        ({"idempotencyKey": "x", "amount": 2}, _url(tenant["id"])),  # same key, other amount
        ({"idempotencyKey": "y"}, f"/api/v1/tenants/{tenant['id']}/features/nope/consume"),
        ({"idempotencyKey": "z"}, f"/api/v1/tenants/{tenant['id']}/features/ai_generation/consume"),
    ]
    for body, path in cases:
        fast = await client.post(path, json=body, headers=warm)
        slow = await via_route(body, path)
        assert fast.status_code == slow.status_code and fast.status_code >= 400, fast.text
        assert fast.json() == slow.json()


async def test_what_the_schema_rejects_goes_to_the_route(
    app: FastAPI, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    tenant = await make_tenant(client, admin, package_id="starter")
    key = await _fresh_key(client, admin, tenant["id"])
    await client.post(_url(tenant["id"]), json={"idempotencyKey": "w"}, headers=key)  # warm
    with _route_disabled(app):
        good = await client.post(_url(tenant["id"]), json={"idempotencyKey": "g"}, headers=key)
        bad = await client.post(_url(tenant["id"]), json={"amount": -1}, headers=key)
    assert good.status_code == 200
    assert bad.status_code == 401
    assert bad.json()["error"]["message"] == "the route was reached"


async def test_rejected_body_gets_the_routes_422(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    tenant = await make_tenant(client, admin, package_id="starter")
    key = await _fresh_key(client, admin, tenant["id"])
    await client.post(_url(tenant["id"]), json={"idempotencyKey": "w"}, headers=key)  # warm
    for body in ({"amount": -1, "idempotencyKey": "q"}, {"amount": 1}, [1, 2]):
        response = await client.post(_url(tenant["id"]), json=body, headers=key)
        assert response.status_code == 422, response.text
    malformed = await client.post(
        _url(tenant["id"]), content=b"{", headers={**key, "Content-Type": "application/json"}
    )
    assert malformed.status_code == 400


async def test_large_body_is_replayed_whole_to_the_route(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    tenant = await make_tenant(client, admin, package_id="starter")
    key = await _fresh_key(client, admin, tenant["id"])
    await client.post(_url(tenant["id"]), json={"idempotencyKey": "w"}, headers=key)  # warm
    body = {"idempotencyKey": "big", "amount": 2, "note": "x" * 20_000}
    response = await client.post(_url(tenant["id"]), json=body, headers=key)
    assert response.json() == {"allowed": True, "remaining": 7, "limit": 10, "used": 3}


async def test_other_tenant_is_not_found_on_both_paths(
    client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    mine = await make_tenant(client, admin, name="Mine", package_id="starter")
    other = await make_tenant(client, admin, name="Other", package_id="starter")
    key = await _fresh_key(client, admin, mine["id"])
    await client.post(_url(mine["id"]), json={"idempotencyKey": "w"}, headers=key)  # warm
    hidden = await client.post(_url(other["id"]), json={"idempotencyKey": "h"}, headers=key)
    missing = await client.post(_url("ten_nothere"), json={"idempotencyKey": "h"}, headers=key)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.content == missing.content
