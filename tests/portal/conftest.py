from __future__ import annotations

import httpx
import pytest

from allotment.settings import Settings
from tests.conftest import ADMIN_TOKEN
from tests.portal.world import World, build_world


@pytest.fixture
def settings(database_url: str) -> Settings:
    # Real argon2id, at a cost that keeps dozens of sign-ins per test quick.
    return Settings(
        database_url=database_url,
        bootstrap_token=ADMIN_TOKEN,
        password_hash_time_cost=1,
        password_hash_memory_kib=1024,
    )


@pytest.fixture
async def world(client: httpx.AsyncClient, admin: dict[str, str]) -> World:
    return await build_world(client, admin)
