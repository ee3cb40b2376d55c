from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting is read from an ``ALLOTMENT_*`` environment variable."""

    model_config = SettingsConfigDict(env_prefix="ALLOTMENT_", extra="ignore")

    database_url: str = "sqlite:///./allotment.db"
    bootstrap_token: str | None = None
    demo_password: str = "demo"
    product_name: str = "Allotment"
    support_email: str = "support@example.test"
    # How often a process without LISTEN/NOTIFY (SQLite) polls the invalidation version.
    cache_poll_seconds: float = Field(default=0.5, gt=0)
    sql_echo: bool = False
    log_level: str = "info"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
