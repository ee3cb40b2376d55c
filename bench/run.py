"""``make bench``: run every benchmark once and print one table.

``python -m bench.run --small`` is the quick size CI uses to prove the benchmarks still run.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import os
import pkgutil
import platform
import sys
from pathlib import Path

from bench.common import Row

HERE = Path(__file__).parent


def discover(only: list[str] | None) -> list[str]:
    names = sorted(m.name for m in pkgutil.iter_modules([str(HERE)]) if m.name.startswith("bench_"))
    return [n for n in names if not only or n.removeprefix("bench_") in only]


def machine() -> str:
    cpus = os.cpu_count()
    return (
        f"{platform.system()} {platform.machine()}, {cpus} CPUs, Python {platform.python_version()}"
    )


def fmt(value: float | None, digits: int = 2) -> str:
    if value is None:
        return "-"
    if value != value:  # NaN: the benchmark did not produce this figure
        return "n/a"
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}" if value < 1 else f"{value:,.{digits}f}"


def print_table(rows: list[Row]) -> None:
    headers = ["benchmark", "result", "unit", "p50 ms", "p99 ms", "goal", "verdict", "note"]
    table = [
        [
            r.name,
            fmt(r.value),
            r.unit,
            fmt(r.p50_ms, 3),
            fmt(r.p99_ms, 3),
            r.goal,
            r.verdict,
            r.note,
        ]
        for r in rows
    ]
    widths = [max([len(h)] + [len(row[i]) for row in table]) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    print(line)
    print("  ".join("-" * w for w in widths))
    for row in table:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))


async def main_async(small: bool, only: list[str] | None) -> int:
    rows: list[Row] = []
    failures = 0
    for name in discover(only):
        module = importlib.import_module(f"bench.{name}")
        print(f"running {name} ...", file=sys.stderr, flush=True)
        try:
            rows.extend(await module.run(small))
        except Exception as exc:  # a benchmark that breaks is reported, and fails the run
            failures += 1
            rows.append(Row(name, float("nan"), "", note=f"FAILED: {exc!r}"))
    print(f"\nAllotment benchmarks on {machine()}{' (small size)' if small else ''}\n")
    print_table(rows)
    return 1 if failures else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", action="store_true", help="quick size, for CI")
    parser.add_argument("only", nargs="*", help="run only these (e.g. check consume)")
    args = parser.parse_args()
    return asyncio.run(main_async(args.small, args.only or None))


if __name__ == "__main__":
    sys.exit(main())
