"""What every benchmark module returns, and small timing helpers.

A benchmark module is ``bench/bench_<name>.py`` with ``async def run(small: bool) -> list[Row]``;
``bench/run.py`` runs them all in one process and prints one table.
"""

from __future__ import annotations

import socket
import statistics
from dataclasses import dataclass


@dataclass
class Row:
    name: str
    value: float
    unit: str
    p50_ms: float | None = None
    p99_ms: float | None = None
    goal: str = ""
    verdict: str = ""
    note: str = ""


def percentile(samples: list[float], q: float) -> float:
    if not samples:
        return float("nan")
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def median(samples: list[float]) -> float:
    return statistics.median(samples) if samples else float("nan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def verdict(value: float, goal: float, *, higher_is_better: bool = True) -> str:
    ok = value >= goal if higher_is_better else value <= goal
    return "meets goal" if ok else "BELOW GOAL"
