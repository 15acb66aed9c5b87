"""Caf instruction, at the use-case level: the Caf's queue, validation, refusal with a reason the partner reads
(then revised and transmitted again as version 2), cancellation; each decision announced in the outbox, in the
order of the declaration's lifecycle."""

from __future__ import annotations

import pytest

from afas_declaration.application import drafts, instruction, review, transmission
from afas_declaration.application.errors import Conflict, Forbidden, Invalid
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.contracts.events.declaration import (
    DeclarationCancelledV1,
    DeclarationRefusedV1,
    DeclarationTransmittedV1,
    DeclarationValidatedV1,
)
from afas_shared.testing.eaje import EAJE_ACTIVITY
from services.declaration.tests.use_case_scenes import Lucioles, lucioles

REASON = "Les heures facturées dépassent le contrat."


async def transmitted(world) -> Lucioles:
    scene = await lucioles(world)
    await scene.transmitted()
    return scene


async def test_the_caf_queue_lists_what_was_transmitted_to_it_and_only_to_its_agents(world):
    scene = await transmitted(world)
    [row] = (await instruction.queue(world.runtime, world.agent))["elements"]
    assert (row["id"], row["version"], row["signataire"], row["partenaire"]) == (
        str(scene.declaration_id),
        1,
        "Alice Leroy",
        "Commune d'Amiens",
    )
    other_caf = ForwardedCaller(kind="caf", caf_code="059", caf_roles=frozenset({"instruction"}))
    assert (await instruction.queue(world.runtime, other_caf))["elements"] == []
    with pytest.raises(Forbidden, match="réservée aux agents de la Caf"):
        await instruction.queue(world.runtime, scene.alice.caller)
    with pytest.raises(Invalid) as unknown:
        await instruction.queue(world.runtime, world.agent, etat="perdue")
    assert unknown.value.field == "etat"


async def test_only_the_instruction_agents_of_its_caf_decide(world):
    scene = await transmitted(world)
    reader = ForwardedCaller(kind="caf", caf_code="080", caf_roles=frozenset({"lecture"}))
    other_caf = ForwardedCaller(kind="caf", caf_code="059", caf_roles=frozenset({"instruction"}))
    for caller in (scene.alice.caller, reader, other_caf):
        with pytest.raises(Forbidden, match="Seuls les agents d'instruction"):
            await instruction.decide(world.runtime, caller, scene.declaration_id, "validee", None)
    assert await world.published(DeclarationValidatedV1.subject()) == []


async def test_a_refusal_needs_a_reason_of_ten_characters(world):
    scene = await transmitted(world)
    for reason in (None, "non", "  court   "):  # spaces around do not count
        with pytest.raises(Invalid, match="10 caractères au moins") as refused:
            await instruction.decide(world.runtime, world.agent, scene.declaration_id, "refusee", reason)
        assert refused.value.field == "motif"
    assert await world.published(DeclarationRefusedV1.subject()) == []


async def test_refused_then_revised_transmitted_again_as_version_2_and_validated(world):
    scene = await transmitted(world)
    refusal = await instruction.decide(world.runtime, world.agent, scene.declaration_id, "refusee", REASON)
    assert refusal == {"id": str(scene.declaration_id), "etat": "Refusée Caf", "version": 2}
    detail = await drafts.detail(world.runtime, scene.alice.caller, scene.declaration_id)
    assert (detail["etat"], detail["motif_refus"], detail["version"]) == ("Refusée Caf", REASON, 2)

    await scene.fill(activity={**EAJE_ACTIVITY, "heures_facturees": "63000"})  # 105 %: nothing left to justify
    assert (await drafts.detail(world.runtime, scene.alice.caller, scene.declaration_id))["etat"] == "En révision"
    controls = await review.run(world.runtime, scene.alice.caller, scene.declaration_id)
    assert controls["transmissible"] is True, controls["obstacles"]
    second = await transmission.transmit(world.runtime, scene.alice.caller, scene.declaration_id, True, None)
    assert second["version"] == 2

    validated = await instruction.decide(world.runtime, world.agent, scene.declaration_id, "validee", None)
    assert validated["etat"] == "Validée Caf"
    versions = await transmission.versions(world.runtime, scene.alice.caller, scene.declaration_id)
    assert [(v["version"], v["decision_caf"]["decision"]) for v in versions] == [(1, "refusee"), (2, "validee")]
    assert versions[0]["decision_caf"]["motif"] == REASON
    assert (await transmission.receipt(world.runtime, scene.alice.caller, scene.declaration_id, 1)).startswith(b"%PDF")
    with pytest.raises(Conflict, match="déjà validée"):
        await instruction.decide(world.runtime, world.agent, scene.declaration_id, "annulee", "Annulation tardive")

    [refused] = await world.published(DeclarationRefusedV1.subject())
    first, revised = await world.published(DeclarationTransmittedV1.subject())
    [validation] = await world.published(DeclarationValidatedV1.subject())
    assert (refused.data.reason, revised.data.revision, revised.data.declaration_version) == (REASON, True, 2)
    assert validation.data.forecast_gap_justified is False and validation.data.snapshot_hash == second["hash"]
    assert validation.data.activity_opening_date.isoformat() == "2020-01-01"
    # the published order consumers compare: version × 10 + step (transmission 1, the Caf's decision 2)
    assert [e.aggregate_version for e in (first, refused, revised, validation)] == [11, 12, 21, 22]


async def test_only_a_transmitted_declaration_is_validated_or_refused(world):
    scene = await lucioles(world)
    with pytest.raises(Conflict, match="Seule une déclaration transmise"):
        await instruction.decide(world.runtime, world.agent, scene.declaration_id, "validee", None)
    with pytest.raises(Conflict, match="Seule une déclaration transmise"):
        await instruction.decide(world.runtime, world.agent, scene.declaration_id, "refusee", REASON)


async def test_the_caf_cancels_a_declaration_with_a_reason_and_it_stays_cancelled(world):
    scene = await transmitted(world)
    with pytest.raises(Invalid):
        await instruction.decide(world.runtime, world.agent, scene.declaration_id, "annulee", "trop tôt")
    cancelled = await instruction.decide(
        world.runtime, world.agent, scene.declaration_id, "annulee", "Activité fermée."
    )
    assert cancelled["etat"] == "Annulée Caf"
    with pytest.raises(Conflict, match="déjà annulée"):
        await instruction.decide(world.runtime, world.agent, scene.declaration_id, "validee", None)
    [event] = await world.published(DeclarationCancelledV1.subject())
    assert (event.data.reason, event.data.cancelled_by) == ("Activité fermée.", world.agent.user_id)


async def test_an_actualisee_is_validated_without_a_gap_acceptance_the_api_refusing_one(world):
    """The instruction page offers no gap box on an « actualisée » (estimation reads none there): the API refuses
    the acceptance there too, by the same rule, and nothing is validated until it comes without it."""
    forecast = await lucioles(world)
    await world.campaign("eaje_psu", declaration_type="actualisee_juin")
    updated = await world.declaration_of(forecast.activity, "actualisee_juin")
    scene = Lucioles(world, forecast.activity, updated, forecast.karim, forecast.sophie, forecast.alice)
    await scene.transmitted()
    with pytest.raises(Invalid, match="une déclaration actualisée n'en porte pas") as refused:
        await instruction.decide(world.runtime, world.agent, updated, "validee", None, gap_justification_accepted=True)
    assert refused.value.field == "justification_ecart_acceptee"
    assert await world.published(DeclarationValidatedV1.subject()) == []
    validated = await instruction.decide(world.runtime, world.agent, updated, "validee", None)
    assert validated["etat"] == "Validée Caf"
    [event] = await world.published(DeclarationValidatedV1.subject())
    assert event.data.forecast_gap_justified is False
