"""Servers in their own processes, and ``wrk`` against them: shared by the HTTP benchmarks."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx

from bench.common import free_port

_LATENCY = re.compile(r"^\s*(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@contextmanager
def serving(
    database_url: str,
    token: str,
    *,
    migrate: bool = True,
    extra_env: dict[str, str] | None = None,
    app: str | None = None,
) -> Iterator[str]:
    """``allotment serve`` (or, with ``app``, plain uvicorn on that ASGI app) on a free loopback
    port; yields the base URL once ``/healthz`` answers."""
    port = free_port()
    env = {
        **os.environ,
        "ALLOTMENT_DATABASE_URL": database_url,
        "ALLOTMENT_BOOTSTRAP_TOKEN": token,
        "ALLOTMENT_LOG_LEVEL": "warning",
        **(extra_env or {}),
    }
    if app is None:
        command = [sys.executable, "-m", "allotment.cli.main", "serve", "--port", str(port)]
        if not migrate:
            command.append("--no-migrate")
    else:
        command = [sys.executable, "-m", "uvicorn", app, "--port", str(port)]
        command += ["--no-access-log", "--log-level", "warning"]
    # A file, not a pipe: a pipe nobody reads would stall a server that logs under load.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield _wait_until_up(f"http://127.0.0.1:{port}", process, log)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_until_up(base: str, process: subprocess.Popen[bytes], log: IO[bytes]) -> str:
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"server exited: {log.read().decode()[-2000:]}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return base
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("server did not start within 30 s")
        time.sleep(0.1)


@dataclass
class WrkResult:
    rate: float
    p50_ms: float
    p99_ms: float
    requests: int
    non_2xx: int
    output: str


def run_wrk(
    url: str,
    *,
    seconds: int,
    connections: int,
    threads: int = 1,
    headers: dict[str, str] | None = None,
    script: Path | None = None,
) -> WrkResult:
    args = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in (headers or {}).items():
        args += ["-H", f"{name}: {value}"]
    if script is not None:
        args += ["-s", str(script)]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    requests = re.search(r"(\d+) requests in", out)
    if rate is None or requests is None:
        raise RuntimeError(f"could not read wrk's output:\n{out[-500:]}")
    latency = {q: float(v) * _UNITS[u] for q, v, u in _LATENCY.findall(out)}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return WrkResult(
        rate=float(rate.group(1)),
        p50_ms=latency.get("50", float("nan")),
        p99_ms=latency.get("99", float("nan")),
        requests=int(requests.group(1)),
        non_2xx=int(errors.group(1)) if errors else 0,
        output=out,
    )
