"""Habilitation's events about one activity or one grant line reach declaration in any order: every event's
information ends up applied, a closure that overtakes the registration is kept (never dead-lettered), a stale or
replayed event is a counted no-op; the reconciliation runs at the interval the settings give (issue 15)."""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from afas_declaration.adapters.tables import ActivityCopy, Campaign, Declaration, GrantLine
from afas_declaration.application import campaign_opening, campaigns
from afas_declaration.config import Settings
from afas_shared.clock import paris_today
from afas_shared.contracts.events.habilitation import (
    ActivityClosedV1,
    ActivityRegisteredV1,
    ActivityUpdatedV1,
    GrantEndedV1,
    GrantValidatedV1,
    RoleGrantedV1,
    SiteV1,
)
from afas_shared.read_models import early_events
from afas_shared.testing.delivery import deliver, event
from afas_shared.testing.fixtures import eventually, running
from afas_shared.testing.grants import pending_approbateur_grant

PARTNER = uuid.uuid4()
SITE = uuid.uuid4()


def _state(contract, activity_id: uuid.UUID, name: str, site: str, closing: date | None = None):
    return contract(
        activity_id=activity_id,
        partner_id=PARTNER,
        caf_code="080",
        family="laep",
        nature="general",
        name=name,
        site_mode="mono_lieu",
        sites=[SiteV1(site_id=SITE, name=site)],
        opening_date=date(2020, 1, 1),
        closing_date=closing,
    )


def _history(activity_id: uuid.UUID) -> dict[str, object]:
    """Registered (v1), renamed with its site (v2), closed (v3)."""
    return {
        "registered": event(_state(ActivityRegisteredV1, activity_id, "Avant", "Lieu avant"), activity_id, 1),
        "updated": event(_state(ActivityUpdatedV1, activity_id, "Après", "Lieu après"), activity_id, 2),
        "closed": event(
            ActivityClosedV1(activity_id=activity_id, partner_id=PARTNER, closing_date=date(2026, 6, 30)),
            activity_id,
            3,
        ),
    }


@pytest.mark.parametrize(
    "order",
    [
        ["registered", "updated", "closed"],
        ["registered", "closed", "updated"],  # the closure (v3) first: the update's name and site are not lost
        ["closed", "registered", "updated"],  # the closure before the registration: kept, then applied
        ["closed", "updated", "registered"],
    ],
)
async def test_the_activity_copy_ends_with_every_events_information_whatever_the_order(make_settings, order):
    activity_id = uuid.uuid4()
    history = _history(activity_id)
    async with running(make_settings("declaration")) as runtime:
        outcomes = [await deliver(runtime, history[name]) for name in order]
        async with runtime.db.sessions() as session:
            row = await session.get(ActivityCopy, activity_id)
            kept = await early_events.waiting(session, f"activity_copy:{activity_id}")
    # The registration after the update it precedes brings nothing newer: a counted no-op.
    assert outcomes == ["handled", "handled", "stale" if order[-1] == "registered" else "handled"]
    assert (row.name, json.loads(row.sites)[0]["name"], row.closing_date) == ("Après", "Lieu après", date(2026, 6, 30))
    assert (row.version, row.closing_version) == (2, 3)
    assert kept == []


async def test_a_stale_or_replayed_activity_event_is_a_counted_no_op(make_settings):
    activity_id = uuid.uuid4()
    history = _history(activity_id)
    async with running(make_settings("declaration")) as runtime:
        for name in ("registered", "closed", "updated"):
            await deliver(runtime, history[name])
        for name in ("registered", "updated", "closed"):  # republished under new ids
            assert await deliver(runtime, history[name].model_copy(update={"id": uuid.uuid4()})) == "stale"
        async with runtime.db.sessions() as session:
            row = await session.get(ActivityCopy, activity_id)
    assert (row.name, row.closing_date) == ("Après", date(2026, 6, 30))


async def open_laep_campaign(runtime, today) -> None:
    """This year's LAEP campaign of the Somme's Caf, open since yesterday, and opened (its job run)."""
    async with runtime.db.transaction() as session:
        session.add(
            Campaign(
                id=uuid.uuid4(),
                caf_code="080",
                family="laep",
                exercice=today.year,
                declaration_type="reelle",
                form_version=campaigns.FORM_VERSION,
                opening_date=today - timedelta(days=1),
                deadline=today + timedelta(days=60),
            )
        )
    await campaign_opening.open_due(runtime)


async def test_an_activity_registered_after_its_closure_joins_no_campaign_it_was_closed_for(make_settings):
    """The kept closure is applied before the open campaigns are joined: a closed activity is not expected."""
    activity_id = uuid.uuid4()
    async with running(make_settings("declaration")) as runtime:
        today = paris_today(runtime.clock.now())
        await open_laep_campaign(runtime, today)
        closed = ActivityClosedV1(
            activity_id=activity_id, partner_id=PARTNER, closing_date=date(today.year - 1, 12, 31)
        )
        assert await deliver(runtime, event(closed, activity_id, 2)) == "handled"
        registered = _state(ActivityRegisteredV1, activity_id, "Fermée", "Lieu")
        assert await deliver(runtime, event(registered, activity_id, 1)) == "handled"
        async with runtime.db.sessions() as session:
            declarations = (await session.execute(sa.select(Declaration.id))).all()
    assert declarations == []


def _granted(grant_id: uuid.UUID, user_id: uuid.UUID, activity_id: uuid.UUID) -> RoleGrantedV1:
    return pending_approbateur_grant(grant_id, user_id, activity_id, partner_id=PARTNER)


async def test_a_grant_event_replayed_under_a_new_id_is_a_counted_no_op(make_settings):
    grant, user, activity = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    granted = event(_granted(grant, user, activity), grant, 1)
    validated = event(GrantValidatedV1(grant_id=grant, user_id=user, activity_id=activity), grant, 2)
    ended = event(
        GrantEndedV1(grant_id=grant, user_id=user, activity_id=activity, end_date=date(2026, 6, 30), reason="ended"),
        grant,
        3,
    )
    async with running(make_settings("declaration")) as runtime:
        assert [await deliver(runtime, e) for e in (granted, validated, ended)] == ["handled"] * 3
        for e in (granted, validated, ended):
            assert await deliver(runtime, e) == "duplicate"  # the same message: the inbox
            assert await deliver(runtime, e.model_copy(update={"id": uuid.uuid4()})) == "stale"
        async with runtime.db.sessions() as session:
            line = await session.get(GrantLine, grant)
    assert (line.role, line.validation, line.ended, line.end_date) == (
        "approbateur",
        "validated",
        True,
        date(2026, 6, 30),
    )


def test_the_reconciliation_interval_is_a_setting(monkeypatch):
    assert Settings().reconcile_seconds == 300
    monkeypatch.setenv("AFAS_DECLARATION_RECONCILE_SECONDS", "45")
    assert Settings().reconcile_seconds == 45
    monkeypatch.setenv("AFAS_DECLARATION_RECONCILE_SECONDS", "0")
    with pytest.raises(ValueError):
        Settings()


async def test_the_reconciliation_runs_at_the_interval_of_the_settings(make_settings, laep_copy):
    async with running(make_settings("declaration", reconcile_seconds=0.2)) as runtime:
        today = paris_today(runtime.clock.now())
        campaign_id = uuid.uuid4()
        async with runtime.db.transaction() as session:
            session.add(
                Campaign(
                    id=campaign_id,
                    caf_code="080",
                    family="laep",
                    exercice=today.year,
                    declaration_type="reelle",
                    form_version=campaigns.FORM_VERSION,
                    opening_date=today - timedelta(days=1),
                    deadline=today + timedelta(days=60),
                    opened=True,
                )
            )
            # A gap: a copy stored while its opened campaign was never revisited.
            session.add(laep_copy(uuid.uuid4(), PARTNER, "Oubliée"))

        async def repaired() -> bool:
            async with runtime.db.sessions() as session:
                found = await session.execute(sa.select(Declaration.id).where(Declaration.campaign_id == campaign_id))
                return found.first() is not None

        assert await eventually(repaired, timeout=5)
