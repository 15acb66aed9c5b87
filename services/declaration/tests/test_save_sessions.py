"""One API save (``PUT /api/v1/forms/{id}``: the form saved, then the estimate it leads to) reads the caller's rights
once per request, in the session that reads what it needs anyway: one database session in all (the save's unit of
work, which reads what it checks; the estimate is asked from the forms it wrote) where it took five, and one read of
the grant lines where it took two."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date

import pytest
from sqlalchemy import event as sa_event

from afas_declaration.application import drafts, permissions
from afas_declaration.application.errors import Forbidden
from afas_declaration.gateway.session.one_access import OneAccessPerRequest
from afas_shared.contracts.events.declaration import DeclarationFiguresUpdatedV1
from afas_shared.contracts.events.habilitation import GrantEndedV1
from afas_shared.testing.delivery import deliver, event
from services.declaration.tests.test_use_case_drafts import BUDGET, _alsh, _only_form


@dataclass
class Counted:
    sessions: int = 0
    statements: list[str] = field(default_factory=list)

    @property
    def grant_reads(self) -> int:
        return sum(1 for sql in self.statements if "FROM grant_line" in sql)


@contextmanager
def counting(runtime) -> Iterator[Counted]:
    """Counts the sessions the runtime's database opens and the statements it runs."""
    counted, db = Counted(), runtime.db
    # read sessions and the unit of work's write sessions (they take SQLite's write lock at their start)
    factories = {"sessions": db.sessions, "_write_sessions": db._write_sessions}

    def opening(factory):
        def open_session(*args, **kwargs):
            counted.sessions += 1
            return factory(*args, **kwargs)

        return open_session

    def executing(conn, cursor, statement, *args) -> None:
        counted.statements.append(statement)

    for name, factory in factories.items():
        setattr(db, name, opening(factory))
    sa_event.listen(db.engine.sync_engine, "before_cursor_execute", executing)
    try:
        yield counted
    finally:
        sa_event.remove(db.engine.sync_engine, "before_cursor_execute", executing)
        for name, factory in factories.items():
            setattr(db, name, factory)


async def _api_save(world, user, form_id: uuid.UUID, version: int, values: dict) -> dict:
    """What the API's save route runs (``gateway/api/form_routes.py``): the save, with the estimate beside it."""
    return await drafts.save(world.runtime, user.caller, form_id, version, values, with_estimate=True)


async def test_a_save_with_its_estimate_reads_the_rights_once_in_one_session(world):
    alsh, people = await _alsh(world)
    world.estimation.answers("42000")
    budget = uuid.UUID((await _only_form(world, people["sophie"], await world.declaration_of(alsh)))["id"])
    with counting(world.runtime) as counted, permissions.one_access_per_request():
        saved = await _api_save(world, people["sophie"], budget, 0, BUDGET)
    assert saved["version"] == 1 and saved["estimation"]["montant"] == "42000"
    assert (counted.sessions, counted.grant_reads) == (1, 1)
    # the estimate asked of the figures just saved, as the save announced them
    [updated] = await world.published(DeclarationFiguresUpdatedV1.subject())
    assert world.estimation.asked[-1]["valeurs"] == updated.data.figures != {}
    # Outside a request (a use case called alone), the save reads the rights once all the same
    with counting(world.runtime) as alone:
        await _api_save(world, people["sophie"], budget, 1, BUDGET)
    assert (alone.sessions, alone.grant_reads) == (1, 1)


async def test_a_site_provider_saves_its_form_and_is_told_why_no_estimate_is_shown(world):
    alsh, people = await _alsh(world)
    world.estimation.answers("42000")
    site_form = uuid.UUID((await _only_form(world, people["karim"], await world.declaration_of(alsh)))["id"])
    with counting(world.runtime) as counted, permissions.one_access_per_request():
        saved = await _api_save(world, people["karim"], site_form, 0, {"jours_ouverture": 140})
    assert saved["estimation"]["disponible"] is False and "au-delà de vos lieux" in saved["estimation"]["message"]
    assert (counted.sessions, counted.grant_reads) == (1, 1)


async def test_the_rights_read_for_a_request_end_with_it(world):
    """A grant ended between two requests is refused to the next one: nothing is kept beyond a request."""
    await world.register_partner()
    laep = await world.activity("laep", "general", "LAEP Les Petits Pas")
    sophie = await world.user("Sophie", "Martin")
    grant_id = await world.grant(sophie, "fdf", laep)
    await world.campaign("laep")
    budget = uuid.UUID((await _only_form(world, sophie, await world.declaration_of(laep)))["id"])
    with permissions.one_access_per_request():
        assert (await drafts.save(world.runtime, sophie.caller, budget, 0, {}))["version"] == 1
    ended = GrantEndedV1(
        grant_id=grant_id, user_id=sophie.id, activity_id=laep.id, end_date=date(2026, 3, 2), reason="ended"
    )
    assert await deliver(world.runtime, event(ended, grant_id, 2)) == "handled"
    with permissions.one_access_per_request(), pytest.raises(Forbidden, match="pas de rôle de saisie"):
        await drafts.save(world.runtime, sophie.caller, budget, 1, {})


async def test_the_gateway_opens_one_reading_per_http_request(world):
    alsh, people = await _alsh(world)
    caller, today = people["sophie"].caller, date(2026, 3, 2)
    seen = []

    async def two_use_cases(scope, receive, send) -> None:
        for _ in range(2):
            async with world.runtime.db.sessions() as session:
                seen.append(await permissions.access_of(session, caller, today))

    gateway = OneAccessPerRequest(two_use_cases)
    with counting(world.runtime) as counted:
        await gateway({"type": "http"}, None, None)
        await gateway({"type": "http"}, None, None)
    assert counted.grant_reads == 2  # one per request
    assert seen[0] is seen[1] and seen[2] is seen[3] and seen[1] is not seen[2]
    assert seen[0].may("saisir_financier", alsh.id)


async def test_a_declarations_request_reads_the_lines_of_its_activity_only(world):
    """A partner's administrator granted on many activities: one declaration's request reads the lines of that
    activity, not all of them (the cost of a request must not grow with the partner's size); a list reads them all,
    and a request that read them all answers the one-activity question from that reading."""
    alsh, people = await _alsh(world)
    sophie = people["sophie"]
    others = [await world.activity("laep", "general", f"LAEP {i}") for i in range(3)]
    for other in others:
        await world.grant(sophie, "fdf", other)
    today = date(2026, 3, 2)
    async with world.runtime.db.sessions() as session:
        one = await permissions.access_of(session, sophie.caller, today, alsh.id)
        every = await permissions.access_of(session, sophie.caller, today)
    assert {line.activity_id for line in one.lines} == {alsh.id}
    assert {line.activity_id for line in every.lines} == {alsh.id, *(o.id for o in others)}
    assert one.may("saisir_financier", alsh.id) and not one.may("saisir_financier", others[0].id)
    with counting(world.runtime) as counted, permissions.one_access_per_request():
        async with world.runtime.db.sessions() as session:
            whole = await permissions.access_of(session, sophie.caller, today)
            again = await permissions.access_of(session, sophie.caller, today, others[1].id)
    assert again is whole and counted.grant_reads == 1
