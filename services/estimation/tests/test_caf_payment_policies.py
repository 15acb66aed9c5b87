"""Each Caf's payment policy: the Caf du Nord's new vs existing equipment and its cap, a Caf choosing its own."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from afas_estimation.application import entitlements
from afas_shared.messaging.rpc import RemoteError
from afas_shared.testing.fixtures import eventually, running
from afas_shared.testing.outbox import queued as outbox
from services.estimation.tests.payment_validations import (
    CAF_59,
    OWN_USER,
    PSU,
    ask,
    psu_hours,
    validated,
)


async def _when(rows_coro, ok):
    rows = await rows_coro
    return rows if ok(rows) else None


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
    assert refusals == ["forbidden"] * 4 and unknown.value.field == "politique"
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
                    psu_hours(hours),
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
