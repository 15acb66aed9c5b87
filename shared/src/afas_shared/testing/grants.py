"""Grant events that the tests of several services build alike."""

from __future__ import annotations

import uuid
from datetime import date

from afas_shared.contracts.events.habilitation import RoleGrantedV1


def pending_approbateur_grant(
    grant_id: uuid.UUID, user_id: uuid.UUID, activity_id: uuid.UUID, partner_id: uuid.UUID | None = None
) -> RoleGrantedV1:
    """An approbateur granted on the activity from 1 January 2026, its validation pending (in a group of its own,
    for a partner of its own unless one is named)."""
    return RoleGrantedV1(
        grant_id=grant_id,
        group_id=uuid.uuid4(),
        user_id=user_id,
        partner_id=partner_id or uuid.uuid4(),
        role="approbateur",
        activity_id=activity_id,
        start_date=date(2026, 1, 1),
        validation="pending",
    )
