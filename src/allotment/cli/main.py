"""The ``allotment`` command."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Sequence

from allotment.settings import get_settings


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from allotment.db.migrate import upgrade

    settings = get_settings()
    if not args.no_migrate:
        upgrade(settings.database_url)
    uvicorn.run(
        "allotment.app:create_app",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        access_log=args.access_log,
        log_level=settings.log_level,
        loop="auto",
        http="auto",
    )
    return 0


def _db(args: argparse.Namespace) -> int:
    from allotment.db import migrate

    url = get_settings().database_url
    if args.action == "upgrade":
        migrate.upgrade(url, args.revision or "head")
    elif args.action == "downgrade":
        migrate.downgrade(url, args.revision or "base")
    else:
        migrate.current(url)
    return 0


def _demo(_: argparse.Namespace) -> int:
    from allotment.cli.demo import load_demo
    from allotment.db.migrate import upgrade

    settings = get_settings()
    upgrade(settings.database_url)
    for line in asyncio.run(load_demo(settings)):
        print(line)
    return 0


def _worker(args: argparse.Namespace) -> int:
    from allotment.metering.worker import run_worker

    return asyncio.run(run_worker(get_settings(), once=args.once))


def _api_key(args: argparse.Namespace) -> int:
    from allotment.cli.keys import create_key

    settings = get_settings()
    print(asyncio.run(create_key(settings, name=args.name, tenant=args.tenant)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="allotment", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the API and the portal")
    serve.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    serve.add_argument("--workers", type=int, default=1)
    serve.add_argument(
        "--no-migrate", action="store_true", help="skip the database upgrade on start-up"
    )
    serve.add_argument("--access-log", action="store_true", help="log every request")
    serve.set_defaults(func=_serve)

    db = sub.add_parser("db", help="database migrations")
    db.add_argument("action", choices=["upgrade", "downgrade", "current"])
    db.add_argument("revision", nargs="?")
    db.set_defaults(func=_db)

    demo = sub.add_parser("demo", help="load the demo world (idempotent)")
    demo.set_defaults(func=_demo)

    worker = sub.add_parser("worker", help="run background jobs (webhook delivery)")
    worker.add_argument("--once", action="store_true", help="one round, then exit")
    worker.set_defaults(func=_worker)

    key = sub.add_parser("api-key", help="create an API key (printed once)")
    key.add_argument("--name", default="cli")
    key.add_argument("--tenant", help="tenant id or name; omit for a platform-admin key")
    key.set_defaults(func=_api_key)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
