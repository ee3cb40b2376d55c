from __future__ import annotations

import os
import subprocess
import sys

from allotment.cli.main import build_parser


def _run(args: list[str], database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ALLOTMENT_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "allotment.cli.main", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_demo_is_idempotent_and_says_what_it_made(scratch_url: str) -> None:
    first = _run(["demo"], scratch_url)
    assert first.returncode == 0, first.stderr
    assert "created tenant Acme" in first.stdout and "on professional" in first.stdout
    assert "created tenant Globex" in first.stdout and "on starter" in first.stdout
    second = _run(["demo"], scratch_url)
    assert second.returncode == 0, second.stderr
    assert "created" not in second.stdout
    assert "tenant Acme" in second.stdout and "exists" in second.stdout


def test_db_upgrade_and_api_key(scratch_url: str) -> None:
    assert _run(["db", "upgrade"], scratch_url).returncode == 0
    assert _run(["db", "upgrade"], scratch_url).returncode == 0
    made = _run(["api-key", "create", "--name", "ops"], scratch_url)
    assert made.returncode == 0, made.stderr
    secret = made.stdout.splitlines()[0]
    assert secret.startswith("alm_")
    unknown = _run(["api-key", "create", "--tenant", "nobody"], scratch_url)
    assert unknown.returncode != 0 and "no tenant" in unknown.stderr


def test_serve_options() -> None:
    args = build_parser().parse_args(
        ["serve", "--host", "0.0.0.0", "--port", "9001", "--no-migrate"]
    )
    assert (args.host, args.port, args.no_migrate) == ("0.0.0.0", 9001, True)
