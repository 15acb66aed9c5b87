"""Actuals from before the platform, recorded by an agent of the activity's Caf: what the schedule does with them."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from afas_estimation.application import declarations, entitlements
from afas_shared.contracts.envelope import Envelope
from afas_shared.contracts.events.declaration import DeclarationFiguresUpdatedV1
from afas_shared.messaging.rpc import RemoteError
from afas_shared.testing.fixtures import running
from afas_shared.testing.outbox import queued as outbox
from services.estimation.tests.payment_validations import (
    CAF_59,
    CAF_92,
    CAF_92_INSTRUCTOR,
    OWN_USER,
    ask,
    psu_hours,
    validated,
)


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
        "previsionnelle", 2026, psu_hours(15000), datetime.now(UTC) + timedelta(days=1), False, caf_code="059",
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
        ("invalid", "droit_reel"),
        ("invalid", "droit_reel"),
        ("invalid", "droit_reel"),
        ("invalid", "exercice"),
        ("invalid", "droit_previsionnel"),
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
