"""Request/reply contracts: every verb of identity and habilitation has one, read by the API's names only."""

from __future__ import annotations

import ast
import importlib
import uuid
from pathlib import Path

import pytest

from afas_shared.contracts import snapshot
from afas_shared.contracts.rpc import RPC_CONTRACTS, TYPED_SERVICES, contract_for, of_service
from afas_shared.contracts.rpc.asyncapi import describe_verbs
from afas_shared.messaging.rpc import RpcFailure
from afas_shared.messaging.rpc_payload import answer_contract
from afas_shared.settings import CommonSettings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def answered(tmp_path_factory) -> dict[str, set[str]]:
    """The verbs each typed service answers, from its real bootstrap (built, never started)."""
    tmp = tmp_path_factory.mktemp("rpc-contracts")
    verbs: dict[str, set[str]] = {}
    for service in sorted(TYPED_SERVICES):
        config = importlib.import_module(f"afas_{service}.config")
        settings = config.Settings(common=CommonSettings(var_dir=tmp), database_url=f"sqlite:///{tmp / service}.db")
        runtime = importlib.import_module(f"afas_{service}.bootstrap").build(settings, configure_logs=False)
        subjects = [
            str(getattr(s, "_resolved_subject_string", None) or s.subject) for s in runtime.bus.broker.subscribers
        ]
        verbs[service] = {s.split(".")[-2] for s in subjects if f"{service}.rpc." in s}
    return verbs


def test_identity_habilitation_declaration_and_notification_are_typed():
    assert {"identity", "habilitation", "declaration", "notification"} <= TYPED_SERVICES


@pytest.mark.parametrize("service", ["identity", "habilitation", "declaration", "notification", "estimation"])
def test_every_verb_a_typed_service_answers_has_a_contract_and_every_contract_is_answered(answered, service):
    assert answered[service], "the bootstrap registered no verb"
    assert answered[service] == {c.verb for c in of_service(service)}


def _registered(contract_subject: str):
    service, _, verb, _ = contract_subject.split(".")
    handlers = {}
    return handlers, lambda handler: answer_contract(
        lambda v, h: handlers.__setitem__(v, h), contract_for(service, verb), handler
    )


async def test_a_request_is_read_by_the_apis_names_and_a_field_error_names_the_apis_field():
    handlers, register = _registered("identity.rpc.create_user.v1")
    seen = []

    async def handler(request, payload):
        seen.append(request)
        return None

    register(handler)
    answer = handlers["create_user"]
    person = {
        "nom": "Martin",
        "prenom": "Claire",
        "email": "claire@amiens.fr",
        "email_confirmation": "claire@amiens.fr",
    }
    partner = str(uuid.uuid4())
    with pytest.raises(RpcFailure) as refused:
        await answer({"partner_id": partner, **person, "telephone": 3})
    assert (refused.value.code, refused.value.field) == ("invalid", "telephone")
    # identity's attribute names are not the wire's: sent under them, the field is missing, named as the API names it
    with pytest.raises(RpcFailure) as english:
        await answer({"partner_id": partner, "last_name": "Martin", **{k: v for k, v in person.items() if k != "nom"}})
    assert english.value.field == "nom"
    assert seen == []  # refused before the use case ran


async def test_a_reply_outside_its_contract_does_not_leave():
    handlers, register = _registered("identity.rpc.get_partner.v1")

    async def handler(request, payload):
        return {"id": str(request.partner_id), "raison_sociale": "Commune d'Amiens"}  # siret, type, caf… missing

    register(handler)
    with pytest.raises(ValueError, match="siret"):
        await handlers["get_partner"]({"partner_id": str(uuid.uuid4())})


async def test_a_reply_may_carry_fields_its_contract_does_not_list():
    handlers, register = _registered("identity.rpc.list_cafs.v1")

    async def handler(request, payload):
        return [{"code": "080", "nom": "Caf de la Somme", "departement": "80", "region": "Hauts-de-France"}]

    register(handler)
    assert (await handlers["list_cafs"]({}))["result"][0]["region"] == "Hauts-de-France"


# the argument naming the field, by refusal: estimation's domain refuses a barème change or a territory too
REFUSAL_FIELD_POSITIONS = {
    "invalid": 0,
    "conflict": 1,
    "RpcFailure": 2,
    "InvalidParameter": 1,
    "InvalidTerritory": 1,
    "InvalidRequest": 1,
}


def _refused_fields(source: str) -> set[str]:
    """Literal field names given to a refusal: ``invalid("f", …)``, ``conflict(…, "f")``, ``RpcFailure(…, …, "f")``."""
    fields = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name | ast.Attribute):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else node.func.attr
        position = REFUSAL_FIELD_POSITIONS.get(name)
        if position is None or len(node.args) <= position:
            continue
        argument = node.args[position]
        if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
            fields.add(argument.value)
        elif isinstance(argument, ast.Dict):  # a table of problem → field
            fields |= {v.value for v in argument.values if isinstance(v, ast.Constant)}
    return fields


def _tables_of_fields(source: str) -> set[str]:
    """Values of a module-level ``INPUT_PROBLEMS = {…}`` table (refusal → field)."""
    fields = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") == "INPUT_PROBLEMS" for t in node.targets):
            fields |= {v.value for v in node.value.values if isinstance(v, ast.Constant)}  # type: ignore[attr-defined]
    return fields


@pytest.mark.parametrize("service", ["identity", "habilitation", "notification", "estimation"])
def test_every_field_a_service_refuses_is_a_field_of_its_requests_as_the_api_names_it(service):
    """A refusal's field reaches the client as is: renaming a request field without its refusals breaks here."""
    wire = set().union(*(c.request.wire_names() for c in of_service(service))) | {"csv"}  # the import's file
    package = ROOT / "services" / service / "src" / f"afas_{service}"
    refused = {}
    for path in sorted([*(package / "application").glob("*.py"), *(package / "domain" / "parameters").glob("*.py")]):
        source = path.read_text(encoding="utf-8")
        for field in _refused_fields(source) | _tables_of_fields(source):
            refused.setdefault(field, path.name)
    assert refused, "no refusal found: the walk is broken"
    assert {f: where for f, where in refused.items() if f not in wire} == {}


def test_the_snapshot_holds_each_verbs_request_and_reply():
    schemas = snapshot.current_schemas()
    for contract in RPC_CONTRACTS.values():
        assert set(schemas[contract.subject]["properties"]) == {"request", "reply"}
    login = schemas["identity.rpc.login.v1"]
    request = login["$defs"][login["properties"]["request"]["$ref"].rsplit("/", 1)[-1]]
    assert {"identifiant", "mot_de_passe"} <= set(request["properties"])


def test_the_asyncapi_document_gives_each_verb_its_request_and_reply():
    channel = "identity.rpc.login.v1"
    doc = {
        "channels": {channel: {}, "identity.rpc.unknown.v1": {}},
        "operations": {channel: {"action": "receive"}},
        "components": {"schemas": {f"{channel}:Message:Payload": {"title": "empty"}}},
    }
    described = describe_verbs(doc)
    schemas = described["components"]["schemas"]
    assert {"identifiant", "mot_de_passe"} <= set(schemas[f"{channel}:Message:Payload"]["properties"])
    reply = schemas[f"{channel}:Reply:Payload"]["properties"]["result"]["$ref"].rsplit("/", 1)[-1]
    assert "jeton" in schemas[reply]["properties"]
    assert described["operations"][channel]["reply"]["messages"] == [{"$ref": f"#/components/messages/{channel}:Reply"}]
    assert "identity.rpc.unknown.v1:Reply:Payload" not in schemas
