"""Topics published in one process reach another only after commit."""

from __future__ import annotations

import asyncio

from allotment.db.invalidation import ALL, Invalidator
from allotment.db.migrate import upgrade
from allotment.db.session import Database


async def _heard(received: list[str], expected: str, within: float) -> bool:
    for _ in range(int(within / 0.02)):
        if expected in received:
            return True
        await asyncio.sleep(0.02)
    return expected in received


async def test_publish_reaches_another_listener_after_commit_only(scratch_url: str) -> None:
    upgrade(scratch_url)
    writer_db, reader_db = Database(scratch_url), Database(scratch_url)
    writer = Invalidator(writer_db, poll_seconds=0.05)
    reader = Invalidator(reader_db, poll_seconds=0.05)
    local: list[str] = []
    remote: list[str] = []
    writer.subscribe(local.append)
    reader.subscribe(remote.append)
    reader.start()
    try:
        await asyncio.wait_for(reader.ready.wait(), 5)
        remote.clear()

        try:
            async with writer_db.session(write=True) as session:
                await writer.publish(session, "tenant:rolled-back")
                raise RuntimeError("abort")
        except RuntimeError:
            pass
        async with writer_db.session(write=True) as session:
            await writer.publish(session, "tenant:t1")
            assert local == []  # nothing before the commit

        assert local == ["tenant:t1"]
        # PostgreSQL delivers the topic itself; SQLite's poll only knows "something changed".
        expected = ALL if writer_db.is_sqlite else "tenant:t1"
        assert await _heard(remote, expected, within=1.0)
        assert "tenant:rolled-back" not in remote
    finally:
        await reader.stop()
        await writer_db.dispose()
        await reader_db.dispose()
