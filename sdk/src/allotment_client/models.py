"""What the server answers, as small immutable values. Field names follow Python; the wire is
camelCase."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from allotment_client.errors import AllotmentError

UNLIMITED = -1


def _protocol_error(what: str, body: Any) -> AllotmentError:
    return AllotmentError(f"Unexpected {what} from the server: {body!r:.200}")


@dataclass(frozen=True, slots=True)
class Entitlement:
    feature_id: str
    type: str
    enabled: bool
    value: int | None
    source: str

    @property
    def allowed(self) -> bool:
        """On, and for a NUMBER not limited to 0 (the value conventions: 0 is no access)."""
        if not self.enabled:
            return False
        return self.type != "NUMBER" or self.value != 0

    @property
    def limit(self) -> int:
        """-1 unlimited, 0 no access, 1 on (BOOLEAN), otherwise the NUMBER's limit."""
        if not self.allowed:
            return 0
        if self.type != "NUMBER":
            return 1
        return UNLIMITED if self.value is None else self.value

    @classmethod
    def from_json(cls, body: Any) -> Entitlement:
        try:
            value = body["value"]
            return cls(
                feature_id=str(body["featureId"]),
                type=str(body["type"]),
                enabled=bool(body["enabled"]),
                value=None if value is None else int(value),
                source=str(body.get("source", "")),
            )
        except (KeyError, TypeError, ValueError):
            raise _protocol_error("entitlement", body) from None


@dataclass(frozen=True, slots=True)
class ActionResult:
    allowed: bool
    remaining: int
    limit: int
    used: int

    @property
    def unlimited(self) -> bool:
        return self.limit == UNLIMITED

    @classmethod
    def from_json(cls, body: Any) -> ActionResult:
        try:
            return cls(
                allowed=bool(body["allowed"]),
                remaining=int(body["remaining"]),
                limit=int(body["limit"]),
                used=int(body["used"]),
            )
        except (KeyError, TypeError, ValueError):
            raise _protocol_error("action result", body) from None


def _when(raw: Any) -> datetime | None:
    if raw is None:
        return None
    return datetime.fromisoformat(str(raw).replace("Z", "+00:00"))


@dataclass(frozen=True, slots=True)
class FeatureUsage:
    feature_id: str
    used: Decimal
    limit: int
    remaining: Decimal
    window_start: datetime | None
    window_end: datetime | None
    percent_used: float | None

    @classmethod
    def from_json(cls, body: Any) -> FeatureUsage:
        try:
            percent = body.get("percentUsed")
            return cls(
                feature_id=str(body["featureId"]),
                used=Decimal(str(body["used"])),
                limit=int(body["limit"]),
                remaining=Decimal(str(body["remaining"])),
                window_start=_when(body.get("windowStart")),
                window_end=_when(body.get("windowEnd")),
                percent_used=None if percent is None else float(percent),
            )
        except (KeyError, TypeError, ValueError, AttributeError, InvalidOperation):
            raise _protocol_error("feature usage", body) from None


@dataclass(frozen=True, slots=True)
class UsageSummary:
    tenant_id: str
    features: tuple[FeatureUsage, ...]

    def feature(self, feature_id: str) -> FeatureUsage | None:
        return next((f for f in self.features if f.feature_id == feature_id), None)

    @classmethod
    def from_json(cls, body: Any) -> UsageSummary:
        try:
            return cls(
                tenant_id=str(body["tenantId"]),
                features=tuple(FeatureUsage.from_json(f) for f in body["features"]),
            )
        except (KeyError, TypeError):
            raise _protocol_error("usage summary", body) from None
