"""Coalesced consume on PostgreSQL: concurrent consumes share one statement and one commit.

Every consume used to be its own autocommitted statement, so on one hot counter each increment
waited for the previous one's commit (row lock, then WAL flush): about a thousand a second on
this kind of box whatever the client does. Here consumes queue up in-process on a few *lanes*
(a counter always on the same one, chosen by hash) and are settled in batches: a lane takes
whatever is waiting (at most ``MAX_BATCH``, possibly for several counters) and settles it with
ONE autocommitted statement (``_BATCH``), then takes what arrived meanwhile:

- keys already in the idempotency ledger answer from their stored outcome (a retry);
- the fresh requests are summed per counter, and ONE conditional
  ``UPDATE ... SET used = used + total WHERE used + total <= cap`` per counter guards the limit,
  exactly as a single consume does (never a read-modify-write);
- each granted request's ledger row carries the total as it stood after its own increment (in
  arrival order), and a threshold crossing is written by the request that crossed it.

A key that another process takes while the statement runs aborts it (unique violation), as
before; nothing of the batch is then committed and its requests are settled one by one. A
counter whose summed increment does not fit (near the limit) is settled request by request in
arrival order: one that cannot fit even alone (counters only grow within a window) is denied
without trying, the others go through the single-consume statement.

Waiters only await their own future: a waiter that is cancelled or times out leaves its request
in the batch, which commits or not as a whole; a retry with the same key then finds the outcome.
"""

from __future__ import annotations

import asyncio
import secrets
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

import asyncpg  # type: ignore[import-untyped]

from allotment.metering.repository import CounterId
from allotment.metering.service import Decision, decision
from allotment.metering.windows import Window

MAX_BATCH = 64
LANES = 4

_BATCH = """
WITH req AS (
    SELECT * FROM unnest(
        $1::varchar[], $2::varchar[], $3::varchar[], $4::varchar[], $5::numeric[],
        $6::numeric[], $7::bigint[], $8::varchar[], $9::varchar[], $10::varchar[],
        $11::varchar[], $12::timestamptz[], $13::timestamptz[]
    ) WITH ORDINALITY AS r(t, f, w, ck, amt, cap, lim, idem, uid, ukey, evt, ws, we, ord)
), seen AS (
    SELECT req.ord, c.feature_id, c.amount, c.allowed, c.used, c."limit"
    FROM req JOIN consumptions c ON c.tenant_id = req.t AND c.idempotency_key = req.idem
), fresh AS (
    SELECT req.*, sum(req.amt) OVER (PARTITION BY req.t, req.f, req.w, req.ck ORDER BY req.ord)
        AS upto
    FROM req WHERE NOT EXISTS (SELECT 1 FROM seen WHERE seen.ord = req.ord)
), want AS (
    SELECT t, f, w, ck, sum(amt) AS total, min(cap) AS cap
    FROM fresh GROUP BY t, f, w, ck ORDER BY t, f, w, ck
), bump AS (
    UPDATE meter_counters m SET used = m.used + want.total, updated_at = $14::timestamptz
    FROM want
    WHERE m.tenant_id = want.t AND m.feature_id = want.f
      AND m.window_key = want.w AND m.counter_key = want.ck
      AND m.used + want.total <= want.cap
    RETURNING want.t, want.f, want.w, want.ck, m.used - want.total AS base
), granted AS (
    SELECT fresh.*, bump.base + fresh.upto AS after
    FROM fresh JOIN bump USING (t, f, w, ck)
), outcome AS (
    INSERT INTO consumptions
        (tenant_id, idempotency_key, feature_id, amount, user_id, key,
         allowed, used, "limit", created_at)
    SELECT t, idem, f, amt, uid, ukey, true, after, lim, $14::timestamptz FROM granted
), crossing AS (
    INSERT INTO threshold_events
        (id, tenant_id, feature_id, window_key, counter_key, threshold, used, "limit",
         window_start, window_end, occurred_at)
    SELECT g.evt || '-' || mark.percent, g.t, g.f, g.w, g.ck, mark.percent, g.after, g.lim,
           g.ws, g.we, $14::timestamptz
    FROM granted g, (VALUES (80), (100)) AS mark(percent)
    WHERE g.lim > 0
      AND g.after - g.amt < g.lim * mark.percent / 100.0
      AND g.after >= g.lim * mark.percent / 100.0
    ON CONFLICT DO NOTHING
)
SELECT req.ord, seen.feature_id, seen.amount, seen.allowed, seen.used, seen."limit",
       granted.after, m.used AS stored
FROM req
LEFT JOIN seen ON seen.ord = req.ord
LEFT JOIN granted ON granted.ord = req.ord
LEFT JOIN meter_counters m ON m.tenant_id = req.t AND m.feature_id = req.f
     AND m.window_key = req.w AND m.counter_key = req.ck
ORDER BY req.ord
"""

_ENSURE_COUNTERS = """
INSERT INTO meter_counters
    (tenant_id, feature_id, window_key, counter_key, window_start, window_end, used, updated_at)
SELECT t, f, w, k, s, e, 0, $7::timestamptz
FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::varchar[],
            $5::timestamptz[], $6::timestamptz[]) AS x(t, f, w, k, s, e)
ON CONFLICT DO NOTHING
"""

# Denials of requests that cannot fit even alone: their ledger rows, in one statement. A key
# taken meanwhile aborts it (no ON CONFLICT), and those requests are then settled one by one.
_DENY = """
INSERT INTO consumptions
    (tenant_id, idempotency_key, feature_id, amount, user_id, key,
     allowed, used, "limit", created_at)
SELECT t, i, f, a, u, k, false, n, l, $9::timestamptz
FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::numeric[], $5::varchar[],
            $6::varchar[], $7::numeric[], $8::bigint[]) AS x(t, i, f, a, u, k, n, l)
"""


@dataclass(slots=True)
class Request:
    counter: CounterId
    window: Window
    amount: Decimal
    limit: int
    cap: Decimal
    idempotency_key: str
    user_id: str | None
    key: str | None
    now: datetime
    future: asyncio.Future[Decision]


# Settles one request on its own (the single-consume statement, with its replay): the fallback.
# The flag is False when the answer was replayed from the ledger rather than counted now.
SettleOne = Callable[[Any, Request], Awaitable[tuple[Decision, bool]]]
# Answers a retried key from its stored outcome: (feature, amount, allowed, used, limit).
Replay = Callable[[Request, tuple[Any, ...]], Decision]


@dataclass
class BatchStats:
    """How consumes were settled (read by tests and benchmarks)."""

    submitted: int = 0
    batches: int = 0
    requests: int = 0
    largest: int = 0
    granted_together: int = 0  # granted by a batch's summed increment
    one_by_one: int = 0


@dataclass
class _Lane:
    pending: deque[Request] = field(default_factory=deque)
    task: asyncio.Task[None] | None = None


def _retrieve(future: asyncio.Future[Decision]) -> None:
    # A waiter that went away leaves its future unread: read any error so none is reported.
    if not future.cancelled():
        future.exception()


class Coalescer:
    """Queues consumes per lane and settles each lane's queue in batches, one at a time."""

    def __init__(
        self, acquire: Callable[[], Any], settle_one: SettleOne, replay: Replay, lanes: int = LANES
    ) -> None:
        self._acquire = acquire
        self._settle_one = settle_one
        self._replay = replay
        self._lanes = [_Lane() for _ in range(lanes)]
        self.stats = BatchStats()

    async def submit(self, request: Request) -> Decision:
        request.future.add_done_callback(_retrieve)
        self.stats.submitted += 1
        lane = self._lanes[hash(request.counter) % len(self._lanes)]
        lane.pending.append(request)
        loop = asyncio.get_running_loop()
        if lane.task is None or lane.task.get_loop() is not loop:  # (a loop that was closed)
            lane.task = loop.create_task(self._run(lane))
        # Shielded: cancelling the waiter never cancels the batch its request is in.
        return await asyncio.shield(request.future)

    async def drain(self) -> None:
        tasks = [lane.task for lane in self._lanes if lane.task is not None]
        if tasks:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _run(self, lane: _Lane) -> None:
        batch: list[Request] = []
        try:
            while lane.pending:
                size = min(MAX_BATCH, len(lane.pending))
                batch = [lane.pending.popleft() for _ in range(size)]
                try:
                    async with self._acquire() as conn:
                        await self._settle(conn, batch)
                except Exception as exc:  # the batch's outcome is unknown: tell its waiters
                    _fail(batch, exc)
                batch = []
        finally:
            lane.task = None
            gone = RuntimeError("consume was interrupted before it was settled")
            _fail(batch, gone)
            _fail(list(lane.pending), gone)
            lane.pending.clear()

    async def _settle(self, conn: Any, batch: list[Request]) -> None:
        self.stats.batches += 1
        self.stats.requests += len(batch)
        self.stats.largest = max(self.stats.largest, len(batch))
        # A key twice in one batch: the first settles it, the others replay its outcome after.
        firsts: dict[tuple[str, str], Request] = {}
        twins: list[Request] = []
        for r in batch:
            identity = (r.counter.tenant_id, r.idempotency_key)
            if identity in firsts:
                twins.append(r)
            else:
                firsts[identity] = r
        todo = list(firsts.values())
        for attempt in range(2):
            try:
                rows = await conn.fetch(_BATCH, *_columns(todo), todo[0].now)
            except (asyncpg.UniqueViolationError, asyncpg.DeadlockDetectedError):
                # Nothing of the batch was committed: settle its requests one by one.
                await self._one_by_one(conn, todo)
                todo = []
                break
            missing: list[Request] = []
            tight: list[tuple[Request, Decimal]] = []
            for r, row in zip(todo, rows, strict=True):
                seen_feature, after, stored = row[1], row[6], row[7]
                if seen_feature is not None:
                    _settle_with(r, self._replay, tuple(row[1:6]))
                elif after is not None:
                    self.stats.granted_together += 1
                    _resolve(r, decision(True, r.limit, Decimal(after)))
                elif stored is None:
                    missing.append(r)
                else:
                    tight.append((r, Decimal(stored)))
            if tight:
                await self._settle_tight(conn, tight)
            if not missing or attempt == 1:
                todo = missing
                break
            # The window's first use creates its counter; a racing creator is fine.
            await _ensure_counters(conn, missing)
            todo = missing
        if todo:  # pragma: no cover - the counters exist by now
            _fail(todo, RuntimeError("consume found no counter row after creating it"))
        await self._one_by_one(conn, twins)

    async def _settle_tight(self, conn: Any, tight: list[tuple[Request, Decimal]]) -> None:
        """Counters whose summed increment did not fit: greedy, in arrival order."""
        known: dict[CounterId, Decimal] = {}
        # The smallest amount that did not fit, per counter and cap (a limit may change while
        # requests are in flight, so requests on one counter can carry different caps).
        smallest_miss: dict[tuple[CounterId, Decimal], Decimal] = {}
        denied: list[Request] = []
        for r, stored in tight:
            used = max(stored, known.get(r.counter, stored))
            known[r.counter] = used
            miss = smallest_miss.get((r.counter, r.cap))
            if used + r.amount > r.cap or (miss is not None and r.amount >= miss):
                denied.append(r)  # cannot fit now, nor later: counters only grow
                continue
            try:
                answer, counted = await self._settle_one(conn, r)
            except Exception as exc:
                _fail([r], exc)
                continue
            _resolve(r, answer)
            if counted:  # (a replayed answer may come from another window's counter)
                known[r.counter] = max(used, answer.used)
                if not answer.allowed:
                    smallest_miss[(r.counter, r.cap)] = (
                        r.amount if miss is None else min(r.amount, miss)
                    )
        if not denied:
            return
        try:
            await conn.execute(
                _DENY,
                [r.counter.tenant_id for r in denied],
                [r.idempotency_key for r in denied],
                [r.counter.feature_id for r in denied],
                [r.amount for r in denied],
                [r.user_id for r in denied],
                [r.key for r in denied],
                [known[r.counter] for r in denied],
                [r.limit for r in denied],
                denied[0].now,
            )
        except asyncpg.UniqueViolationError:
            await self._one_by_one(conn, denied)
            return
        for r in denied:
            _resolve(r, decision(False, r.limit, known[r.counter]))

    async def _one_by_one(self, conn: Any, requests: Sequence[Request]) -> None:
        for r in requests:
            self.stats.one_by_one += 1
            try:
                answer, _ = await self._settle_one(conn, r)
            except Exception as exc:
                _fail([r], exc)
            else:
                _resolve(r, answer)


def _columns(todo: list[Request]) -> tuple[list[Any], ...]:
    token = "evt_" + secrets.token_hex(8)
    return (
        [r.counter.tenant_id for r in todo],
        [r.counter.feature_id for r in todo],
        [r.counter.window_key for r in todo],
        [r.counter.counter_key for r in todo],
        [r.amount for r in todo],
        [r.cap for r in todo],
        [r.limit for r in todo],
        [r.idempotency_key for r in todo],
        [r.user_id for r in todo],
        [r.key for r in todo],
        # The outbox row's id, used only by a request that crosses a threshold.
        [f"{token}{n:x}" for n in range(len(todo))],
        [r.window.start for r in todo],
        [r.window.end for r in todo],
    )


async def _ensure_counters(conn: Any, requests: list[Request]) -> None:
    windows = {r.counter: r.window for r in requests}
    order = sorted(windows, key=lambda c: (c.tenant_id, c.feature_id, c.window_key, c.counter_key))
    await conn.execute(
        _ENSURE_COUNTERS,
        [c.tenant_id for c in order],
        [c.feature_id for c in order],
        [c.window_key for c in order],
        [c.counter_key for c in order],
        [windows[c].start for c in order],
        [windows[c].end for c in order],
        requests[0].now,
    )


def _resolve(request: Request, answer: Decision) -> None:
    if not request.future.done():
        request.future.set_result(answer)


def _settle_with(request: Request, replay: Replay, prior: tuple[Any, ...]) -> None:
    try:
        result = replay(request, prior)
    except Exception as exc:
        _fail([request], exc)
    else:
        _resolve(request, result)


def _fail(requests: Sequence[Request], exc: BaseException) -> None:
    for r in requests:
        if not r.future.done():
            r.future.set_exception(exc)
