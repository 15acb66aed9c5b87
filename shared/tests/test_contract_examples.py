"""Examples built from the contracts (the AsyncAPI documents show one per message): valid, stable, and refused
loudly when a field has no rule instead of showing something the contract would refuse."""

from __future__ import annotations

import importlib
import json
import pkgutil
import re

import pytest
from pydantic import BaseModel, Field

from afas_shared.contracts import rpc
from afas_shared.contracts.envelope import READING, EventData
from afas_shared.contracts.examples import NAMED, PATTERNS, NoExample, example_of, example_uuid
from afas_shared.contracts.registry import CONTRACTS, parse
from afas_shared.contracts.rpc import RPC_CONTRACTS
from afas_shared.contracts.rpc.asyncapi import reply_envelope


def test_each_pattern_example_matches_its_pattern():
    for pattern, value in PATTERNS.items():
        assert re.fullmatch(pattern, value), pattern


@pytest.mark.parametrize("contract", CONTRACTS, ids=lambda c: c.subject())
def test_every_event_has_an_example_its_contract_reads_back(contract):
    example = example_of(contract)
    assert contract.model_validate(example).model_dump(mode="json", by_alias=True) == example
    assert example == example_of(contract)  # the same at every generation: the checked-in documents stay put


def test_every_verb_has_a_request_and_reply_example():
    for contract in RPC_CONTRACTS.values():
        example_of(contract.request)
        example_of(reply_envelope(contract))


def test_one_id_per_field_name_across_events():
    registered = example_of(CONTRACTS[[c.event for c in CONTRACTS].index("activity_registered")])
    expected = example_of(CONTRACTS[[c.event for c in CONTRACTS].index("declaration_expected")])
    assert registered["activity_id"] == expected["activity_id"] == str(example_uuid("activity_id"))
    assert NAMED["caf_code"] == registered["caf_code"]


def test_a_field_no_rule_can_fill_is_refused_by_name():
    class OddV1(EventData):
        producer, event = "declaration", "odd"
        code: str = Field(pattern=r"^[A-Z]{2}-\d{5}$")

    with pytest.raises(NoExample, match=r"OddV1\.code"):
        example_of(OddV1)

    class GivenV1(EventData):
        producer, event = "declaration", "given"
        code: str = Field(pattern=r"^[A-Z]{2}-\d{5}$", examples=["AB-12345"])

    assert example_of(GivenV1) == {"code": "AB-12345"}


def test_an_event_example_is_read_by_the_contract_as_a_consumer_reads_it():
    from afas_shared.contracts.asyncapi_wire import event_example

    for contract in CONTRACTS:
        envelope = event_example(contract)
        assert parse(contract.subject(), json.dumps(envelope)).data == contract.model_validate(envelope["data"])


def _models_of(module) -> list[type[BaseModel]]:
    return [m for m in vars(module).values() if isinstance(m, type) and issubclass(m, BaseModel)]


def test_every_hand_written_example_is_accepted_by_its_model():
    """The OpenAPI and the AsyncAPI documents show them: one the model refuses would mislead a client."""
    modules = [
        importlib.import_module(f"afas_shared.contracts.rpc.{m.name}") for m in pkgutil.iter_modules(rpc.__path__)
    ]
    checked = 0
    for model in {m for module in modules for m in _models_of(module)}:
        extra = model.model_config.get("json_schema_extra")
        for given in extra.get("examples") or [] if isinstance(extra, dict) else []:
            model.model_validate(given, context={READING: True})
            checked += 1
    assert checked >= 40
