"""Which AFAS groups count on a day: read by group administration and by sessions (a token carries the groups).

Its own module so that sessions need not import groups (groups → users → sessions would be a cycle)."""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa

from afas_identity.adapters.tables import GroupMembership


def active(today: date):
    """Memberships that count on ``today``: the end date is the day it stopped counting, so a membership ended today
    (a removal takes effect at once) no longer counts."""
    return sa.and_(
        GroupMembership.start_date <= today,
        sa.or_(GroupMembership.end_date.is_(None), GroupMembership.end_date > today),
    )


async def active_groups(session, user_id: uuid.UUID, today: date) -> list[str]:
    rows = await session.execute(
        sa.select(GroupMembership.group).where(GroupMembership.user_id == user_id, active(today))
    )
    return sorted(set(rows.scalars()))
