"""Consume over HTTP: one real ``allotment serve`` process driven by ``wrk`` on loopback."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import uuid
from pathlib import Path

import httpx
from sqlalchemy import text

from bench.common import Row, verdict
from bench.metering_setup import BenchWorld, bench_url
from bench.serving import run_wrk, serving

TOKEN = "bench-" + uuid.uuid4().hex
FEATURE = "ai_website_analysis"

_LUA = """
local counter = 0
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
function request()
  counter = counter + 1
  local body = string.format('{"idempotencyKey":"%s-%d-%d"}', "{run}", tid, counter)
  return wrk.format("POST", "{path}", {
    ["Authorization"] = "Bearer {token}",
    ["Content-Type"] = "application/json",
  }, body)
end
"""


_SERVE_ENV = {"ALLOTMENT_WEBHOOK_DELIVERY_ENABLED": "false"}


async def consume_over_http(world: BenchWorld, seconds: int, limit: int) -> Row:
    name = "consume via HTTP, wrk 32 connections, 1 serve process"
    if shutil.which("wrk") is None:
        return Row(name, float("nan"), "req/s", note="wrk not installed: skipped")
    tenant_id = await world.new_tenant("bench-http", {FEATURE: limit})
    path = f"/api/v1/tenants/{tenant_id}/features/{FEATURE}/consume"
    with (
        tempfile.TemporaryDirectory() as tmp,
        serving(bench_url(), TOKEN, migrate=False, extra_env=_SERVE_ENV) as base,
    ):
        async with httpx.AsyncClient(base_url=base) as client:
            warm = await client.post(
                path, json={"idempotencyKey": "warm"}, headers={"Authorization": f"Bearer {TOKEN}"}
            )
            warm.raise_for_status()
        script = Path(tmp) / "consume.lua"
        script.write_text(
            _LUA.replace("{run}", uuid.uuid4().hex[:8])
            .replace("{path}", path)
            .replace("{token}", TOKEN)
        )
        result = await asyncio.to_thread(
            run_wrk, base, seconds=seconds, connections=32, threads=2, script=script
        )
    async with world.db.session() as session:
        row = (
            await session.execute(
                text(
                    "SELECT (SELECT coalesce(sum(used), 0) FROM meter_counters"
                    " WHERE tenant_id = :t),"
                    " (SELECT count(*) FROM consumptions WHERE tenant_id = :t AND allowed)"
                ),
                {"t": tenant_id},
            )
        ).one()
    used, granted = float(row[0]), int(row[1])
    sound = used == granted and granted <= limit
    note = f"granted {granted} (limit {limit}), counter {'matches' if sound else 'WRONG'}"
    if result.non_2xx:
        note += f", {result.non_2xx} non-2xx"
    rate = result.rate
    return Row(
        name, rate, "req/s", result.p50_ms, result.p99_ms, ">= 3,000/s", verdict(rate, 3000), note
    )


_INGEST_LUA = """
local counter = 0
local threads = 0
local tenants = {tenants}
local features = {"ai_posts_limit", "ai_website_analysis", "ai_field_analysis"}
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
function request()
  counter = counter + 1
  local parts = {}
  for i = 1, 1000 do
    parts[i] = string.format(
      '{"tenantId":"%s","featureId":"%s","quantity":1,"idempotencyKey":"%s-%d-%d-%d"}',
      tenants[(i % #tenants) + 1], features[(i % 3) + 1], "{run}", tid, counter, i)
  end
  local body = '{"events":[' .. table.concat(parts, ",") .. ']}'
  return wrk.format("POST", "/api/v1/usage/events", {
    ["Authorization"] = "Bearer {token}",
    ["Content-Type"] = "application/json",
  }, body)
end
"""


async def ingest_over_http(world: BenchWorld, tenants: list[str], seconds: int) -> Row:
    name = "event ingest via HTTP, batches of 1000, wrk 4 connections, 1 serve process"
    if shutil.which("wrk") is None:
        return Row(name, float("nan"), "events/s", note="wrk not installed: skipped")
    run = uuid.uuid4().hex[:8]
    with (
        tempfile.TemporaryDirectory() as tmp,
        serving(bench_url(), TOKEN, migrate=False, extra_env=_SERVE_ENV) as base,
    ):
        script = Path(tmp) / "ingest.lua"
        quoted = ", ".join(f'"{t}"' for t in tenants)
        script.write_text(
            _INGEST_LUA.replace("{tenants}", "{" + quoted + "}")
            .replace("{run}", run)
            .replace("{token}", TOKEN)
        )
        result = await asyncio.to_thread(
            run_wrk, base, seconds=seconds, connections=4, threads=2, script=script
        )
    async with world.db.session() as session:
        stored = (
            await session.execute(
                text("SELECT count(*) FROM usage_events WHERE idempotency_key LIKE :p"),
                {"p": f"{run}-%"},
            )
        ).scalar_one()
    # Count what was stored, not what was sent: a rejected event must not flatter the rate.
    # (Requests still in flight when wrk stops are stored but not counted as sent: cap at 1.)
    sent = result.requests * 1000
    rate = result.rate * 1000 * min(1.0, stored / max(1, sent))
    note = f"{stored:,} events stored for {sent:,} sent and answered"
    if result.non_2xx:
        note += f", {result.non_2xx} non-2xx"
    return Row(
        name,
        rate,
        "events/s",
        result.p50_ms,
        result.p99_ms,
        ">= 50,000/s",
        verdict(rate, 50_000),
        note,
    )
