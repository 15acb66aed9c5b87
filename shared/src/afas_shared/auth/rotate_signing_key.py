"""``afas-rotate-signing-key [--local DIR]``: identity signs the session tokens it issues from now on with a new key.

The operator's command for rotating identity's token signing keys (README, "Security"). It acts as the operator does
through the gateway: it exchanges the operator's bootstrap secret (``AFAS_DECLARATION_ADMIN_TOKEN``) for the
operator's signed token over ``identity.rpc.operator_session.v1``, then asks ``identity.rpc.rotate_signing_key.v1``
with that token in the ``Afas-Credential`` header (identity verifies it and that the caller is the operator, and
audits the rotation). On the bus it is the gateway, the one credential allowed to make that exchange: it reads the
gateway's settings, ``AFAS_NATS_URL`` and ``AFAS_NATS_TLS_CA_FILE``, ``AFAS_DECLARATION_NATS_USER`` /
``AFAS_DECLARATION_NATS_PASSWORD``, ``AFAS_DECLARATION_RPC_TIMEOUT_SECONDS``. So it runs where the gateway runs:
``kubectl -n afas exec deploy/declaration -- afas-rotate-signing-key``; locally ``make rotate-signing-key``
(``--local var/nats-auth``: the broker ``make run`` started and the gateway's password it generated).

What a rotation does: the identity process that answers signs every token from now on with the new key (the other
replicas from their next start: ``kubectl -n afas rollout restart deploy/identity``); the older keys stay published,
so the tokens they signed keep verifying everywhere until they expire (30 minutes at most, the operator's 10):
nobody is logged out. Every service fetches the new public key at the first token that names it.

Prints the new key's id and the published ones. Exit code 0 when rotated, 1 when identity refused or could not be
asked, 2 on a configuration error.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any

import nats
from pydantic import Field
from pydantic_settings import SettingsConfigDict

from afas_shared.auth.credential import CREDENTIAL_HEADER
from afas_shared.contracts.bus_permissions import GATEWAY
from afas_shared.messaging.call_budgets import timeout_for
from afas_shared.messaging.connection_options import client_options
from afas_shared.messaging.naming import BusNames
from afas_shared.messaging.rpc import RemoteError
from afas_shared.nats_auth import local_client_env
from afas_shared.settings import LOCAL_ONLY_SECRET, ServiceSettings, load_or_exit


class GatewaySettings(ServiceSettings):
    """What this command needs of the gateway's settings (the same variables, ``AFAS_DECLARATION_*``)."""

    model_config = SettingsConfigDict(env_prefix=f"AFAS_{GATEWAY.upper()}_", extra="ignore")

    admin_token: str = Field(default=LOCAL_ONLY_SECRET, min_length=16, repr=False)


async def rotate(settings: GatewaySettings) -> dict[str, Any]:
    """``{"kid": the new key, "published": every key identity publishes}``; raises RemoteError on a refusal."""
    names = BusNames(settings.common.bus_prefix)

    async def quiet(exc: Exception) -> None:
        """nats-py logs each failed attempt with its traceback; the one error that matters is raised."""

    nc = await nats.connect(
        settings.common.nats_url,
        name="afas-rotate-signing-key",
        allow_reconnect=False,
        max_reconnect_attempts=1,  # 0 would mean: retry an unreachable broker forever
        reconnect_time_wait=0.5,
        connect_timeout=max(2.0, settings.rpc_timeout_seconds),
        error_cb=quiet,
        **client_options(settings),
    )
    try:

        async def ask(verb: str, payload: dict[str, Any], credential: str | None = None) -> dict[str, Any]:
            reply = await nc.request(
                names.rpc("identity", verb),
                json.dumps(payload).encode(),
                timeout=timeout_for(settings, "identity", verb),
                headers={CREDENTIAL_HEADER: credential} if credential else None,
            )
            body = json.loads(reply.data or b"{}")
            if "error" in body:
                raise RemoteError("identity", body["error"], body.get("detail"), body.get("field"))
            return body["result"]

        # The secret goes to identity only, over the gateway's hop; from here on the operator is its signed token.
        operator = await ask("operator_session", {"token": settings.admin_token})
        rotated = await ask("rotate_signing_key", {}, credential=operator["jeton"])
        published = await ask("jwks", {})
        return {"kid": rotated["kid"], "published": [key["kid"] for key in published["keys"]]}
    finally:
        await nc.close()


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="afas-rotate-signing-key", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--local",
        type=Path,
        metavar="DIR",
        help="the broker and the gateway's NATS password of `make run` (its var/nats-auth directory)",
    )
    return p


def main(argv: list[str] | None = None) -> None:
    args = parser().parse_args(argv)
    if args.local is not None:
        try:
            os.environ.update(local_client_env(args.local, GATEWAY))
        except (OSError, ValueError, KeyError) as exc:
            print(f"configuration error: --local {args.local}: {exc} (is `make run` running?)", file=sys.stderr)
            raise SystemExit(2) from None
    settings = load_or_exit(GatewaySettings)
    try:
        settings.require_secret("admin_token")
    except ValueError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from None
    try:
        outcome = asyncio.run(rotate(settings))
    except RemoteError as exc:
        print(f"refused by identity: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    except Exception as exc:  # no broker, wrong NATS password, identity not answering
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        print(f"identity could not be asked on {settings.common.nats_url}: {reason}", file=sys.stderr)
        raise SystemExit(1) from None
    print(f"identity now signs new tokens with key {outcome['kid']} (its other replicas from their next start)")
    older = [kid for kid in outcome["published"] if kid != outcome["kid"]]
    print(f"published keys: {', '.join(outcome['published'])}")
    if older:
        print(f"tokens signed by {', '.join(older)} keep verifying until they expire; nobody is logged out")


if __name__ == "__main__":
    main()
