"""The portal's pages: sign-in, sign-out, tenant context, and Plan and Entitlements."""

from __future__ import annotations

import math
import re
import secrets
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from allotment.access import people_service, session_service
from allotment.access.policy import entitlements_view
from allotment.catalog import service as catalog_service
from allotment.db.dependencies import ClockDep, ReadSession, WriteSession
from allotment.entitlements.cache import EntitlementCache
from allotment.portal.rendering import not_found_page, page
from allotment.portal.sessions import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    Signed,
    clear_session_cookie,
    csrf_matches,
    forget,
    limits,
    set_session_cookie,
    tenants_for,
)
from allotment.portal.view_models import build_page
from allotment.settings import Settings

router = APIRouter(include_in_schema=False)

ENTITLEMENTS_PATH = "/settings/entitlements"
WRONG_CREDENTIALS = "The e-mail address or password is not correct."
FORM_EXPIRED = "The sign-in form expired. Please try again."


_LOCAL_PATH = re.compile(r"/(?![/\\])[A-Za-z0-9/_.~%?=&-]*")


def _local_path(target: str | None, default: str) -> str:
    """Only same-site paths are followed after sign-in, so ``next`` cannot send anyone away.

    Browsers drop tabs and newlines from URLs and read a backslash as a slash, so anything beyond
    plain path characters is refused rather than cleaned."""
    if target and _LOCAL_PATH.fullmatch(target):
        return target
    return default


def _redirect(target: str) -> RedirectResponse:
    return RedirectResponse(target, status_code=303)


def _to_login(request: Request) -> RedirectResponse:
    return _redirect(f"/login?next={request.url.path}")


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _login_form(
    request: Request, *, next_path: str, email: str = "", error: str = "", notice: str = "",
    status_code: int = 200,
) -> Response:  # fmt: skip
    token = secrets.token_urlsafe(32)
    response = page(
        request,
        "login.html",
        None,
        status_code=status_code,
        login_csrf=token,
        next_path=next_path,
        email=email,
        error=error,
        notice=notice,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/login",
    )
    return response


@router.get("/")
async def home(request: Request, signed: Signed) -> Response:
    if signed is None:
        return _to_login(request)
    if entitlements_view(signed.principal.role) is not None and signed.tenant_count > 0:
        return _redirect(ENTITLEMENTS_PATH)
    return page(request, "home.html", signed)


@router.get("/login")
async def login_page(
    request: Request, signed: Signed, next: str | None = None, signed_out: int = 0
) -> Response:
    if signed is not None:
        return _redirect(_local_path(next, "/"))
    notice = "You have signed out." if signed_out else ""
    return _login_form(request, next_path=_local_path(next, "/"), notice=notice)


@router.post("/login")
async def login(
    request: Request,
    session: WriteSession,
    clock: ClockDep,
    email: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/",
) -> Response:
    settings: Settings = request.app.state.settings
    next_path = _local_path(next, "/")
    email = email.strip().lower()
    if not csrf_matches(request.cookies.get(LOGIN_CSRF_COOKIE, ""), csrf) or not csrf:
        return _login_form(
            request, next_path=next_path, email=email, error=FORM_EXPIRED, status_code=400
        )
    ip = _client_ip(request)
    window = timedelta(minutes=settings.sign_in_window_minutes)
    blocked_until = await session_service.sign_in_blocked_until(
        session, clock, email=email, ip=ip, max_failures=settings.sign_in_max_failures,
        window=window,
    )  # fmt: skip
    if blocked_until is not None:
        minutes = max(1, math.ceil((blocked_until - clock()).total_seconds() / 60))
        return _login_form(
            request,
            next_path=next_path,
            email=email,
            error=f"Too many failed sign-in attempts. Try again in {minutes} "
            f"minute{'s' if minutes != 1 else ''}.",
            status_code=429,
        )
    user = await people_service.authenticate(session, email, password)
    if user is None:
        await session_service.record_failure(session, clock, email=email, ip=ip, window=window)
        return _login_form(
            request, next_path=next_path, email=email, error=WRONG_CREDENTIALS, status_code=401
        )
    await session_service.clear_failures(session, email=email, ip=ip)
    old_token = request.cookies.get(SESSION_COOKIE)
    if old_token:
        await session_service.end_session(session, old_token)
    principal = await people_service.principal_for_user(session, user)
    tenants = await tenants_for(session, principal)
    token, _row = await session_service.start_session(
        session, clock, limits(settings), user, tenants[0].id if len(tenants) == 1 else None
    )
    response = _redirect(next_path)
    set_session_cookie(request, response, token)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
async def logout(
    request: Request, signed: Signed, session: WriteSession, csrf: Annotated[str, Form()] = ""
) -> Response:
    if signed is None:
        return _redirect("/login")
    if not csrf_matches(signed.csrf_token, csrf):
        return page(request, "message.html", signed, status_code=403, title="Sign-out failed",
                    message="The form has expired. Refresh the page and try again.")  # fmt: skip
    await session_service.end_session(session, signed.token)
    response = _redirect("/login?signed_out=1")
    clear_session_cookie(request, response)
    return response


@router.get("/context")
async def context_page(
    request: Request, signed: Signed, session: ReadSession, next: str | None = None
) -> Response:
    if signed is None:
        return _to_login(request)
    tenants = await tenants_for(session, signed.principal)
    return page(
        request,
        "context.html",
        signed,
        tenants=tenants,
        next_path=_local_path(next, ENTITLEMENTS_PATH),
    )


@router.post("/context")
async def choose_context(
    request: Request,
    signed: Signed,
    session: WriteSession,
    tenantId: Annotated[str, Form()] = "",
    csrf: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = ENTITLEMENTS_PATH,
) -> Response:
    if signed is None:
        return _to_login(request)
    if not csrf_matches(signed.csrf_token, csrf):
        return page(request, "message.html", signed, status_code=403, title="Not switched",
                    message="The form has expired. Refresh the page and try again.")  # fmt: skip
    scoped = {t.id for t in await tenants_for(session, signed.principal)}
    if tenantId not in scoped:
        return not_found_page(request)
    await session_service.set_active_tenant(session, signed.token, tenantId)
    forget(request)
    return _redirect(_local_path(next, ENTITLEMENTS_PATH))


@router.get(ENTITLEMENTS_PATH)
async def entitlements_page(request: Request, signed: Signed, session: ReadSession) -> Response:
    if signed is None:
        return _to_login(request)
    mode = entitlements_view(signed.principal.role)
    if mode is None:
        return not_found_page(request)
    tenant = signed.active_tenant
    if tenant is None:
        if signed.tenant_count == 0:
            return not_found_page(request)
        return _redirect(f"/context?next={ENTITLEMENTS_PATH}")
    cache: EntitlementCache = request.app.state.entitlements
    view = await cache.tenant(tenant.id)
    if view is None:
        return not_found_page(request)
    snapshot = await cache.catalog()
    package = await catalog_service.get_package(session, view.package_id)
    model = build_page(mode, package.tier, snapshot.features, view.effective)
    return page(
        request,
        "entitlements.html",
        signed,
        tenant=tenant,
        model=model,
        version=view.version,
        export_feature="transcript_export",
    )
