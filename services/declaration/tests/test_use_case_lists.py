"""« Mes déclarations », at the use-case level: each caller sees the declarations of its own roles with the next
actions they allow, the filters of the seed screen, the home page's count, and an activity's history of versions."""

from __future__ import annotations

import pytest

from afas_declaration.application import declaration_list, instruction
from afas_declaration.application.declaration_list import Filters
from afas_declaration.application.errors import Forbidden, Invalid, NotFound
from afas_shared.auth.caller import ForwardedCaller
from services.declaration.tests.use_case_scenes import lucioles


def _actions(row: dict) -> list[str]:
    return [a["action"] for a in row["actions"]]


async def test_each_role_is_offered_its_next_actions(world):
    scene = await lucioles(world)
    [karim] = await declaration_list.visible_to(world.runtime, scene.karim.caller)
    assert _actions(karim) == ["consulter", "saisir_activite", "controler"]
    assert (karim["activite"], karim["etat"], karim["lieux"]) == (
        "Multi-accueil Les Lucioles",
        "À saisir",
        ["Les Lucioles"],
    )
    [sophie] = await declaration_list.visible_to(world.runtime, scene.sophie.caller)
    assert _actions(sophie) == ["consulter", "saisir_financier", "controler"]
    [agent] = await declaration_list.visible_to(world.runtime, world.agent)
    assert _actions(agent) == ["consulter", "annuler"]

    await scene.ready()
    [alice] = await declaration_list.visible_to(world.runtime, scene.alice.caller)
    assert alice["etat"] == "Contrôlée" and "transmettre" in _actions(alice)


async def test_a_refused_declaration_offers_its_revision_with_the_reason(world):
    scene = await lucioles(world)
    await scene.transmitted()
    [agent] = await declaration_list.visible_to(world.runtime, world.agent)
    assert _actions(agent) == ["consulter", "telecharger_accuse", "valider", "refuser", "annuler"]
    reason = "Les heures facturées dépassent le contrat."
    await instruction.decide(world.runtime, world.agent, scene.declaration_id, "refusee", reason)
    [row] = await declaration_list.visible_to(world.runtime, scene.alice.caller)
    assert (row["etat"], row["motif_refus"], row["version"]) == ("Refusée Caf", reason, 2)
    assert "reviser" in _actions(row) and "telecharger_accuse" in _actions(row)
    assert await declaration_list.awaiting_input(world.runtime, scene.karim.caller) == {
        "nombre": 1,
        "message": "Vous avez 1 déclaration à saisir",
    }
    [history] = await declaration_list.activity_history(world.runtime, scene.alice.caller, scene.activity.id)
    assert [(v["version"], v["decision_caf"], v["motif"]) for v in history["versions"]] == [(1, "refusee", reason)]


@pytest.mark.parametrize(
    ("filters", "count"),
    [
        (Filters(exercice=2026), 1),
        (Filters(exercice=2025), 0),
        (Filters(type_declaration="reelle"), 0),
        (Filters(etat="a_saisir"), 1),
        (Filters(nature="multi_accueil"), 1),
        (Filters(type_activite="alsh"), 0),
    ],
)
async def test_the_filters_of_the_list(world, filters, count):
    scene = await lucioles(world)
    assert len(await declaration_list.visible_to(world.runtime, scene.karim.caller, filters)) == count


async def test_a_caller_without_a_role_sees_nothing_and_bad_filters_are_named(world):
    scene = await lucioles(world)
    lucas = await world.user("Lucas", "Petit")
    assert await declaration_list.visible_to(world.runtime, lucas.caller) == []
    assert await declaration_list.awaiting_input(world.runtime, lucas.caller) == {
        "nombre": 0,
        "message": "Vous n'avez aucune déclaration à saisir",
    }
    with pytest.raises(NotFound):
        await declaration_list.activity_history(world.runtime, lucas.caller, scene.activity.id)
    for filters, field in ((Filters(etat="perdue"), "etat"), (Filters(exercice=10**30), "exercice")):
        with pytest.raises(Invalid) as refused:
            await declaration_list.visible_to(world.runtime, scene.karim.caller, filters)
        assert refused.value.field == field
    with pytest.raises(Forbidden):  # a partner caller without a user: no session of anyone
        await declaration_list.visible_to(world.runtime, ForwardedCaller(kind="partner"))


async def test_the_home_count_agrees_in_number(world, monkeypatch):
    awaiting = {"etat_code": "a_saisir", "actions": [{"action": "saisir_activite"}]}

    async def two_rows(*_args, **_kwargs):
        return [awaiting, awaiting]

    monkeypatch.setattr(declaration_list, "visible_to", two_rows)
    scene = await lucioles(world)
    answer = await declaration_list.awaiting_input(world.runtime, scene.karim.caller)
    assert answer == {"nombre": 2, "message": "Vous avez 2 déclarations à saisir"}
