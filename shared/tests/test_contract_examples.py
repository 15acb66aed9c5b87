"""Examples built from the contracts (the AsyncAPI documents show one per message): valid, stable, and refused
loudly when a field has no rule instead of showing something the contract would refuse."""

from __future__ import annotations

import json
import re

import pytest
from pydantic import Field

from afas_shared.contracts.envelope import EventData
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
