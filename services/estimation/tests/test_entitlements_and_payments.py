"""A validated declaration: its entitlement by the same rules as its estimate, then the payments it makes due,
announced once; who may read them."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime, timedelta

import nats
import pytest

from afas_estimation.application import declarations, entitlements
from afas_shared.contracts.envelope import Envelope
from afas_shared.contracts.events.declaration import DeclarationFiguresUpdatedV1, DeclarationValidatedV1
from afas_shared.messaging.naming import BusNames
from afas_shared.messaging.rpc import RemoteError
from afas_shared.testing.credentials import ask_as
from afas_shared.testing.eaje import PSU_FIGURES
from afas_shared.testing.fixtures import eventually, running
from afas_shared.testing.outbox import queued as outbox

PSU = PSU_FIGURES
PARTNER = uuid.uuid4()
ACTIVITY = uuid.uuid4()
OWN_USER = {"kind": "partner", "sub": str(uuid.uuid4()), "partner_id": str(PARTNER)}
OTHER_USER = {"kind": "partner", "sub": str(uuid.uuid4()), "partner_id": str(uuid.uuid4())}
CAF_92 = {"kind": "caf", "sub": str(uuid.uuid4()), "caf_code": "092", "caf_roles": ["lecture"]}
CAF_59 = {"kind": "caf", "sub": str(uuid.uuid4()), "caf_code": "059", "caf_roles": ["instruction"]}
CAF_92_INSTRUCTOR = {"kind": "caf", "sub": str(uuid.uuid4()), "caf_code": "092", "caf_roles": ["instruction"]}


# A provider of the same partner granted one site only: the declaration service says it does not cover the activity
SITE_PROVIDER = {"kind": "partner", "sub": str(uuid.uuid4()), "partner_id": str(PARTNER)}
# Users whose grants cover the whole activity, as declaration.rpc.may.v1 answers for consulter_montants
WHOLE_ACTIVITY = {(OWN_USER["sub"], str(ACTIVITY))}


@pytest.fixture
async def grants(backends, bus_prefix):
    """Stands in for the declaration service's answer to ``may`` (its grant lines are another service's data)."""
    nc = await nats.connect(backends.nats_url)
    asked = []

    async def answer(msg) -> None:
        request = json.loads(msg.data)
        asked.append(request)
        allowed = request["action"] == "consulter_montants" and (
            (request["user_id"], request["activity_id"]) in WHOLE_ACTIVITY
        )
        await msg.respond(json.dumps({"result": {"allowed": allowed}}).encode())

    await nc.subscribe(BusNames(bus_prefix).rpc("declaration", "may"), cb=answer)
    yield asked
    await nc.close()


async def ask(runtime, verb: str, actor: dict | None, **payload):
    return await ask_as(runtime, "estimation", verb, actor, **payload)


def validated(
    declaration_type: str,
    exercice: int,
    figures: dict,
    at: datetime,
    justified: bool = True,
    *,
    caf_code: str = "092",
    activity_id: uuid.UUID = ACTIVITY,
    opened: date | None = None,
) -> Envelope:
    data = DeclarationValidatedV1(
        declaration_id=uuid.uuid4(),
        declaration_version=1,
        activity_id=activity_id,
        partner_id=PARTNER,
        caf_code=caf_code,
        family="eaje_psu",
        nature="multi_accueil",
        exercice=exercice,
        declaration_type=declaration_type,
        validated_by=uuid.uuid4(),
        validated_at=at,
        snapshot_hash="a" * 64,
        figures=figures,
        forecast_gap_justified=justified,
        activity_opening_date=opened,
    )
    return Envelope.wrap(data, subject=str(data.declaration_id), aggregate_version=12, correlation_id="t")


async def test_validation_computes_the_entitlement_like_the_estimate_and_announces_payments_once(make_settings, grants):
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


async def test_caf_du_nord_pays_a_new_equipment_on_its_forecast_and_update_an_existing_one_as_before(
    make_settings, grants
):
    """35/35 (Caf du Nord): the opening date the validation carries tells a new equipment (opened during N or
    N-1) from an existing one. PSU figures above: entitlement 40 852,00 €; 35 % = 14 298,20 €."""
    new, existing, unknown = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    forecast_at, update_at = datetime(2026, 2, 10, 9, tzinfo=UTC), datetime(2026, 10, 1, 9, tzinfo=UTC)
    async with running(make_settings("estimation")) as estimation:
        for activity, opened in ((new, date(2025, 9, 1)), (existing, date(2020, 1, 6)), (unknown, None)):
            forecast = validated(
                "previsionnelle", 2026, PSU, forecast_at, caf_code="059", activity_id=activity, opened=opened
            )
            async with estimation.unit_of_work() as uow:
                uow.publish(forecast.data, subject=forecast.subject, aggregate_version=12)
        await eventually(
            lambda: _when(outbox(estimation, "estimation.entitlement_computed.v1"), lambda rows: len(rows) == 3)
        )
        at_forecast = await outbox(estimation, "estimation.payment_scheduled.v1")
        update = validated(
            "actualisee_septembre", 2026, PSU, update_at, caf_code="059", activity_id=new, opened=date(2025, 9, 1)
        )
        async with estimation.unit_of_work() as uow:
            await entitlements.on_validated(uow, update)
        after_update = await outbox(estimation, "estimation.payment_scheduled.v1")
        views = {
            activity: await ask(estimation, "payments", CAF_59, activity_id=str(activity), exercice=2026)
            for activity in (new, existing)
        }

    def keys(rows, activity):
        return [
            (p["data"]["payment_key"], p["data"]["amount"], p["data"]["due_date"])
            for p in rows
            if p["data"]["activity_id"] == str(activity)
        ]

    # New equipment (opened 1 September 2025, exercice 2026 = N, opened during N-1): 35 % of the forecast N at the
    # forecast; the 2nd advance waits for the update (30 September), 35 % of the updated forecast N
    assert keys(at_forecast, new) == [("2026:acompte_1:1", "14298.20", "2026-02-10")]
    assert keys(after_update, new) == [
        ("2026:acompte_1:1", "14298.20", "2026-02-10"),
        ("2026:acompte_2:1", "14298.20", "2026-10-01"),
    ]
    # Existing equipment (opened 2020), and an event without the opening date: unchanged, first exercice on the
    # platform: 35 % of the actual N-2 (unknown here: the forecast N) and 35 % of the forecast N, both at the forecast
    both = [("2026:acompte_1:1", "14298.20", "2026-02-10"), ("2026:acompte_2:1", "14298.20", "2026-02-10")]
    assert keys(after_update, existing) == both and keys(after_update, unknown) == both
    assert views[new]["deja_verse"] == "28596.40" and views[new]["a_venir"] == "12255.60"
    assert views[existing]["deja_verse"] == "28596.40"


async def _when(rows_coro, ok):
    rows = await rows_coro
    return rows if ok(rows) else None


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


async def test_a_caf_chooses_its_own_payment_policy_only_and_only_its_schedules_move(make_settings):
    nord, somme = uuid.uuid4(), uuid.uuid4()
    nord_agent = {"kind": "caf", "sub": str(uuid.uuid4()), "caf_code": "059", "caf_roles": ["parametrage"]}
    cnaf_agent = {"kind": "caf", "sub": str(uuid.uuid4()), "caf_code": "000", "caf_roles": ["parametrage_national"]}
    at = datetime(2026, 2, 10, 9, tzinfo=UTC)
    async with running(make_settings("estimation")) as estimation:
        for caf, activity in (("059", nord), ("080", somme)):
            async with estimation.unit_of_work() as uow:
                await entitlements.on_validated(
                    uow, validated("previsionnelle", 2026, PSU, at, caf_code=caf, activity_id=activity)
                )
        refusals = []
        for actor, caf in ((nord_agent, "080"), (cnaf_agent, "059"), (CAF_59, "059"), (OWN_USER, "059")):
            with pytest.raises(RemoteError) as refused:
                await ask(estimation, "set_payment_policy", actor, caf=caf, policy="caf_92")
            refusals.append(refused.value.error)
        with pytest.raises(RemoteError) as unknown:
            await ask(estimation, "set_payment_policy", nord_agent, caf="059", policy="tout_de_suite")
        with pytest.raises(RemoteError) as national:  # a Caf agent never changes a national barème
            await ask(
                estimation,
                "set_parameter",
                nord_agent,
                family="eaje_psu",
                parameter="taux_ps",
                applies_from="2026-01-01",
                value="0,70",
                provenance={
                    "titre": "Délibération locale",
                    "emetteur": "Caf du Nord",
                    "date": "2026-01-05",
                    "reference": "n° 1",
                },
            )
        changed = await ask(estimation, "set_payment_policy", nord_agent, caf="059", policy="caf_92", reason="CA")
        nord_paid = await ask(estimation, "payments", nord_agent, activity_id=str(nord), exercice=2026)
        somme_policy = await estimation.request("estimation", "payment_policy", {"caf": "080"})
        nord_policy = await estimation.request("estimation", "payment_policy", {"caf": "059"})
        scheduled = await outbox(estimation, "estimation.payment_scheduled.v1")
    assert refusals == ["forbidden"] * 4 and unknown.value.field == "policy"
    assert national.value.error == "forbidden" and "Cnaf" in national.value.detail
    assert changed["modifie"] is True and changed["activites_recalculees"] == 1 and changed["id"] == "caf_92"
    assert nord_paid["politique"]["id"] == "caf_92"
    assert nord_policy["result"]["id"] == "caf_92" and somme_policy["result"]["id"] == "acomptes_35_35"
    # 35 % + 35 % for both (first exercice: both due at the forecast, 14 298.20 each); the Caf du Nord's later
    # choice redraws only its own schedule, and a payment already announced is never announced again
    by_activity = {}
    for p in scheduled:
        by_activity.setdefault(p["data"]["activity_id"], []).append((p["data"]["payment_key"], p["data"]["amount"]))
    assert by_activity[str(somme)] == [("2026:acompte_1:1", "14298.20"), ("2026:acompte_2:1", "14298.20")]
    assert by_activity[str(nord)][:2] == [("2026:acompte_1:1", "14298.20"), ("2026:acompte_2:1", "14298.20")]


def _psu(hours: int) -> dict:
    """PSU figures at 10 €/h (above the 9,22 €/h ceiling): entitlement 0,66 × 9,22 × hours − 20 000."""
    return {**PSU, "heures_realisees": str(hours), "heures_facturees": str(hours), "total_charges": str(hours * 10)}


async def test_caf_du_nord_caps_the_second_advance_on_an_unjustified_gap_it_computes_itself(make_settings, grants):
    """35/35 (Caf du Nord), existing equipment: the validations carry only the agent's explicit acceptance; the
    schedule compares the forecast N with the actual N-1 itself. Actual 2025 = 40 852,00 € (10 000 h)."""
    capped, accepted, accepted_later, close = (uuid.uuid4() for _ in range(4))
    opened = date(2015, 9, 1)
    actual_at, forecast_at = datetime(2026, 1, 20, 9, tzinfo=UTC), datetime(2026, 2, 10, 9, tzinfo=UTC)
    cases = (
        # forecast 2026 at 15 000 h = 71 278,00 € (+74 % on the actual 2025), no justification accepted
        (capped, 15000, False, False),
        # the same gap, the justification accepted by the instruction agent at the forecast 2026
        (accepted, 15000, False, True),
        # the same gap, accepted at the validation of the actual 2025
        (accepted_later, 15000, True, False),
        # forecast 2026 at 10 600 h = 44 503,12 € (+8,9 %): not above 10 %, no cap without any justification
        (close, 10600, False, False),
    )
    async with running(make_settings("estimation")) as estimation:
        for activity, hours, at_actual, at_forecast in cases:
            for envelope in (
                validated(
                    "reelle", 2025, PSU, actual_at, at_actual, caf_code="059", activity_id=activity, opened=opened
                ),
                validated(
                    "previsionnelle",
                    2026,
                    _psu(hours),
                    forecast_at,
                    at_forecast,
                    caf_code="059",
                    activity_id=activity,
                    opened=opened,
                ),
            ):
                async with estimation.unit_of_work() as uow:
                    await entitlements.on_validated(uow, envelope)
        scheduled = await outbox(estimation, "estimation.payment_scheduled.v1")
        views = {
            activity: await ask(estimation, "payments", CAF_59, activity_id=str(activity), exercice=2026)
            for activity, *_ in cases
        }

    def second(activity):
        [found] = [
            p["data"]
            for p in scheduled
            if p["data"]["activity_id"] == str(activity) and p["data"]["payment_key"] == "2026:acompte_2:1"
        ]
        return found

    # 1st advance: 35 % × 71 278,00 (the actual 2024 is not known: the forecast N) = 24 947,30 €; the advances of
    # 2026 are limited to 70 % × 40 852,00 = 28 596,40 €: the 2nd advance is 28 596,40 − 24 947,30 = 3 649,10 €
    assert second(capped)["amount"] == "3649.10" and "plafonné" in second(capped)["explanation"]
    assert "sans justification acceptée" in second(capped)["explanation"]
    assert views[capped]["plafonnement"] is True and views[capped]["deja_verse"] == "28596.40"
    # an accepted justification lifts the cap: 35 % × 71 278,00
    for activity in (accepted, accepted_later):
        assert second(activity)["amount"] == "24947.30", activity
        assert views[activity]["plafonnement"] is False
    # a gap of 8,9 %: no cap, 35 % × 44 503,12 = 15 576,09 € (half-up)
    assert second(close)["amount"] == "15576.09" and views[close]["plafonnement"] is False


async def test_a_caf_agent_records_actuals_from_before_the_platform_the_first_advance_and_the_cap_use_them(
    make_settings, grants
):
    """Caf du Nord, existing equipment: actual 2024 = 50 000,00 € and actual 2025 = 40 852,00 €, both validated
    before the platform, recorded by an agent of the Caf 059; then the forecast 2026 (71 278,00 €, +74 %)."""
    activity = uuid.uuid4()
    opened = date(2015, 9, 1)
    parametrage_59 = {"kind": "caf", "sub": str(uuid.uuid4()), "caf_code": "059", "caf_roles": ["parametrage"]}
    cnaf = {"kind": "caf", "sub": str(uuid.uuid4()), "caf_code": "000", "caf_roles": ["parametrage_national"]}
    # validated after the actuals were recorded (recorded now): a recorded actual counts from its recording on
    forecast = validated(
        "previsionnelle", 2026, _psu(15000), datetime.now(UTC) + timedelta(days=1), False, caf_code="059",
        activity_id=activity, opened=opened,
    )  # fmt: skip

    async def record(actor, **payload):
        return await ask(estimation, "record_prior_actual", actor, activity_id=str(activity), **payload)

    async def refused(actor, **payload):
        with pytest.raises(RemoteError) as refusal:
            await record(actor, **payload)
        return refusal.value

    async with running(make_settings("estimation")) as estimation:
        unknown = await refused(CAF_59, exercice=2024, entitlement="50000")  # no declaration of this activity yet
        # the partner fills its forecast 2026: the activity and its Caf are known
        figures = DeclarationFiguresUpdatedV1(
            **forecast.data.model_dump(include=set(DeclarationFiguresUpdatedV1.model_fields) - {"figures"}),
            figures=forecast.data.figures,
        )
        async with estimation.unit_of_work() as uow:
            await declarations.on_figures_updated(
                uow, Envelope.wrap(figures, subject=str(activity), aggregate_version=1, correlation_id="t")
            )
        outsiders = [
            (await refused(actor, exercice=2024, entitlement="50000")).error
            for actor in (CAF_92_INSTRUCTOR, CAF_92, cnaf, OWN_USER)  # another Caf, a reader, the Cnaf, the partner
        ]
        bad = [
            await refused(CAF_59, exercice=2024),
            await refused(CAF_59, exercice=2024, entitlement="-5"),
            await refused(CAF_59, exercice=2024, entitlement="12,345"),
            await refused(CAF_59, exercice="deux mille", entitlement="50000"),
            await refused(CAF_59, exercice=2024, entitlement="50000", forecast="beaucoup"),
        ]
        before = await ask(estimation, "payments", CAF_59, activity_id=str(activity), exercice=2024)
        n_2 = await record(CAF_59, exercice=2024, entitlement="50 000,00")
        n_1 = await record(parametrage_59, exercice=2025, entitlement="40852", forecast="40000")
        twice = await refused(CAF_59, exercice=2025, entitlement="40852")
        async with estimation.unit_of_work() as uow:
            await entitlements.on_validated(uow, forecast)
        on_platform = await refused(CAF_59, exercice=2026, entitlement="1000")
        with pytest.raises(RemoteError) as payments_too:
            await ask(
                estimation, "record_prior_payments", CAF_59, activity_id=str(activity), exercice=2024, advances="1"
            )
        scheduled = {
            p["data"]["payment_key"]: p["data"]
            for p in await outbox(estimation, "estimation.payment_scheduled.v1")
            if p["data"]["activity_id"] == str(activity)
        }
        view_2026 = await ask(estimation, "payments", CAF_59, activity_id=str(activity), exercice=2026)
        view_2024 = await ask(estimation, "payments", CAF_59, activity_id=str(activity), exercice=2024)

    assert unknown.error == "not_found"
    assert outsiders == ["forbidden"] * 4
    assert [(b.error, b.field) for b in bad] == [
        ("invalid", "entitlement"),
        ("invalid", "entitlement"),
        ("invalid", "entitlement"),
        ("invalid", "exercice"),
        ("invalid", "forecast"),
    ]
    assert bad[0].detail == "Indiquez le droit réel validé avant la plateforme." and "centime" in bad[2].detail
    assert before["reels_anterieurs"] == []  # nothing was recorded by the refusals
    assert n_2["droit_reel"] == "50000.00" and n_2["droit_previsionnel"] is None
    assert n_1["droit_previsionnel"] == "40000.00"
    assert twice.error == "conflict" and "déjà enregistré" in twice.detail
    assert on_platform.error == "invalid" and on_platform.field == "exercice"
    assert payments_too.value.error == "invalid" and payments_too.value.field == "exercice"
    # 1st advance: 35 % of the actual 2024 (not of the forecast 2026); the advances of 2026 limited to 70 % of the
    # actual 2025 = 28 596,40 €: 2nd advance 28 596,40 − 17 500,00 = 11 096,40 € instead of 24 947,30 €
    first, second = scheduled["2026:acompte_1:1"], scheduled["2026:acompte_2:1"]
    assert first["amount"] == "17500.00" and "droit réel 2024" in first["explanation"]
    assert second["amount"] == "11096.40" and "70 % du droit réel 2025 de 40 852,00 €" in second["explanation"]
    assert view_2026["plafonnement"] is True
    assert [(r["exercice"], r["droit_reel"]) for r in view_2026["reels_anterieurs"]] == [
        (2024, "50000.00"),
        (2025, "40852.00"),
    ]
    assert view_2024["droit"] == "50000.00" and view_2024["message"].startswith("Droit réel 2024 validé avant")
