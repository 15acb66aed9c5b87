"""Two replicas of the declaration service (gateway and consumers) and two of estimation on one database each and
one NATS share the work with no duplicate effect: saves and transmits go through both gateways, each transmit
exists once, each event is published once and handled once.

On PostgreSQL the replicas are what the cluster runs. On the SQLite fallback they share one SQLite file per
service, as ``AFAS_<SERVICE>_WORKERS`` does on one machine: every write takes the file's write lock, the relays
may both read a row before either marks it sent, and the stream's ``Nats-Msg-Id`` de-duplication keeps one copy
(which this test checks by counting the stream's messages, not the relays' attempts).
"""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from contextlib import AsyncExitStack

import httpx
import nats
import sqlalchemy as sa

from afas_shared.messaging.tables import OutboxRecord
from afas_shared.testing.fixtures import eventually, running
from tests.integration.test_declaration_journey import ACTIVITY, ADMIN, BUDGET, KARIM, SOPHIE, _eaje_declaration

REVISED = {**ACTIVITY, "heures_facturees": "63000"}  # 105 % billing rate: nothing to justify before transmitting


class Handled:
    """Which replica handled which event, wrapped around each consumer's own ``process``."""

    def __init__(self) -> None:
        self.outcomes: list[tuple[str, str, str, str]] = []  # replica, consumer, event id, outcome

    def watch(self, replica: str, runtime) -> None:
        for consumer in runtime.bus.consumers:
            # Every path applies events through process_batch (one message is a batch of one)
            process_batch = consumer.process_batch

            async def recorded(envelopes, headers=(), process_batch=process_batch, consumer=consumer):
                outcomes = await process_batch(envelopes, headers)
                for envelope, outcome in zip(envelopes, outcomes, strict=True):
                    self.outcomes.append((replica, consumer.name, str(envelope.id), outcome))
                return outcomes

            consumer.process_batch = recorded

    def effects(self, replicas: tuple[str, ...]) -> Counter[tuple[str, str]]:
        """(consumer, event id) → how many times a handler ran for it with effect."""
        return Counter(
            (consumer, event)
            for replica, consumer, event, outcome in self.outcomes
            if replica in replicas and outcome in ("handled", "stale")
        )


async def _forms(client, url: str, headers) -> dict[str, dict]:
    return {who: (await client.get(url, headers=headers[who])).json()["formulaires"][0] for who in (KARIM, SOPHIE)}


async def _fill_through(clients, url: str, headers, activity) -> None:
    """Karim through one gateway, Sophie through the other, each form saved twice, alternating gateways."""
    for values_by_who in ({KARIM: activity, SOPHIE: BUDGET}, {KARIM: activity, SOPHIE: BUDGET}):
        forms = await _forms(clients[0], url, headers)
        for n, who in enumerate((KARIM, SOPHIE)):
            client = clients[n % 2]
            saved = await client.put(
                f"/api/v1/forms/{forms[who]['id']}",
                headers=headers[who],
                json={"version": forms[who]["version"], "valeurs": values_by_who[who]},
            )
            assert saved.status_code == 200, saved.text
        clients = clients[::-1]


async def _stream_messages(nats_url: str, stream: str) -> int:
    nc = await nats.connect(nats_url)
    try:
        return (await nc.jetstream().stream_info(stream)).state.messages
    finally:
        await nc.close()


async def _outbox(db) -> tuple[int, int]:
    async with db.sessions() as session:
        total = (await session.execute(sa.select(sa.func.count()).select_from(OutboxRecord))).scalar_one()
        unsent = (
            await session.execute(
                sa.select(sa.func.count()).select_from(OutboxRecord).where(OutboxRecord.sent_at.is_(None))
            )
        ).scalar_one()
    return total, unsent


async def _transmissions(db, declaration: str) -> list[int]:
    from afas_declaration.adapters.tables import Transmission

    async with db.sessions() as session:
        rows = await session.execute(
            sa.select(Transmission.version).where(Transmission.declaration_id == uuid.UUID(declaration))
        )
        return sorted(rows.scalars())


async def test_two_replicas_of_declaration_and_of_estimation_share_the_work_once(platform, catalogue, make_settings):
    handled = Handled()
    first_gateway = platform.gateway
    async with AsyncExitStack() as stack:
        second_gateway = await stack.enter_async_context(
            running(make_settings("declaration", database_url=first_gateway.settings.database_url))
        )
        estimation_settings = make_settings("estimation")
        estimations = [
            await stack.enter_async_context(running(estimation_settings)),
            await stack.enter_async_context(
                running(make_settings("estimation", database_url=estimation_settings.database_url))
            ),
        ]
        for name, runtime in (
            ("gateway-1", first_gateway),
            ("gateway-2", second_gateway),
            ("estimation-1", estimations[0]),
            ("estimation-2", estimations[1]),
        ):
            runtime.clock = platform.clock
            handled.watch(name, runtime)
        second = await stack.enter_async_context(
            httpx.AsyncClient(transport=httpx.ASGITransport(app=second_gateway.create_app()), base_url="http://gw2")
        )
        clients = (platform.client, second)

        declaration, headers = await _eaje_declaration(platform, catalogue)
        url = f"/api/v1/declarations/{declaration}"
        approbateur = headers[ADMIN]

        async def every_provider_acts() -> bool:
            # Two replicas apply the grants' events side by side: each grant in order, not one grant after another,
            # so the approbateur's validated line may land before a provider's
            answers = [await client.get(url, headers=headers[who]) for client in clients for who in (KARIM, SOPHIE)]
            return all(answer.status_code == 200 for answer in answers)

        await eventually(every_provider_acts, timeout=30)
        await _fill_through(clients, url, headers, REVISED)
        controls = (await second.post(f"{url}/controls", headers=approbateur)).json()
        assert controls["transmissible"] is True, controls

        # The same declaration transmitted at once through both gateways, with two keys: one transmit, one refusal
        body = {"signature": True}
        answers = await asyncio.gather(
            *(
                client.post(f"{url}/transmit", headers={**approbateur, "Idempotency-Key": f"both-{n}"}, json=body)
                for n, client in enumerate(clients)
            )
        )
        assert sorted(a.status_code for a in answers) == [201, 409], [a.text for a in answers]

        # Refused by the Caf through one gateway, revised and transmitted through the other; the retry with the
        # same key through the first gateway gets the first answer, not a second transmit
        refused = await platform.client.post(
            f"{url}/refuse", headers=catalogue.agent, json={"motif": "Les heures facturées dépassent le contrat."}
        )
        assert refused.status_code == 200, refused.text
        await _fill_through(clients[::-1], url, headers, REVISED)
        assert (await platform.client.post(f"{url}/controls", headers=approbateur)).json()["transmissible"] is True
        keyed = {**approbateur, "Idempotency-Key": "second-version"}
        transmitted = await second.post(f"{url}/transmit", headers=keyed, json=body)
        retried = await platform.client.post(f"{url}/transmit", headers=keyed, json=body)
        assert transmitted.status_code == 201 and transmitted.json()["version"] == 2, transmitted.text
        assert (retried.status_code, retried.json()) == (201, transmitted.json())

        # Each transmit exists once
        assert await _transmissions(first_gateway.db, declaration) == [1, 2]

        # Each event published once: every outbox row sent, the stream holds one message per row
        async def all_sent() -> bool:
            return (await _outbox(first_gateway.db))[1] == 0

        await eventually(all_sent, timeout=30)
        outbox_rows, _ = await _outbox(first_gateway.db)
        stream = first_gateway.bus.names.stream("declaration")
        assert await _stream_messages(platform.nats_url, stream) == outbox_rows
        relay_publications = first_gateway.relay.published + second_gateway.relay.published
        if first_gateway.db.backend == "postgresql":  # rows claimed FOR UPDATE SKIP LOCKED: never both relays
            assert relay_publications == outbox_rows
        else:  # both relays may read a row before either marks it: the stream keeps one (Nats-Msg-Id)
            assert relay_publications >= outbox_rows

        # Each event handled once by estimation (its consumers of declaration's events), whichever replica got it
        async def estimation_caught_up() -> bool:
            return len(handled.effects(("estimation-1", "estimation-2"))) >= len(await _inbox_events(estimations[0].db))

        await eventually(estimation_caught_up, timeout=30)
        estimation_inbox = await _inbox_events(estimations[0].db)
        effects = handled.effects(("estimation-1", "estimation-2"))
        assert estimation_inbox and set(effects) == estimation_inbox
        assert max(effects.values()) == 1, [key for key, times in effects.items() if times > 1]
        gateway_effects = handled.effects(("gateway-1", "gateway-2"))
        assert gateway_effects and max(gateway_effects.values()) == 1
        by_replica = Counter(replica for replica, *_ in handled.outcomes)
        print(  # the report of `make test -s`: the figures of this run
            f"replicas: outbox {outbox_rows} rows, stream {outbox_rows} messages, relays published "
            f"{relay_publications}; estimation handled {len(effects)} events once each; deliveries per replica "
            f"{dict(by_replica)}"
        )


async def _inbox_events(db) -> set[tuple[str, str]]:
    from afas_shared.messaging.tables import InboxRecord

    async with db.sessions() as session:
        rows = await session.execute(sa.select(InboxRecord.consumer, InboxRecord.event_id))
        return {(consumer, event) for consumer, event in rows}
