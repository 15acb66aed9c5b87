"""``afas-dead-letters --service habilitation list | replay ID``: the operator's dead-letter desk.

Reads the service's own settings (``AFAS_<SERVICE>_DATABASE_URL``, ``AFAS_NATS_URL``,
``AFAS_BUS_PREFIX``, ``AFAS_<SERVICE>_NATS_USER``/``_NATS_PASSWORD``) so it works wherever the service
itself runs (``kubectl exec`` in production). A service's credential may publish only its own events: to
replay another producer's event, give the operator's credential (``AFAS_NATS_ADMIN_USER``, default
``admin``, and ``AFAS_NATS_ADMIN_PASSWORD``), which then takes precedence.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys

import nats
from nats.errors import TimeoutError as NatsTimeoutError
from pydantic_settings import SettingsConfigDict

from afas_shared.contracts.bus_permissions import ADMIN, inbox_prefix
from afas_shared.db.engine import Database
from afas_shared.messaging.dead_letters import NothingToReplay, list_dead_letters, replay
from afas_shared.messaging.naming import BusNames
from afas_shared.settings import ServiceSettings, load_or_exit

SERVICES = ("identity", "habilitation", "declaration", "estimation", "notification")


def settings_for(service: str) -> ServiceSettings:
    cls = type(
        f"{service.title()}DeadLetterSettings",
        (ServiceSettings,),
        {"model_config": SettingsConfigDict(env_prefix=f"AFAS_{service.upper()}_", extra="ignore")},
    )
    return load_or_exit(cls)


def nats_credentials(service: str, settings: ServiceSettings) -> dict[str, str]:
    """The operator's credential when given, else the service's own; none on an unauthenticated local broker."""
    if admin_password := os.environ.get("AFAS_NATS_ADMIN_PASSWORD"):
        user = os.environ.get("AFAS_NATS_ADMIN_USER") or ADMIN
        return {"user": user, "password": admin_password, "inbox_prefix": inbox_prefix(user)}
    if settings.nats_password:
        return {"user": settings.nats_user, "password": settings.nats_password, "inbox_prefix": inbox_prefix(service)}
    return {}


async def run(args: argparse.Namespace, out=sys.stdout) -> int:
    settings = settings_for(args.service)
    db = Database(settings.database_url)
    try:
        if args.command == "list":
            letters = await list_dead_letters(db, include_replayed=args.all)
            if not letters:
                print("no dead letters", file=out)
            for d in letters:
                state = f"replayed {d.replayed_at}" if d.replayed_at else "waiting"
                print(
                    f"#{d.id}  {d.failed_at}  {d.consumer}  {d.subject}  event={d.event_id}  "
                    f"deliveries={d.deliveries}  {state}\n     {d.error}",
                    file=out,
                )
            return 0
        nc = await nats.connect(
            settings.common.nats_url,
            connect_timeout=3,
            max_reconnect_attempts=2,
            **nats_credentials(args.service, settings),
        )
        try:
            subject = await replay(db, nc.jetstream(), BusNames(settings.common.bus_prefix), args.id)
        except NothingToReplay as exc:
            print(str(exc), file=sys.stderr)
            return 1
        except (TimeoutError, NatsTimeoutError):
            print(
                f"dead letter #{args.id}: the broker did not accept the publish (another producer's event needs "
                "the operator's credential: AFAS_NATS_ADMIN_PASSWORD); nothing was marked replayed",
                file=sys.stderr,
            )
            return 1
        finally:
            await nc.close()
        print(f"dead letter #{args.id} republished on {subject}", file=out)
        return 0
    finally:
        await db.dispose()


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="afas-dead-letters", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--service", required=True, choices=SERVICES)
    sub = p.add_subparsers(dest="command", required=True)
    lst = sub.add_parser("list", help="list dead letters not yet replayed")
    lst.add_argument("--all", action="store_true", help="include the ones already replayed")
    rep = sub.add_parser("replay", help="republish one dead letter to its consumers")
    rep.add_argument("id", type=int)
    return p


def main(argv: list[str] | None = None) -> None:
    raise SystemExit(asyncio.run(run(parser().parse_args(argv))))
