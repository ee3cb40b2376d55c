from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value.strip()


# A human-readable name: 1-200 characters, not only spaces; stored trimmed.
DisplayName = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_not_blank)]


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
