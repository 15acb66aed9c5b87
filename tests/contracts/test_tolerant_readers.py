"""Tolerant readers: a v1 event carrying a field its consumers do not know yet is handled, never dead-lettered.

Every contract × every service consuming it, through the real ``IdempotentConsumer.handle`` path (parse
with the contract, inbox row, handler call, ack); the handler itself is replaced by a recorder, since it
receives the typed model and never sees the added field. Also: the published schemas allow additions, and
the snapshot check still reports removals and type changes as breaking.
"""

from __future__ import annotations

import importlib
import json
import shutil
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from pydantic import ValidationError, create_model
from sqlmodel import SQLModel

from afas_shared.contracts import registry, snapshot
from afas_shared.contracts.bus_permissions import SERVICES
from afas_shared.contracts.envelope import EventData
from afas_shared.contracts.events.identity import UserCreatedV1
from afas_shared.contracts.registry import REGISTRY, envelope_model, parse
from afas_shared.db.engine import Database
from afas_shared.messaging.consumer import IdempotentConsumer
from afas_shared.messaging.tables import DeadLetter, InboxRecord
from afas_shared.settings import CommonSettings

ADDED = "champ_ajoute_en_v1_1"  # what a newer producer of the same major version might send
PATTERNS = {
    r"^\d{3}$": "080",
    r"^\d{9}$": "200000001",
    r"^\d{14}$": "21800021000011",
    r"^-?\d+\.\d{2}$": "1234.50",
    r"^[0-9a-f]{64}$": "ab" * 32,
}


def sample(schema: dict, root: dict, *, extra: bool) -> Any:
    """A value valid for ``schema``, every optional field filled; with ``extra``, each object gets ``ADDED``."""
    schema = snapshot._resolve(schema, root)
    if "anyOf" in schema:
        return sample(next(a for a in schema["anyOf"] if a.get("type") != "null"), root, extra=extra)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if kind == "object" and "properties" in schema:
        value = {name: sample(sub, root, extra=extra) for name, sub in schema["properties"].items()}
        return {**value, ADDED: {"nouveau": True}} if extra else value
    if kind == "object":
        return {"cle": sample(schema.get("additionalProperties") or {"type": "string"}, root, extra=extra)}
    if kind == "array":
        return [sample(schema.get("items", {}), root, extra=extra)]
    if kind == "integer":
        return max(int(schema.get("minimum", 1)), 1)
    if kind == "number":
        return 1.5
    if kind == "boolean":
        return True
    if kind == "string":
        fmt, pattern = schema.get("format"), schema.get("pattern")
        if pattern:
            assert pattern in PATTERNS, f"teach this test a value for pattern {pattern!r}"
            return PATTERNS[pattern]
        return {
            "uuid": str(uuid.uuid4()),
            "date-time": "2026-12-01T10:00:00Z",
            "date": "2026-12-01",
            "email": "agent@caf-exemple.fr",
        }.get(fmt, "valeur")
    raise AssertionError(f"teach this test to build {schema!r}")


def event_json(subject: str, *, extra: bool) -> dict:
    schema = envelope_model(subject).model_json_schema()
    value = sample(schema, schema, extra=extra)
    value.update(type=subject, source=subject.split(".")[0], aggregate_version=2, causation_id=None)
    return value


@dataclass
class FakeMsg:
    """What ``IdempotentConsumer.handle`` reads of a JetStream message, and how it was settled."""

    data: bytes
    subject: str
    headers: dict = field(default_factory=dict)
    settled: list[str] = field(default_factory=list)

    class metadata:  # noqa: N801 - mirrors nats.aio.msg.Msg.metadata
        num_delivered = 1

    async def ack(self) -> None:
        self.settled.append("ack")

    async def nak(self, delay: float | None = None) -> None:
        self.settled.append("nak")

    async def term(self) -> None:
        self.settled.append("term")


@pytest.fixture(scope="module")
def consumers(tmp_path_factory) -> list[tuple[str, IdempotentConsumer]]:
    """Every consumer each service registers, from its real bootstrap (built, never started)."""
    tmp = tmp_path_factory.mktemp("tolerant-readers")
    found = []
    for service in SERVICES:
        config = importlib.import_module(f"afas_{service}.config")
        settings = config.Settings(common=CommonSettings(var_dir=tmp), database_url=f"sqlite:///{tmp / service}.db")
        runtime = importlib.import_module(f"afas_{service}.bootstrap").build(settings, configure_logs=False)
        found += [(service, c) for c in runtime.bus.consumers]
    return found


def test_every_contract_is_consumed_somewhere_or_published_for_outside_readers(consumers):
    consumed = {c.contract_subject for _, c in consumers}
    assert consumed <= set(REGISTRY)
    assert len(consumers) >= 40  # the test below really covers the platform's consumers


async def test_an_added_optional_field_is_handled_by_every_consumer(consumers, tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'inbox.db'}")
    async with db.engine.begin() as conn:
        await conn.run_sync(SQLModel.metadata.create_all, tables=[InboxRecord.__table__, DeadLetter.__table__])
    failures = []
    try:
        for service, real in consumers:
            seen = []

            async def record(uow, envelope, seen=seen) -> None:
                seen.append(envelope)

            consumer = IdempotentConsumer(real.name, real.contract_subject, record, db, max_deliver=1, backoff=[0])
            newer = event_json(real.contract_subject, extra=True)
            msg = FakeMsg(json.dumps(newer).encode(), real.contract_subject)
            outcome = await consumer.handle(msg)
            if outcome != "handled" or msg.settled != ["ack"] or len(seen) != 1:
                failures.append(f"{service} {real.name}: {outcome} {msg.settled}")
                continue
            # What the handler got is exactly the v1 event without the addition.
            assert ADDED not in seen[0].data.model_dump()
            assert str(seen[0].id) == newer["id"]
    finally:
        await db.dispose()
    assert failures == []


@pytest.mark.parametrize("subject", sorted(REGISTRY))
def test_reading_ignores_additions_but_building_still_refuses_unknown_fields(subject):
    newer = event_json(subject, extra=True)
    envelope = parse(subject, json.dumps(newer))
    plain = {k: v for k, v in newer["data"].items() if k != ADDED}
    assert envelope.data == parse(subject, json.dumps({**newer, "data": plain})).data
    # A producer misspelling a field in code is refused at once (strict writer).
    with pytest.raises(ValidationError, match="unknown field"):
        REGISTRY[subject](**{**envelope.data.model_dump(), ADDED: 1})


def test_published_schemas_allow_additions_within_the_major_version():
    for path in sorted(snapshot.SNAPSHOT_DIR.glob("*.json")):
        assert '"additionalProperties": false' not in path.read_text(encoding="utf-8"), path.name
    for path in sorted((snapshot.SNAPSHOT_DIR.parents[0] / "src/afas_shared/contracts/asyncapi").glob("*.json")):
        assert '"additionalProperties": false' not in path.read_text(encoding="utf-8"), path.name


def _variant(model: type[EventData], *, drop: str | None = None, retype: str | None = None, add: str | None = None):
    fields: dict[str, Any] = {n: (f.annotation, f) for n, f in model.model_fields.items() if n != drop}
    if retype:
        fields[retype] = (int, ...)
    if add:
        fields[add] = (str | None, None)
    variant = create_model(model.__name__, __base__=EventData, __doc__=model.__doc__, **fields)
    variant.producer, variant.event, variant.version = model.producer, model.event, model.version
    return variant


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"drop": "email"}, "breaking: data.email removed"),
        ({"retype": "last_name"}, "breaking: data.last_name changed type"),
        ({"add": "nickname"}, "compatible within the major version"),
    ],
    ids=["removed-field", "changed-type", "added-optional-field"],
)
def test_the_snapshot_check_reports_removals_and_type_changes_as_breaking(monkeypatch, tmp_path, change, expected):
    shutil.copytree(snapshot.SNAPSHOT_DIR, tmp_path, dirs_exist_ok=True)
    subject = UserCreatedV1.subject()
    monkeypatch.setitem(registry.REGISTRY, subject, _variant(UserCreatedV1, **change))
    problems = snapshot.differences(tmp_path)
    [problem] = [p for p in problems if p.startswith(f"{subject}:")]
    assert "schema differs" in problem and expected in problem
