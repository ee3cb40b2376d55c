"""The ``allotment`` command."""

from __future__ import annotations

import argparse
import asyncio
import getpass
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


def _user(args: argparse.Namespace) -> int:
    from allotment.cli import people

    settings = get_settings()
    if args.action == "create":
        password = args.password or getpass.getpass("Password: ")
        print(
            asyncio.run(
                people.create_user(
                    settings,
                    email=args.email,
                    password=password,
                    role=args.role,
                    name=args.name or "",
                    tenant=args.tenant,
                    partner=args.partner,
                )
            )
        )
    elif args.action == "set-password":
        password = args.password or getpass.getpass("New password: ")
        print(asyncio.run(people.set_password(settings, email=args.email, password=password)))
    else:
        for line in asyncio.run(people.list_users(settings)):
            print(line)
    return 0


def _partner(args: argparse.Namespace) -> int:
    from allotment.cli import people

    settings = get_settings()
    if args.action == "create":
        print(asyncio.run(people.create_partner(settings, name=args.name)))
    elif args.action in ("assign", "unassign"):
        print(
            asyncio.run(
                people.assign(
                    settings,
                    partner=args.partner,
                    tenant=args.tenant,
                    remove=args.action == "unassign",
                )
            )
        )
    else:
        for line in asyncio.run(people.list_partners(settings)):
            print(line)
    return 0


def _add_people_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from allotment.access.people_rules import PERSON_ROLES

    user = sub.add_parser("user", help="portal users")
    user_sub = user.add_subparsers(dest="action", required=True)
    create = user_sub.add_parser("create", help="create a user who signs in to the portal")
    create.add_argument("--email", required=True)
    create.add_argument("--role", required=True, choices=sorted(r.value for r in PERSON_ROLES))
    create.add_argument("--name")
    create.add_argument("--password", help="prompted for when omitted")
    create.add_argument("--tenant", help="tenant id or name (client roles)")
    create.add_argument("--partner", help="partner id or name (partner roles)")
    password = user_sub.add_parser("set-password", help="set a user's password")
    password.add_argument("--email", required=True)
    password.add_argument("--password", help="prompted for when omitted")
    user_sub.add_parser("list", help="list users")
    user.set_defaults(func=_user)

    partner = sub.add_parser("partner", help="partners and the clients they are assigned")
    partner_sub = partner.add_subparsers(dest="action", required=True)
    create_partner = partner_sub.add_parser("create", help="create a partner")
    create_partner.add_argument("name")
    for action, text in (("assign", "assign a client"), ("unassign", "remove a client")):
        cmd = partner_sub.add_parser(action, help=text)
        cmd.add_argument("partner", help="partner id or name")
        cmd.add_argument("tenant", help="tenant id or name")
    partner_sub.add_parser("list", help="list partners and their clients")
    partner.set_defaults(func=_partner)


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

    key = sub.add_parser("api-key", help="API keys")
    key.add_argument("action", choices=["create"])
    key.add_argument("--name", default="cli")
    key.add_argument("--tenant", help="tenant id or name; omit for a platform-admin key")
    key.set_defaults(func=_api_key)

    _add_people_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    result: int = args.func(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
