"""The one copy of habilitation's grant lines (``read_models.grant_lines``) and when a line acts (``grant_terms``):
each service's table applies the same events the same way, whatever order they arrive in (issue 14, point 6)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

import pytest
import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from afas_shared.contracts.events.habilitation import GrantEndedV1, GrantRejectedV1, GrantValidatedV1, RoleGrantedV1
from afas_shared.db.engine import Database
from afas_shared.read_models import versioned
from afas_shared.read_models.grant_lines import NOT_YET_GRANTED, Granted, GrantLineColumns, GrantLines
from afas_shared.read_models.grant_terms import acting_clause, acts, in_force

TODAY = date(2026, 3, 2)


class ProbeGrantWithPartner(GrantLineColumns, table=True):
    """A copy keeping a column of its own (as declaration keeps the partner)."""

    __tablename__ = "probe_grant_with_partner"
    partner_id: uuid.UUID = Field(default=uuid.UUID(int=0))


class ProbeGrant(GrantLineColumns, table=True):
    """A copy keeping only the shared columns (as notification does)."""

    __tablename__ = "probe_grant"


@pytest.fixture
async def db(backends):
    database = Database(backends.database_url("grant_lines"))
    async with database.engine.begin() as conn:
        tables = [ProbeGrant.__table__, ProbeGrantWithPartner.__table__]
        await conn.run_sync(SQLModel.metadata.create_all, tables=tables)
    yield database
    await database.dispose()


def _granted(grant_id: uuid.UUID, **changes) -> RoleGrantedV1:
    data = {
        "grant_id": grant_id,
        "group_id": uuid.uuid4(),
        "user_id": uuid.UUID(int=7),
        "partner_id": uuid.UUID(int=8),
        "role": "approbateur",
        "activity_id": uuid.UUID(int=9),
        "start_date": date(2026, 1, 1),
        "validation": "pending",
    }
    return RoleGrantedV1(**(data | changes))


def _ids(grant_id: uuid.UUID) -> dict:
    return {"grant_id": grant_id, "user_id": uuid.UUID(int=7), "activity_id": uuid.UUID(int=9)}


async def _apply(db: Database, table, step):
    """One event in its own transaction, as a consumer handles it; returns what it answered and the stale mark."""
    mark, token = versioned.watch_stale()
    try:
        async with db.transaction() as session:
            answer = await step(GrantLines(table), session)
    finally:
        versioned.reset_stale(token)
    return answer, mark[0]


async def _line(db: Database, table, grant_id: uuid.UUID):
    async with db.sessions() as session:
        return await session.get(table, grant_id)


@pytest.mark.parametrize("table", [ProbeGrant, ProbeGrantWithPartner])
async def test_a_grant_is_copied_once_and_a_replay_is_a_counted_no_op(db, table):
    grant_id = uuid.uuid4()
    assert await _apply(db, table, lambda lines, s: lines.grant(s, _granted(grant_id))) == (Granted.NEW, False)
    line = await _line(db, table, grant_id)
    assert (line.role, line.validation, line.start_date) == ("approbateur", "pending", date(2026, 1, 1))
    assert getattr(line, "partner_id", uuid.UUID(int=8)) == uuid.UUID(int=8)  # kept where the table has the column
    replay = _granted(grant_id, role="fda", validation="not_required")
    assert await _apply(db, table, lambda lines, s: lines.grant(s, replay)) == (Granted.REPLAYED, True)
    assert (await _line(db, table, grant_id)).role == "approbateur"


async def test_a_decision_before_its_grant_is_kept_on_a_line_that_cannot_act_until_the_grant_fills_it(db):
    grant_id, table = uuid.uuid4(), ProbeGrantWithPartner
    validated = GrantValidatedV1(**_ids(grant_id))
    decided, stale = await _apply(db, table, lambda lines, s: lines.decide(s, validated))
    assert decided is not None and not stale
    shell = await _line(db, table, grant_id)
    assert (shell.start_date, shell.role, shell.validation) == (NOT_YET_GRANTED, "", "validated")
    assert not acts(shell, TODAY)
    answer = await _apply(db, table, lambda lines, s: lines.grant(s, _granted(grant_id, end_date=date(2026, 12, 31))))
    assert answer == (Granted.COMPLETED, False)
    line = await _line(db, table, grant_id)
    # The grant's data, with the Caf's validation kept (the grant still said "pending")
    assert (line.role, line.partner_id, line.validation) == ("approbateur", uuid.UUID(int=8), "validated")
    assert (line.start_date, line.end_date) == (date(2026, 1, 1), date(2026, 12, 31))
    assert acts(line, TODAY)


async def test_an_end_before_its_grant_keeps_the_earlier_end(db):
    grant_id, table = uuid.uuid4(), ProbeGrant
    ended = GrantEndedV1(**_ids(grant_id), end_date=date(2026, 2, 1), reason="ended")
    await _apply(db, table, lambda lines, s: lines.end(s, ended))
    later = _granted(grant_id, role="fda", validation="not_required", end_date=date(2026, 6, 30))
    await _apply(db, table, lambda lines, s: lines.grant(s, later))
    line = await _line(db, table, grant_id)
    assert (line.role, line.ended, line.end_date) == ("fda", True, date(2026, 2, 1))
    assert not in_force(line, TODAY)


async def test_a_repeated_decision_or_end_is_a_counted_no_op_and_an_earlier_end_wins(db):
    grant_id, table = uuid.uuid4(), ProbeGrant
    await _apply(db, table, lambda lines, s: lines.grant(s, _granted(grant_id)))
    rejected = GrantRejectedV1(**_ids(grant_id), reason="Pièces manquantes")
    assert (await _apply(db, table, lambda lines, s: lines.decide(s, rejected)))[0] is not None
    assert await _apply(db, table, lambda lines, s: lines.decide(s, rejected)) == (None, True)
    assert (await _line(db, table, grant_id)).validation == "rejected"

    def ending(day: date):
        return GrantEndedV1(**_ids(grant_id), end_date=day, reason="ended")

    assert (await _apply(db, table, lambda lines, s: lines.end(s, ending(date(2026, 5, 1)))))[0] is not None
    assert await _apply(db, table, lambda lines, s: lines.end(s, ending(date(2026, 6, 1)))) == (None, True)
    assert (await _apply(db, table, lambda lines, s: lines.end(s, ending(date(2026, 4, 1)))))[0] is not None
    assert (await _line(db, table, grant_id)).end_date == date(2026, 4, 1)


@dataclass(frozen=True)
class Terms:
    start_date: date = date(2026, 1, 1)
    end_date: date | None = None
    validation: str = "not_required"
    ended: bool = False
    role: str = "fda"
    activity_id: uuid.UUID = uuid.UUID(int=9)
    site_id: uuid.UUID | None = None


TERMS = [
    (Terms(), True, True),
    (Terms(validation="validated"), True, True),
    (Terms(validation="pending"), True, False),  # an approbateur waiting for its Caf
    (Terms(validation="rejected"), True, False),
    (Terms(start_date=TODAY), True, True),
    (Terms(start_date=date(2026, 3, 3)), False, False),  # starts tomorrow
    (Terms(end_date=TODAY), True, True),  # the end date is included
    (Terms(end_date=date(2026, 3, 1)), False, False),
    (Terms(end_date=TODAY, ended=True), False, False),  # ended today: stops at once, not at midnight
    (Terms(start_date=NOT_YET_GRANTED, validation="validated"), False, False),
]


@pytest.mark.parametrize(("terms", "in_force_today", "acting_today"), TERMS)
def test_a_line_acts_from_its_start_to_its_end_once_validated_when_needed(terms, in_force_today, acting_today):
    assert (in_force(terms, TODAY), acts(terms, TODAY)) == (in_force_today, acting_today)


async def test_the_sql_form_of_the_rule_selects_the_lines_that_act(db):
    """``acting_clause`` (a list's scope, in SQL) and ``acts`` (a check, in Python) agree on every case above."""
    rows = [(uuid.UUID(int=n + 1), terms) for n, (terms, _, _) in enumerate(TERMS)]
    async with db.transaction() as session:
        for grant_id, t in rows:
            session.add(
                ProbeGrant(
                    grant_id=grant_id, user_id=uuid.UUID(int=7), role=t.role, activity_id=t.activity_id,
                    start_date=t.start_date, end_date=t.end_date, validation=t.validation, ended=t.ended,
                )
            )  # fmt: skip
    async with db.sessions() as session:
        query = sa.select(ProbeGrant.grant_id).where(acting_clause(ProbeGrant, TODAY))
        selected = set((await session.execute(query)).scalars())
    assert selected == {grant_id for grant_id, t in rows if acts(t, TODAY)}
    assert 0 < len(selected) < len(rows)
