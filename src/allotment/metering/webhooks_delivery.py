"""Sending threshold events: lease due deliveries, POST them signed, record what happened.

Runs as a background task of ``allotment serve`` and as ``allotment worker``; any number of
them may run against one database, the lease makes sure each delivery is sent by one at a time.
Failures are retried with exponential backoff up to ``webhook_max_attempts``.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from allotment.db.session import Database
from allotment.kit.background import BackgroundTask
from allotment.kit.clock import Clock
from allotment.metering import webhooks_repository as repository
from allotment.metering.models import WebhookDelivery, WebhookEndpoint
from allotment.metering.signing import HEADER, signature_header
from allotment.metering.webhooks_outbox import dispatch
from allotment.settings import Settings

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=1)


def backoff(base_seconds: float, attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failed attempt: base, 2 x base, 4 x base, ... capped."""
    seconds = base_seconds * (2 ** max(0, attempts - 1))
    return min(timedelta(seconds=seconds), MAX_BACKOFF)


@dataclass(frozen=True, slots=True)
class Outcome:
    delivery_id: str
    ok: bool
    status_code: int | None
    error: str | None


class Deliverer:
    def __init__(
        self,
        db: Database,
        settings: Settings,
        clock: Clock,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        batch: int = 20,
    ) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock
        self.batch = batch
        self._transport = transport
        self._loop = BackgroundTask(self.run_forever, "allotment-webhooks")

    @property
    def lease(self) -> timedelta:
        # Long enough to send a whole batch one after another, even if each one times out.
        return timedelta(seconds=self.settings.webhook_timeout_seconds * (self.batch + 2))

    async def run_once(self) -> list[Outcome]:
        """Lease and send what is due now; returns what happened to each."""
        now = self.clock()
        async with self.db.session(write=True) as session:
            await dispatch(session, now)
            leased = await repository.lease_due(session, now, now + self.lease, self.batch)
        if not leased:
            return []
        timeout = httpx.Timeout(self.settings.webhook_timeout_seconds)
        async with httpx.AsyncClient(timeout=timeout, transport=self._transport) as client:
            outcomes = await asyncio.gather(*(self._send(client, d, e) for d, e in leased))
        attempts = {d.id: d.attempts for d, _ in leased}
        async with self.db.session(write=True) as session:
            for outcome in outcomes:
                await self._record(session, outcome, attempts[outcome.delivery_id])
        return list(outcomes)

    async def _send(
        self, client: httpx.AsyncClient, delivery: WebhookDelivery, endpoint: WebhookEndpoint
    ) -> Outcome:
        body = delivery.payload.encode()
        timestamp = int(self.clock().timestamp())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Allotment-Webhooks/1",
            HEADER: signature_header(endpoint.secret, timestamp, body),
            "Allotment-Event-Id": delivery.event_id,
            "Allotment-Delivery-Id": delivery.id,
            "Allotment-Event-Type": delivery.event_type,
        }
        try:
            response = await client.post(endpoint.url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            return Outcome(delivery.id, False, None, f"{type(exc).__name__}: {exc}"[:500])
        ok = 200 <= response.status_code < 300
        error = None if ok else f"HTTP {response.status_code}"
        return Outcome(delivery.id, ok, response.status_code, error)

    async def _record(self, session: AsyncSession, outcome: Outcome, attempts: int) -> None:
        now = self.clock()
        if outcome.ok:
            status, next_at, delivered = "delivered", None, now
        elif attempts >= self.settings.webhook_max_attempts:
            status, next_at, delivered = "failed", None, None
            log.warning(
                "webhook delivery %s failed for good: %s", outcome.delivery_id, outcome.error
            )
        else:
            status, delivered = "pending", None
            next_at = now + backoff(self.settings.webhook_backoff_seconds, attempts)
        await repository.finish(
            session,
            outcome.delivery_id,
            status=status,
            next_attempt_at=next_at,
            status_code=outcome.status_code,
            error=outcome.error,
            delivered_at=delivered,
        )

    # -- the loop -------------------------------------------------------------------------

    def start(self) -> None:
        self._loop.start()

    async def stop(self) -> None:
        await self._loop.stop()

    async def run_forever(self) -> None:
        while True:
            try:
                sent = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("webhook delivery round failed; retrying")
                sent = []
            if len(sent) < self.batch:
                await asyncio.sleep(self.settings.webhook_poll_seconds)
