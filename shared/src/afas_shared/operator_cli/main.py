"""``afas <group> <command> [--json]``: the operator's command line (README, "Operations").

    afas agent create --caf 092 --nom Martin --prenom Claire --email c.martin@caf92.fr --role parametrage
    afas campaign list [--caf 092] | open --caf 092 --type alsh --exercice 2027 --declaration previsionnelle
        --ouverture 2026-12-01 --limite 2027-02-15 | close ID | reconcile ID | history ID
    afas dead-letters --service habilitation list [--all] | history [ID] | replay ID | discard ID --reason "…"
    afas rotate-signing-key [--local var/nats-auth]
    afas partner export ID [--output FILE]
    afas account erase USER_ID

Each command answers ``fait`` (done now) or ``deja`` (found done: a second run changes nothing), as text or, with
``--json``, one JSON object. Exit code 0 on success, 1 when a service refused (its French message on stderr), 2 on
a configuration error. Each run writes one JSON audit line on stderr (who: ``--by``, else ``AFAS_OPERATOR``, else
the login name; the command; the outcome), besides what the owning service records.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TextIO

import httpx

from afas_shared.auth import rotate_signing_key
from afas_shared.contracts.bus_permissions import GATEWAY
from afas_shared.messaging import dead_letter_cli
from afas_shared.messaging.dead_letters import NothingToReplay, ReplayFailed
from afas_shared.nats_auth import local_client_env
from afas_shared.operator_cli import campaign_commands as campaigns
from afas_shared.operator_cli import dead_letter_commands as letters
from afas_shared.operator_cli.gateway import OperatorGateway, Refused, client_for
from afas_shared.operator_cli.partner_export import export_partner
from afas_shared.settings import load_or_exit

GatewayCommand = Callable[[OperatorGateway, argparse.Namespace], Awaitable[dict[str, Any]]]

GATEWAY_COMMANDS: dict[tuple[str, str], GatewayCommand] = {
    ("agent", "create"): lambda g, a: campaigns.create_agent(g, a.caf, a.nom, a.prenom, a.email, a.role),
    ("campaign", "list"): lambda g, a: campaigns.list_campaigns(g, a.caf),
    ("campaign", "open"): lambda g, a: campaigns.open_campaign(
        g, a.caf, a.type, a.exercice, a.declaration, a.ouverture, a.limite
    ),
    ("campaign", "close"): lambda g, a: campaigns.close_campaign(g, a.id),
    ("campaign", "reconcile"): lambda g, a: campaigns.reconcile_campaign(g, a.id),
    ("campaign", "history"): lambda g, a: campaigns.campaign_trail(g, a.id),
    ("partner", "export"): lambda g, a: export_partner(g, a.id),
    ("account", "erase"): lambda g, a: campaigns.erase_account(g, a.id),
}


def operator_name(args: argparse.Namespace) -> str:
    return dead_letter_cli.operator(args)


async def _dead_letters(args: argparse.Namespace) -> dict[str, Any]:
    if args.command == "list":
        return await letters.list_letters(args.service, args.all, operator_name(args))
    if args.command == "history":
        return await letters.history(args.service, args.id)
    if args.command == "replay":
        return await letters.replay_letter(args.service, args.id, operator_name(args), args.reason)
    return await letters.discard_letter(args.service, args.id, operator_name(args), args.reason)


async def _rotate(args: argparse.Namespace) -> dict[str, Any]:
    if args.local is not None:
        os.environ.update(local_client_env(args.local, GATEWAY))
    settings = load_or_exit(rotate_signing_key.GatewaySettings)
    settings.require_secret("admin_token")
    outcome = await rotate_signing_key.rotate(settings)
    return {"resultat": campaigns.CREATED, "cle": outcome["kid"], "cles_publiees": outcome["published"]}


async def dispatch(args: argparse.Namespace, client: httpx.AsyncClient | None) -> dict[str, Any]:
    if args.group == "dead-letters":
        return await _dead_letters(args)
    if args.group == "rotate-signing-key":
        return await _rotate(args)
    command = GATEWAY_COMMANDS[(args.group, args.command)]
    if client is not None:
        return await command(OperatorGateway(client), args)
    settings = load_or_exit(rotate_signing_key.GatewaySettings)
    settings.require_secret("admin_token")
    async with client_for(settings, args.gateway) as own:
        return await command(OperatorGateway(own), args)


def render_text(result: dict[str, Any], out: TextIO) -> None:
    for key, value in result.items():
        shown = value if isinstance(value, str | int | float | type(None)) else json.dumps(value, ensure_ascii=False)
        print(f"{key}: {shown}", file=out)


async def execute(argv: list[str], client: httpx.AsyncClient | None = None, out: TextIO = sys.stdout) -> int:
    """Run one command; ``client``: a gateway client already holding the operator's bearer (tests, embedding)."""
    args = parser().parse_args(argv)
    what = " ".join(a for a in (args.group, getattr(args, "command", None)) if a)
    try:
        result = await dispatch(args, client)
    except Refused as refusal:
        _audit(args, what, f"refused {refusal.status}")
        print(f"refused: {refusal.message}", file=sys.stderr)
        return 1
    except (NothingToReplay, ReplayFailed, letters.NoSuchLetter, rotate_signing_key.RemoteError) as exc:
        _audit(args, what, f"failed: {exc}")
        print(str(exc), file=sys.stderr)
        return 1
    except ValueError as exc:  # a secret missing or left at its local default outside local mode
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except (OSError, httpx.HTTPError) as exc:
        _audit(args, what, f"unreachable: {type(exc).__name__}")
        print(f"the platform could not be reached: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    _audit(args, what, str(result.get("resultat", "read")))
    if getattr(args, "output", None):
        text = json.dumps(result, ensure_ascii=False, indent=2)
        await asyncio.to_thread(Path(args.output).write_text, text, encoding="utf-8")
        result = {"resultat": "fait", "fichier": str(args.output)}
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2), file=out)
    else:
        render_text(result, out)
    return 0


def _audit(args: argparse.Namespace, what: str, outcome: str) -> None:
    target = getattr(args, "id", None) or getattr(args, "caf", None)
    line = {"audit": "afas", "by": operator_name(args), "command": what, "target": target, "outcome": outcome}
    print(json.dumps(line, ensure_ascii=False, default=str), file=sys.stderr)


def _leaf(sub: Any, name: str, help_: str) -> argparse.ArgumentParser:
    leaf = sub.add_parser(name, help=help_)
    leaf.add_argument("--json", action="store_true", help="one JSON object, for scripts")
    leaf.add_argument("--by", help="who acts (default: AFAS_OPERATOR, else the login name)")
    leaf.add_argument("--gateway", help="the gateway's URL (default: this machine's, on AFAS_DECLARATION_HTTP_PORT)")
    return leaf


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="afas", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    groups = p.add_subparsers(dest="group", required=True)

    agent = groups.add_parser("agent", help="Caf agents").add_subparsers(dest="command", required=True)
    create = _leaf(agent, "create", "create a Caf agent (the first one of a Caf, or the Cnaf's: --caf 000)")
    create.add_argument("--caf", required=True)
    create.add_argument("--nom", required=True)
    create.add_argument("--prenom", required=True)
    create.add_argument("--email", required=True)
    create.add_argument(
        "--role", action="append", required=True, help="habilitations, instruction, parametrage, lecture, …"
    )

    campaign = groups.add_parser("campaign", help="campaigns").add_subparsers(dest="command", required=True)
    _leaf(campaign, "list", "the campaigns (of one Caf with --caf)").add_argument("--caf")
    opening = _leaf(campaign, "open", "open a campaign (its declarations are created at its opening date)")
    opening.add_argument("--caf", required=True)
    opening.add_argument("--type", required=True, help="the activity family: alsh, eaje_psu, laep, …")
    opening.add_argument("--exercice", required=True, type=int)
    opening.add_argument("--declaration", required=True, help="previsionnelle, actualisee_juin, …, reelle")
    opening.add_argument("--ouverture", required=True, help="opening date, YYYY-MM-DD")
    opening.add_argument("--limite", required=True, help="deadline, YYYY-MM-DD")
    for name, help_ in (
        ("close", "close a campaign: no declaration is expected in it any more"),
        ("reconcile", "re-run a campaign's reconciliation: create the expected declarations it lacks"),
        ("history", "who opened, closed, reconciled the campaign, when"),
    ):
        _leaf(campaign, name, help_).add_argument("id")

    desk = groups.add_parser("dead-letters", help="a service's dead letters")
    desk.add_argument("--service", required=True, choices=dead_letter_cli.SERVICES)
    actions = desk.add_subparsers(dest="command", required=True)
    _leaf(actions, "list", "the waiting dead letters").add_argument("--all", action="store_true")
    _leaf(actions, "history", "the desk's audit trail").add_argument("id", type=int, nargs="?")
    rep = _leaf(actions, "replay", "re-run one through the consumer that failed it, only that one")
    rep.add_argument("id", type=int)
    rep.add_argument("--reason")
    dis = _leaf(actions, "discard", "give up on one, saying why")
    dis.add_argument("id", type=int)
    dis.add_argument("--reason", required=True)

    rotate = _leaf(groups, "rotate-signing-key", "identity signs new tokens with a new key")
    rotate.add_argument("--local", type=Path, metavar="DIR", help="the broker of `make run` (its var/nats-auth)")

    partner = groups.add_parser("partner", help="a partner's data").add_subparsers(dest="command", required=True)
    export = _leaf(partner, "export", "everything held about a partner and its users (data-protection request)")
    export.add_argument("id")
    export.add_argument("--output", help="write the JSON to this file instead of the standard output")

    account = groups.add_parser("account", help="an account").add_subparsers(dest="command", required=True)
    erase = _leaf(account, "erase", "erase a closed account's personal data, keeping what the law requires")
    erase.add_argument("id")
    return p


def main(argv: list[str] | None = None) -> None:
    raise SystemExit(asyncio.run(execute(sys.argv[1:] if argv is None else argv)))


if __name__ == "__main__":
    main()
