"""When to try a request again, and how long to wait first."""

from __future__ import annotations

import random
from dataclasses import dataclass

import httpx

# Answers that say "not now" rather than "no": worth another attempt.
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """``attempts`` counts the first try. Waits grow ``backoff * 2**n``, capped, with jitter."""

    attempts: int = 3
    backoff: float = 0.1
    max_backoff: float = 2.0
    jitter: float = 0.5

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")
        if self.backoff < 0 or self.max_backoff < 0 or not 0 <= self.jitter <= 1:
            raise ValueError("backoff and max_backoff must be >= 0, jitter within [0, 1]")

    def delay(self, retry: int, retry_after: float | None = None) -> float:
        """Seconds to wait before retry number ``retry`` (1 for the first retry)."""
        base = min(self.max_backoff, self.backoff * 2.0 ** (retry - 1))
        wait = base * (1 - self.jitter * random.random())
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.max_backoff))
        return wait


def retry_after_seconds(response: httpx.Response) -> float | None:
    raw = response.headers.get("retry-after")
    if raw is None:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        return None


def should_retry(response: httpx.Response) -> bool:
    return response.status_code in RETRY_STATUSES


# Failures before any answer: the request may or may not have reached the server, so only
# requests that are safe to repeat (reads, checks, consume with its idempotency key) retry them.
RETRY_EXCEPTIONS: tuple[type[Exception], ...] = (httpx.TransportError,)
