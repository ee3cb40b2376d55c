"""``allotment worker --once`` runs a delivery round against a real database and exits."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from allotment.db.migrate import upgrade


def test_worker_once_exits_cleanly(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'worker.db'}"
    upgrade(url)
    env = {**os.environ, "ALLOTMENT_DATABASE_URL": url, "ALLOTMENT_LOG_LEVEL": "info"}
    done = subprocess.run(
        [sys.executable, "-m", "allotment.cli.main", "worker", "--once"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "delivered 0 of 0" in done.stderr
