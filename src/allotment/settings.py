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
    # A portal session ends after this long without a request, and at the latest this long
    # after sign-in.
    session_idle_minutes: int = Field(default=30, gt=0)
    session_absolute_hours: int = Field(default=12, gt=0)
    # Failed sign-ins allowed per e-mail address and client IP within the window.
    sign_in_max_failures: int = Field(default=5, gt=0)
    sign_in_window_minutes: int = Field(default=15, gt=0)
    # argon2id cost of new password hashes (the library's defaults).
    password_hash_time_cost: int = Field(default=3, ge=1)
    password_hash_memory_kib: int = Field(default=65536, ge=8)
    sql_echo: bool = False
    log_level: str = "info"
    # Usage events: how long after its timestamp an event may still arrive (default 7 days),
    # and how far ahead of the server's clock a timestamp may be.
    usage_max_lateness_seconds: int = Field(default=7 * 24 * 3600, ge=0)
    usage_max_future_seconds: int = Field(default=300, ge=0)
    # Threshold webhooks: the in-process delivery loop (off in tests that drive it by hand).
    webhook_delivery_enabled: bool = True
    webhook_poll_seconds: float = Field(default=1.0, gt=0)
    webhook_timeout_seconds: float = Field(default=5.0, gt=0)
    webhook_max_attempts: int = Field(default=8, ge=1)
    # Retry n waits backoff * 2^(n-1) seconds, capped at an hour.
    webhook_backoff_seconds: float = Field(default=2.0, gt=0)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
