from __future__ import annotations

from collections.abc import Iterator

import pytest
from sdk_fake_server import STARTER, FakeServer
from tests.live_server import LiveServer, live_server


@pytest.fixture
def server() -> FakeServer:
    fake = FakeServer()
    fake.set_tenant("t1", list(STARTER))
    return fake


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("sdk-live")) as running:
        yield running
