from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class CamelModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


class ApiKeyCreate(CamelModel):
    name: str = Field(default="API key", min_length=1, max_length=200)


class ApiKeyOut(CamelModel):
    id: str
    name: str
    prefix: str
    role: str
    tenant_id: str | None
    created_at: datetime
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    # The secret itself: returned once, at creation, never again.
    key: str
