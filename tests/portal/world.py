"""A small world for portal tests, built through the public API: three tenants, a partner
assigned one of them, and one person of every role."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from fastapi import FastAPI

from tests.factories import make_tenant

PASSWORD = "correct horse"
ROLES = (
    "platform_admin",
    "partner_admin",
    "partner_user",
    "client_admin",
    "client_manager",
    "client_staff",
)
MISSING_TENANT = "ten_doesnotexist0000"


@dataclass(frozen=True)
class World:
    own: str  # the client users' tenant
    assigned: str  # assigned to the partner
    unassigned: str
    partner_id: str

    def email(self, role: str) -> str:
        return f"{role.replace('_', '.')}@world.test"

    def tenant(self, scope: str) -> str:
        return {
            "own": self.own,
            "assigned": self.assigned,
            "unassigned": self.unassigned,
            "missing": MISSING_TENANT,
        }[scope]


async def build_world(client: httpx.AsyncClient, admin: dict[str, str]) -> World:
    own = (await make_tenant(client, admin, name="Own Co", package_id="professional"))["id"]
    assigned = (await make_tenant(client, admin, name="Assigned Co", package_id="professional"))[
        "id"
    ]
    unassigned = (await make_tenant(client, admin, name="Unassigned Co", package_id="starter"))[
        "id"
    ]
    partner = await client.post("/api/v1/partners", json={"name": "Resellers"}, headers=admin)
    assert partner.status_code == 201, partner.text
    partner_id = partner.json()["id"]
    assigned_response = await client.post(
        f"/api/v1/partners/{partner_id}/assignments", json={"tenantId": assigned}, headers=admin
    )
    assert assigned_response.status_code == 201, assigned_response.text
    world = World(own=own, assigned=assigned, unassigned=unassigned, partner_id=partner_id)
    for role in ROLES:
        body: dict[str, str] = {"email": world.email(role), "password": PASSWORD, "role": role}
        if role.startswith("client_"):
            body["tenantId"] = own
        if role.startswith("partner_"):
            body["partnerId"] = partner_id
        response = await client.post("/api/v1/users", json=body, headers=admin)
        assert response.status_code == 201, response.text
    return world


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf" value="([^"]+)"', html)
    assert match, "no CSRF token in the page"
    return match.group(1)


async def sign_in(
    browser: httpx.AsyncClient, email: str, password: str = PASSWORD
) -> httpx.Response:
    form = await browser.get("/login")
    return await browser.post(
        "/login",
        data={"email": email, "password": password, "csrf": csrf_from(form.text), "next": "/"},
    )


@asynccontextmanager
async def browser_for(app: FastAPI, base_url: str = "http://testserver") -> AsyncIterator[
    httpx.AsyncClient
]:  # fmt: skip
    """A client with its own cookie jar: one signed-in person."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=base_url) as c:
        yield c


async def page_csrf(browser: httpx.AsyncClient) -> str:
    """The session's CSRF token, as a page hands it to its forms."""
    response = await browser.get("/context")
    return csrf_from(response.text)
