from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import pytest

from allotment.access import people_service
from allotment.access import service as access_service
from allotment.cli.demo import DEMO_USERS, load_demo
from allotment.db.migrate import upgrade
from allotment.db.session import Database
from allotment.settings import Settings

T = TypeVar("T")


def _in_thread(work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    # A loop of its own, away from the test session's.
    out: list[T] = []
    thread = threading.Thread(target=lambda: out.append(asyncio.run(work())))
    thread.start()
    thread.join()
    return out[0]


@pytest.fixture
def demo_settings(scratch_url: str) -> Settings:
    upgrade(scratch_url)
    return Settings(
        database_url=scratch_url,
        demo_password="open sesame",
        password_hash_time_cost=1,
        password_hash_memory_kib=1024,
    )


def test_demo_makes_one_person_of_every_role_and_prints_how_to_sign_in(
    demo_settings: Settings,
) -> None:
    first = _in_thread(lambda: load_demo(demo_settings))
    output = "\n".join(first)
    for email, _name, _role in DEMO_USERS:
        assert email in output
        assert f"created user {email}" in output
    assert "password: open sesame" in output
    assert "/login" in output
    again = _in_thread(lambda: load_demo(demo_settings))
    assert not any(line.startswith("created") for line in again)

    async def inspect() -> dict[str, object]:
        db = Database(demo_settings.database_url)
        try:
            async with db.session() as session:
                acme = await access_service.find_tenant_by_name(session, "Acme")
                globex = await access_service.find_tenant_by_name(session, "Globex")
                assert acme is not None and globex is not None
                users = {u.email: u for u in await people_service.list_users(session)}
                partner = await people_service.find_partner_by_name(session, "Demo Partner")
                assert partner is not None
                assigned = await people_service.assigned_tenant_ids(session, partner.id)
                signed = await people_service.authenticate(
                    session, "client.staff@demo.test", "open sesame"
                )
                return {
                    "roles": {e: u.role for e, u in users.items()},
                    "client_tenants": {
                        u.tenant_id for u in users.values() if u.role.startswith("client_")
                    },
                    "acme": acme.id,
                    "globex": globex.id,
                    "assigned": assigned,
                    "signed": signed is not None,
                    "packages": (acme.package_id, globex.package_id),
                }
        finally:
            await db.dispose()

    facts = _in_thread(inspect)
    assert facts["roles"] == {email: role.value for email, _n, role in DEMO_USERS}
    assert facts["client_tenants"] == {facts["acme"]}
    assert facts["assigned"] == frozenset({facts["acme"]})
    assert facts["signed"] is True
    assert facts["packages"] == ("professional", "starter")
