"""A validated declaration: its entitlement by the same rules as its estimate, then the payments it makes due,
announced once; who may read them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from afas_estimation.application import entitlements
from afas_shared.messaging.rpc import RemoteError
from afas_shared.testing.fixtures import eventually, running
from afas_shared.testing.outbox import queued as outbox
from services.estimation.tests.payment_validations import (
    ACTIVITY,
    CAF_59,
    CAF_92,
    CAF_92_INSTRUCTOR,
    OTHER_USER,
    OWN_USER,
    PSU,
    SITE_PROVIDER,
    ask,
    validated,
)


async def test_validation_computes_the_entitlement_like_the_estimate_and_announces_payments_once(make_settings, grants):
    forecast = validated("previsionnelle", 2026, PSU, datetime(2026, 2, 10, 9, tzinfo=UTC))
    actual_2025 = validated("reelle", 2025, PSU, datetime(2026, 4, 15, 9, tzinfo=UTC))
    async with running(make_settings("estimation")) as estimation:
        estimate = (
            await estimation.request(
                "estimation",
                "estimate",
                {"famille": "eaje_psu", "nature": "multi_accueil", "exercice": 2026, "valeurs": PSU},
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
        prior_refusals = []
        for actor in (CAF_59, CAF_92, OWN_USER):  # another Caf, a read-only agent, the partner
            with pytest.raises(RemoteError) as refused:
                await ask(
                    estimation,
                    "record_prior_payments",
                    actor,
                    activity_id=str(ACTIVITY),
                    exercice=2025,
                    advances="28000",
                )
            prior_refusals.append(refused.value.error)
        with pytest.raises(RemoteError) as on_platform:
            await ask(
                estimation,
                "record_prior_payments",
                CAF_92_INSTRUCTOR,
                activity_id=str(ACTIVITY),
                exercice=2026,
                advances="1000",
            )
        recorded = await ask(
            estimation,
            "record_prior_payments",
            CAF_92_INSTRUCTOR,
            activity_id=str(ACTIVITY),
            exercice=2025,
            advances="28 000,00",
        )
        settled = await ask(estimation, "payments", CAF_92, activity_id=str(ACTIVITY), exercice="2025")
        after_prior = await outbox(estimation, "estimation.payment_scheduled.v1")
        refusals = []
        for actor, verb, key in (
            (OTHER_USER, "payments", "activity_id"),
            (CAF_59, "payments", "activity_id"),
            (OTHER_USER, "entitlement", "declaration_id"),
            # same partner, but granted one site: the amounts cover the whole activity
            (SITE_PROVIDER, "payments", "activity_id"),
            (SITE_PROVIDER, "entitlement", "declaration_id"),
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
    # Caf 92, first exercice on the platform: 40 % and 30 % both due at the forecast (the actual N-1 was validated
    # before the platform); the actual 2025 announces no balance: its advances were paid before the platform
    assert [p["data"]["payment_key"] for p in first] == ["2026:acompte_1:1", "2026:acompte_2:1"]
    assert first[0]["data"]["amount"] == "16340.80" and first[0]["data"]["due_date"] == "2026-02-10"
    assert first[1]["data"]["amount"] == "12255.60" and first[1]["data"]["due_date"] == "2026-02-10"
    assert [(p["data"]["payment_key"], p["data"]["amount"]) for p in scheduled] == [
        ("2026:acompte_1:1", "16340.80"),
        ("2026:acompte_2:1", "12255.60"),
    ]
    assert [p["aggregate_version"] for p in scheduled] == [1, 2]
    assert by_caf["solde"] is None and by_caf["acomptes_anterieurs_non_connus"] is True
    assert by_caf["message"].startswith("Acomptes antérieurs non connus")
    # recorded by an instruction agent of the Caf 92: the 2025 balance falls due, 40 852 − 28 000
    assert prior_refusals == ["forbidden", "forbidden", "forbidden"]
    assert on_platform.value.error == "invalid" and on_platform.value.field == "exercice"
    assert recorded["acomptes"] == "28000.00" and recorded["paiements_annonces"] == 1
    assert settled["solde"] == "12852.00" and settled["acomptes_verses"] == "28000.00"
    assert settled["acomptes_anterieurs_non_connus"] is False
    assert [(p["data"]["payment_key"], p["data"]["amount"]) for p in after_prior][-1] == ("2025:solde:1", "12852.00")

    assert [(p["cle"], p["statut"]) for p in paid["paiements"]] == [
        ("2026:acompte_1:1", "verse"),
        ("2026:acompte_2:1", "verse"),
        ("2026:solde:1", "a_venir"),
    ]
    assert paid["deja_verse"] == "28596.40" and paid["a_venir"] == "12255.60" and paid["droit"] == "40852.00"
    assert paid["politique"]["id"] == "caf_92" and all(p["annonce"] for p in paid["paiements"][:2])
    assert by_caf["base_du_droit"] == "reel" and by_caf["droit"] == "40852.00"
    assert refusals == ["forbidden"] * 5
    assert {(a["user_id"], a["action"]) for a in grants} >= {(SITE_PROVIDER["sub"], "consulter_montants")}


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
