"""Contracts: envelope shape, subject naming, and the reviewed JSON Schema snapshot."""

from __future__ import annotations

import re
import shutil
import uuid

import pytest
from pydantic import ValidationError

from afas_shared.contracts import snapshot
from afas_shared.contracts.envelope import Envelope
from afas_shared.contracts.events.identity import UserCreatedV1
from afas_shared.contracts.registry import REGISTRY, UnknownEvent, model_for, parse


def _user(**overrides) -> UserCreatedV1:
    values = dict(
        user_id=uuid.uuid4(),
        identifier="123456789",
        last_name="Dupont",
        first_name="Jeanne",
        email="jeanne.dupont@mairie-exemple.fr",
    )
    return UserCreatedV1(**{**values, **overrides})


def test_every_subject_is_producer_event_version():
    for subject, model in REGISTRY.items():
        assert re.fullmatch(r"[a-z]+\.[a-z_]+\.v\d+", subject), subject
        assert subject == f"{model.producer}.{model.event}.v{model.version}"


def test_envelope_round_trips_and_carries_every_field():
    envelope = Envelope.wrap(_user(), subject="agg-1", aggregate_version=3, correlation_id="corr", causation_id="cause")
    back = parse("identity.user_created.v1", envelope.model_dump_json())
    assert back == envelope
    assert set(back.model_dump()) == {
        "id",
        "type",
        "source",
        "time",
        "subject",
        "aggregate_version",
        "correlation_id",
        "causation_id",
        "data",
    }


def test_contracts_are_frozen_and_strict():
    user = _user()
    with pytest.raises(ValidationError):
        user.last_name = "Autre"
    with pytest.raises(ValidationError):
        _user(password="secret")
    with pytest.raises(ValidationError):
        _user(identifier="12345")


def test_unknown_subject_is_refused_precisely():
    with pytest.raises(UnknownEvent, match="identity.user_deleted.v9"):
        model_for("identity.user_deleted.v9")


def test_checked_in_schema_snapshot_matches_the_contracts():
    assert snapshot.differences() == [], "contract changed: review it, then run `make contracts`"


def test_an_unreviewed_change_is_detected(tmp_path):
    shutil.copytree(snapshot.SNAPSHOT_DIR, tmp_path, dirs_exist_ok=True)
    path = tmp_path / "identity.user_created.v1.json"
    path.write_text(path.read_text().replace('"Nom."', '"Nom de famille."'))
    (tmp_path / "identity.user_renamed.v1.json").write_text("{}")
    problems = snapshot.differences(tmp_path)
    assert any("identity.user_created.v1: schema differs" in p for p in problems)
    assert any("identity.user_renamed.v1.json: snapshot of a contract that no longer exists" in p for p in problems)
