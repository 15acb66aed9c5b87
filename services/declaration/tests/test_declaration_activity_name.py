"""A declaration carries its activity's name (issue 16, migration 0013): « Mes déclarations » is ordered by it and a
Caf's first page reads a range of the index (caf_code, exercice DESC, activity_name, id) instead of sorting every
row of the Caf. The name is copied when the declaration is created (a campaign's opening, a late registration),
follows a rename one by one and in a batch (never an older update), and the reconciliation brings in step a
declaration that missed a rename. PostgreSQL when AFAS_TEST_DATABASE_URL names one, SQLite otherwise."""

from __future__ import annotations

import json
import uuid
from datetime import date

import sqlalchemy as sa

from afas_declaration.adapters.tables import ActivityCopy, Declaration
from afas_declaration.application import activity_copy, declaration_list, list_statements
from afas_declaration.application.keyset import PageRequest
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.clock import paris_today
from afas_shared.contracts.events.habilitation import ActivityRegisteredV1, ActivityUpdatedV1, SiteV1
from afas_shared.testing.delivery import deliver, deliver_batch, event
from afas_shared.testing.fixtures import running
from services.declaration.tests.test_events_any_order import open_laep_campaign

PARTNER = uuid.uuid4()
AGENT = ForwardedCaller(kind="caf", user_id=uuid.uuid4(), caf_code="080", caf_roles=frozenset({"instruction"}))
# Enough rows for PostgreSQL's planner to weigh a sort of the Caf's rows against the index (as bench-reads' 20,000)
VOLUME = 20000


def _state(kind: type, activity_id: uuid.UUID, name: str) -> ActivityRegisteredV1 | ActivityUpdatedV1:
    return kind(
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


async def _names(runtime) -> dict[uuid.UUID, str]:
    async with runtime.db.sessions() as session:
        rows = await session.execute(sa.select(Declaration.activity_id, Declaration.activity_name))
    return {activity_id: name for activity_id, name in rows}


async def _listed(runtime) -> list[str]:
    page = await declaration_list.page_of(runtime, AGENT, None, PageRequest(10))
    return [row["activite"] for row in page["elements"]]


async def test_the_name_is_copied_at_creation_and_follows_a_rename_one_by_one_and_in_a_batch(make_settings):
    early, late, other = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    async with running(make_settings("declaration")) as runtime:
        registered = event(_state(ActivityRegisteredV1, early, "Bourdon"), early, 1)
        assert await deliver(runtime, registered) == "handled"
        await open_laep_campaign(runtime, paris_today(runtime.clock.now()))  # the opening job copies « Bourdon »
        late_ones = [event(_state(ActivityRegisteredV1, a, n), a, 1) for a, n in ((late, "Abeille"), (other, "Lynx"))]
        assert await deliver_batch(runtime, late_ones) == ["handled", "handled"]  # joined after the opening
        assert await _names(runtime) == {early: "Bourdon", late: "Abeille", other: "Lynx"}
        assert await _listed(runtime) == ["Abeille", "Bourdon", "Lynx"]

        renamed = event(_state(ActivityUpdatedV1, early, "Araignée"), early, 2)
        assert await deliver(runtime, renamed) == "handled"
        batch = [
            event(_state(ActivityUpdatedV1, late, "Zèbre"), late, 2),
            event(_state(ActivityUpdatedV1, early, "Ancien nom"), early, 2),  # no newer than the copy: not applied
        ]
        assert await deliver_batch(runtime, batch) == ["handled", "stale"]
        assert await _names(runtime) == {early: "Araignée", late: "Zèbre", other: "Lynx"}
        assert await _listed(runtime) == ["Araignée", "Lynx", "Zèbre"]


async def test_the_reconciliation_renames_a_declaration_that_missed_a_rename(make_settings):
    """An opening batch that read the former name before a rename committed inserts rows the rename did not see."""
    first, second = uuid.uuid4(), uuid.uuid4()
    async with running(make_settings("declaration")) as runtime:
        await open_laep_campaign(runtime, paris_today(runtime.clock.now()))
        for activity_id, name in ((first, "Castor"), (second, "Dauphin")):
            registered = event(_state(ActivityRegisteredV1, activity_id, name), activity_id, 1)
            assert await deliver(runtime, registered) == "handled"
        async with runtime.db.transaction() as session:
            await session.execute(
                sa.update(Declaration).where(Declaration.activity_id == first).values(activity_name="Nom d'avant")
            )
        assert await _listed(runtime) == ["Dauphin", "Nom d'avant"]
        assert await activity_copy.reconcile_names(runtime) == 1
        assert await activity_copy.reconcile_names(runtime) == 0  # nothing left to do: nothing written
        assert await _listed(runtime) == ["Castor", "Dauphin"]


async def _volume(runtime, count: int) -> None:
    """``count`` declarations of the Caf and their activities' copies written straight into the tables (the
    planner's question is about volume), over two exercices."""
    campaign, activities, declarations = uuid.uuid4(), [], []
    for n in range(count):
        activity_id, name = uuid.uuid4(), f"Accueil {n:05d}"
        activities.append(
            {
                "activity_id": activity_id,
                "partner_id": PARTNER,
                "caf_code": "080",
                "family": "laep",
                "nature": "general",
                "name": name,
                "site_mode": "mono_lieu",
                "sites": "[]",
                "opening_date": date(2020, 1, 1),
                "version": 1,
            }
        )
        declarations.append(
            {
                "id": uuid.uuid4(),
                "campaign_id": campaign,
                "activity_id": activity_id,
                "partner_id": PARTNER,
                "activity_name": name,
                "caf_code": "080",
                "exercice": 2026 - n % 2,
                "declaration_type": "previsionnelle",
            }
        )
    async with runtime.db.transaction() as session:
        for table, rows in ((ActivityCopy.__table__, activities), (Declaration.__table__, declarations)):  # type: ignore[attr-defined]
            for start in range(0, count, 5000):
                await session.execute(sa.insert(table), rows[start : start + 5000])
    async with runtime.db.engine.connect() as connection:
        # as autovacuum leaves a table in service: statistics, and PostgreSQL's visibility map
        analyze = "VACUUM ANALYZE" if runtime.db.backend == "postgresql" else "ANALYZE"
        await (await connection.execution_options(isolation_level="AUTOCOMMIT")).execute(sa.text(analyze))


def _nodes(plan: dict) -> list[dict]:
    """The plan's nodes, depth first."""
    return [plan] + [node for child in plan.get("Plans", []) for node in _nodes(child)]


async def test_a_caf_first_page_is_a_range_of_the_list_index_not_a_sort_of_its_rows(make_settings):
    async with running(make_settings("declaration")) as runtime:
        await _volume(runtime, VOLUME)
        keys = list_statements.page_statements(list_statements.Shape("caf")).keys.params(caf_code="080", page_size=50)
        dialect = runtime.db.engine.dialect
        sql = str(keys.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        async with runtime.db.engine.connect() as connection:
            if dialect.name == "postgresql":
                explained = (await connection.execute(sa.text(f"EXPLAIN (FORMAT JSON) {sql}"))).scalar_one()
                plan = (json.loads(explained) if isinstance(explained, str) else explained)[0]["Plan"]
                # the page: a Limit over the index read in the list's order, stopping after the page
                [read] = [node for node in plan["Plans"] if node.get("Parent Relationship") == "Outer"]
                assert plan["Node Type"] == "Limit" and read["Node Type"] in ("Index Scan", "Index Only Scan"), plan
                assert read["Index Name"] == "ix_declaration_caf_list", plan
                assert not any(node["Node Type"] == "Sort" for node in _nodes(plan)), plan
            else:
                steps = [r[-1] for r in (await connection.execute(sa.text(f"EXPLAIN QUERY PLAN {sql}"))).all()]
                assert any("ix_declaration_caf_list" in step for step in steps), steps
                assert not any("TEMP B-TREE FOR ORDER BY" in step for step in steps), steps
        page = await declaration_list.page_of(runtime, AGENT, None, PageRequest(50))
    assert (page["total"], page["debut"], page["fin"]) == (VOLUME, 1, 50)
    assert [r["activite"] for r in page["elements"]][:2] == ["Accueil 00000", "Accueil 00002"]
