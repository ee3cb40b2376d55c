"""Consume over HTTP: one real ``allotment serve`` process driven by ``wrk`` on loopback."""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from sqlalchemy import text

from bench.common import Row, free_port, verdict
from bench.metering_setup import BenchWorld, bench_url

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


def _ms(out: str, percent: int) -> float | None:
    found = re.search(rf"\b{percent}%\s+([\d.]+)(us|ms|s)\b", out)
    if found is None:
        return None
    return float(found.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[found.group(2)]


def _serve(port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "ALLOTMENT_DATABASE_URL": bench_url(),
        "ALLOTMENT_BOOTSTRAP_TOKEN": TOKEN,
        "ALLOTMENT_LOG_LEVEL": "warning",
        "ALLOTMENT_WEBHOOK_DELIVERY_ENABLED": "false",
    }
    command = [sys.executable, "-m", "allotment.cli.main", "serve", "--no-migrate"]
    command += ["--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        return subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)


async def consume_over_http(world: BenchWorld, seconds: int, limit: int) -> Row:
    name = "consume via HTTP, wrk 32 connections, 1 serve process"
    if shutil.which("wrk") is None:
        return Row(name, float("nan"), "req/s", note="wrk not installed: skipped")
    tenant_id = await world.new_tenant("bench-http", {FEATURE: limit})
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "serve.log"
        process = _serve(port, log)
        try:
            base = f"http://127.0.0.1:{port}"
            async with httpx.AsyncClient(base_url=base) as client:
                for _ in range(150):
                    try:
                        if (await client.get("/healthz")).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    await asyncio.sleep(0.2)
                path = f"/api/v1/tenants/{tenant_id}/features/{FEATURE}/consume"
                warm = await client.post(
                    path,
                    json={"idempotencyKey": "warm"},
                    headers={"Authorization": f"Bearer {TOKEN}"},
                )
                warm.raise_for_status()
            script = Path(tmp) / "consume.lua"
            script.write_text(
                _LUA.replace("{run}", uuid.uuid4().hex[:8])
                .replace("{path}", path)
                .replace("{token}", TOKEN)
            )
            started = time.perf_counter()
            result = await asyncio.to_thread(
                subprocess.run,
                ["wrk", "-t2", "-c32", f"-d{seconds}s", "--latency", "-s", str(script), base],
                capture_output=True,
                text=True,
                check=True,
            )
            _ = time.perf_counter() - started
        finally:
            process.terminate()
            process.wait(timeout=10)
    out = result.stdout
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if found is None:
        return Row(name, float("nan"), "req/s", note="could not read wrk's output: " + out[-200:])
    rate = float(found.group(1))
    p50, p99 = _ms(out, 50), _ms(out, 99)
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
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
    if errors:
        note += f", {errors.group(1)} non-2xx"
    return Row(name, rate, "req/s", p50, p99, ">= 3,000/s", verdict(rate, 3000), note)


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
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        process = _serve(port, Path(tmp) / "serve.log")
        try:
            base = f"http://127.0.0.1:{port}"
            async with httpx.AsyncClient(base_url=base) as client:
                for _ in range(150):
                    try:
                        if (await client.get("/healthz")).status_code == 200:
                            break
                    except httpx.HTTPError:
                        pass
                    await asyncio.sleep(0.2)
            script = Path(tmp) / "ingest.lua"
            quoted = ", ".join(f'"{t}"' for t in tenants)
            run = uuid.uuid4().hex[:8]
            script.write_text(
                _INGEST_LUA.replace("{tenants}", "{" + quoted + "}")
                .replace("{run}", run)
                .replace("{token}", TOKEN)
            )
            result = await asyncio.to_thread(
                subprocess.run,
                ["wrk", "-t2", "-c4", f"-d{seconds}s", "--latency", "-s", str(script), base],
                capture_output=True,
                text=True,
                check=True,
            )
        finally:
            process.terminate()
            process.wait(timeout=10)
    out = result.stdout
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if found is None:
        return Row(name, float("nan"), "events/s", note="could not read wrk's output")
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    async with world.db.session() as session:
        stored = (
            await session.execute(
                text("SELECT count(*) FROM usage_events WHERE idempotency_key LIKE :p"),
                {"p": f"{run}-%"},
            )
        ).scalar_one()
    # Count what was stored, not what was sent: a rejected event must not flatter the rate.
    # (Requests still in flight when wrk stops are stored but not counted as sent: cap at 1.)
    rate = float(found.group(1)) * 1000 * min(1.0, stored / max(1, requests * 1000))
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    note = f"{stored:,} events stored for {requests * 1000:,} sent and answered"
    if errors:
        note += f", {errors.group(1)} non-2xx"
    return Row(
        name,
        rate,
        "events/s",
        _ms(out, 50),
        _ms(out, 99),
        ">= 50,000/s",
        verdict(rate, 50_000),
        note,
    )
