"""The limit conventions: -1 always allows, 0 never does, thresholds cross once."""

from __future__ import annotations

from decimal import Decimal as D

from allotment.metering.quota import allows, crossed, json_number, percent_used, remaining


def test_unlimited_always_allows() -> None:
    assert allows(-1, D(10**12), D(10**6))
    assert remaining(-1, D(5)) == D(-1)
    assert percent_used(-1, D(5)) == D(0)


def test_zero_never_allows() -> None:
    assert not allows(0, D(0), D(1))
    assert not allows(0, D(0), D("0.000001"))
    assert remaining(0, D(0)) == D(0)
    assert percent_used(0, D(0)) == D(100)


def test_limit_is_inclusive() -> None:
    assert allows(10, D(9), D(1))
    assert not allows(10, D(10), D(1))
    assert not allows(10, D(9), D("1.5"))
    assert allows(10, D(0), D(10))
    assert not allows(10, D(0), D(11))


def test_remaining_never_negative() -> None:
    assert remaining(10, D(12)) == D(0)
    assert remaining(10, D("2.5")) == D("7.5")


def test_thresholds_cross_once() -> None:
    assert crossed(10, D(7), D(8)) == [80]
    assert crossed(10, D(8), D(9)) == []
    assert crossed(10, D(9), D(10)) == [100]
    assert crossed(10, D(0), D(10)) == [80, 100]
    assert crossed(10, D(10), D(12)) == []
    assert crossed(-1, D(0), D(100)) == []
    assert crossed(0, D(0), D(1)) == []
    assert crossed(5, D(3), D(4)) == [80]


def test_json_numbers() -> None:
    assert json_number(D("5.000000")) == 5
    assert isinstance(json_number(D("5.000000")), int)
    assert json_number(D("2.5")) == 2.5
