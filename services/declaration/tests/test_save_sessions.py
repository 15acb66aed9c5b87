"""One API save (``PUT /api/v1/forms/{id}``: the form saved, then the estimate it leads to) resolves the caller's
rights once: one read of its grant lines, in the session that reads the form, and three database sessions in all
(the reads, the unit of work, the estimate's declaration) where it took five and two rights checks (issue 14)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import event

from afas_declaration.application import drafts
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
    factory = db.sessions

    def opening(*args, **kwargs):
        counted.sessions += 1
        return factory(*args, **kwargs)

    def executing(conn, cursor, statement, *args) -> None:
        counted.statements.append(statement)

    db.sessions = opening
    event.listen(db.engine.sync_engine, "before_cursor_execute", executing)
    try:
        yield counted
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", executing)
        db.sessions = factory


async def test_a_save_with_its_estimate_reads_the_rights_once_in_three_sessions(world):
    alsh, people = await _alsh(world)
    world.estimation.answers("42000")
    budget = await _only_form(world, people["sophie"], await world.declaration_of(alsh))
    with counting(world.runtime) as counted:
        saved = await drafts.save_showing_estimate(
            world.runtime, people["sophie"].caller, uuid.UUID(budget["id"]), 0, BUDGET
        )
    assert saved["version"] == 1 and saved["estimation"]["montant"] == "42000"
    assert (counted.sessions, counted.grant_reads) == (3, 1)


async def test_a_site_provider_saves_its_form_and_is_told_why_no_estimate_is_shown(world):
    alsh, people = await _alsh(world)
    world.estimation.answers("42000")
    site_form = await _only_form(world, people["karim"], await world.declaration_of(alsh))
    with counting(world.runtime) as counted:
        saved = await drafts.save_showing_estimate(
            world.runtime, people["karim"].caller, uuid.UUID(site_form["id"]), 0, {"jours_ouverture": 140}
        )
    assert saved["estimation"]["disponible"] is False and "au-delà de vos lieux" in saved["estimation"]["message"]
    assert (counted.sessions, counted.grant_reads) == (3, 1)
