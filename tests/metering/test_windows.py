"""Windows at their edges: month ends, leap day, ISO weeks, DST zones, billing anchors, sessions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from allotment.metering.windows import (
    EPOCH,
    SESSION_LENGTH,
    Window,
    billing_window,
    month_window,
    session_window,
    week_window,
    window_for,
    zone,
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_month_window_first_and_last_instant() -> None:
    w = month_window(utc(2026, 3, 1, 0, 0))
    assert (w.start, w.end) == (utc(2026, 3, 1), utc(2026, 4, 1))
    last = month_window(utc(2026, 3, 31, 23, 59, 59, 999999))
    assert last == w
    assert month_window(utc(2026, 4, 1)).start == utc(2026, 4, 1)


def test_december_rolls_into_next_year() -> None:
    w = month_window(utc(2026, 12, 31, 23, 0))
    assert (w.start, w.end) == (utc(2026, 12, 1), utc(2027, 1, 1))


def test_leap_day_february() -> None:
    w = month_window(utc(2028, 2, 29, 12))
    assert (w.start, w.end) == (utc(2028, 2, 1), utc(2028, 3, 1))
    assert month_window(utc(2027, 2, 28, 23, 59)).end == utc(2027, 3, 1)


def test_month_in_tenant_zone() -> None:
    # 23:30 UTC on March 31 is already April 1 in Berlin (UTC+2 in summer time).
    w = month_window(utc(2026, 3, 31, 23, 30), ZoneInfo("Europe/Berlin"))
    assert w.start == utc(2026, 3, 31, 22, 0)
    assert w.end == utc(2026, 4, 30, 22, 0)


def test_month_spanning_dst_change_is_not_a_whole_number_of_days() -> None:
    # Berlin's March starts at UTC+1 and ends at UTC+2: the window is 31 days minus one hour.
    w = month_window(utc(2026, 3, 15), ZoneInfo("Europe/Berlin"))
    assert w.start == utc(2026, 2, 28, 23, 0)
    assert w.end == utc(2026, 3, 31, 22, 0)
    assert w.end - w.start == timedelta(days=31, hours=-1)


def test_new_york_november_month_start() -> None:
    w = month_window(utc(2026, 11, 15), ZoneInfo("America/New_York"))
    assert w.start == utc(2026, 11, 1, 4, 0)  # EDT, midnight is 04:00 UTC
    assert w.end == utc(2026, 12, 1, 5, 0)  # EST by then


def test_iso_week_starts_monday() -> None:
    # 2026-03-15 is a Sunday: its ISO week began Monday 2026-03-09.
    w = week_window(utc(2026, 3, 15, 23, 59))
    assert (w.start, w.end) == (utc(2026, 3, 9), utc(2026, 3, 16))
    assert week_window(utc(2026, 3, 16, 0, 0)).start == utc(2026, 3, 16)


def test_iso_week_across_year_end() -> None:
    # 2027-01-01 is a Friday; its week began Monday 2026-12-28.
    w = week_window(utc(2027, 1, 1, 8))
    assert (w.start, w.end) == (utc(2026, 12, 28), utc(2027, 1, 4))


def test_week_in_zone_ahead_of_utc() -> None:
    # Sunday 20:00 UTC is Monday 05:00 in Tokyo: a new week there.
    w = week_window(utc(2026, 3, 15, 20), ZoneInfo("Asia/Tokyo"))
    assert w.start == utc(2026, 3, 15, 15, 0)


def test_billing_anchor_on_31st_clamps_to_month_end() -> None:
    anchor = utc(2026, 1, 31, 10)
    feb = billing_window(utc(2026, 2, 15), anchor)
    assert (feb.start, feb.end) == (utc(2026, 1, 31, 10), utc(2026, 2, 28, 10))
    after = billing_window(utc(2026, 2, 28, 10), anchor)
    assert (after.start, after.end) == (utc(2026, 2, 28, 10), utc(2026, 3, 31, 10))
    assert billing_window(utc(2026, 3, 31, 9, 59), anchor).start == utc(2026, 2, 28, 10)


def test_billing_anchor_leap_year() -> None:
    anchor = utc(2027, 12, 31)
    w = billing_window(utc(2028, 2, 28, 12), anchor)
    assert (w.start, w.end) == (utc(2028, 1, 31), utc(2028, 2, 29))
    leap_day = billing_window(utc(2028, 2, 29, 12), anchor)
    assert (leap_day.start, leap_day.end) == (utc(2028, 2, 29), utc(2028, 3, 31))
    w2 = billing_window(utc(2028, 2, 29, 12), utc(2028, 1, 29))
    assert (w2.start, w2.end) == (utc(2028, 2, 29), utc(2028, 3, 29))


def test_billing_first_period_starts_at_anchor() -> None:
    anchor = utc(2026, 3, 15, 12)
    assert billing_window(anchor, anchor).start == anchor
    assert billing_window(anchor - timedelta(microseconds=1), anchor).end == anchor


def test_session_opens_at_first_use_and_lasts_exactly_six_hours() -> None:
    first = session_window(utc(2026, 3, 15, 9, 17))
    assert (first.start, first.end) == (utc(2026, 3, 15, 9, 17), utc(2026, 3, 15, 15, 17))
    just_before = utc(2026, 3, 15, 15, 16, 59, 999999)
    assert session_window(just_before, first) == first
    at_expiry = session_window(first.end, first)  # type: ignore[arg-type]
    assert at_expiry.start == first.end
    assert at_expiry.end == first.end + SESSION_LENGTH  # type: ignore[operator]


def test_session_after_gap_opens_at_that_use() -> None:
    first = session_window(utc(2026, 3, 15, 0, 0))
    later = session_window(utc(2026, 3, 16, 3, 30), first)
    assert later.start == utc(2026, 3, 16, 3, 30)


def test_lifetime_and_per_key_windows() -> None:
    at = utc(2026, 3, 15)
    assert window_for("none", at) == Window("lifetime", EPOCH, None)
    assert window_for("per_key", at) == Window("per_key", None, None)


def test_window_for_needs_anchor_for_billing_and_aware_times() -> None:
    with pytest.raises(ValueError):
        window_for("billing_period", utc(2026, 3, 15))
    with pytest.raises(ValueError):
        window_for("month", datetime(2026, 3, 15))
    with pytest.raises(ValueError):
        window_for("fortnight", utc(2026, 3, 15))


def test_unknown_zone_falls_back_to_utc() -> None:
    assert zone("Not/AZone") is UTC
    assert window_for("month", utc(2026, 3, 31, 23), time_zone="Not/AZone").start == utc(2026, 3, 1)


def test_keys_differ_per_month_and_zone() -> None:
    march = window_for("month", utc(2026, 3, 15))
    april = window_for("month", utc(2026, 4, 15))
    berlin = window_for("month", utc(2026, 3, 15), time_zone="Europe/Berlin")
    assert len({march.key, april.key, berlin.key}) == 3
