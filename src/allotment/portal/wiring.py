"""Plugs the portal into the app: static files, the session as a way to authenticate, and the
HTML not-found page."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from allotment.portal.rendering import HERE, install_not_found_page
from allotment.portal.sessions import session_principal


def install_portal(app: FastAPI) -> None:
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.state.principal_resolvers.append(session_principal)
    install_not_found_page(app)
