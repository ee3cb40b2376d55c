"""Calls that go to the server: request shapes, retries with one idempotency key, error mapping."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
from sdk_fake_server import BASE, KEY, FakeServer, error

from allotment_client import (
    AllotmentClient,
    AllotmentError,
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PermissionDenied,
    RetryPolicy,
    ServerUnavailable,
    TransportError,
    ValidationError,
)

NO_WAIT = RetryPolicy(attempts=3, backoff=0)


def client(transport: httpx.BaseTransport, **options: object) -> AllotmentClient:
    options.setdefault("retry", NO_WAIT)
    return AllotmentClient(BASE, KEY, transport=transport, refresh_interval=None, **options)  # type: ignore[arg-type]


def body_of(request: httpx.Request) -> dict[str, object]:
    body: dict[str, object] = json.loads(request.content)
    return body


def test_consume_sends_the_contract_body(server: FakeServer) -> None:
    with client(server.transport()) as sdk:
        result = sdk.consume("t1", "ai_website_analysis")
        sdk.consume("t1", "ai_chat_messages_per_session", 3, "my-key", user_id="u1", key="chat-9")
    first, second = (body_of(r) for r in server.requests)
    assert server.requests[0].method == "POST"
    assert server.paths()[0] == "/api/v1/tenants/t1/features/ai_website_analysis/consume"
    assert set(first) == {"amount", "idempotencyKey"}
    assert first["amount"] == 1
    uuid.UUID(str(first["idempotencyKey"]))
    assert second == {"amount": 3, "idempotencyKey": "my-key", "userId": "u1", "key": "chat-9"}
    assert (result.allowed, result.remaining, result.limit, result.used) == (True, 9, 10, 1)


def test_each_consume_gets_its_own_key(server: FakeServer) -> None:
    with client(server.transport()) as sdk:
        sdk.consume("t1", "ai_website_analysis")
        sdk.consume("t1", "ai_website_analysis")
    keys = [body_of(r)["idempotencyKey"] for r in server.requests]
    assert keys[0] != keys[1]


@pytest.mark.parametrize(
    "failure",
    [503, 502, 429, httpx.ConnectError("refused"), httpx.ReadTimeout("slow")],
    ids=str,
)
def test_consume_retries_with_the_same_idempotency_key(
    server: FakeServer, failure: int | Exception
) -> None:
    server.queued.extend([failure, failure])
    with client(server.transport()) as sdk:
        result = sdk.consume("t1", "ai_website_analysis", 4)
    keys = [body_of(r)["idempotencyKey"] for r in server.requests]
    assert len(keys) == 3
    assert len(set(keys)) == 1
    # The fake counts an idempotency key once, as the server does.
    assert result.used == 4


def test_retries_run_out(server: FakeServer) -> None:
    server.queued.extend([503, 503, 503])
    with client(server.transport()) as sdk, pytest.raises(ServerUnavailable) as caught:
        sdk.consume("t1", "ai_website_analysis")
    assert caught.value.status_code == 503
    assert not isinstance(caught.value, TransportError)
    assert len(server.requests) == 3

    server.down = True
    with client(server.transport()) as sdk, pytest.raises(TransportError):
        sdk.get_usage_summary("t1")


def test_client_errors_are_not_retried(server: FakeServer) -> None:
    server.queued.append(422)
    with client(server.transport()) as sdk, pytest.raises(ValidationError):
        sdk.consume("t1", "ai_website_analysis")
    assert len(server.requests) == 1


@pytest.mark.parametrize(
    ("status", "kind"),
    [
        (400, ValidationError),
        (401, AuthenticationError),
        (403, PermissionDenied),
        (404, NotFoundError),
        (409, ConflictError),
        (422, ValidationError),
        (500, ServerUnavailable),
        (418, AllotmentError),
    ],
)
def test_error_mapping(status: int, kind: type[AllotmentError]) -> None:
    details = [{"field": "amount", "message": "must be at least 1"}]

    def handler(request: httpx.Request) -> httpx.Response:
        return error(status, f"code_{status}", details)

    sdk = client(httpx.MockTransport(handler), retry=RetryPolicy(attempts=1))
    with sdk, pytest.raises(kind) as caught:
        sdk.check_ai_action("t1", "WEBSITE_ANALYSIS")
    assert type(caught.value) is kind
    assert isinstance(caught.value, AllotmentError)
    assert caught.value.status_code == status
    assert caught.value.code == f"code_{status}"
    assert caught.value.message == f"code_{status} ({status})"
    assert caught.value.details == details


def test_error_without_json_body_still_maps() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, text="nope")

    with client(httpx.MockTransport(handler)) as sdk, pytest.raises(PermissionDenied) as caught:
        sdk.get_usage_summary("t1")
    assert caught.value.code is None


def test_non_json_success_is_an_allotment_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>")

    with client(httpx.MockTransport(handler)) as sdk, pytest.raises(AllotmentError):
        sdk.check_ai_action("t1", "WEBSITE_ANALYSIS")


def test_check_ai_action_path_and_result(server: FakeServer) -> None:
    with client(server.transport()) as sdk:
        result = sdk.check_ai_action("t1", "WEBSITE_ANALYSIS")
        sdk.check_ai_action("t1", "CHAT", key="session 1")
    assert server.paths()[0] == "/api/v1/tenants/t1/actions/WEBSITE_ANALYSIS/check"
    assert body_of(server.requests[0]) == {}
    assert body_of(server.requests[1]) == {"key": "session 1"}
    assert result.unlimited
    assert (result.allowed, result.remaining, result.limit, result.used) == (True, -1, -1, 3)


def test_ids_are_escaped_in_paths() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path.decode())
        return httpx.Response(200, json={"allowed": False, "remaining": 0, "limit": 0, "used": 0})

    with client(httpx.MockTransport(handler)) as sdk:
        sdk.consume("a/b", "docs.api")
    assert seen == ["/api/v1/tenants/a%2Fb/features/docs.api/consume"]


def test_usage_summary_parses_every_field() -> None:
    body = {
        "tenantId": "t1",
        "features": [
            {
                "featureId": "ai_posts_limit",
                "used": 12,
                "limit": 50,
                "remaining": 38,
                "windowStart": "2026-03-01T00:00:00Z",
                "windowEnd": "2026-04-01T00:00:00+00:00",
                "percentUsed": 24.0,
            },
            {
                "featureId": "social_accounts_limit",
                "used": "1.5",
                "limit": -1,
                "remaining": -1,
                "windowStart": None,
                "windowEnd": None,
                "percentUsed": None,
            },
        ],
    }

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/api/v1/tenants/t1/usage"
        return httpx.Response(200, json=body)

    with client(httpx.MockTransport(handler)) as sdk:
        summary = sdk.get_usage_summary("t1")
    posts = summary.feature("ai_posts_limit")
    assert posts is not None
    assert (str(posts.used), posts.limit, str(posts.remaining), posts.percent_used) == (
        "12",
        50,
        "38",
        24.0,
    )
    assert posts.window_start is not None and posts.window_start.month == 3
    assert posts.window_end is not None and posts.window_end.utcoffset() is not None
    social = summary.feature("social_accounts_limit")
    assert social is not None and str(social.used) == "1.5" and social.window_end is None
    assert summary.feature("missing") is None


def test_injected_http_client_is_used_and_left_open(server: FakeServer) -> None:
    http = httpx.Client(transport=server.transport())
    sdk = AllotmentClient(BASE + "/", KEY, http_client=http, refresh_interval=None)
    assert sdk.check_entitlement("ai_generation", "t1") is True
    sdk.close()
    assert not http.is_closed
    assert str(server.requests[0].url) == BASE + "/api/v1/tenants/t1/entitlements"
    assert server.requests[0].headers["user-agent"].startswith("allotment-client/")
    http.close()


def test_retry_policy_backoff_grows_caps_and_honours_retry_after() -> None:
    policy = RetryPolicy(attempts=5, backoff=0.1, max_backoff=1.0, jitter=0)
    assert [policy.delay(n) for n in (1, 2, 3, 4, 5)] == [0.1, 0.2, 0.4, 0.8, 1.0]
    assert policy.delay(1, retry_after=0.7) == 0.7
    assert policy.delay(1, retry_after=30) == 1.0
    jittery = RetryPolicy(backoff=0.4, jitter=0.5)
    assert all(0.2 <= jittery.delay(1) <= 0.4 for _ in range(100))
    with pytest.raises(ValueError):
        RetryPolicy(attempts=0)


def test_constructor_needs_url_and_key() -> None:
    with pytest.raises(ValueError):
        AllotmentClient("", KEY)
    with pytest.raises(ValueError):
        AllotmentClient(BASE, "")


def test_closed_client_says_so(server: FakeServer) -> None:
    sdk = client(server.transport())
    assert sdk.check_entitlement("ai_generation", "t1") is True
    sdk.close()
    # The snapshot still answers; anything needing the server is refused plainly.
    assert sdk.check_entitlement("ai_generation", "t1") is True
    with pytest.raises(AllotmentError, match="closed"):
        sdk.consume("t1", "ai_website_analysis")
