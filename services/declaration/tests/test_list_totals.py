"""A Caf's « Mes déclarations » counts its whole list on a first page, then reuses that total for
``list_total_cache_seconds``: the next first pages run no count and say their total is approximate (« environ »),
unless the list fits in the page (its total is then its rows). A partner's list is counted every time, and one Caf's
kept total never answers another Caf's or another filter's list."""

from __future__ import annotations

import sqlalchemy as sa

from afas_declaration.application import declaration_list
from afas_declaration.application.declaration_list import Filters
from afas_declaration.application.keyset import PageRequest
from afas_declaration.application.list_totals import ListTotals
from afas_shared.auth.caller import ForwardedCaller
from services.declaration.tests.test_use_case_pagination import NAMES, _five_activities


def _counting(world, statements: list[str]):
    def seen(_connection, _cursor, statement, _parameters, _context, _many) -> None:
        statements.append(statement)

    sa.event.listen(world.runtime.db.engine.sync_engine, "before_cursor_execute", seen)
    return lambda: sa.event.remove(world.runtime.db.engine.sync_engine, "before_cursor_execute", seen)


async def test_a_cafs_first_page_reuses_its_total_and_says_environ(world):
    activities = await _five_activities(world)
    statements: list[str] = []
    stop = _counting(world, statements)
    try:
        first = await declaration_list.page_of(world.runtime, world.agent, None, PageRequest(2))
        again = await declaration_list.page_of(world.runtime, world.agent, None, PageRequest(2))
    finally:
        stop()
    assert (first["total"], first["total_approche"]) == (5, False)
    assert (again["total"], again["total_approche"]) == (5, True)
    assert [r["activite"] for r in again["elements"]] == NAMES[:2]
    selects = [s.lower() for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 2 and "count(" in selects[0] and "count(" not in selects[1]
    # a list that fits in its first page is its own exact total, even from the kept count
    whole = await declaration_list.page_of(world.runtime, world.agent, None, PageRequest(10))
    assert (whole["total"], whole["total_approche"]) == (5, False)
    # another filter, another Caf: their own counts
    one = await declaration_list.page_of(world.runtime, world.agent, Filters(activite=activities[0].id))
    assert (one["total"], one["total_approche"]) == (1, False)
    other_caf = ForwardedCaller(kind="caf", caf_code="059", caf_roles=frozenset({"instruction"}))
    assert (await declaration_list.page_of(world.runtime, other_caf))["total"] == 0


async def test_a_partners_list_and_a_zero_ttl_are_counted_every_time(world):
    activities = await _five_activities(world)
    nina = await world.user("Nina", "Roux")
    for activity in activities:
        await world.grant(nina, "fda", activity)
    for _ in range(2):
        page = await declaration_list.page_of(world.runtime, nina.caller, None, PageRequest(2))
        assert (page["total"], page["total_approche"]) == (5, False)
    world.runtime.state["list_totals"] = ListTotals(0)
    for _ in range(2):
        page = await declaration_list.page_of(world.runtime, world.agent, None, PageRequest(2))
        assert (page["total"], page["total_approche"]) == (5, False)


async def test_a_pages_actions_worked_out_once_per_kind_of_row_are_each_rows_own(world):
    """The actions a page's rows share are asked of the lifecycle once (``_shaped``'s ``offered``): a user with other
    roles on other activities still gets, on each row, the actions its own roles there give (as the list read from
    all its lines says)."""
    activities = await _five_activities(world)
    lea = await world.user("Léa", "Petit")
    await world.grant(lea, "fda", activities[0])
    await world.grant(lea, "fdf", activities[1])
    await world.grant(lea, "approbateur", activities[2])
    page = await declaration_list.page_of(world.runtime, lea.caller, None, PageRequest(10))
    from_every_line = await declaration_list.visible_to(world.runtime, lea.caller)
    assert [r["actions"] for r in page["elements"]] == [r["actions"] for r in from_every_line]
    kinds = [{a["action"] for a in r["actions"]} for r in page["elements"]]
    assert "saisir_activite" in kinds[0] and "saisir_financier" in kinds[1] and len({frozenset(k) for k in kinds}) == 3
