"""Metering windows: which window a moment falls in, for each reset period. Pure.

No clock and no session here: every function takes the moment (an aware datetime) and whatever
else it needs (the tenant's time zone, the billing anchor, the previous session's end) as input.

A window's ``key`` names it among the feature's windows; it is part of a counter's identity.
Calendar windows are keyed by their UTC start, so each month or week gets its own counter row
and past windows stay readable. A 6-hour session has one rolling row per tenant and feature
(key ``session``): it is reopened in place, atomically, when a use arrives after it closed.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from allotment.catalog.snapshot import (
    ResetPeriod as ResetPeriod,
)  # re-exported: periods are windows' input

SESSION_LENGTH = timedelta(hours=6)
LIFETIME_KEY = "lifetime"
SESSION_KEY = "session"
PER_KEY_KEY = "per_key"
# The start of the lifetime window: any fixed moment before all usage.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Window:
    key: str
    start: datetime | None
    end: datetime | None

    def contains(self, at: datetime) -> bool:
        if self.start is not None and at < self.start:
            return False
        return self.end is None or at < self.end


@lru_cache(maxsize=512)
def zone(name: str | None) -> tzinfo:
    """The named zone; UTC for none or an unknown name (a stored zone was validated on write)."""
    if not name or name == "UTC":
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _require_aware(at: datetime) -> None:
    if at.tzinfo is None:
        raise ValueError("windows need an aware datetime")


def _local_midnight_utc(day: date, tz: tzinfo) -> datetime:
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def _calendar_window(start: datetime, end: datetime) -> Window:
    return Window(start.isoformat(), start, end)


def month_window(at: datetime, tz: tzinfo = UTC) -> Window:
    """The calendar month holding ``at``, in the tenant's zone."""
    _require_aware(at)
    local = at.astimezone(tz)
    first = date(local.year, local.month, 1)
    following = date(local.year + local.month // 12, local.month % 12 + 1, 1)
    return _calendar_window(_local_midnight_utc(first, tz), _local_midnight_utc(following, tz))


def week_window(at: datetime, tz: tzinfo = UTC) -> Window:
    """The ISO week (Monday 00:00 to the next Monday) holding ``at``, in the tenant's zone."""
    _require_aware(at)
    local = at.astimezone(tz).date()
    monday = local - timedelta(days=local.weekday())
    return _calendar_window(
        _local_midnight_utc(monday, tz), _local_midnight_utc(monday + timedelta(days=7), tz)
    )


def add_months(moment: datetime, months: int, day: int) -> datetime:
    """``moment`` moved by whole months onto ``day``, clamped to the month's last day."""
    index = moment.year * 12 + (moment.month - 1) + months
    year, month = divmod(index, 12)
    month += 1
    last = calendar.monthrange(year, month)[1]
    return moment.replace(year=year, month=month, day=min(day, last))


def billing_window(at: datetime, anchor: datetime, tz: tzinfo = UTC) -> Window:
    """Monthly periods anchored on ``anchor`` (the subscription start).

    A period starts on the anchor's day of month at the anchor's wall-clock time, in the tenant's
    zone; a day the month lacks is clamped to its last day (anchor Jan 31: Feb 28 or 29, then Mar
    31 again).
    """
    _require_aware(at)
    _require_aware(anchor)
    base = anchor.astimezone(tz).replace(tzinfo=None)
    local = at.astimezone(tz).replace(tzinfo=None)
    months = (local.year - base.year) * 12 + (local.month - base.month)
    start = add_months(base, months, base.day)
    if start > local:
        months -= 1
        start = add_months(base, months, base.day)
    end = add_months(base, months + 1, base.day)
    start_utc = start.replace(tzinfo=tz).astimezone(UTC)
    end_utc = end.replace(tzinfo=tz).astimezone(UTC)
    return _calendar_window(start_utc, end_utc)


def session_window(at: datetime, previous: Window | None = None) -> Window:
    """The 6-hour session a use at ``at`` counts in.

    A session opens at the first use after the previous one closed and lasts exactly six hours;
    a use at the very moment it closes opens the next one.
    """
    _require_aware(at)
    if previous is not None and previous.start is not None and previous.end is not None:
        current = Window(SESSION_KEY, previous.start, previous.end)
        if current.contains(at):
            return current
    start = at.astimezone(UTC)
    return Window(SESSION_KEY, start, start + SESSION_LENGTH)


def window_for(
    period: str,
    at: datetime,
    *,
    time_zone: str | None = None,
    anchor: datetime | None = None,
    previous: Window | None = None,
) -> Window:
    """The window a use at ``at`` falls in, for any reset period.

    ``anchor`` is the billing anchor (required for ``billing_period``); ``previous`` is the
    stored session window (for ``session_6h``).
    """
    tz = zone(time_zone)
    match ResetPeriod(period):
        case ResetPeriod.NONE:
            return Window(LIFETIME_KEY, EPOCH, None)
        case ResetPeriod.MONTH:
            return month_window(at, tz)
        case ResetPeriod.WEEK:
            return week_window(at, tz)
        case ResetPeriod.BILLING_PERIOD:
            if anchor is None:
                raise ValueError("a billing period needs its anchor")
            return billing_window(at, anchor, tz)
        case ResetPeriod.SESSION_6H:
            return session_window(at, previous)
        case ResetPeriod.PER_KEY:
            return Window(PER_KEY_KEY, None, None)
    raise AssertionError(period)  # pragma: no cover - StrEnum rejects anything else


_PERIODS = frozenset(p.value for p in ResetPeriod)


def is_metered(period: str | None) -> bool:
    return period is not None and period in _PERIODS
