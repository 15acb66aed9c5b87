"""A batch of activity registrations applied set-based (issue 16) ends exactly as the same events one by one: the
copies, a closure kept early and released, the campaigns of their family joined once, a replay a counted no-op."""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa

from afas_declaration.adapters.tables import ActivityCopy, Declaration
from afas_shared.contracts.events.habilitation import ActivityClosedV1, ActivityRegisteredV1, SiteV1
from afas_shared.read_models import early_events
from afas_shared.testing.delivery import deliver, deliver_batch, event
from afas_shared.testing.fixtures import running
from services.declaration.tests.test_events_any_order import open_laep_campaign

PARTNER = uuid.uuid4()


def _registered(activity_id: uuid.UUID, name: str) -> ActivityRegisteredV1:
    return ActivityRegisteredV1(
        activity_id=activity_id,
        partner_id=PARTNER,
        caf_code="080",
        family="laep",
        nature="general",
        name=name,
        site_mode="mono_lieu",
        sites=[SiteV1(site_id=uuid.uuid4(), name="Lieu")],
        opening_date=date(2020, 1, 1),
    )


async def test_registrations_in_one_batch_end_as_one_by_one(make_settings):
    """What the one-by-one path gives (``test_events_any_order``): the set-based form must give the same."""
    open_a, open_b, closed = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    async with running(make_settings("declaration")) as runtime:
        today = runtime.clock.now().date()
        await open_laep_campaign(runtime, today)
        closure = ActivityClosedV1(activity_id=closed, partner_id=PARTNER, closing_date=date(today.year - 1, 12, 31))
        assert await deliver(runtime, event(closure, closed, 2)) == "handled"  # kept until its registration
        first_a = event(_registered(open_a, "A"), open_a, 1)
        batch = [
            first_a,
            event(_registered(closed, "Fermée"), closed, 1),
            event(_registered(open_b, "B"), open_b, 1),
            first_a.model_copy(update={"id": uuid.uuid4()}),  # republished under a new id: nothing newer
        ]
        outcomes = await deliver_batch(runtime, batch)
        async with runtime.db.sessions() as session:
            copies = {r.activity_id: r for r in (await session.execute(sa.select(ActivityCopy))).scalars()}
            expected = sorted((await session.execute(sa.select(Declaration.activity_id))).scalars())
            kept = await early_events.waiting(session, f"activity_copy:{closed}")
    assert outcomes == ["handled", "handled", "handled", "stale"]
    assert {k: (c.name, c.version, c.closing_date, c.closing_version) for k, c in copies.items()} == {
        open_a: ("A", 1, None, 1),
        open_b: ("B", 1, None, 1),
        closed: ("Fermée", 1, date(today.year - 1, 12, 31), 2),
    }
    assert kept == []
    assert expected == sorted([open_a, open_b])  # the closed activity joins no campaign; none twice
