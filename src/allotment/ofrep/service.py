"""Entitlements as OpenFeature flags: request parsing and evaluation. No I/O here.

A BOOLEAN feature is a boolean flag (on and allowed); a NUMBER feature is an integer flag whose
value is the limit (-1 unlimited, 0 no access).
"""

from __future__ import annotations

from typing import Any

import orjson

from allotment.entitlements.resolution import UNLIMITED, Effective, Source

PARSE_ERROR = "PARSE_ERROR"
TARGETING_KEY_MISSING = "TARGETING_KEY_MISSING"
INVALID_CONTEXT = "INVALID_CONTEXT"
FLAG_NOT_FOUND = "FLAG_NOT_FOUND"

# A plan cell or a tenant override was chosen by the tenant in targetingKey; a feature default
# applies to everyone.
_REASONS = {
    Source.PLAN: "TARGETING_MATCH",
    Source.OVERRIDE: "TARGETING_MATCH",
    Source.DEFAULT: "DEFAULT",
}


class OfrepFailure(Exception):
    """An OFREP error answer: rendered with OFREP's own body, not the service's error envelope."""

    def __init__(self, status_code: int, error_code: str, details: str) -> None:
        super().__init__(details)
        self.status_code = status_code
        self.error_code = error_code
        self.details = details

    def body(self, key: str | None) -> dict[str, str]:
        answer = {"errorCode": self.error_code, "errorDetails": self.details}
        return {"key": key, **answer} if key is not None else answer


def flag_not_found(key: str) -> OfrepFailure:
    return OfrepFailure(404, FLAG_NOT_FOUND, f"No feature '{key}' exists.")


def unknown_tenant() -> OfrepFailure:
    # The same answer for a tenant that does not exist and one this key may not see.
    return OfrepFailure(400, INVALID_CONTEXT, "context.targetingKey names no tenant you may read.")


def targeting_key(raw: bytes) -> str:
    """The tenant id from ``{"context": {"targetingKey": ...}}``."""
    if not raw.strip():
        raise OfrepFailure(400, TARGETING_KEY_MISSING, "Send context.targetingKey (a tenant id).")
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise OfrepFailure(400, PARSE_ERROR, "The request body is not valid JSON.") from None
    if not isinstance(body, dict):
        raise OfrepFailure(400, INVALID_CONTEXT, "The request body must be a JSON object.")
    context = body.get("context")
    if context is None:
        raise OfrepFailure(400, TARGETING_KEY_MISSING, "Send context.targetingKey (a tenant id).")
    if not isinstance(context, dict):
        raise OfrepFailure(400, INVALID_CONTEXT, "context must be a JSON object.")
    key = context.get("targetingKey")
    if key is None or key == "":
        raise OfrepFailure(400, TARGETING_KEY_MISSING, "Send context.targetingKey (a tenant id).")
    if not isinstance(key, str):
        raise OfrepFailure(400, INVALID_CONTEXT, "context.targetingKey must be a string.")
    return key


def flag_value(eff: Effective) -> bool | int:
    if eff.type != "NUMBER":
        return eff.allowed
    if not eff.enabled:
        return 0
    return UNLIMITED if eff.value is None else eff.value


def variant(value: bool | int) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if value == UNLIMITED:
        return "unlimited"
    return "off" if value == 0 else "limited"


def evaluation(eff: Effective, package_id: str) -> dict[str, Any]:
    value = flag_value(eff)
    return {
        "key": eff.feature_id,
        "value": value,
        "reason": _REASONS[eff.source],
        "variant": variant(value),
        "metadata": {"type": eff.type, "source": eff.source.value, "packageId": package_id},
    }
