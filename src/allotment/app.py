from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from allotment import __version__
from allotment.access import passwords
from allotment.access import service as access_service
from allotment.access.service import KeyRegistry
from allotment.api import include_routers
from allotment.catalog import service as catalog_service
from allotment.db.invalidation import Invalidator
from allotment.db.session import Database
from allotment.entitlements.cache import EntitlementCache
from allotment.entitlements.fastpath import CheckFastPath
from allotment.errors import install_error_handlers
from allotment.kit.clock import Clock, utc_now
from allotment.metering.fastpath import ConsumeFastPath
from allotment.metering.runtime import Metering
from allotment.metering.webhooks_delivery import Deliverer
from allotment.portal.wiring import install_portal
from allotment.settings import Settings, get_settings

log = logging.getLogger(__name__)


async def prepare_database(db: Database, settings: Settings, clock: Clock) -> None:
    """Start-up data: the seed (if any part is missing) and the bootstrap key."""
    async with db.session(write=True) as session:
        await catalog_service.ensure_seed(session, clock)
        if settings.bootstrap_token:
            await access_service.ensure_bootstrap_key(session, clock, settings.bootstrap_token)


def create_app(
    settings: Settings | None = None,
    *,
    db: Database | None = None,
    clock: Clock = utc_now,
    listen: bool = True,
) -> FastAPI:
    """Build the ASGI app. ``db`` may be shared (tests); ``listen`` starts the background tasks:
    cross-process invalidation (LISTEN/NOTIFY or the SQLite poll) and, unless
    ``webhook_delivery_enabled`` is off, webhook delivery."""
    settings = settings or get_settings()
    passwords.configure(
        time_cost=settings.password_hash_time_cost, memory_kib=settings.password_hash_memory_kib
    )
    database = db or Database(settings.database_url, echo=settings.sql_echo)
    invalidator = Invalidator(database, poll_seconds=settings.cache_poll_seconds)
    deliverer = Deliverer(database, settings, clock)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await prepare_database(database, settings, clock)
        if listen:
            invalidator.start()
            if settings.webhook_delivery_enabled:
                deliverer.start()
        try:
            yield
        finally:
            await deliverer.stop()
            await app.state.metering.close()
            await invalidator.stop()
            if db is None:
                await database.dispose()

    app = FastAPI(
        title=f"{settings.product_name} API",
        version=__version__,
        lifespan=lifespan,
        description="Entitlements, plans, usage metering and billing for multi-tenant SaaS.",
    )
    app.state.settings = settings
    app.state.db = database
    app.state.clock = clock
    app.state.invalidator = invalidator
    app.state.keys = keys = KeyRegistry(database, invalidator)
    app.state.entitlements = cache = EntitlementCache(database, invalidator)
    app.state.metering = Metering(database, cache, clock)
    app.state.webhooks = deliverer
    app.state.principal_resolvers = []
    # The two hottest routes skip the framework when everything they need is in memory.
    app.add_middleware(CheckFastPath, keys=keys, cache=cache)
    app.add_middleware(ConsumeFastPath, keys=keys, metering=app.state.metering)
    install_error_handlers(app)
    include_routers(app)
    install_portal(app)
    return app
