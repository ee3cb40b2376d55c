from __future__ import annotations

from datetime import datetime

from pydantic import Field, field_validator

from allotment.access.passwords import MIN_PASSWORD_LENGTH
from allotment.access.policy import Role
from allotment.access.schemas import CamelModel


def _email(value: str) -> str:
    value = value.strip().lower()
    local, at, domain = value.partition("@")
    if not at or not local or "." not in domain or " " in value:
        raise ValueError("not an e-mail address")
    return value


class PartnerCreate(CamelModel):
    name: str = Field(min_length=1, max_length=200)


class PartnerOut(CamelModel):
    id: str
    name: str
    created_at: datetime
    tenant_ids: list[str]


class AssignmentCreate(CamelModel):
    tenant_id: str = Field(min_length=1, max_length=64)


class UserCreate(CamelModel):
    email: str = Field(max_length=320)
    name: str = Field(default="", max_length=200)
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=200)
    role: Role
    tenant_id: str | None = None
    partner_id: str | None = None

    _valid_email = field_validator("email")(_email)


class UserUpdate(CamelModel):
    name: str | None = Field(default=None, max_length=200)
    password: str | None = Field(default=None, min_length=MIN_PASSWORD_LENGTH, max_length=200)
    disabled: bool | None = None


class UserOut(CamelModel):
    id: str
    email: str
    name: str
    role: str
    tenant_id: str | None
    partner_id: str | None
    created_at: datetime
    disabled_at: datetime | None
