"""Consume without the framework: a pure ASGI layer for the metering hot path.

``POST /api/v1/tenants/{tenantId}/features/{featureId}/consume`` with a cached API key is
validated with the route's own schema (``ConsumeIn``) and handed to the same ``Metering.consume``
the route calls; its answer, or its typed error, is rendered as the route would. A request this
layer cannot fully vouch for (no bearer key, a key not yet cached, a body the schema rejects, a
caller without the right) is replayed untouched to the regular route, which gives the full
answer and warms the key cache. So both paths answer the same.
"""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import ValidationError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from allotment.access.dependencies import bearer_from_scope
from allotment.access.policy import Permission
from allotment.access.service import KeyRegistry
from allotment.errors import AppError, app_error_response
from allotment.metering.runtime import Metering
from allotment.metering.schemas import ConsumeIn

_PREFIX = "/api/v1/tenants/"
_MAX_BODY = 4096


class ConsumeFastPath:
    def __init__(self, app: ASGIApp, *, keys: KeyRegistry, metering: Metering) -> None:
        self.app = app
        self.keys = keys
        self.metering = metering

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        target = self._target(scope)
        if target is None:
            await self.app(scope, receive, send)
            return
        body, more = await _read_body(receive)
        request = None if more else _parse(body)
        if request is None:
            await self.app(scope, _replay(body, more, receive), send)
            return
        tenant_id, feature_id = target
        try:
            decision = await self.metering.consume(
                tenant_id,
                feature_id,
                request.amount,
                idempotency_key=request.idempotency_key,
                user_id=request.user_id,
                key=request.key,
            )
        except AppError as exc:
            await app_error_response(exc)(scope, receive, send)
            return
        await _send_json(send, orjson.dumps(decision.as_json()))

    def _target(self, scope: Scope) -> tuple[str, str] | None:
        path: str = scope["path"]
        if not path.startswith(_PREFIX):
            return None
        parts = path[len(_PREFIX) :].split("/")
        if len(parts) != 4 or parts[1] != "features" or parts[3] != "consume":
            return None
        secret = bearer_from_scope(scope["headers"])
        principal = self.keys.peek(secret) if secret else None
        if (
            principal is None
            or not principal.may_see_tenant(parts[0])
            or not principal.can(Permission.USAGE_RECORD)
        ):
            return None
        return parts[0], parts[2]


def _parse(body: bytes) -> ConsumeIn | None:
    try:
        return ConsumeIn.model_validate_json(body)
    except ValidationError:
        return None


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    """The request body, up to a small cap; ``more`` is True when the cap stopped the read."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunk: bytes = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), False
        if size > _MAX_BODY:
            return b"".join(chunks), True


def _replay(body: bytes, more: bool, receive: Receive) -> Receive:
    """Hand the downstream app the body already read, then the rest of the stream."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": more}
        return await receive()

    return replay


async def _send_json(send: Send, body: bytes) -> None:
    headers: list[Any] = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})
