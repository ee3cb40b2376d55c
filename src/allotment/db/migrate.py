"""Alembic, driven from code: ``allotment db upgrade`` and start-up both come here."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _off_loop(fn: Callable[[], None]) -> None:
    """env.py runs its own event loop; from inside a running loop, give it a thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        fn()
        return
    errors: list[BaseException] = []

    def run() -> None:
        try:
            fn()
        except BaseException as exc:
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if errors:
        raise errors[0]


def upgrade(url: str, revision: str = "head") -> None:
    _off_loop(lambda: command.upgrade(alembic_config(url), revision))


def downgrade(url: str, revision: str = "base") -> None:
    _off_loop(lambda: command.downgrade(alembic_config(url), revision))


def current(url: str) -> None:
    _off_loop(lambda: command.current(alembic_config(url)))
