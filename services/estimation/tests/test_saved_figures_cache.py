"""A save's figures are estimated with the barème the service keeps in memory (issue 16: resolving it again for every
save cost two queries and its fingerprint): the same stored estimate as resolving it afresh, and a barème changed
meanwhile — by this replica or another — is seen at the next save, through its version."""

from __future__ import annotations

import sqlalchemy as sa

from afas_estimation.adapters.tables import DeclarationEstimate
from afas_estimation.application import declarations
from afas_estimation.application.localised_baremes import LocalisedBaremes
from afas_shared.testing.fixtures import running
from services.estimation.tests.test_baremes_rpc import AGENT, CHANGE, PSU, ask, figures_updated


async def _stored(estimation, envelope, baremes) -> DeclarationEstimate:
    async with estimation.unit_of_work() as uow:
        await declarations.on_figures_updated(uow, envelope, baremes)
    async with estimation.db.sessions() as session:
        return await session.get(DeclarationEstimate, envelope.data.declaration_id)


async def test_a_save_is_estimated_with_the_barème_in_memory_and_sees_a_change_by_its_version(make_settings):
    async with running(make_settings("estimation")) as estimation:
        cache = LocalisedBaremes(estimation.db)
        statements: list[str] = []
        engine = estimation.db.engine.sync_engine
        sa.event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2]))
        first = await _stored(estimation, figures_updated("eaje_psu", "multi_accueil", PSU), cache)
        afresh = await _stored(estimation, figures_updated("eaje_psu", "multi_accueil", PSU), None)
        before = len(statements)
        second = await _stored(estimation, figures_updated("eaje_psu", "multi_accueil", PSU), cache)
        overrides_read = sum(1 for sql in statements[before:] if "FROM parameter_override" in sql)
        await ask(estimation, "set_parameter", AGENT, **CHANGE)  # another request's change: version 1
        after = await _stored(estimation, figures_updated("eaje_psu", "multi_accueil", PSU), cache)
    assert first.amount == afresh.amount == second.amount == "40852.00"
    assert (first.bareme_fingerprint, first.bareme_version) == (afresh.bareme_fingerprint, 0)
    assert overrides_read == 0  # the barème kept in memory: only its version read
    assert (after.amount, after.bareme_version) == (
        "44540.00",
        1,
    ) and after.bareme_fingerprint != first.bareme_fingerprint
