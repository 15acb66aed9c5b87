"""The signing key's age for the rotation alert: set when the ring is made, when a key is rotated, and sampled from
the table by a replica that did not rotate."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from prometheus_client import REGISTRY

from afas_identity.adapters.tables import SigningKeyRow
from afas_identity.application import signing_keys
from afas_identity.application.context import Caller
from afas_identity.domain.policy import Actor
from afas_shared.clock import ManualClock
from afas_shared.testing.fixtures import running

METRIC = "afas_signing_key_created_timestamp_seconds"


def created() -> float | None:
    return REGISTRY.get_sample_value(METRIC)


async def test_the_gauge_follows_the_active_key_through_a_rotation(make_settings):
    clock = ManualClock()
    async with running(make_settings("identity")) as identity:
        identity.clock = clock
        identity.state.pop("key_ring", None)
        ring = await signing_keys.key_ring(identity)
        assert created() == ring.active.created_at.timestamp()

        clock.advance(timedelta(days=91))
        rotated = await signing_keys.rotate(identity, Caller(Actor(user_id=None, kind="operator")))
        newest = (await signing_keys.key_ring(identity)).active
        assert newest.kid == rotated["kid"] and created() == newest.created_at.timestamp()

        # Another replica rotated: this one learns the newer key's age from the table at its next sample
        clock.advance(timedelta(days=3))
        later = clock.now()
        async with identity.db.transaction() as session:
            session.add(SigningKeyRow(kid="cle-d-une-autre-replique", private_pem="-", created_at=later))
        await signing_keys.sample_key_age(identity)
        assert created() == later.timestamp()

        # A retired key never counts, however new
        async with identity.db.transaction() as session:
            await session.execute(
                sa.update(SigningKeyRow).where(SigningKeyRow.kid == "cle-d-une-autre-replique").values(retired_at=later)
            )
        await signing_keys.sample_key_age(identity)
        assert created() == newest.created_at.timestamp()
