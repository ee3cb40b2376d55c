"""Limits and what they allow. Pure: the -1 / 0 conventions live here and nowhere else.

A limit of -1 is unlimited (always allows); 0 allows nothing; any other value caps the window's
total. ``used`` and amounts are Decimals so that fractional usage (cost, minutes) is exact.
"""

from __future__ import annotations

from decimal import Decimal

UNLIMITED = -1
THRESHOLDS: tuple[int, ...] = (80, 100)
_HUNDRED = Decimal(100)
_CENT = Decimal("0.01")


def allows(limit: int, used: Decimal, amount: Decimal) -> bool:
    """Would ``amount`` more fit under ``limit``, given ``used`` so far?"""
    if limit == UNLIMITED:
        return True
    if limit <= 0:
        return False
    return used + amount <= limit


def remaining(limit: int, used: Decimal) -> Decimal:
    if limit == UNLIMITED:
        return Decimal(UNLIMITED)
    return max(Decimal(0), Decimal(max(limit, 0)) - used)


def percent_used(limit: int, used: Decimal) -> Decimal:
    """Share of the limit used, in percent with two decimals; 0 when unlimited."""
    if limit == UNLIMITED:
        return Decimal(0)
    if limit <= 0:
        return _HUNDRED
    return (used * _HUNDRED / limit).quantize(_CENT)


def crossed(limit: int, before: Decimal, after: Decimal) -> list[int]:
    """The thresholds (percent of the limit) passed by moving from ``before`` to ``after``.

    Counters only grow within a window and every increment is atomic, so exactly one increment
    sees each crossing: that is what makes "once per window" hold without a lock.
    """
    if limit <= 0 or after <= before:
        return []
    marks = []
    for percent in THRESHOLDS:
        level = Decimal(limit) * percent / _HUNDRED
        if before < level <= after:
            marks.append(percent)
    return marks


def json_number(value: Decimal) -> int | float:
    """A quantity as a JSON number: an integer when whole (the seed's examples), else a float."""
    if value == value.to_integral_value():
        return int(value)
    return float(value)
