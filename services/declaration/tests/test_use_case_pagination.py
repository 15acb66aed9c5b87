"""« Mes déclarations » and the Caf's queue read a page at a time (keyset pagination): pages chain without a gap or
a repeat even while declarations are created between two reads, filters hold across pages, a cursor altered or of
another list is a 422 naming it, and each caller's scope is the one of the whole list."""

from __future__ import annotations

import base64
from datetime import date
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from afas_declaration.application import declaration_list, instruction, list_statements, permissions
from afas_declaration.application.declaration_list import Filters
from afas_declaration.application.errors import Invalid
from afas_declaration.application.keyset import PageRequest
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.clock import paris_today
from afas_shared.contracts.events.habilitation import GrantEndedV1
from services.declaration.tests.use_case_world import World

# In the list's order (by name within the exercice)
NAMES = ["Crèche Bleue", "Crèche Corail", "Halte Émeraude", "Micro-crèche Jade", "Multi-accueil Indigo"]


async def _five_activities(world: World) -> list:
    """Five EAJE activities of the partner, each with its 2026 forecast declaration (the campaign opened after)."""
    await world.register_partner()
    activities = [
        await world.activity("eaje_psu", "micro_creche" if "Micro" in name else "multi_accueil", name) for name in NAMES
    ]
    await world.campaign("eaje_psu")
    return activities


async def _read_all(world: World, caller, size: int, filters: Filters | None = None) -> list[dict]:
    """Every page of the caller's list, following the next cursors; each page checked against the last."""
    pages, cursor = [], None
    while True:
        page = await declaration_list.page_of(world.runtime, caller, filters, PageRequest(size, cursor))
        pages.append(page)
        cursor = page["curseur_suivant"]
        if cursor is None:
            return pages


def _ids(pages: list[dict]) -> list[str]:
    return [row["id"] for page in pages for row in page["elements"]]


async def test_pages_chain_in_the_list_order_with_ranks_and_both_cursors(world):
    await _five_activities(world)
    whole = await declaration_list.visible_to(world.runtime, world.agent)
    pages = await _read_all(world, world.agent, 2)
    assert _ids(pages) == [row["id"] for row in whole] and [r["activite"] for r in whole] == sorted(NAMES)
    assert [(p["debut"], p["fin"], p["total"]) for p in pages] == [(1, 2, 5), (3, 4, 5), (5, 5, 5)]
    assert pages[0]["curseur_precedent"] is None and pages[-1]["curseur_suivant"] is None
    back = await declaration_list.page_of(
        world.runtime, world.agent, None, PageRequest(2, pages[2]["curseur_precedent"])
    )
    assert (back["elements"], back["debut"], back["fin"]) == (pages[1]["elements"], 3, 4)
    first = await declaration_list.page_of(world.runtime, world.agent, None, PageRequest(2, back["curseur_precedent"]))
    assert first["elements"] == pages[0]["elements"] and first["curseur_precedent"] is None


async def test_declarations_created_between_two_pages_leave_no_gap_and_no_repeat(world):
    await _five_activities(world)
    first = await declaration_list.page_of(world.runtime, world.agent, None, PageRequest(2))
    # One before the page read (« Accueil… »), one between the pages (« Jardin… »), one after (« Zèbre… »)
    for name in ("Accueil Ambre", "Jardin Ivoire", "Zèbre Olive"):
        await world.activity("eaje_psu", "multi_accueil", name)
    rest, cursor = [], first["curseur_suivant"]
    while cursor:
        page = await declaration_list.page_of(world.runtime, world.agent, None, PageRequest(2, cursor))
        rest += page["elements"]
        cursor = page["curseur_suivant"]
    seen = [r["activite"] for r in first["elements"] + rest]
    assert len(seen) == len(set(seen))
    assert seen == [*NAMES[:2], "Halte Émeraude", "Jardin Ivoire", *NAMES[3:], "Zèbre Olive"]
    assert page["total"] == 8


async def test_filters_hold_across_pages_and_the_default_size_is_the_settings_one(world):
    await _five_activities(world)
    pages = await _read_all(world, world.agent, 1, Filters(nature="multi_accueil"))
    assert [p["elements"][0]["activite"] for p in pages] == [n for n in NAMES if "Micro" not in n]
    assert {p["total"] for p in pages} == {4}
    world.runtime.settings.list_page_size = 3
    default = await declaration_list.page_of(world.runtime, world.agent)
    assert (len(default["elements"]), default["total"]) == (3, 5) and default["curseur_suivant"]


async def test_a_bad_cursor_or_size_is_refused_in_french_naming_its_field(world):
    await _five_activities(world)
    page = await declaration_list.page_of(world.runtime, world.agent, None, PageRequest(2))
    queue_cursor = base64.urlsafe_b64encode(b'["instruction","apres",["2026-03-02T09:00:00+00:00","x"]]').decode()
    for cursor in ("pas-un-curseur", page["curseur_suivant"][:-3], queue_cursor):
        with pytest.raises(Invalid, match="Curseur de pagination invalide") as refused:
            await declaration_list.page_of(world.runtime, world.agent, None, PageRequest(2, cursor))
        assert refused.value.field == "curseur"
    for size in (0, world.runtime.settings.list_page_max + 1):
        with pytest.raises(Invalid, match="taille de page") as refused:
            await declaration_list.page_of(world.runtime, world.agent, None, PageRequest(size))
        assert refused.value.field == "limite"
    with pytest.raises(Invalid) as refused:
        await instruction.queue(world.runtime, world.agent, request=PageRequest(2, page["curseur_suivant"]))
    assert refused.value.field == "curseur"


async def test_each_caller_pages_through_its_own_scope_only(world):
    activities = await _five_activities(world)
    nina = await world.user("Nina", "Roux")
    await world.grant(nina, "fda", activities[1])
    await world.grant(nina, "fda", activities[3])
    pages = await _read_all(world, nina.caller, 1)
    assert [p["elements"][0]["activite"] for p in pages] == [NAMES[1], NAMES[3]] and pages[0]["total"] == 2
    other_caf = ForwardedCaller(kind="caf", caf_code="059", caf_roles=frozenset({"instruction"}))
    nothing = await declaration_list.page_of(world.runtime, other_caf, None, PageRequest(2))
    assert (nothing["elements"], nothing["total"], nothing["debut"], nothing["curseur_suivant"]) == ([], 0, 0, None)
    assert (await _read_all(world, world.operator, 4))[-1]["fin"] == 5


async def test_the_caf_queue_is_a_page_too(world):
    await _five_activities(world)
    empty = await instruction.queue(world.runtime, world.agent, request=PageRequest(2))
    assert (empty["elements"], empty["total"], empty["curseur_suivant"]) == ([], 0, None)
    with pytest.raises(Invalid) as refused:
        await instruction.queue(world.runtime, world.agent, request=PageRequest(2, "Zm9v"))
    assert refused.value.field == "curseur"


async def test_a_partner_page_is_one_statement_carrying_the_rights_its_grant_lines_give(world):
    """A partner's page carries, on each row, the user's lines acting on its activity: one statement, and the same
    rights as reading the user's every line (a site's line, an approbateur's line awaiting the Caf, a line ended)."""
    activities = await _five_activities(world)
    nina, lea = await world.user("Nina", "Roux"), await world.user("Léa", "Petit")
    for activity in activities:
        await world.grant(nina, "fda", activity)
    await world.grant(nina, "approbateur", activities[2])
    await world.grant(lea, "fdf", activities[0], site=0)
    await world.grant(lea, "approbateur", activities[1], validated=False)  # not acting: not in her list
    ended = await world.grant(lea, "fda", activities[3])
    gone = GrantEndedV1(
        grant_id=ended, user_id=lea.id, activity_id=activities[3].id, end_date=date(2026, 3, 1), reason="ended"
    )
    await world._handle(gone, ended, 2)
    statements: list[str] = []

    def seen(_connection, _cursor, statement, _parameters, _context, _many) -> None:
        statements.append(statement)

    today = paris_today(world.runtime.clock.now())
    engine = world.runtime.db.engine.sync_engine
    for user, expected in ((nina, NAMES[:3]), (lea, NAMES[:1])):
        sa.event.listen(engine, "before_cursor_execute", seen)
        try:
            page = await declaration_list.page_of(world.runtime, user.caller, None, PageRequest(3))
        finally:
            sa.event.remove(engine, "before_cursor_execute", seen)
        assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1, statements
        statements.clear()
        assert [r["activite"] for r in page["elements"]] == expected
        shape = list_statements.shape_of("partner", Filters())
        values = list_statements.parameters(user.caller, today, Filters(), size=10)
        async with world.runtime.db.sessions() as session:
            every_line = await permissions.access_of(session, user.caller, today)
            rows = (await session.execute(list_statements.page_statements(shape).page, values)).all()
        carried = permissions.access_from_lines(user.caller, {row.activity_id: row.lines for row in rows})
        for row in rows:
            target = SimpleNamespace(activity_id=row.activity_id, caf_code="080")
            assert carried.on(target) == every_line.on(target) and carried.on(target).roles, row.activite
