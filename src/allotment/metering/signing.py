"""Webhook signatures: HMAC-SHA256 over ``"<timestamp>.<body>"``. Pure.

The header reads ``Allotment-Signature: t=<unix seconds>,v1=<hex digest>``. A receiver recomputes
the digest with its secret and rejects old timestamps, which stops replays.
"""

from __future__ import annotations

import hashlib
import hmac

HEADER = "Allotment-Signature"


def digest(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, timestamp: int, body: bytes) -> str:
    return f"t={timestamp},v1={digest(secret, timestamp, body)}"


def verify(secret: str, header: str, body: bytes, *, now: int, tolerance: int = 300) -> bool:
    """True when ``header`` signs ``body`` with ``secret`` within ``tolerance`` seconds of now."""
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = digest(secret, timestamp, body)
    return hmac.compare_digest(expected, parts.get("v1", ""))
