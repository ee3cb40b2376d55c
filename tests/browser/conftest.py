"""A real server and a real Chromium for the portal's browser tests.

The server is uvicorn on a free loopback port, in a thread, over its own SQLite file loaded with
the demo world. Chromium is Debian's (``apt-get install chromium``); Playwright's own browser
downloads are never used. Without Chromium the tests skip loudly, except in CI (``CI`` set),
where they fail.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from allotment.app import create_app
from allotment.cli.demo import load_demo
from allotment.db.migrate import upgrade
from allotment.settings import Settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
DEMO_PASSWORD = "demo-browser"


def _require_chromium() -> None:
    if CHROMIUM.exists():
        return
    message = (
        f"!!! BROWSER TESTS NOT RUN: {CHROMIUM} is missing. Install it with "
        "`apt-get install -y chromium` (never `playwright install`). !!!"
    )
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def browser() -> Iterator[object]:
    # Per test: Playwright's sync API drives its own event loop on this thread, which must be
    # gone again before the suite's asyncio tests run.
    _require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield chromium
        chromium.close()


@pytest.fixture
def portal_url(tmp_path: Path) -> Iterator[str]:
    """A fresh demo world behind a real HTTP server, for one test."""
    _require_chromium()
    url = f"sqlite:///{tmp_path / 'portal.db'}"
    settings = Settings(
        database_url=url,
        demo_password=DEMO_PASSWORD,
        password_hash_time_cost=1,
        password_hash_memory_kib=1024,
        cache_poll_seconds=0.2,
    )
    upgrade(url)
    # Its own thread, so that its event loop never meets the test session's.
    loader = threading.Thread(target=lambda: asyncio.run(load_demo(settings)))
    loader.start()
    loader.join()
    port = _free_port()
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the portal server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
