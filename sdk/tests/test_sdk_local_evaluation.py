"""Local evaluation from snapshots: value conventions, no network when warm, 304 revalidation,
offline behaviour (last good snapshot, then the fallback)."""

from __future__ import annotations

import threading

import httpx
import pytest
from sdk_fake_server import BASE, KEY, STARTER, FakeServer, row

from allotment_client import AllotmentClient, AuthenticationError, NotFoundError


def client(server: FakeServer, **options: object) -> AllotmentClient:
    options.setdefault("refresh_interval", None)
    return AllotmentClient(BASE, KEY, transport=server.transport(), **options)  # type: ignore[arg-type]


def test_value_conventions(server: FakeServer) -> None:
    with client(server) as sdk:
        assert sdk.check_entitlement("ai_generation", "t1") is True
        assert sdk.check_entitlement("advanced_analytics", "t1") is False
        assert sdk.check_entitlement("ai_website_analysis", "t1") is True
        assert sdk.check_entitlement("ai_posts_limit", "t1") is True
        # A NUMBER at 0 is no access even when marked enabled.
        assert sdk.check_entitlement("ai_chat_sessions", "t1") is False
        assert sdk.check_entitlement("social_accounts_limit", "t1") is False
        assert sdk.check_entitlement("no_such_feature", "t1") is False

        assert sdk.get_limit("ai_website_analysis", "t1") == 10
        assert sdk.get_limit("ai_posts_limit", "t1") == -1
        assert sdk.get_limit("ai_chat_sessions", "t1") == 0
        assert sdk.get_limit("social_accounts_limit", "t1") == 0
        assert sdk.get_limit("ai_generation", "t1") == 1
        assert sdk.get_limit("advanced_analytics", "t1") == 0

        posts = sdk.get_entitlement("ai_posts_limit", "t1")
        assert (posts.type, posts.value, posts.source, posts.limit) == (
            "NUMBER",
            -1,
            "override",
            -1,
        )
        with pytest.raises(NotFoundError):
            sdk.get_entitlement("no_such_feature", "t1")


def test_one_fetch_then_no_network_while_warm(server: FakeServer) -> None:
    with client(server) as sdk:
        for _ in range(100):
            sdk.check_entitlement("ai_generation", "t1")
            sdk.get_limit("ai_website_analysis", "t1")
    assert server.paths() == ["/api/v1/tenants/t1/entitlements"]
    assert server.requests[0].headers["authorization"] == f"Bearer {KEY}"
    assert "if-none-match" not in server.requests[0].headers


def test_refresh_revalidates_with_etag_and_keeps_snapshot_on_304(server: FakeServer) -> None:
    with client(server) as sdk:
        first = sdk.load("t1")
        sdk.refresh()
        assert server.requests[-1].headers["if-none-match"] == first.etag == '"1"'
        snapshot = sdk.snapshot("t1")
        assert snapshot is not None
        assert snapshot.entitlements is first.entitlements
        assert snapshot.confirmed_at >= first.confirmed_at

        server.set_tenant("t1", [row("advanced_analytics", "BOOLEAN", True, None, "override")])
        sdk.refresh()
        assert sdk.check_entitlement("advanced_analytics", "t1") is True
        assert sdk.check_entitlement("ai_generation", "t1") is False
        assert sdk.snapshot("t1").etag == '"2"'  # type: ignore[union-attr]


def test_refreshes_revalidate_with_the_held_etag(server: FakeServer) -> None:
    with client(server) as sdk:
        sdk.load("t1")
        for _ in range(3):
            sdk.refresh()
    conditional = ["if-none-match" in r.headers for r in server.requests[1:]]
    assert conditional == [True, True, True]


def test_server_down_after_first_snapshot_serves_last_good(server: FakeServer) -> None:
    with client(server) as sdk:
        assert sdk.check_entitlement("ai_generation", "t1") is True
        server.down = True
        sdk.refresh()  # fails, logged, never raised
        sdk.refresh()
        assert sdk.check_entitlement("ai_generation", "t1") is True
        assert sdk.get_limit("ai_website_analysis", "t1") == 10
        assert sdk.get_entitlement("ai_website_analysis", "t1").value == 10
        server.down = False
        server.set_tenant("t1", [row("ai_generation", "BOOLEAN", False, None, "override")])
        sdk.refresh()
        assert sdk.check_entitlement("ai_generation", "t1") is False


def test_server_error_on_refresh_also_keeps_last_good(server: FakeServer) -> None:
    with client(server) as sdk:
        sdk.load("t1")
        server.queued.append(503)
        sdk.refresh()
        assert sdk.check_entitlement("ai_generation", "t1") is True


@pytest.mark.parametrize(
    ("fallback", "expected_check", "expected_limit"),
    [
        (False, False, 0),
        (True, True, -1),
        ({"ai_generation": True, "ai_posts_limit": 5}, True, 5),
        (lambda feature, tenant: 7 if tenant == "t1" else 0, True, 7),
    ],
)
def test_never_loaded_uses_the_fallback(
    server: FakeServer, fallback: object, expected_check: bool, expected_limit: int
) -> None:
    server.down = True
    with client(server, fallback=fallback) as sdk:
        assert sdk.check_entitlement("ai_generation", "t1") is expected_check
        assert sdk.get_limit("ai_posts_limit", "t1") == expected_limit
        assert sdk.snapshot("t1") is None


def test_fallback_mapping_misses_are_denied(server: FakeServer) -> None:
    server.down = True
    with client(server, fallback={"ai_generation": True}) as sdk:
        assert sdk.check_entitlement("advanced_analytics", "t1") is False


def test_failed_first_load_is_not_retried_on_every_check(server: FakeServer) -> None:
    server.down = True
    with client(server, refresh_interval=3600) as sdk:
        for _ in range(50):
            assert sdk.check_entitlement("ai_generation", "t1") is False
        assert len(server.requests) == 1
        # The refresher (here called directly) keeps trying, and the snapshot takes over.
        server.down = False
        sdk.refresh()
        assert sdk.check_entitlement("ai_generation", "t1") is True


def test_wrong_key_raises_instead_of_falling_back(server: FakeServer) -> None:
    with (
        AllotmentClient(BASE, "wrong", transport=server.transport(), fallback=True) as sdk,
        pytest.raises(AuthenticationError) as caught,
    ):
        sdk.check_entitlement("ai_generation", "t1")
    assert caught.value.status_code == 401


def test_unknown_tenant_raises_not_found(server: FakeServer) -> None:
    with client(server, fallback=True) as sdk, pytest.raises(NotFoundError):
        sdk.check_entitlement("ai_generation", "nobody")


def test_background_thread_revalidates_until_closed(server: FakeServer) -> None:
    revalidated = threading.Event()

    def watch(request: httpx.Request) -> None:
        if "if-none-match" in request.headers:
            revalidated.set()

    server.on_request = watch
    sdk = client(server, refresh_interval=0.01)
    assert sdk.check_entitlement("ai_generation", "t1") is True
    assert revalidated.wait(10), "the background refresh never revalidated the snapshot"
    sdk.close()
    seen = len(server.requests)
    assert not any(t.name == "allotment-snapshot-refresh" for t in threading.enumerate())
    assert len(server.requests) == seen


def test_snapshot_is_read_only(server: FakeServer) -> None:
    with client(server) as sdk:
        snapshot = sdk.load("t1")
        with pytest.raises(TypeError):
            snapshot.entitlements["ai_generation"] = snapshot.entitlements["ai_posts_limit"]  # type: ignore[index]
        assert len(snapshot.entitlements) == len(STARTER)
