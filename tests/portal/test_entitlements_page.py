from __future__ import annotations

import re
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy import insert

from allotment.catalog.models import Package
from allotment.db.session import Database
from tests.portal.world import World, browser_for, page_csrf, sign_in

PAGE = "/settings/entitlements"
DETAIL_LABELS = (
    "Recording download",
    "Transcript export",
    "Audit-log access",
    "Outbound calling",
    "Integrations",
    "API-key management",
    "CSV",
    "TXT",
    "PDF",
    "Concurrent calls",
    "User seats",
)
FORMATS_ON = "If transcript export is enabled, at least one format must be selected."
FORMATS_OFF = "If transcript export is disabled, no formats can be selected."


async def _page_as(app: FastAPI, world: World, role: str) -> httpx.Response:
    async with browser_for(app) as browser:
        await sign_in(browser, world.email(role))
        return await browser.get(PAGE)


async def test_client_admin_sees_full_detail_with_no_edit_controls(
    app: FastAPI, world: World
) -> None:
    response = await _page_as(app, world, "client_admin")
    assert response.status_code == 200
    html = response.text
    for label in DETAIL_LABELS:
        assert label in html
    assert "Professional" in html
    assert "Unlimited" not in html  # professional has 50 seats
    assert "50 seats" in html and "25 calls" in html
    assert '<form id="entitlements-form"' not in html
    assert 'type="checkbox"' not in html and 'type="number"' not in html
    assert ">Save<" not in html
    assert "Client roles are read-only" in html


async def test_client_manager_sees_the_summary_and_no_detail_in_the_html(
    app: FastAPI, world: World
) -> None:
    response = await _page_as(app, world, "client_manager")
    assert response.status_code == 200
    # Random tokens in attributes could spell "PDF" by chance: look at the markup without them.
    html = re.sub(r'value="[^"]*"', "", response.text)
    assert "Professional" in html
    assert "6 of 6 capabilities are included in your plan." in html
    for label in DETAIL_LABELS:
        assert label not in html
    assert ">Save<" not in html


async def test_staff_and_partner_user_get_the_same_page_as_a_url_that_does_not_exist(
    app: FastAPI, world: World
) -> None:
    for role in ("client_staff", "partner_user"):
        async with browser_for(app) as browser:
            await sign_in(browser, world.email(role))
            page = await browser.get(PAGE)
            unknown = await browser.get("/settings/nothing-here")
        assert page.status_code == unknown.status_code == 404
        assert page.content == unknown.content
        assert page.headers["content-type"] == unknown.headers["content-type"]
        assert "Page not found" in page.text


async def test_navigation_shows_only_what_the_role_may_open(app: FastAPI, world: World) -> None:
    async with browser_for(app) as staff:
        await sign_in(staff, world.email("client_staff"))
        home = await staff.get("/")
        assert home.status_code == 200
        assert PAGE not in home.text
        assert "Own Co" in home.text  # the active tenant is named
    async with browser_for(app) as manager:
        await sign_in(manager, world.email("client_manager"))
        assert f'href="{PAGE}"' in (await manager.get(PAGE)).text


async def test_edit_mode_for_partner_admin_and_platform_admin(app: FastAPI, world: World) -> None:
    partner = await _page_as(app, world, "partner_admin")
    assert partner.status_code == 200
    assert ">Save<" in partner.text and 'id="entitlements-form"' in partner.text
    assert "Assigned Co" in partner.text
    async with browser_for(app) as platform:
        await sign_in(platform, world.email("platform_admin"))
        csrf = await page_csrf(platform)
        await platform.post("/context", data={"tenantId": world.unassigned, "csrf": csrf})
        page = await platform.get(PAGE)
        assert ">Save<" in page.text
        assert "Starter" in page.text
        assert "No project" not in page.text and "project" not in page.text.lower()


async def test_unlimited_is_shown_for_minus_one(
    app: FastAPI, world: World, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    patched = await client.patch(
        f"/api/v1/tenants/{world.own}", json={"packageId": "enterprise"}, headers=admin
    )
    assert patched.status_code == 200
    html = (await _page_as(app, world, "client_admin")).text
    assert "Enterprise" in html
    assert "Unlimited" in html and "100 calls" in html


async def test_a_tenant_with_no_entitlements_sees_the_empty_state(
    app: FastAPI, world: World, db: Database, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    async with db.session(write=True) as session:
        await session.execute(
            insert(Package).values(id="bare", name="bare", tier="Bare", sort_order=9)
        )
    patched = await client.patch(
        f"/api/v1/tenants/{world.own}", json={"packageId": "bare"}, headers=admin
    )
    assert patched.status_code == 200
    html = (await _page_as(app, world, "client_admin")).text
    assert "No entitlements are available" in html
    assert "Refresh the page. If the message continues, contact your administrator" in html
    assert "support@example.test" in html


# -- saving -------------------------------------------------------------------------------------


def _all_on(**changes: Any) -> list[dict[str, Any]]:
    state: dict[str, dict[str, Any]] = {
        f: {"featureId": f, "enabled": True}
        for f in (
            "recording_download",
            "transcript_export",
            "audit_log_access",
            "outbound_calling",
            "integrations",
            "api_key_management",
            "transcript_export.csv",
            "transcript_export.txt",
            "transcript_export.pdf",
        )
    }
    state["concurrent_calls"] = {"featureId": "concurrent_calls", "enabled": True, "value": 25}
    state["user_seats"] = {"featureId": "user_seats", "enabled": True, "value": 50}
    for fid, value in changes.items():
        state[fid.replace("__", ".")].update(value)
    return list(state.values())


async def _put(
    browser: httpx.AsyncClient, tenant: str, csrf: str | None, version: int, body: list[Any]
) -> httpx.Response:
    headers = {"If-Match": f'"{version}"'}
    if csrf is not None:
        headers["X-CSRF-Token"] = csrf
    return await browser.put(
        f"/api/portal/tenants/{tenant}/entitlements",
        json={"entitlements": body},
        headers=headers,
    )


async def test_partner_admin_saves_and_the_change_is_audited(
    app: FastAPI, world: World, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    async with browser_for(app) as browser:
        await sign_in(browser, world.email("partner_admin"))
        csrf = await page_csrf(browser)
        body = _all_on(
            integrations={"enabled": False},
            user_seats={"value": -1},
            transcript_export__pdf={"enabled": False},
        )
        saved = await _put(browser, world.assigned, csrf, 1, body)
        assert saved.status_code == 200, saved.text
        assert saved.json()["version"] == 2
        assert saved.headers["etag"].startswith('"2.')
        listed = await browser.get(f"/api/v1/tenants/{world.assigned}/entitlements")
        assert listed.headers["etag"] == saved.headers["etag"]
        page = await browser.get(PAGE)
        assert 'data-version="2"' in page.text
        assert 'data-unlimited-for="user_seats" checked' in page.text
        log = await browser.get(f"/api/v1/tenants/{world.assigned}/audit-log")
        assert log.status_code == 200
    entries = {e["subject"]: e for e in log.json()["entries"]}
    assert set(entries) == {"integrations", "user_seats", "transcript_export.pdf"}
    seats = entries["user_seats"]
    assert seats["actor"] == world.email("partner_admin")
    assert seats["action"] == "entitlement.changed"
    assert seats["before"] == {"enabled": True, "value": 50, "source": "plan"}
    assert seats["after"] == {"enabled": True, "value": -1, "source": "override"}
    check = await client.get(
        f"/api/v1/tenants/{world.assigned}/entitlements/user_seats", headers=admin
    )
    assert check.json()["value"] == -1


async def test_a_stale_save_is_a_conflict_with_the_current_version(
    app: FastAPI, world: World, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    async with browser_for(app) as first, browser_for(app) as second:
        await sign_in(first, world.email("partner_admin"))
        await sign_in(second, world.email("platform_admin"))
        csrf_first = await page_csrf(first)
        csrf_second = await page_csrf(second)
        await second.post("/context", data={"tenantId": world.assigned, "csrf": csrf_second})
        ok = await _put(
            first, world.assigned, csrf_first, 1, _all_on(integrations={"enabled": False})
        )
        assert ok.status_code == 200
        stale = await _put(
            second, world.assigned, csrf_second, 1, _all_on(outbound_calling={"enabled": False})
        )
    assert stale.status_code == 409
    error = stale.json()["error"]
    assert error["details"] == {"currentVersion": 2}
    assert "Refresh" in error["message"] and "apply your change again" in error["message"]
    still_on = await client.get(
        f"/api/v1/tenants/{world.assigned}/entitlements/outbound_calling", headers=admin
    )
    assert still_on.json()["enabled"] is True


async def test_the_conflict_message_of_the_page_is_in_the_html(app: FastAPI, world: World) -> None:
    html = (await _page_as(app, world, "partner_admin")).text
    assert "Refresh the page to load the latest version, then apply the change again." in html
    assert (
        "Client roles are read-only. Only Partner Admin and Platform Admin sessions can edit"
        in html
    )
    assert FORMATS_ON in html and FORMATS_OFF in html


async def test_format_rules_reject_the_save_and_nothing_is_saved(
    app: FastAPI, world: World, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    async with browser_for(app) as browser:
        await sign_in(browser, world.email("partner_admin"))
        csrf = await page_csrf(browser)
        none_selected = _all_on(
            transcript_export__csv={"enabled": False},
            transcript_export__txt={"enabled": False},
            transcript_export__pdf={"enabled": False},
            integrations={"enabled": False},
        )
        first = await _put(browser, world.assigned, csrf, 1, none_selected)
        export_off = _all_on(transcript_export={"enabled": False})
        second = await _put(browser, world.assigned, csrf, 1, export_off)
    assert first.status_code == second.status_code == 422
    assert first.json()["error"]["details"] == [
        {"field": "transcript_export", "message": FORMATS_ON}
    ]
    assert second.json()["error"]["details"] == [
        {"field": "transcript_export", "message": FORMATS_OFF}
    ]
    tenant = await client.get(f"/api/v1/tenants/{world.assigned}", headers=admin)
    assert tenant.json()["entitlementsVersion"] == 1
    integrations = await client.get(
        f"/api/v1/tenants/{world.assigned}/entitlements/integrations", headers=admin
    )
    assert integrations.json()["enabled"] is True


async def test_a_save_without_the_csrf_token_is_refused(app: FastAPI, world: World) -> None:
    async with browser_for(app) as browser:
        await sign_in(browser, world.email("partner_admin"))
        missing = await _put(browser, world.assigned, None, 1, _all_on())
        forged = await _put(browser, world.assigned, "forged", 1, _all_on())
    assert missing.status_code == forged.status_code == 403


async def test_a_save_needs_the_version(app: FastAPI, world: World) -> None:
    async with browser_for(app) as browser:
        await sign_in(browser, world.email("partner_admin"))
        csrf = await page_csrf(browser)
        response = await browser.put(
            f"/api/portal/tenants/{world.assigned}/entitlements",
            json={"entitlements": _all_on()},
            headers={"X-CSRF-Token": csrf},
        )
    assert response.status_code == 428


async def test_a_save_outside_the_active_context_is_not_found(app: FastAPI, world: World) -> None:
    async with browser_for(app) as platform:
        await sign_in(platform, world.email("platform_admin"))
        csrf = await page_csrf(platform)
        await platform.post("/context", data={"tenantId": world.own, "csrf": csrf})
        elsewhere = await _put(platform, world.unassigned, csrf, 1, _all_on())
        missing = await _put(platform, "ten_doesnotexist0000", csrf, 1, _all_on())
    assert elsewhere.status_code == missing.status_code == 404
    assert elsewhere.content == missing.content


async def test_signed_out_saves_are_unauthorized(app: FastAPI, world: World) -> None:
    async with browser_for(app) as browser:
        response = await _put(browser, world.assigned, "x", 1, _all_on())
    assert response.status_code == 401


# -- audit log access ---------------------------------------------------------------------------


async def test_client_admin_reads_the_audit_log_only_where_the_plan_includes_it(
    app: FastAPI, world: World, client: httpx.AsyncClient, admin: dict[str, str]
) -> None:
    async with browser_for(app) as browser:
        await sign_in(browser, world.email("client_admin"))
        assert (await browser.get(f"/api/v1/tenants/{world.own}/audit-log")).status_code == 200
        await client.patch(
            f"/api/v1/tenants/{world.own}", json={"packageId": "starter"}, headers=admin
        )
        refused = await browser.get(f"/api/v1/tenants/{world.own}/audit-log")
        assert refused.status_code == 403
    log = await client.get(f"/api/v1/tenants/{world.own}/audit-log", headers=admin)
    [entry] = log.json()["entries"]
    assert entry["action"] == "tenant.plan_changed"
    assert entry["before"] == {"packageId": "professional"}
    assert entry["after"] == {"packageId": "starter"}


async def test_api_writes_from_a_portal_session_need_the_csrf_token(
    app: FastAPI, world: World
) -> None:
    async with browser_for(app) as browser:
        await sign_in(browser, world.email("partner_admin"))
        csrf = await page_csrf(browser)
        path = f"/api/v1/tenants/{world.assigned}/entitlements"
        body = {"entitlements": [], "version": 1}
        assert (await browser.put(path, json=body)).status_code == 403
        assert (
            await browser.put(path, json=body, headers={"X-CSRF-Token": "x"})
        ).status_code == 403
        assert (await browser.get(path)).status_code == 200  # reads need no token
        ok = await browser.put(path, json=body, headers={"X-CSRF-Token": csrf})
        assert ok.status_code == 200
