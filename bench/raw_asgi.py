"""The server floor: an ASGI app that answers ``{}`` with no framework at all."""

from __future__ import annotations

from typing import Any

_BODY = b"{}"


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", b"2")],
        }
    )
    await send({"type": "http.response.body", "body": _BODY})
