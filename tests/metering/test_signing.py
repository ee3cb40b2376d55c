"""Webhook signatures and retry spacing. Pure."""

from __future__ import annotations

from datetime import timedelta

from allotment.metering.signing import digest, signature_header, verify
from allotment.metering.webhooks_delivery import MAX_BACKOFF, backoff

SECRET = "whsec_test"
BODY = b'{"id":"evt_1"}'


def test_header_signs_timestamp_dot_body() -> None:
    import hashlib
    import hmac

    expected = hmac.new(SECRET.encode(), b"1700000000." + BODY, hashlib.sha256).hexdigest()
    assert digest(SECRET, 1700000000, BODY) == expected
    assert signature_header(SECRET, 1700000000, BODY) == f"t=1700000000,v1={expected}"


def test_verify_accepts_fresh_and_rejects_tampered_or_stale() -> None:
    header = signature_header(SECRET, 1700000000, BODY)
    assert verify(SECRET, header, BODY, now=1700000100)
    assert not verify(SECRET, header, BODY + b" ", now=1700000100)
    assert not verify("whsec_other", header, BODY, now=1700000100)
    assert not verify(SECRET, header, BODY, now=1700000000 + 301)
    assert not verify(SECRET, "garbage", BODY, now=1700000000)
    assert not verify(SECRET, "t=abc,v1=00", BODY, now=1700000000)


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff(2.0, n) for n in (1, 2, 3, 4)] == [
        timedelta(seconds=2),
        timedelta(seconds=4),
        timedelta(seconds=8),
        timedelta(seconds=16),
    ]
    assert backoff(2.0, 40) == MAX_BACKOFF
