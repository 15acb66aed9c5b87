"""``afas-dead-letters --service habilitation list [--json] | history [ID] | replay ID | discard ID --reason …``

The operator's dead-letter desk. It reads the service's own settings (``AFAS_<SERVICE>_DATABASE_URL``…) so it
works wherever the service itself runs (``kubectl exec`` in production).

- ``list`` the waiting dead letters (``--all``: replayed and discarded ones too), as text or ``--json``;
- ``replay ID`` re-runs the stored message through the one consumer that failed it, in this process, on the
  service's database (its handler from the service's bootstrap): no other consumer sees it, the stream gets
  no new copy, and no NATS credential is needed; events it queues leave through the service's outbox;
- ``discard ID --reason "…"`` gives up on one, saying why;
- ``history [ID]`` the audit trail of the desk (text or ``--json``).

Every replay, failed replay and discard is recorded (table ``dead_letter_action``: who, when, what, why, the
outcome) and logged as a JSON audit line on stderr. Who: ``--by``, else ``AFAS_OPERATOR``, else the login name.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import importlib
import json
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import asdict

from pydantic_settings import SettingsConfigDict

from afas_shared.db.engine import Database
from afas_shared.messaging.consumer import IdempotentConsumer
from afas_shared.messaging.dead_letters import (
    NothingToReplay,
    ReplayFailed,
    actions,
    discard,
    list_dead_letters,
    render_json,
    replay,
)
from afas_shared.settings import ServiceSettings, load_or_exit
from afas_shared.telemetry import configure_logging

SERVICES = ("identity", "habilitation", "declaration", "estimation", "notification")


def settings_for(service: str) -> ServiceSettings:
    cls = type(
        f"{service.title()}DeadLetterSettings",
        (ServiceSettings,),
        {"model_config": SettingsConfigDict(env_prefix=f"AFAS_{service.upper()}_", extra="ignore")},
    )
    return load_or_exit(cls)


Consumers = tuple[Database, dict[str, IdempotentConsumer], Callable[[], Awaitable[None]]]


async def consumers_of(service: str) -> Consumers:
    """The service's consumers from its real bootstrap (built, never started: no HTTP, no bus), on its database."""
    settings = load_or_exit(importlib.import_module(f"afas_{service}.config").Settings)
    runtime = importlib.import_module(f"afas_{service}.bootstrap").build(settings, configure_logs=False)
    return runtime.db, {c.name: c for c in runtime.bus.consumers}, runtime.db.dispose


def operator(args: argparse.Namespace) -> str:
    return args.by or os.environ.get("AFAS_OPERATOR") or getpass.getuser()


async def run(args: argparse.Namespace, out=sys.stdout) -> int:
    if args.command == "replay":
        db, consumers, close = await consumers_of(args.service)
        try:
            outcome = await replay(db, consumers, args.id, actor=operator(args), reason=args.reason)
        except (NothingToReplay, ReplayFailed) as exc:
            print(str(exc), file=sys.stderr)
            return 1
        finally:
            await close()
        print(f"dead letter #{args.id} replayed to its consumer: {outcome}", file=out)
        return 0
    db = Database(settings_for(args.service).database_url)
    try:
        if args.command == "list":
            letters = await list_dead_letters(db, include_replayed=args.all)
            if args.json:
                print(render_json(letters), file=out)
                return 0
            if not letters:
                print("no dead letters", file=out)
            for d in letters:
                state = {
                    "replayed": f"replayed {d.replayed_at}",
                    "discarded": f"discarded {d.discarded_at}: {d.discard_reason}",
                }.get(d.state, "waiting")
                print(
                    f"#{d.id}  {d.failed_at}  {d.consumer}  {d.subject}  event={d.event_id}  "
                    f"deliveries={d.deliveries}  {state}\n     {d.error}",
                    file=out,
                )
            return 0
        if args.command == "history":
            trail = await actions(db, args.id)
            if args.json:
                print(json.dumps([asdict(a) for a in trail], ensure_ascii=False, indent=2), file=out)
            for a in [] if args.json else trail:
                why = f"  reason: {a.reason}" if a.reason else ""
                print(f"#{a.dead_letter_id}  {a.at}  {a.action}  by {a.actor}  {a.outcome or ''}{why}", file=out)
            return 0
        try:
            await discard(db, args.id, actor=operator(args), reason=args.reason)
        except (NothingToReplay, ValueError) as exc:
            print(str(exc), file=sys.stderr)
            return 1
        print(f"dead letter #{args.id} discarded", file=out)
        return 0
    finally:
        await db.dispose()


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="afas-dead-letters", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--service", required=True, choices=SERVICES)
    sub = p.add_subparsers(dest="command", required=True)
    lst = sub.add_parser("list", help="list the waiting dead letters")
    lst.add_argument("--all", action="store_true", help="include the replayed and discarded ones")
    lst.add_argument("--json", action="store_true", help="one JSON array, for scripts")
    rep = sub.add_parser("replay", help="re-run one dead letter through the consumer that failed it, only that one")
    rep.add_argument("id", type=int)
    rep.add_argument("--reason", help="why (recorded with the replay)")
    rep.add_argument("--by", help="who replays (default: AFAS_OPERATOR, else the login name)")
    dis = sub.add_parser("discard", help="give up on one dead letter, with a reason")
    dis.add_argument("id", type=int)
    dis.add_argument("--reason", required=True, help="why it is discarded (recorded)")
    dis.add_argument("--by", help="who discards (default: AFAS_OPERATOR, else the login name)")
    his = sub.add_parser("history", help="who replayed or discarded what, when and why")
    his.add_argument("id", type=int, nargs="?")
    his.add_argument("--json", action="store_true")
    return p


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    configure_logging(f"{args.service}-dead-letters", os.environ.get("AFAS_LOG_LEVEL", "INFO"))
    raise SystemExit(asyncio.run(run(args)))
