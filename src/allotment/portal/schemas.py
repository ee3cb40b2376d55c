from __future__ import annotations

from allotment.access.schemas import CamelModel
from allotment.entitlements.schemas import EntitlementOut


class PortalSaveOut(CamelModel):
    version: int
    entitlements: list[EntitlementOut]
