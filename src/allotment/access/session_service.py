"""Portal sessions and the sign-in throttle, both kept in the database so any process serves them.

The browser holds a random token; the table holds only its SHA-256, so reading the table does not
let anyone sign in.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from allotment.access.models import PortalSession, SignInFailure, User
from allotment.kit.clock import Clock

# Touching ``last_seen_at`` on every request would make every page a write; a minute is plenty
# of precision for an idle limit counted in minutes.
TOUCH_AFTER = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class SessionLimits:
    idle: timedelta
    absolute: timedelta


def digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def start_session(
    session: AsyncSession,
    clock: Clock,
    limits: SessionLimits,
    user: User,
    active_tenant_id: str | None,
) -> tuple[str, PortalSession]:
    """A new session for ``user``; returns the token for the cookie and the row."""
    token = secrets.token_urlsafe(32)
    now = clock()
    # The user's sessions that have run out are of no further use.
    await session.execute(
        delete(PortalSession).where(
            PortalSession.user_id == user.id,
            (PortalSession.expires_at <= now) | (PortalSession.last_seen_at <= now - limits.idle),
        )
    )
    row = PortalSession(
        id=digest(token),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        active_tenant_id=active_tenant_id,
        created_at=now,
        last_seen_at=now,
        expires_at=now + limits.absolute,
    )
    session.add(row)
    await session.flush()
    return token, row


async def load_session(session: AsyncSession, token: str) -> tuple[PortalSession, User] | None:
    row = await session.get(PortalSession, digest(token))
    if row is None:
        return None
    user = await session.get(User, row.user_id)
    return None if user is None else (row, user)


def is_live(row: PortalSession, user: User, now: datetime, limits: SessionLimits) -> bool:
    return (
        user.disabled_at is None
        and now < row.expires_at
        and now - row.last_seen_at < limits.idle
        and now < row.created_at + limits.absolute
    )


def needs_touch(row: PortalSession, now: datetime) -> bool:
    return now - row.last_seen_at >= TOUCH_AFTER


async def touch(
    session: AsyncSession, token: str, now: datetime, active_tenant_id: str | None
) -> None:
    await session.execute(
        update(PortalSession)
        .where(PortalSession.id == digest(token))
        .values(last_seen_at=now, active_tenant_id=active_tenant_id)
    )


async def end_session(session: AsyncSession, token: str) -> None:
    await session.execute(delete(PortalSession).where(PortalSession.id == digest(token)))


async def set_active_tenant(session: AsyncSession, token: str, tenant_id: str) -> None:
    await session.execute(
        update(PortalSession)
        .where(PortalSession.id == digest(token))
        .values(active_tenant_id=tenant_id)
    )


# -- throttling failed sign-ins ---------------------------------------------------------------


async def sign_in_blocked_until(
    session: AsyncSession,
    clock: Clock,
    *,
    email: str,
    ip: str,
    max_failures: int,
    window: timedelta,
) -> datetime | None:
    """When the (e-mail, IP) pair may try again, if it has failed too often within ``window``."""
    since = clock() - window
    stmt = select(func.count(), func.min(SignInFailure.at)).where(
        SignInFailure.email == email, SignInFailure.ip == ip, SignInFailure.at > since
    )
    count, oldest = (await session.execute(stmt)).one()
    if count < max_failures or oldest is None:
        return None
    blocked_until: datetime = oldest + window
    return blocked_until


async def record_failure(
    session: AsyncSession, clock: Clock, *, email: str, ip: str, window: timedelta
) -> None:
    now = clock()
    # Failures older than the window no longer count: drop them instead of keeping them forever.
    await session.execute(
        delete(SignInFailure).where(
            SignInFailure.email == email, SignInFailure.ip == ip, SignInFailure.at <= now - window
        )
    )
    session.add(SignInFailure(email=email, ip=ip, at=now))
    await session.flush()


async def clear_failures(session: AsyncSession, *, email: str, ip: str) -> None:
    await session.execute(
        delete(SignInFailure).where(SignInFailure.email == email, SignInFailure.ip == ip)
    )
