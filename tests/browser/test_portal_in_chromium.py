"""The portal in a real browser: each role's page, editing, conflicts, the format rule, sign-out."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import DEMO_PASSWORD, SCREENSHOTS

pytestmark = pytest.mark.browser

FORMATS_ON = "If transcript export is enabled, at least one format must be selected."
FORMATS_OFF = "If transcript export is disabled, no formats can be selected."
CONFLICT = "Refresh the page to load the latest version, then apply the change again."
ROLE_EMAILS = {
    "platform_admin": "platform.admin@demo.test",
    "partner_admin": "partner.admin@demo.test",
    "partner_user": "partner.user@demo.test",
    "client_admin": "client.admin@demo.test",
    "client_manager": "client.manager@demo.test",
    "client_staff": "client.staff@demo.test",
}


def _new_page(browser: Browser, width: int = 1100) -> tuple[BrowserContext, Page]:
    context = browser.new_context(viewport={"width": width, "height": 900})
    return context, context.new_page()


def _sign_in(page: Page, base: str, email: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")


def _shot(page: Page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def _open_entitlements_as(browser: Browser, base: str, role: str) -> tuple[BrowserContext, Page]:
    context, page = _new_page(browser)
    _sign_in(page, base, ROLE_EMAILS[role])
    if role == "platform_admin":
        # Many tenants: the platform admin chooses which one to act on.
        expect(page).to_have_url(re.compile(r"/context"))
        page.get_by_role("button", name=re.compile("Acme")).click()
    page.goto(f"{base}/settings/entitlements")
    return context, page


def test_each_role_sees_exactly_its_page(browser: Browser, portal_url: str) -> None:
    for role in ROLE_EMAILS:
        context, page = _open_entitlements_as(browser, portal_url, role)
        save = page.get_by_role("button", name="Save")
        if role in ("platform_admin", "partner_admin"):
            expect(page.get_by_test_id("page-tenant")).to_have_text("Acme")
            expect(page.get_by_test_id("plan-tier")).to_have_text("Professional")
            expect(save).to_be_visible()
            expect(page.get_by_label("Integrations")).to_be_checked()
            expect(page.get_by_label("PDF")).to_be_checked()
            expect(page.locator("#limit-concurrent_calls")).to_have_value("25")
        elif role == "client_admin":
            expect(page.get_by_test_id("plan-tier")).to_have_text("Professional")
            expect(page.get_by_text("Recording download")).to_be_visible()
            expect(page.get_by_text("50 seats")).to_be_visible()
            expect(page.get_by_test_id("read-only-note")).to_be_visible()
            expect(save).to_have_count(0)
            expect(page.locator("input[type=checkbox], input[type=number]")).to_have_count(0)
        elif role == "client_manager":
            expect(page.get_by_test_id("plan-tier")).to_have_text("Professional")
            expect(page.get_by_test_id("plan-summary")).to_be_visible()
            expect(page.get_by_text("Recording download")).to_have_count(0)
            expect(page.get_by_text("User seats")).to_have_count(0)
            expect(save).to_have_count(0)
        else:
            expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
            expect(page.get_by_text("Plan and entitlements")).to_have_count(0)
        _shot(page, f"entitlements-{role.replace('_', '-')}")
        context.close()
    # The same page at phone width.
    context, page = _new_page(browser, width=390)
    _sign_in(page, portal_url, ROLE_EMAILS["partner_admin"])
    expect(page.get_by_role("button", name="Save")).to_be_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert overflow is False
    _shot(page, "entitlements-partner-admin-phone")
    context.close()


def test_partner_admin_edits_and_saves(browser: Browser, portal_url: str) -> None:
    context, page = _open_entitlements_as(browser, portal_url, "partner_admin")
    page.get_by_label("Integrations").uncheck()
    page.locator("[data-unlimited-for=user_seats]").check()
    page.locator("#limit-concurrent_calls").fill("40")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("save-status")).to_have_text("Saved.")
    page.reload()
    expect(page.get_by_label("Integrations")).not_to_be_checked()
    expect(page.locator("[data-unlimited-for=user_seats]")).to_be_checked()
    expect(page.locator("#limit-concurrent_calls")).to_have_value("40")
    context.close()
    # The client admin now reads the new values.
    context, page = _open_entitlements_as(browser, portal_url, "client_admin")
    expect(page.get_by_text("Unlimited")).to_be_visible()
    expect(page.get_by_text("40 calls")).to_be_visible()
    context.close()


def test_two_editors_at_once_the_second_sees_the_conflict(
    browser: Browser, portal_url: str
) -> None:
    first_context, first = _open_entitlements_as(browser, portal_url, "partner_admin")
    second_context, second = _open_entitlements_as(browser, portal_url, "platform_admin")
    first.get_by_label("Outbound calling").uncheck()
    first.get_by_role("button", name="Save").click()
    expect(first.get_by_test_id("save-status")).to_have_text("Saved.")
    second.get_by_label("Recording download").uncheck()
    second.get_by_role("button", name="Save").click()
    status = second.get_by_test_id("save-status")
    expect(status).to_contain_text("Save failed due to a conflict")
    expect(status).to_contain_text(CONFLICT)
    _shot(second, "entitlements-conflict")
    second.get_by_role("button", name="Refresh the page").click()
    expect(second.get_by_label("Outbound calling")).not_to_be_checked()
    expect(second.get_by_label("Recording download")).to_be_checked()
    first_context.close()
    second_context.close()


def test_the_format_rule_trips_with_its_message(browser: Browser, portal_url: str) -> None:
    context, page = _open_entitlements_as(browser, portal_url, "partner_admin")
    for fmt in ("CSV", "TXT", "PDF"):
        page.get_by_label(fmt, exact=True).uncheck()
    page.get_by_role("button", name="Save").click()
    error = page.get_by_test_id("formats-error")
    expect(error).to_have_text(FORMATS_ON)
    expect(page.get_by_test_id("save-status")).to_contain_text("Nothing was saved")
    _shot(page, "entitlements-format-rule")
    page.get_by_label("Transcript export", exact=True).uncheck()
    page.get_by_label("CSV", exact=True).check()
    page.get_by_role("button", name="Save").click()
    expect(error).to_have_text(FORMATS_OFF)
    page.reload()
    expect(page.get_by_label("Transcript export", exact=True)).to_be_checked()
    expect(page.get_by_label("PDF", exact=True)).to_be_checked()
    context.close()


def test_sign_out_ends_the_session(browser: Browser, portal_url: str) -> None:
    context, page = _open_entitlements_as(browser, portal_url, "client_admin")
    cookie = next(c for c in context.cookies() if c["name"] == "allotment_session")
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Lax"
    assert "allotment_session" not in page.evaluate("document.cookie")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    _shot(page, "login-signed-out")
    page.goto(f"{portal_url}/settings/entitlements")
    expect(page).to_have_url(re.compile(r"/login"))
    # The old cookie, replayed, no longer opens anything.
    replay = browser.new_context()
    replay.add_cookies([cookie])
    replay_page = replay.new_page()
    replay_page.goto(f"{portal_url}/settings/entitlements")
    expect(replay_page).to_have_url(re.compile(r"/login"))
    replay.close()
    context.close()
