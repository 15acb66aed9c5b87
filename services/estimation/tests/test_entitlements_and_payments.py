"""A validated declaration: its entitlement by the same rules as its estimate, then the payments it makes due,
announced once; who may read them."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from afas_estimation.application import entitlements
from afas_shared.contracts.envelope import Envelope
from afas_shared.contracts.events.declaration import DeclarationValidatedV1
from afas_shared.messaging.rpc import RemoteError
from afas_shared.messaging.tables import OutboxRecord
from afas_shared.testing.fixtures import eventually, running

PSU = {
    "places": "20",
    "heures_realisees": "10000",
    "heures_facturees": "10000",
    "total_charges": "100000",
    "participations_familiales": "20000",
    "part_regime_general": "100",
    "couches_fournies": "true",
    "repas_fournis": "true",
}
PARTNER = uuid.uuid4()
ACTIVITY = uuid.uuid4()
OWN_USER = {"kind": "partner", "sub": str(uuid.uuid4()), "partner_id": str(PARTNER)}
OTHER_USER = {"kind": "partner", "sub": str(uuid.uuid4()), "partner_id": str(uuid.uuid4())}
CAF_92 = {"kind": "caf", "sub": str(uuid.uuid4()), "caf_code": "092", "caf_roles": ["lecture"]}
CAF_59 = {"kind": "caf", "sub": str(uuid.uuid4()), "caf_code": "059", "caf_roles": ["instruction"]}


async def outbox(runtime, subject: str) -> list[dict]:
    async with runtime.db.sessions() as session:
        rows = await session.execute(
            sa.select(OutboxRecord.payload).where(OutboxRecord.subject == subject).order_by(OutboxRecord.seq)
        )
        return [json.loads(payload) for payload in rows.scalars()]


async def ask(runtime, verb: str, actor: dict | None, **payload):
    return (await runtime.request("estimation", verb, {"actor": actor, **payload}, timeout=10))["result"]


def validated(declaration_type: str, exercice: int, figures: dict, at: datetime, justified: bool = True) -> Envelope:
    data = DeclarationValidatedV1(
        declaration_id=uuid.uuid4(),
        declaration_version=1,
        activity_id=ACTIVITY,
        partner_id=PARTNER,
        caf_code="092",
        family="eaje_psu",
        nature="multi_accueil",
        exercice=exercice,
        declaration_type=declaration_type,
        validated_by=uuid.uuid4(),
        validated_at=at,
        snapshot_hash="a" * 64,
        figures=figures,
        forecast_gap_justified=justified,
    )
    return Envelope.wrap(data, subject=str(data.declaration_id), aggregate_version=12, correlation_id="t")


async def test_validation_computes_the_entitlement_like_the_estimate_and_announces_payments_once(make_settings):
    forecast = validated("previsionnelle", 2026, PSU, datetime(2026, 2, 10, 9, tzinfo=UTC))
    actual_2025 = validated("reelle", 2025, PSU, datetime(2026, 4, 15, 9, tzinfo=UTC))
    async with running(make_settings("estimation")) as estimation:
        estimate = (
            await estimation.request(
                "estimation",
                "estimate",
                {"family": "eaje_psu", "nature": "multi_accueil", "exercice": 2026, "figures": PSU},
            )
        )["result"]
        # Through the bus, as the declaration service publishes it.
        async with estimation.unit_of_work() as uow:
            uow.publish(forecast.data, subject=forecast.subject, aggregate_version=12)
        computed = await eventually(lambda: outbox(estimation, "estimation.entitlement_computed.v1"))
        first = await outbox(estimation, "estimation.payment_scheduled.v1")
        # A redelivery that escaped the inbox, then the actual 2025 that releases the second advance of 2026.
        for envelope in (forecast, actual_2025, actual_2025):
            async with estimation.unit_of_work() as uow:
                await entitlements.on_validated(uow, envelope)
        entitled = await outbox(estimation, "estimation.entitlement_computed.v1")
        scheduled = await outbox(estimation, "estimation.payment_scheduled.v1")
        droit = await ask(estimation, "entitlement", OWN_USER, declaration_id=str(forecast.data.declaration_id))
        paid = await ask(estimation, "payments", OWN_USER, activity_id=str(ACTIVITY), exercice=2026)
        by_caf = await ask(estimation, "payments", CAF_92, activity_id=str(ACTIVITY), exercice="2025")
        refusals = []
        for actor, verb, key in (
            (OTHER_USER, "payments", "activity_id"),
            (CAF_59, "payments", "activity_id"),
            (OTHER_USER, "entitlement", "declaration_id"),
        ):
            target = str(ACTIVITY) if key == "activity_id" else str(forecast.data.declaration_id)
            with pytest.raises(RemoteError) as refused:
                await ask(estimation, verb, actor, **{key: target, "exercice": 2026})
            refusals.append(refused.value.error)

    [event] = computed
    assert event["data"]["amount"] == estimate["montant"] == "40852.00"
    assert event["data"]["bareme_fingerprint"] == estimate["empreinte_bareme"]
    assert droit["montant"] == estimate["montant"] and droit["explication"]["etapes"] == estimate["etapes"]
    assert [e["data"]["declaration_id"] for e in entitled] == [
        str(forecast.data.declaration_id),
        str(actual_2025.data.declaration_id),
    ]
    # Caf 92: 40 % at the forecast; 30 % with the actual N-1; the 2025 balance (no advances known for 2025)
    assert [p["data"]["payment_key"] for p in first] == ["2026:acompte_1:1"]
    assert first[0]["data"]["amount"] == "16340.80" and first[0]["data"]["due_date"] == "2026-02-10"
    assert [(p["data"]["payment_key"], p["data"]["amount"]) for p in scheduled] == [
        ("2026:acompte_1:1", "16340.80"),
        ("2025:solde:1", "40852.00"),
        ("2026:acompte_2:1", "12255.60"),
    ]
    assert [p["aggregate_version"] for p in scheduled] == [1, 2, 3]

    assert [(p["cle"], p["statut"]) for p in paid["paiements"]] == [
        ("2026:acompte_1:1", "verse"),
        ("2026:acompte_2:1", "verse"),
        ("2026:solde:1", "a_venir"),
    ]
    assert paid["deja_verse"] == "28596.40" and paid["a_venir"] == "12255.60" and paid["droit"] == "40852.00"
    assert paid["politique"]["id"] == "caf_92" and all(p["annonce"] for p in paid["paiements"][:2])
    assert by_caf["solde"] == "40852.00" and by_caf["base_du_droit"] == "reel"
    assert refusals == ["forbidden", "forbidden", "forbidden"]


async def test_payments_and_entitlements_refuse_bad_requests(make_settings):
    async with running(make_settings("estimation")) as estimation:
        errors = []
        for verb, payload in (
            ("payments", {"activity_id": "pas-un-uuid", "exercice": 2026}),
            ("payments", {"activity_id": str(uuid.uuid4()), "exercice": "deux mille"}),
            ("entitlement", {"declaration_id": None}),
        ):
            with pytest.raises(RemoteError) as refused:
                await ask(estimation, verb, OWN_USER, **payload)
            errors.append((refused.value.error, refused.value.field))
        with pytest.raises(RemoteError) as unknown:
            await ask(estimation, "entitlement", OWN_USER, declaration_id=str(uuid.uuid4()))
        nothing = await ask(estimation, "payments", OWN_USER, activity_id=str(uuid.uuid4()), exercice=2026)
    assert errors == [("invalid", "activity_id"), ("invalid", "exercice"), ("invalid", "declaration_id")]
    assert unknown.value.error == "not_found"
    assert nothing["paiements"] == [] and "Aucune déclaration validée" in nothing["message"]
