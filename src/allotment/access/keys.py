"""API key material: random secrets shown once, stored as a SHA-256 digest.

The secrets carry 190 bits of entropy, so a fast digest is safe (no password stretching needed)
and keeps authentication off the hot path's critical cost.
"""

from __future__ import annotations

import hashlib
import secrets

KEY_PREFIX = "alm_"
VISIBLE_CHARS = 12


def generate_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(24)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def visible_prefix(key: str) -> str:
    return key[:VISIBLE_CHARS]
