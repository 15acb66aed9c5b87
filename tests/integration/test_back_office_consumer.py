"""A Caf back office reads a day's events from docs/consumers.md alone, with the read-only account.

The five services run on a nats-server configured as in production (``secured_platform``: every user with its
password and permissions, production's subjects and stream names). A day's work goes through the gateway: the
catalogue, a campaign, grants, a declaration filled, controlled, transmitted and validated, its entitlement. Then
``back_office_reader`` — plain nats-py, nothing of the project — reads the day with the user, inbox prefix, streams
and consumer-name rule the guide states (parsed from the page), and is refused every publish and every verb.
"""

from __future__ import annotations

import ast
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from afas_shared.contracts.bus_permissions import (
    ADMIN,
    CAF_CONSUMER,
    CAF_CONSUMER_STREAMS,
    CONSUMES,
    durable_name,
    inbox_prefix,
)
from afas_shared.messaging.naming import BusNames
from afas_shared.messaging.tables import OutboxRecord
from afas_shared.nats_auth import CREDENTIALS_FILE
from afas_shared.settings import CommonSettings
from afas_shared.testing.fixtures import eventually
from tests.integration import back_office_reader
from tests.integration.back_office_reader import Account, read_day, refused_publish
from tests.integration.conftest import DEMO_ACTIVITIES, OPERATOR, DemoCatalogue, Platform
from tests.integration.test_declaration_journey import ACTIVITY, _eaje_declaration, _fill
from tests.integration.test_declaration_journey import ADMIN as APPROBATEUR

ROOT = Path(__file__).resolve().parents[2]
GUIDE = ROOT / "docs" / "consumers.md"
_ROW = re.compile(r"^\| (?P<label>[^|]+?) \| (?P<value>.+) \|$", re.MULTILINE)
_STREAM_ROW = re.compile(r"^\| `(?P<stream>[A-Z_]+)` \| `(?P<subjects>[^`]+)` \| (?P<days>\d+) days \|$", re.MULTILINE)
_EVENT_ROW = re.compile(r"^\| `(?P<subject>[a-z_]+\.[a-z_]+\.v\d+)` \| `(?P<stream>[A-Z_]+)` \|", re.MULTILINE)


@dataclass(frozen=True)
class Guide:
    """What docs/consumers.md tells a back-office team, read off the page."""

    user: str
    inbox_prefix: str
    password_key: str
    password_file: str
    durable_prefix: str
    streams: dict[str, str]  # stream -> subjects
    kept_days: dict[str, int]
    events: dict[str, str]  # subject -> stream
    secret: str
    network_policy: str


def _ticked(value: str) -> list[str]:
    return re.findall(r"`([^`]+)`", value)


def read_guide(text: str) -> Guide:
    rows = {m["label"].strip(): m["value"] for m in _ROW.finditer(text)}
    key, file = _ticked(rows["Password, local run (`make run`)"])[-2:]
    return Guide(
        user=_ticked(rows["User"])[0],
        inbox_prefix=_ticked(rows["Inbox prefix"])[0],
        password_key=key,
        password_file=file,
        durable_prefix=_ticked(rows["Durable consumer names"])[0],
        streams={m["stream"]: m["subjects"] for m in _STREAM_ROW.finditer(text)},
        kept_days={m["stream"]: int(m["days"]) for m in _STREAM_ROW.finditer(text)},
        events={m["subject"]: m["stream"] for m in _EVENT_ROW.finditer(text)},
        secret=_ticked(rows["Password, cluster"])[0],
        network_policy=_ticked(rows["Network"])[-1],
    )


def test_the_guide_states_what_the_platform_enforces():
    guide = read_guide(GUIDE.read_text(encoding="utf-8"))
    assert guide.user == CAF_CONSUMER and guide.inbox_prefix == inbox_prefix(CAF_CONSUMER)
    assert guide.password_key == CAF_CONSUMER and Path(guide.password_file).name == CREDENTIALS_FILE
    assert guide.streams == {BusNames().stream(p): f"{p}.*.*" for p in CAF_CONSUMER_STREAMS}
    assert set(guide.kept_days.values()) == {CommonSettings().bus_history_days} == {1096}
    assert 'AFAS_BUS_HISTORY_DAYS: "1096"' in (ROOT / "deploy/k8s/base/config.yaml").read_text()
    assert f"name: {guide.secret}" in (ROOT / "deploy/k8s/base/secrets.yaml").read_text()
    assert f"name: {guide.network_policy}" in (ROOT / "deploy/k8s/base/network-policies.yaml").read_text()
    # no platform durable has the back office's prefix, so a name of its own never meets one of theirs
    platform_durables = {durable_name(s, c) for s, contracts in CONSUMES.items() for c in contracts}
    assert platform_durables and not any(d.startswith(guide.durable_prefix) for d in platform_durables)


def test_the_reader_uses_nothing_of_the_project():
    tree = ast.parse(Path(back_office_reader.__file__).read_text(encoding="utf-8"))
    imported = {
        (node.module if isinstance(node, ast.ImportFrom) else alias.name).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported - set(sys.stdlib_module_names) == {"nats"}, imported


async def _catalogue(platform: Platform) -> DemoCatalogue:
    agent, admin = await platform.login("100000001"), await platform.login("200000001")
    partner = await platform.amiens(admin)
    users = {
        u["identifiant"]: u["id"]
        for u in (await platform.client.get(f"/api/v1/partners/{partner}/users", headers=admin)).json()
    }
    made = {}
    for key, body in DEMO_ACTIVITIES.items():
        response = await platform.client.post(
            "/api/v1/activities", headers=agent, json={"partenaire_id": partner, "date_ouverture": "2024-01-01", **body}
        )
        assert response.status_code == 201, response.text
        made[key] = response.json()
    return DemoCatalogue(agent, admin, partner, users, made)


async def _a_day_of_work(platform: Platform, runtimes: dict) -> str:
    """Catalogue, campaign, grants, a declaration filled, controlled, transmitted and validated; its id."""
    seeded = await platform.client.post("/api/v1/admin/demo", headers=OPERATOR)
    assert seeded.status_code == 200, seeded.text

    async def declarers_known() -> bool:  # habilitation has the partner's declarers before grants are made
        from afas_habilitation.adapters.tables import DeclarerMembership

        async with platform.habilitation.db.sessions() as session:
            return (await session.execute(sa.select(sa.func.count()).select_from(DeclarerMembership))).scalar_one() >= 4

    await eventually(declarers_known, timeout=20)
    catalogue = await _catalogue(platform)
    declaration, headers = await _eaje_declaration(platform, catalogue)
    await _fill(platform, declaration, headers, activity={**ACTIVITY, "heures_facturees": "63000"})
    url = f"/api/v1/declarations/{declaration}"
    controls = (await platform.client.post(f"{url}/controls", headers=headers[APPROBATEUR])).json()
    assert controls["transmissible"] is True, controls
    sent = await platform.client.post(f"{url}/transmit", headers=headers[APPROBATEUR], json={"signature": True})
    assert sent.status_code == 201, sent.text
    validated = await platform.client.post(f"{url}/validate", headers=catalogue.agent)
    assert validated.status_code == 200, validated.text

    async def entitlement_published() -> bool:
        async with runtimes["estimation"].db.sessions() as session:
            sent_at = (
                await session.execute(
                    sa.select(OutboxRecord.sent_at).where(OutboxRecord.subject.like("%entitlement_computed%"))
                )
            ).scalars()
            return any(s is not None for s in sent_at)

    await eventually(entitlement_published, timeout=30)
    for runtime in runtimes.values():  # everything committed today is on the bus
        await eventually(lambda r=runtime: _no_pending(r), timeout=20)
    return declaration


async def _no_pending(runtime) -> bool:
    return await runtime.relay.pending() == 0


async def _stream_contents(secured, streams) -> tuple[set[str], dict[str, float]]:
    """Every event id the streams hold and their mean size in bytes, read by the operators' admin."""
    ids, sizes = set(), {}
    async with secured.client(ADMIN) as admin:
        js = admin.nc.jetstream()
        for stream in streams:
            info = await js.stream_info(stream)
            sizes[stream] = info.state.bytes / max(1, info.state.messages)
            for seq in range(info.state.first_seq, info.state.last_seq + 1):
                ids.add(json.loads((await js.get_msg(stream, seq)).data)["id"])
    return ids, sizes


async def test_a_back_office_reads_the_day_from_the_guide_alone_and_cannot_publish(secured_platform):
    guide = read_guide(GUIDE.read_text(encoding="utf-8"))
    async with secured_platform() as secured:
        platform = Platform(
            secured.client,
            secured.identity,
            secured.gateway,
            secured.runtimes["habilitation"],
            secured.identity.clock,
            secured.nats.url,
        )
        day = secured.identity.clock.now().date()
        declaration = await _a_day_of_work(platform, secured.runtimes)
        # the password, where the guide says a local run keeps it (this broker's copy of var/nats-auth/)
        passwords = json.loads((secured.nats.auth.config_file.parent / Path(guide.password_file).name).read_text())
        account = Account(secured.nats.url, guide.user, passwords[guide.password_key], guide.inbox_prefix)

        read = await read_day(account, guide.streams, day, consumer_name=f"{guide.durable_prefix}test_journee")

        on_the_streams, mean_bytes = await _stream_contents(secured.nats, guide.streams)
        # every event of the day, each once, and nothing from identity's internal stream
        assert {e["id"] for e in read.events} == on_the_streams and len(read.events) == len(on_the_streams)
        subjects = {e["type"] for e in read.events}
        assert subjects <= set(guide.events), subjects - set(guide.events)
        for expected in (
            "habilitation.activity_registered.v1",
            "habilitation.role_granted.v1",
            "habilitation.grant_validated.v1",
            "declaration.campaign_opened.v1",
            "declaration.declaration_expected.v1",
            "declaration.form_saved.v1",
            "declaration.declaration_figures_updated.v1",
            "declaration.declaration_controlled.v1",
            "declaration.declaration_transmitted.v1",
            "declaration.declaration_validated.v1",
            "estimation.entitlement_computed.v1",
        ):
            assert expected in subjects, expected
        # the declaration's story, as the envelope tells it, and the headers the guide names
        mine = [
            e for e in read.events if e["source"] == "declaration" and e["data"].get("declaration_id") == declaration
        ]
        assert {"declaration.declaration_transmitted.v1", "declaration.declaration_validated.v1"} <= {
            e["type"] for e in mine
        }
        [entitlement] = [e for e in read.events if e["type"] == "estimation.entitlement_computed.v1"]
        assert entitlement["data"]["declaration_id"] == declaration and entitlement["data"]["amount"]
        for event in read.events:
            headers = read.headers[event["id"]]
            assert headers["Nats-Msg-Id"] == event["id"] and headers["X-Correlation-Id"] == event["correlation_id"]
        print(f"\n{len(read.events)} events read; mean bytes per stored event: {mean_bytes}")

        # its durable consumer resumes after what it acknowledged; a replay from the beginning finds the same day
        again = await read_day(account, guide.streams, day, consumer_name=f"{guide.durable_prefix}test_journee")
        assert again.events == []
        replay = await read_day(
            account, guide.streams, day, consumer_name=f"{guide.durable_prefix}test_rejeu", from_the_beginning=True
        )
        assert [e["id"] for e in replay.events] == [e["id"] for e in read.events]

        # read-only: no event, no verb, no other stream, none of the platform's consumers
        refused = {
            "an event": "declaration.declaration_validated.v1",
            "a verb": "declaration.rpc.status.v1",
            "identity's stream": "$JS.API.CONSUMER.CREATE.AFAS_IDENTITY.caf_x.identity.*.*",
            "a platform consumer": "$JS.API.CONSUMER.MSG.NEXT.AFAS_DECLARATION."
            "estimation__declaration_declaration_validated_v1",
            "purging a stream": "$JS.API.STREAM.PURGE.AFAS_DECLARATION",
        }
        for what, subject in refused.items():
            assert await refused_publish(account, subject), f"the back office could publish {what} ({subject})"
