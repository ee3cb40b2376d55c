"""Templates, and the one not-found page every unsupported or unknown portal URL answers with."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.exceptions import HTTPException as StarletteHTTPException

from allotment.access.people_rules import ROLE_LABELS
from allotment.access.policy import Permission, entitlements_view
from allotment.errors import http_error_response
from allotment.portal.sessions import CSRF_FIELD, SignedIn
from allotment.settings import Settings

HERE = Path(__file__).parent
templates = Jinja2Templates(directory=HERE / "templates")

# Paths answered in JSON; everything else is the portal, which answers in HTML.
_API_PREFIXES = ("/api/", "/ofrep/", "/openapi.json", "/docs", "/redoc", "/healthz")


def nav_links(signed: SignedIn) -> list[tuple[str, str]]:
    """Only what the role may open. The pages check again: this is not the security boundary."""
    links: list[tuple[str, str]] = []
    if entitlements_view(signed.principal.role) is not None and signed.tenant_count > 0:
        links.append(("/settings/entitlements", "Plan and entitlements"))
    if signed.tenant_count > 1:
        links.append(("/context", "Switch client"))
    return links


def page(
    request: Request,
    template: str,
    signed: SignedIn | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    settings: Settings = request.app.state.settings
    base: dict[str, Any] = {
        "product_name": settings.product_name,
        "support_email": settings.support_email,
        "signed": signed,
        "csrf_field": CSRF_FIELD,
    }
    if signed is not None:
        base["nav"] = nav_links(signed)
        base["role_label"] = ROLE_LABELS[signed.principal.role]
        base["may_edit"] = signed.principal.can(Permission.ENTITLEMENTS_EDIT)
    response = templates.TemplateResponse(
        request, template, {**base, **context}, status_code=status_code
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def not_found_page(request: Request) -> Response:
    """Byte for byte the same whoever asks and whatever they asked for: it reveals nothing."""
    body: bytes = request.app.state.portal_not_found
    return Response(
        body,
        status_code=404,
        media_type="text/html; charset=utf-8",
        headers={"Cache-Control": "no-store"},
    )


def install_not_found_page(app: FastAPI) -> None:
    settings: Settings = app.state.settings
    template = templates.get_template("not_found.html")
    app.state.portal_not_found = template.render(
        product_name=settings.product_name, support_email=settings.support_email
    ).encode()

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404 and not request.url.path.startswith(_API_PREFIXES):
            return not_found_page(request)
        return http_error_response(exc)
