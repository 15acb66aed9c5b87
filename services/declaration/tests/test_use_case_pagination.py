"""« Mes déclarations » and the Caf's queue read a page at a time (keyset pagination): pages chain without a gap or
a repeat even while declarations are created between two reads, filters hold across pages, a cursor altered or of
another list is a 422 naming it, and each caller's scope is the one of the whole list."""

from __future__ import annotations

import base64

import pytest
import sqlalchemy as sa

from afas_declaration.application import declaration_list, instruction
from afas_declaration.application.declaration_list import Filters
from afas_declaration.application.errors import Invalid
from afas_declaration.application.keyset import PageRequest
from afas_shared.auth.caller import ForwardedCaller
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


async def test_a_page_reads_the_grant_lines_of_its_own_activities_only_after_its_rows(world):
    """A partner's user granted on every activity: the page is one statement, then one read of the user's lines on
    the page's activities (not all of its lines, which may be thousands for an administrator)."""
    activities = await _five_activities(world)
    nina = await world.user("Nina", "Roux")
    for activity in activities:
        await world.grant(nina, "fda", activity)
    statements: list[tuple[str, tuple]] = []

    def seen(_connection, _cursor, statement, parameters, _context, _many) -> None:
        statements.append((statement, tuple(parameters or ())))

    engine = world.runtime.db.engine.sync_engine
    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        page = await declaration_list.page_of(world.runtime, nina.caller, None, PageRequest(2))
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)
    reads = [(s, p) for s, p in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(reads) == 2 and "FROM grant_line" in reads[1][0] and "declaration" not in reads[1][0], reads
    assert len(reads[1][1]) == 1 + 2  # the user and the page's two activities
    assert [r["activite"] for r in page["elements"]] == NAMES[:2]
    assert all("saisir_activite" in [a["action"] for a in r["actions"]] for r in page["elements"])
