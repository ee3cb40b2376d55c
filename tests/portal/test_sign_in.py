from __future__ import annotations

import hashlib
from datetime import timedelta

import httpx
from fastapi import FastAPI
from sqlalchemy import select

from allotment.access.models import PortalSession
from allotment.db.session import Database
from allotment.kit.clock import FrozenClock
from tests.portal.world import PASSWORD, World, browser_for, csrf_from, page_csrf, sign_in


async def test_sign_in_sets_an_httponly_lax_session_cookie_and_lands_on_the_page(
    app: FastAPI, world: World
) -> None:
    async with browser_for(app) as browser:
        response = await sign_in(browser, world.email("client_admin"))
        assert response.status_code == 303
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("allotment_session=")
        assert "HttpOnly" in cookie
        assert "SameSite=lax" in cookie
        assert "Secure" not in cookie
        page = await browser.get("/settings/entitlements")
        assert page.status_code == 200
        assert "Own Co" in page.text
        assert "alm_" not in page.text  # no API key ever reaches the browser


async def test_the_cookie_is_secure_over_https(app: FastAPI, world: World) -> None:
    async with browser_for(app, base_url="https://portal.test") as browser:
        response = await sign_in(browser, world.email("client_admin"))
        assert response.status_code == 303
        assert "Secure" in response.headers["set-cookie"]


async def test_a_wrong_password_is_refused_with_a_message(app: FastAPI, world: World) -> None:
    async with browser_for(app) as browser:
        response = await sign_in(browser, world.email("client_admin"), "wrong")
        assert response.status_code == 401
        assert "The e-mail address or password is not correct." in response.text
        assert "allotment_session" not in browser.cookies
        assert (await browser.get("/settings/entitlements")).status_code == 303


async def test_sign_in_without_the_form_token_is_refused(app: FastAPI, world: World) -> None:
    async with browser_for(app) as browser:
        response = await browser.post(
            "/login", data={"email": world.email("client_admin"), "password": PASSWORD}
        )
        assert response.status_code == 400
        assert "allotment_session" not in browser.cookies


async def test_failed_sign_ins_are_throttled_even_for_the_right_password(
    app: FastAPI, world: World, clock: FrozenClock
) -> None:
    email = world.email("client_manager")
    async with browser_for(app) as browser:
        for _ in range(5):
            assert (await sign_in(browser, email, "wrong")).status_code == 401
        blocked = await sign_in(browser, email, PASSWORD)
        assert blocked.status_code == 429
        assert "Too many failed sign-in attempts. Try again in 15 minutes." in blocked.text
        # Another address from the same place is not affected.
        assert (await sign_in(browser, world.email("client_admin"))).status_code == 303
    clock.advance(timedelta(minutes=15, seconds=1))
    async with browser_for(app) as browser:
        assert (await sign_in(browser, email, PASSWORD)).status_code == 303


async def test_an_idle_session_expires(app: FastAPI, world: World, clock: FrozenClock) -> None:
    async with browser_for(app) as browser:
        await sign_in(browser, world.email("client_admin"))
        clock.advance(timedelta(minutes=29))
        assert (await browser.get("/settings/entitlements")).status_code == 200
        clock.advance(timedelta(minutes=29))
        assert (await browser.get("/settings/entitlements")).status_code == 200
        clock.advance(timedelta(minutes=30))
        response = await browser.get("/settings/entitlements")
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login")


async def test_a_busy_session_still_ends_at_the_absolute_limit(
    app: FastAPI, world: World, clock: FrozenClock
) -> None:
    async with browser_for(app) as browser:
        await sign_in(browser, world.email("client_admin"))
        for _ in range(12 * 4 - 1):
            clock.advance(timedelta(minutes=15))
            assert (await browser.get("/settings/entitlements")).status_code == 200
        clock.advance(timedelta(minutes=15))
        assert (await browser.get("/settings/entitlements")).status_code == 303


async def test_sign_out_ends_the_session_on_the_server(app: FastAPI, world: World) -> None:
    async with browser_for(app) as browser:
        await sign_in(browser, world.email("partner_admin"))
        stolen = browser.cookies["allotment_session"]
        csrf = await page_csrf(browser)
        response = await browser.post("/logout", data={"csrf": csrf})
        assert response.status_code == 303
        assert response.headers["location"] == "/login?signed_out=1"
    async with browser_for(app) as replay:
        replay.cookies.set("allotment_session", stolen)
        assert (await replay.get("/settings/entitlements")).status_code == 303


async def test_sign_out_needs_the_csrf_token(app: FastAPI, world: World) -> None:
    async with browser_for(app) as browser:
        await sign_in(browser, world.email("partner_admin"))
        assert (await browser.post("/logout", data={"csrf": "forged"})).status_code == 403
        assert (await browser.get("/context")).status_code == 200


async def test_a_single_tenant_session_starts_in_it_and_a_platform_admin_chooses(
    app: FastAPI, world: World
) -> None:
    async with browser_for(app) as partner:
        await sign_in(partner, world.email("partner_admin"))
        page = await partner.get("/settings/entitlements")
        assert page.status_code == 200
        assert "Assigned Co" in page.text
    async with browser_for(app) as platform:
        await sign_in(platform, world.email("platform_admin"))
        first = await platform.get("/settings/entitlements")
        assert first.status_code == 303
        assert first.headers["location"] == "/context?next=/settings/entitlements"
        choose = await platform.get("/context")
        assert "Unassigned Co" in choose.text and "Own Co" in choose.text
        chosen = await platform.post(
            "/context", data={"tenantId": world.unassigned, "csrf": csrf_from(choose.text)}
        )
        assert chosen.status_code == 303
        page = await platform.get("/settings/entitlements")
        assert 'data-testid="page-tenant">Unassigned Co<' in page.text


async def test_switching_context_needs_the_csrf_token(app: FastAPI, world: World) -> None:
    async with browser_for(app) as platform:
        await sign_in(platform, world.email("platform_admin"))
        response = await platform.post("/context", data={"tenantId": world.own})
        assert response.status_code == 403


async def test_an_unassigned_client_drops_out_of_the_partner_admins_context(
    app: FastAPI, world: World, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    async with browser_for(app) as partner:
        await sign_in(partner, world.email("partner_admin"))
        assert (await partner.get("/settings/entitlements")).status_code == 200
        removed = await client.delete(
            f"/api/v1/partners/{world.partner_id}/assignments/{world.assigned}", headers=admin
        )
        assert removed.status_code == 204
        unknown = await partner.get("/no-such-page")
        after = await partner.get("/settings/entitlements")
        assert after.status_code == 404
        assert after.content == unknown.content


async def test_sign_in_follows_only_same_site_next_paths(app: FastAPI, world: World) -> None:
    for target, landing in (
        ("/context", "/context"),
        ("//evil.test/x", "/"),
        ("/\t/evil.test", "/"),
        ("/\\evil.test", "/"),
        ("https://evil.test/", "/"),
    ):
        async with browser_for(app) as browser:
            form = await browser.get("/login")
            response = await browser.post(
                "/login",
                data={
                    "email": world.email("client_admin"),
                    "password": PASSWORD,
                    "csrf": csrf_from(form.text),
                    "next": target,
                },
            )
            assert response.status_code == 303
            assert response.headers["location"] == landing, target


async def test_the_database_keeps_only_a_digest_of_the_session_token(
    app: FastAPI, world: World, db: Database
) -> None:
    async with browser_for(app) as browser:
        await sign_in(browser, world.email("client_admin"))
        token = browser.cookies["allotment_session"]
    async with db.session() as session:
        ids = set((await session.execute(select(PortalSession.id))).scalars())
    assert token not in ids
    assert hashlib.sha256(token.encode()).hexdigest() in ids
