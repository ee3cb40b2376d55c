from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from allotment.entitlements.cache import EntitlementCache


def _cache(request: Request) -> EntitlementCache:
    cache: EntitlementCache = request.app.state.entitlements
    return cache


Cache = Annotated[EntitlementCache, Depends(_cache)]
