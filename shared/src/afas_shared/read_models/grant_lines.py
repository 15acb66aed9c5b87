"""Habilitation's grant lines, as each service acting on them keeps its own copy (declaration decides with it who
may act, notification whom to remind).

A service declares its table from :class:`GrantLineColumns` (its own name, its own extra columns) and applies
habilitation's events to it through :class:`GrantLines`; what a service does beyond the copy (a notice sent) stays
in its handlers. When a line acts is :mod:`afas_shared.read_models.grant_terms`'s rule.

A decision or an end may overtake its grant (each event type has its own consumer, and a backlog may hold the grant
longer than the retries last): it is kept on a line of its own that cannot act — it starts on the last day
representable, and has no role — until the grant arrives and fills it in, keeping what was decided. A grant is
otherwise a line's first event, so a replay (even under a new id) must not undo what followed it.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from enum import Enum
from typing import Generic, TypeVar

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel

from afas_shared.contracts.events.habilitation import GrantEndedV1, GrantRejectedV1, GrantValidatedV1, RoleGrantedV1
from afas_shared.read_models.versioned import stale

NOT_YET_GRANTED = date.max
# What the grant decides on its own, so a decision that came first is not overwritten by it (see ``grant``).
_DECIDED_LATER = frozenset({"grant_id", "end_date", "validation"})


class GrantLineColumns(SQLModel):
    """The columns every copy holds: one role of one user on one activity, or one of its sites."""

    grant_id: uuid.UUID = Field(primary_key=True)
    user_id: uuid.UUID = Field(index=True)
    role: str = Field(max_length=20)
    activity_id: uuid.UUID
    site_id: uuid.UUID | None = None
    start_date: date
    end_date: date | None = None
    validation: str = Field(max_length=20)
    # Separate from end_date: a line ended today must stop acting at once, not at midnight.
    ended: bool = False


class Granted(Enum):
    NEW = "new"  # the line's first event
    COMPLETED = "completed"  # filled in a line known by its decision or end only: that decision stands
    REPLAYED = "replayed"  # known already: a counted no-op


Line = TypeVar("Line", bound=GrantLineColumns)
Decision = GrantValidatedV1 | GrantRejectedV1 | GrantEndedV1


class GrantLines(Generic[Line]):
    """Habilitation's grant events applied to one service's table of grant lines."""

    def __init__(self, table: type[Line]) -> None:
        self.table = table
        # The grant's fields this copy keeps (a service may keep fewer, or more columns of its own)
        self._kept = frozenset(table.__table__.columns.keys()) & frozenset(RoleGrantedV1.model_fields)  # type: ignore[attr-defined]

    async def grant(self, session: AsyncSession, g: RoleGrantedV1) -> Granted:
        return self._grant(session, await session.get(self.table, g.grant_id), g)[0]

    async def grant_all(self, session: AsyncSession, grants: Sequence[RoleGrantedV1]) -> list[Granted]:
        """:meth:`grant` for a consumer's batch, in order: the lines read by one query, the new ones inserted together
        at the next flush."""
        lines = await self._lines(session, [g.grant_id for g in grants])
        out = []
        for g in grants:
            granted, lines[g.grant_id] = self._grant(session, lines.get(g.grant_id), g)
            out.append(granted)
        return out

    async def decide_all(
        self, session: AsyncSession, decisions: Sequence[GrantValidatedV1 | GrantRejectedV1]
    ) -> list[Line | None]:
        """:meth:`decide` for a consumer's batch, in order: each decided line, None for a counted no-op."""
        lines = await self._lines(session, [d.grant_id for d in decisions])
        out = []
        for d in decisions:
            lines[d.grant_id] = lines.get(d.grant_id) or self._not_yet_granted(session, d)
            out.append(self._decide(lines[d.grant_id], d))
        return out

    async def _lines(self, session: AsyncSession, grant_ids: list[uuid.UUID]) -> dict[uuid.UUID, Line]:
        query = sa.select(self.table).where(self.table.grant_id.in_(set(grant_ids)))  # type: ignore[attr-defined]
        return {line.grant_id: line for line in (await session.execute(query)).scalars()}

    def _grant(self, session: AsyncSession, line: Line | None, g: RoleGrantedV1) -> tuple[Granted, Line]:
        if line is not None and line.start_date == NOT_YET_GRANTED:
            for name in self._kept - _DECIDED_LATER:
                setattr(line, name, getattr(g, name))
            if g.end_date is not None:
                line.end_date = min(line.end_date, g.end_date) if line.end_date else g.end_date
            if line.validation not in ("validated", "rejected"):
                line.validation = g.validation
            return Granted.COMPLETED, line
        if line is not None:
            stale()
            return Granted.REPLAYED, line
        line = self.table(**{name: getattr(g, name) for name in self._kept})
        session.add(line)
        return Granted.NEW, line

    async def decide(self, session: AsyncSession, d: GrantValidatedV1 | GrantRejectedV1) -> Line | None:
        """The Caf's decision on the line; None (a counted no-op) when decided so already."""
        return self._decide(await self._known(session, d), d)

    def _decide(self, line: Line, d: GrantValidatedV1 | GrantRejectedV1) -> Line | None:
        validation = "validated" if isinstance(d, GrantValidatedV1) else "rejected"
        if line.validation == validation:
            stale()
            return None
        line.validation = validation
        return line

    async def end(self, session: AsyncSession, e: GrantEndedV1) -> Line | None:
        """The line ended on ``e.end_date`` (its earliest end); None (a counted no-op) when ended as early already."""
        return self._end(await self._known(session, e), e)

    async def end_all(self, session: AsyncSession, ends: Sequence[GrantEndedV1]) -> list[Line | None]:
        """:meth:`end` for a consumer's batch, in order: each ended line, None for a counted no-op."""
        lines = await self._lines(session, [e.grant_id for e in ends])
        out = []
        for e in ends:
            lines[e.grant_id] = lines.get(e.grant_id) or self._not_yet_granted(session, e)
            out.append(self._end(lines[e.grant_id], e))
        return out

    def _end(self, line: Line, e: GrantEndedV1) -> Line | None:
        if line.ended and line.end_date is not None and line.end_date <= e.end_date:
            stale()
            return None
        line.ended = True
        line.end_date = min(line.end_date, e.end_date) if line.end_date else e.end_date
        return line

    async def _known(self, session: AsyncSession, d: Decision) -> Line:
        """The line the event is about; one that cannot act yet when the decision overtook the grant."""
        return await session.get(self.table, d.grant_id) or self._not_yet_granted(session, d)

    def _not_yet_granted(self, session: AsyncSession, d: Decision) -> Line:
        line = self.table(
            grant_id=d.grant_id,
            user_id=d.user_id,
            role="",
            activity_id=d.activity_id,
            start_date=NOT_YET_GRANTED,
            validation="pending",
        )
        session.add(line)
        return line
