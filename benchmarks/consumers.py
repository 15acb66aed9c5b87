"""Consumers draining a backlog on PostgreSQL: notification's and declaration's, batched and one by one (issue 16).

For each of the two services, a backlog of the busiest kinds it consumes is published to streams of this run's own
(a bus prefix of its own, deleted at the end): declaration — activity registered, role granted, grant validated;
notification — those three, declaration expected (two forms each) and form saved. Units of one activity each: its
registration, a pending approbateur's grant, its validation, its declaration, a save of its form. Then, in the same
run, each timed from start to the moment every durable has nothing pending nor unacknowledged:

* bare: a nats-py pull consumer per subject that acks without work (fetches of 100): what the broker allows;
* batched: the service itself (its bootstrap, on a scratch database migrated beforehand) at
  ``--batch-size`` (the service's ``consumer_batch_size`` by default): one transaction per batch;
* one by one: the same at a batch size of 1, the former path (one transaction per message, fetches of 50 handled
  concurrently), on ``--one-by-one-events`` (a tenth of the backlog by default: its rate is the figure).

Every run checks its result: each event recorded once in the inbox, no dead letter. Printed: events/s per consumer
service and mode, with the load average; then the figures as JSON.

    python benchmarks/consumers.py [--events 20000] [--batch-size 100] [--one-by-one-events 2000] \
        [--database-url postgresql://postgres@127.0.0.1:5432/postgres] [--nats-url nats://127.0.0.1:4222]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import secrets
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import nats
import sqlalchemy as sa
from nats.js import JetStreamContext

from afas_shared.contracts.envelope import Envelope, EventData
from afas_shared.contracts.events.declaration import DeclarationExpectedV1, ExpectedFormV1, FormSavedV1
from afas_shared.contracts.events.habilitation import (
    ActivityRegisteredV1,
    GrantValidatedV1,
    RoleGrantedV1,
    SiteV1,
)
from afas_shared.db import migrations
from afas_shared.messaging.naming import BusNames
from afas_shared.messaging.streams import ensure_stream, stream_config
from afas_shared.messaging.tables import DeadLetter, InboxRecord
from afas_shared.settings import CommonSettings, ServiceSettings

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script: the repository root

from benchmarks import scratch_database  # noqa: E402

CAF = "080"
KINDS: dict[str, tuple[type[EventData], ...]] = {
    "declaration": (ActivityRegisteredV1, RoleGrantedV1, GrantValidatedV1),
    "notification": (ActivityRegisteredV1, RoleGrantedV1, GrantValidatedV1, DeclarationExpectedV1, FormSavedV1),
}
QUIET = 3600.0  # the services' periodic jobs (planner, sender, reconciliation) stay out of the measure


def _wrap(data: EventData, subject: uuid.UUID, version: int) -> Envelope[Any]:
    return Envelope.wrap(data, subject=str(subject), aggregate_version=version, correlation_id="bench-consumers")


def unit(kinds: tuple[type[EventData], ...]) -> list[Envelope[Any]]:
    """One activity's events, in the order its producers publish them, of the kinds asked."""
    activity, partner, grant, user, declaration = (uuid.uuid4() for _ in range(5))
    forms = [uuid.uuid4(), uuid.uuid4()]
    site = SiteV1(site_id=uuid.uuid4(), name="Site principal")
    built: dict[type[EventData], Envelope[Any]] = {
        ActivityRegisteredV1: _wrap(
            ActivityRegisteredV1(
                activity_id=activity,
                partner_id=partner,
                caf_code=CAF,
                family="alsh",
                nature="periscolaire",
                name=f"ALSH {activity.hex[:6]}",
                site_mode="mono_lieu",
                sites=[site],
                opening_date=date(2020, 1, 1),
            ),
            activity,
            1,
        ),
        RoleGrantedV1: _wrap(
            RoleGrantedV1(
                grant_id=grant,
                group_id=uuid.uuid4(),
                user_id=user,
                partner_id=partner,
                role="approbateur",
                activity_id=activity,
                start_date=date(2026, 1, 1),
                validation="pending",
            ),
            grant,
            1,
        ),
        GrantValidatedV1: _wrap(GrantValidatedV1(grant_id=grant, user_id=user, activity_id=activity), grant, 2),
        DeclarationExpectedV1: _wrap(
            DeclarationExpectedV1(
                declaration_id=declaration,
                campaign_id=uuid.uuid4(),
                activity_id=activity,
                partner_id=partner,
                caf_code=CAF,
                exercice=2026,
                declaration_type="previsionnelle",
                deadline=date.today() + timedelta(days=60),
                forms=[
                    ExpectedFormV1(form_id=forms[0], kind="activite", requested=True),
                    ExpectedFormV1(form_id=forms[1], kind="financier", requested=True),
                ],
            ),
            declaration,
            1,
        ),
        FormSavedV1: _wrap(
            FormSavedV1(
                form_id=forms[0],
                declaration_id=declaration,
                activity_id=activity,
                kind="activite",
                form_version=1,
                saved_by=user,
            ),
            declaration,
            2,
        ),
    }
    return [built[kind] for kind in kinds]


def backlog(service: str, events: int) -> list[Envelope[Any]]:
    out: list[Envelope[Any]] = []
    while len(out) < events:
        out += unit(KINDS[service])
    return out[:events]


async def publish(js: JetStreamContext, names: BusNames, envelopes: list[Envelope[Any]]) -> None:
    for producer in sorted({e.type.split(".")[0] for e in envelopes}):
        await ensure_stream(js, stream_config(names, producer, replicas=1, duplicate_window=120, max_age_days=1))
    for start in range(0, len(envelopes), 2000):
        futures = [
            await js.publish_async(
                names.subject(e.type), e.model_dump_json().encode(), headers={"Nats-Msg-Id": str(e.id)}
            )
            for e in envelopes[start : start + 2000]
        ]
        await asyncio.gather(*futures)


async def drained(js: JetStreamContext, names: BusNames, durables: list[tuple[str, str]]) -> bool:
    """Every durable (stream, name) exists and holds nothing pending nor unacknowledged."""
    for producer, durable in durables:
        try:
            info = await js.consumer_info(names.stream(producer), durable)
        except nats.js.errors.NotFoundError:
            return False
        if info.num_pending or info.num_ack_pending:
            return False
    return True


async def until_drained(js: JetStreamContext, names: BusNames, durables: list[tuple[str, str]], limit: float) -> None:
    deadline = time.perf_counter() + limit
    while not await drained(js, names, durables):
        if time.perf_counter() > deadline:
            raise TimeoutError(f"not drained after {limit:.0f} s")
        await asyncio.sleep(0.05)


async def bare(js: JetStreamContext, names: BusNames, subjects: list[str], expected: int) -> float:
    """The baseline: one pull consumer per subject, fetches of 100, acks without any work."""
    acked = [0]

    async def drain(subject: str) -> None:
        durable = BusNames.durable("bench_bare", subject)
        stream = names.stream(subject.split(".")[0])
        sub = await js.pull_subscribe(names.subject(subject), durable=durable, stream=stream)
        while acked[0] < expected:
            try:
                messages = await sub.fetch(100, timeout=0.5)
            except (TimeoutError, nats.errors.TimeoutError):
                continue
            for msg in messages:
                await msg.ack()
            acked[0] += len(messages)

    started = time.perf_counter()
    await asyncio.wait_for(asyncio.gather(*(drain(s) for s in subjects)), 600)
    return time.perf_counter() - started


def _service(service: str) -> tuple[Any, Any]:
    if service == "declaration":
        from afas_declaration import bootstrap
        from afas_declaration.config import Settings
    else:
        from afas_notification import bootstrap  # type: ignore[no-redef]
        from afas_notification.config import Settings  # type: ignore[no-redef,assignment]
    return bootstrap, Settings


async def consume(
    service: str, url: str, common: CommonSettings, batch_size: int | None, expected: int
) -> tuple[float, float]:
    """The service drains the backlog of its prefix: the seconds from its consumers' start to the last ack, and the
    CPU seconds this process spent meanwhile (on a shared machine, what the figures owe to the load)."""
    bootstrap, settings_class = _service(service)
    await asyncio.to_thread(migrations.upgrade, f"afas_{service}", url)
    quiet = {"reconcile_seconds": QUIET, "receipt_reconcile_seconds": QUIET}
    if service == "notification":
        quiet = {"mail_poll_seconds": QUIET, "schedule_check_seconds": QUIET}
    settings = settings_class(common=common, database_url=url, **quiet)
    if batch_size is not None:
        settings.consumer_batch_size = batch_size
    runtime = bootstrap.build(settings, configure_logs=False)
    names = BusNames(common.bus_prefix)
    subjects = {kind.subject() for kind in KINDS[service]}
    durables = [(c.contract_subject, c.name) for c in runtime.bus.consumers if c.contract_subject in subjects]
    nc = await nats.connect(common.nats_url)
    try:
        await runtime.start()
        # Timed from its consumers' start, not its migrations' check (the runtime offers no event for it)
        while not runtime.bus.started:  # noqa: ASYNC110
            await asyncio.sleep(0.005)
        started, cpu = time.perf_counter(), time.process_time()
        await until_drained(nc.jetstream(), names, [(s.split(".")[0], d) for s, d in durables], 1800)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        async with runtime.db.sessions() as session:
            inbox = await session.scalar(sa.select(sa.func.count()).select_from(InboxRecord))
            letters = await session.scalar(sa.select(sa.func.count()).select_from(DeadLetter))
    finally:
        await nc.close()
        await runtime.stop()
        runtime.tracer_provider.shutdown()
    if inbox != expected or letters:
        raise AssertionError(f"{service}: {inbox} events recorded for {expected}, {letters} dead letters")
    return seconds, cpu


def _figures(events: int, seconds: float, cpu: float) -> dict[str, float]:
    return {"events": events, "seconds": seconds, "per_second": events / seconds, "per_cpu_second": events / cpu}


async def measure(args: argparse.Namespace, run: str) -> dict[str, Any]:
    nc = await nats.connect(args.nats_url)
    js = nc.jetstream(publish_async_max_pending=4000)
    prefixes: list[str] = []
    databases: list[str] = []

    def scratch(service: str, mode: str) -> tuple[str, CommonSettings]:
        name = f"afas_bench_{run}_{service}_{mode}"
        url = scratch_database.create(args.database_url, name)
        databases.append(name)
        prefixes.append(f"bench{run}{service[:4]}{mode[:3]}")
        common = CommonSettings(nats_url=args.nats_url, bus_prefix=prefixes[-1], log_level="WARNING")
        return url, common

    result: dict[str, Any] = {"events": args.events, "one_by_one_events": args.one_by_one_events}
    try:
        for service in ("declaration", "notification"):
            figures: dict[str, Any] = {}
            url, common = scratch(service, "batched")
            names = BusNames(common.bus_prefix)
            await publish(js, names, backlog(service, args.events))
            subjects = [kind.subject() for kind in KINDS[service]]
            seconds = await bare(js, names, subjects, args.events)
            figures["bare"] = {"events": args.events, "seconds": seconds, "per_second": args.events / seconds}
            batched = await consume(service, url, common, args.batch_size, args.events)
            figures["batched"] = _figures(args.events, *batched)
            url, common = scratch(service, "onebyone")
            n = args.one_by_one_events
            await publish(js, BusNames(common.bus_prefix), backlog(service, n))
            figures["one_by_one"] = _figures(n, *await consume(service, url, common, 1, n))
            result[service] = figures
    finally:
        for prefix in prefixes:
            for producer in ("habilitation", "declaration", "identity", "estimation", "notification"):
                try:
                    await js.delete_stream(BusNames(prefix).stream(producer))
                except Exception:  # never created for this prefix
                    pass
        await nc.close()
        for name in databases:
            scratch_database.drop(args.database_url, name)
    result["batch_size"] = args.batch_size or ServiceSettings.model_fields["consumer_batch_size"].default
    result["load_average"] = os.getloadavg()
    return result


def report(result: dict[str, Any]) -> str:
    lines = [
        f"consumers draining a backlog on PostgreSQL, batches of {result['batch_size']} "
        f"(load average {' '.join(f'{x:.2f}' for x in result['load_average'])}):"
    ]
    for service in ("declaration", "notification"):
        f = result[service]
        lines.append(
            f"  {service}: batched {f['batched']['per_second']:,.0f} events/s ({f['batched']['events']:,} in "
            f"{f['batched']['seconds']:.1f} s, target ≥ 1,000); one by one (batch size 1) "
            f"{f['one_by_one']['per_second']:,.0f} events/s ({f['one_by_one']['events']:,} in "
            f"{f['one_by_one']['seconds']:.1f} s): x{f['batched']['per_second'] / f['one_by_one']['per_second']:.1f}; "
            f"bare pull consumer acking without work {f['bare']['per_second']:,.0f} events/s"
        )
        lines.append(
            f"    per CPU second of the service's process: batched {f['batched']['per_cpu_second']:,.0f} events, "
            f"one by one {f['one_by_one']['per_cpu_second']:,.0f}"
        )
    return "\n".join(lines)


def main() -> None:
    # Identity is not part of the run: the services' retries to fetch its keys say nothing about the consumers
    logging.getLogger("afas_shared.auth.tokens").setLevel(logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--one-by-one-events", type=int)
    parser.add_argument("--batch-size", type=int)
    parser.add_argument("--database-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--nats-url", default="nats://127.0.0.1:4222")
    args = parser.parse_args()
    args.one_by_one_events = args.one_by_one_events or max(args.events // 10, 1)
    result = asyncio.run(measure(args, secrets.token_hex(3)))
    print(report(result))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
