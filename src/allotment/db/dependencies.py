"""Request-scoped access to the database for endpoint functions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from allotment.db.invalidation import Invalidator
from allotment.db.session import Database
from allotment.kit.clock import Clock


async def _read_session(request: Request) -> AsyncIterator[AsyncSession]:
    db: Database = request.app.state.db
    async with db.session() as session:
        yield session


async def _write_session(request: Request) -> AsyncIterator[AsyncSession]:
    db: Database = request.app.state.db
    async with db.session(write=True) as session:
        yield session


def _invalidator(request: Request) -> Invalidator:
    invalidator: Invalidator = request.app.state.invalidator
    return invalidator


def _clock(request: Request) -> Clock:
    clock: Clock = request.app.state.clock
    return clock


# scope="function": the commit happens before the response is sent, so a 2xx means committed.
ReadSession = Annotated[AsyncSession, Depends(_read_session, scope="function")]
WriteSession = Annotated[AsyncSession, Depends(_write_session, scope="function")]
InvalidatorDep = Annotated[Invalidator, Depends(_invalidator)]
ClockDep = Annotated[Clock, Depends(_clock)]
