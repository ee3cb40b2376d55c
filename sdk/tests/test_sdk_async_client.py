"""The asyncio client: the same local evaluation and offline behaviour, plus its background task."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from sdk_fake_server import BASE, KEY, FakeServer, row

from allotment_client import AsyncAllotmentClient, ConflictError, RetryPolicy


class AsyncFake(httpx.AsyncBaseTransport):
    """MockTransport's handler, awaited with a pause so concurrent requests overlap."""

    def __init__(self, server: FakeServer) -> None:
        self.server = server

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0)
        await request.aread()
        return self.server.handle(request)


def client(server: FakeServer, **options: object) -> AsyncAllotmentClient:
    options.setdefault("refresh_interval", None)
    return AsyncAllotmentClient(BASE, KEY, transport=AsyncFake(server), **options)  # type: ignore[arg-type]


async def test_checks_evaluate_locally(server: FakeServer) -> None:
    async with client(server) as sdk:
        assert await sdk.check_entitlement("ai_generation", "t1") is True
        assert await sdk.check_entitlement("ai_chat_sessions", "t1") is False
        assert await sdk.get_limit("ai_website_analysis", "t1") == 10
        assert (await sdk.get_entitlement("ai_posts_limit", "t1")).limit == -1
    assert server.paths() == ["/api/v1/tenants/t1/entitlements"]


async def test_concurrent_cold_checks_share_one_load(server: FakeServer) -> None:
    async with client(server) as sdk:
        answers = await asyncio.gather(
            *(sdk.check_entitlement("ai_generation", "t1") for _ in range(20))
        )
    assert answers == [True] * 20
    assert len(server.requests) == 1


async def test_offline_last_good_then_fallback(server: FakeServer) -> None:
    async with client(server) as sdk:
        await sdk.load("t1")
        server.down = True
        await sdk.refresh()
        assert await sdk.check_entitlement("ai_generation", "t1") is True
        server.set_tenant("t2", [row("ai_generation", "BOOLEAN", True, None)])
        assert await sdk.check_entitlement("ai_generation", "t2") is False

    async with client(server, fallback={"ai_generation": True}) as sdk:
        assert await sdk.check_entitlement("ai_generation", "t2") is True


async def test_refresh_uses_304(server: FakeServer) -> None:
    async with client(server) as sdk:
        first = await sdk.load("t1")
        await sdk.refresh()
        assert server.requests[-1].headers["if-none-match"] == first.etag
        assert sdk.snapshot("t1").entitlements is first.entitlements  # type: ignore[union-attr]


async def test_background_task_revalidates_and_stops(server: FakeServer) -> None:
    revalidated = asyncio.Event()

    def watch(request: httpx.Request) -> None:
        if "if-none-match" in request.headers:
            revalidated.set()

    server.on_request = watch
    sdk = client(server, refresh_interval=0.01)
    await sdk.check_entitlement("ai_generation", "t1")
    await asyncio.wait_for(revalidated.wait(), 10)
    await sdk.aclose()
    seen = len(server.requests)
    await asyncio.sleep(0.05)
    assert len(server.requests) == seen


async def test_consume_retries_reuse_the_key(server: FakeServer) -> None:
    server.queued.extend([503, httpx.ReadTimeout("slow")])
    async with client(server, retry=RetryPolicy(attempts=3, backoff=0)) as sdk:
        result = await sdk.consume("t1", "ai_website_analysis", 2)
    assert (result.allowed, result.used, result.remaining) == (True, 2, 8)
    keys = [json.loads(r.content)["idempotencyKey"] for r in server.requests]
    assert len(keys) == 3
    assert len(set(keys)) == 1


async def test_errors_are_typed(server: FakeServer) -> None:
    server.queued.append(409)
    async with client(server) as sdk:
        with pytest.raises(ConflictError) as caught:
            await sdk.check_ai_action("t1", "WEBSITE_ANALYSIS")
    assert caught.value.code == "scripted"
