"""Reading events: the quick path for the common shape rejects what the careful path rejects."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from allotment.metering.intake import EventIn, Rejection, parse_events

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
GOOD = {"tenantId": "t1", "featureId": "f1", "idempotencyKey": "k1", "userId": "u1"}


def _parse(raws: list[Any]) -> list[EventIn | Rejection]:
    return parse_events(raws, NOW, max_lateness=timedelta(days=7), max_future=timedelta(minutes=5))


def test_common_events_parse_with_their_index_and_quantity() -> None:
    parsed = _parse([GOOD, {**GOOD, "quantity": 7}, {**GOOD, "quantity": 10**6, "key": "c9"}])
    assert parsed == [
        EventIn(0, "t1", "f1", Decimal(1), "u1", None, NOW, "k1"),
        EventIn(1, "t1", "f1", Decimal(7), "u1", None, NOW, "k1"),
        EventIn(2, "t1", "f1", Decimal(10**6), "u1", "c9", NOW, "k1"),
    ]


def test_odd_text_is_rejected_with_a_reason() -> None:
    odd = [
        ({**GOOD, "tenantId": "   "}, "tenantId must be a non-empty string"),
        ({**GOOD, "featureId": ""}, "featureId must be a non-empty string"),
        ({**GOOD, "idempotencyKey": "k" * 201}, "idempotencyKey must be at most 200 characters"),
        ({**GOOD, "userId": "\t"}, "userId must be a non-empty string"),
        ({**GOOD, "key": "x" * 201}, "key must be at most 200 characters"),
        ({**GOOD, "tenantId": 5}, "tenantId must be a non-empty string"),
        ({**GOOD, "quantity": True}, "quantity must be a number"),
        ({**GOOD, "quantity": 10**14}, "quantity must be below 10^14 with at most 6 decimals"),
    ]
    parsed = _parse([raw for raw, _ in odd])
    assert [(p.index, p.reason) for p in parsed if isinstance(p, Rejection)] == [
        (i, reason) for i, (_, reason) in enumerate(odd)
    ]


def test_the_careful_path_still_reads_what_the_quick_one_skips() -> None:
    parsed = _parse(
        [
            {**GOOD, "quantity": "2.5"},
            {**GOOD, "quantity": 1.25, "timestamp": "2026-03-02T08:00:00Z"},
        ]
    )
    assert parsed == [
        EventIn(0, "t1", "f1", Decimal("2.5"), "u1", None, NOW, "k1"),
        EventIn(1, "t1", "f1", Decimal("1.25"), "u1", None, NOW - timedelta(hours=1), "k1"),
    ]
