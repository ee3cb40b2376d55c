"""Real ``allotment serve`` processes on loopback, for tests that cross process boundaries."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class ServerProcess:
    base_url: str
    process: subprocess.Popen[bytes]


@contextmanager
def running_server(
    database_url: str, token: str, *, migrate: bool = False, extra_env: dict[str, str] | None = None
) -> Iterator[ServerProcess]:
    """Start ``allotment serve`` and yield it once /healthz answers; stop it afterwards."""
    port = free_port()
    env = {
        **os.environ,
        "ALLOTMENT_DATABASE_URL": database_url,
        "ALLOTMENT_BOOTSTRAP_TOKEN": token,
        **(extra_env or {}),
    }
    args = [sys.executable, "-m", "allotment.cli.main", "serve", "--port", str(port)]
    if not migrate:
        args.append("--no-migrate")
    log = Path(tempfile.gettempdir()) / f"allotment-test-server-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{log.read_text()}")
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not start:\n{log.read_text()}")
            time.sleep(0.1)
        yield ServerProcess(base, process)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.unlink(missing_ok=True)
