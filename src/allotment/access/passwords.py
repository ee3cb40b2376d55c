"""Password hashing (argon2id). The parameters are stored in each hash, so they can change
without invalidating existing passwords."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_PASSWORD_LENGTH = 4

_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so that a miss costs as much as a wrong password.
_dummy_hash = _hasher.hash("not a real password")


def configure(*, time_cost: int, memory_kib: int) -> None:
    """Set the cost of new hashes (from settings, at start-up)."""
    global _hasher, _dummy_hash
    if (_hasher.time_cost, _hasher.memory_cost) == (time_cost, memory_kib):
        return
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)
    _dummy_hash = _hasher.hash("not a real password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _dummy_hash, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False
