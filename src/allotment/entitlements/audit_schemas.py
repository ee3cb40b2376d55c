from __future__ import annotations

from datetime import datetime
from typing import Any

from allotment.access.schemas import CamelModel


class AuditEntryOut(CamelModel):
    id: str
    at: datetime
    actor: str
    action: str
    subject: str
    before: Any
    after: Any


class AuditLogOut(CamelModel):
    tenant_id: str
    entries: list[AuditEntryOut]
