"""``allotment worker``: background jobs outside the API processes (webhook delivery)."""

from __future__ import annotations

import logging

from allotment.db.session import Database
from allotment.kit.clock import utc_now
from allotment.metering.webhooks_delivery import Deliverer
from allotment.settings import Settings

log = logging.getLogger(__name__)


async def run_worker(settings: Settings, *, once: bool = False) -> int:
    logging.basicConfig(level=settings.log_level.upper())
    db = Database(settings.database_url)
    deliverer = Deliverer(db, settings, utc_now)
    try:
        if once:
            outcomes = await deliverer.run_once()
            log.info("delivered %d of %d", sum(o.ok for o in outcomes), len(outcomes))
        else:
            log.info("webhook delivery worker running")
            await deliverer.run_forever()
    finally:
        await db.dispose()
    return 0
