"""Cache invalidation that follows commits, in this process and across processes.

A write calls ``publish(session, topic)``. When the session commits, local subscribers hear the
topic at once. Other processes hear it through PostgreSQL ``NOTIFY`` (sent by the same
transaction, so only committed changes are announced) or, on SQLite, by polling a one-row epoch
counter, in which case they drop everything they hold.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import Integer, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from allotment.db.base import Base
from allotment.db.session import Database, after_commit
from allotment.kit.background import BackgroundTask

log = logging.getLogger(__name__)

CHANNEL = "allotment_invalidate"
ALL = "*"

Subscriber = Callable[[str], None]


class CacheEpoch(Base):
    __tablename__ = "cache_epoch"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    epoch: Mapped[int] = mapped_column(Integer, default=0)


class Invalidator:
    def __init__(self, db: Database, *, poll_seconds: float = 0.5) -> None:
        self.db = db
        self.poll_seconds = poll_seconds
        self._subscribers: list[Subscriber] = []
        self._listener = BackgroundTask(self._run, "allotment-invalidation")
        self._epoch: int | None = None
        self.ready = asyncio.Event()

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    def fan_out(self, topic: str) -> None:
        for subscriber in self._subscribers:
            subscriber(topic)

    async def publish(self, session: AsyncSession, topic: str) -> None:
        if self.db.is_sqlite:
            await session.execute(update(CacheEpoch).values(epoch=CacheEpoch.epoch + 1))
        else:
            await session.execute(text("SELECT pg_notify(:c, :t)"), {"c": CHANNEL, "t": topic})
        after_commit(session, lambda: self.fan_out(topic))

    # -- listening to other processes -------------------------------------------------------

    def start(self) -> None:
        self._listener.start()

    async def stop(self) -> None:
        await self._listener.stop()

    async def _run(self) -> None:
        while True:
            try:
                if self.db.is_sqlite:
                    await self._poll_forever()
                else:
                    await self._listen_forever()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("cache invalidation listener failed; retrying")
            # Whatever was missed while disconnected is unknown: forget everything.
            self.fan_out(ALL)
            await asyncio.sleep(1.0)

    async def _poll_forever(self) -> None:
        while True:
            async with self.db.session() as session:
                epoch = (await session.execute(select(CacheEpoch.epoch))).scalar_one_or_none()
            if self._epoch is not None and epoch != self._epoch:
                self.fan_out(ALL)
            self._epoch = epoch
            self.ready.set()
            await asyncio.sleep(self.poll_seconds)

    async def _listen_forever(self) -> None:
        async with self.db.engine.connect() as conn:
            raw = await conn.get_raw_connection()
            driver: Any = raw.driver_connection
            done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

            def on_notify(_c: Any, _pid: int, _channel: str, payload: str) -> None:
                self.fan_out(payload)

            def on_lost(_c: Any) -> None:
                if not done.done():
                    done.set_exception(ConnectionError("LISTEN connection lost"))

            await driver.add_listener(CHANNEL, on_notify)
            driver.add_termination_listener(on_lost)
            self.ready.set()
            try:
                while not done.done():
                    # A cheap liveness probe: a dead socket surfaces here within seconds.
                    await asyncio.wait({done}, timeout=5.0)
                    if not done.done():
                        await driver.execute("SELECT 1")
                done.result()
            finally:
                # Closing the connection below fires on_lost; nobody would read that failure.
                if not done.done():
                    done.cancel()
                driver.remove_termination_listener(on_lost)
                with contextlib.suppress(Exception):
                    await driver.remove_listener(CHANNEL, on_notify)
