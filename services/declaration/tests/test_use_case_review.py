"""Before transmission, at the use-case level: the controls run on the stored forms (a 110 % billing rate flagged),
the approbateur's justification, a form sent back to its provider, and the estimate asked of estimation (said to be
unavailable, never zero, when estimation is down or refuses the figures)."""

from __future__ import annotations

import uuid

import pytest

from afas_declaration.application import approbateur_actions, drafts, review
from afas_declaration.application.errors import Conflict, Forbidden, Invalid, NotFound
from afas_shared.contracts.events.declaration import DeclarationControlledV1, FormSentBackV1
from afas_shared.testing.eaje import EAJE_ACTIVITY
from services.declaration.tests.use_case_scenes import ESTIMATE, lucioles

EXPLANATION = "Facturation au contrat mensualisé des familles, absences non déduites."


async def test_the_controls_flag_the_billing_rate_and_the_declaration_is_controlled(world):
    scene = await lucioles(world)
    await scene.fill()
    controls = await review.run(world.runtime, scene.alice.caller, scene.declaration_id)
    flagged = [c for c in controls["controles"] if c["a_justifier"]]
    assert [c["id"] for c in flagged] == ["taux_facturation"], controls["controles"]
    assert "110,00" in flagged[0]["message"] and "107" in flagged[0]["message"]
    assert (controls["anomalies_bloquantes"], controls["anomalies_a_justifier"]) == (0, 1)
    assert (controls["etat"], controls["transmissible"]) == ("Contrôlée", False)
    assert any("à justifier" in obstacle for obstacle in controls["obstacles"])
    assert controls["estimation"] == {**controls["estimation"], "disponible": True, "montant": ESTIMATE}
    [event] = await world.published(DeclarationControlledV1.subject())
    assert (event.data.blocking, event.data.flagged, event.data.ready) == (0, 1, True)

    # the estimate was asked with the stored figures, as text, for this activity, under the API's names
    asked = world.estimation.asked[-1]
    assert (asked["famille"], asked["nature"], asked["activite_id"]) == (
        "eaje_psu",
        "multi_accueil",
        str(scene.activity.id),
    )
    assert asked["valeurs"]["heures_facturees"] == "66000"


async def test_an_incomplete_declaration_is_not_controlled_and_says_which_forms_were_never_saved(world):
    scene = await lucioles(world)
    form = await scene.form(scene.karim)
    await drafts.save(world.runtime, scene.karim.caller, uuid.UUID(form["id"]), 0, EAJE_ACTIVITY)
    controls = await review.run(world.runtime, scene.karim.caller, scene.declaration_id)  # a provider may control
    assert controls["etat"] == "En cours de saisie" and not controls["transmissible"]
    assert "formulaires jamais enregistrés : données financières" in controls["obstacles"]


async def test_only_users_granted_on_the_activity_run_its_controls(world):
    scene = await lucioles(world)
    stranger = await world.user("Paul", "Durand")
    with pytest.raises(Forbidden, match="Seuls les utilisateurs habilités"):
        await review.run(world.runtime, stranger.caller, scene.declaration_id)
    with pytest.raises(Forbidden):
        await review.run(world.runtime, world.agent, scene.declaration_id)  # the Caf reads, it does not control


async def test_the_approbateur_justifies_a_flagged_control_with_a_text_and_a_figure(world):
    scene = await lucioles(world)
    await scene.fill()
    controls = await review.run(world.runtime, scene.alice.caller, scene.declaration_id)
    [key] = [c["cle"] for c in controls["controles"] if c["a_justifier"]]
    alice = scene.alice.caller

    with pytest.raises(Invalid) as no_figure:
        await approbateur_actions.justify(world.runtime, alice, scene.declaration_id, key, EXPLANATION, None)
    assert no_figure.value.field == "montant"
    with pytest.raises(Invalid, match="nombre"):
        await approbateur_actions.justify(world.runtime, alice, scene.declaration_id, key, EXPLANATION, "six")
    with pytest.raises(Invalid) as too_short:
        await approbateur_actions.justify(world.runtime, alice, scene.declaration_id, key, "...", "6000")
    assert too_short.value.field == "texte"
    with pytest.raises(Forbidden, match="Seul l'approbateur justifie"):
        await approbateur_actions.justify(world.runtime, scene.karim.caller, scene.declaration_id, key, EXPLANATION, 1)
    with pytest.raises(NotFound, match="relancez les contrôles"):
        await approbateur_actions.justify(world.runtime, alice, scene.declaration_id, "inconnue", EXPLANATION, 1)

    justified = await approbateur_actions.justify(world.runtime, alice, scene.declaration_id, key, EXPLANATION, "6 000")
    assert (justified["texte"], justified["montant"], justified["par"]) == (EXPLANATION, "6000", "Alice Leroy")
    latest = await review.latest(world.runtime, alice, scene.declaration_id)
    assert latest["transmissible"] is True and latest["anomalies_a_justifier"] == 0


async def test_the_approbateur_sends_a_form_back_and_the_providers_next_save_clears_it(world):
    scene = await lucioles(world)
    form = await scene.form(scene.karim)
    form_id = uuid.UUID(form["id"])
    with pytest.raises(Conflict, match="pas encore été saisi"):
        await approbateur_actions.send_back(world.runtime, scene.alice.caller, form_id, "Complétez les heures.")
    await scene.fill()
    await review.run(world.runtime, scene.alice.caller, scene.declaration_id)  # « Contrôlée »

    with pytest.raises(Forbidden, match="Seul l'approbateur renvoie"):
        await approbateur_actions.send_back(world.runtime, scene.karim.caller, form_id, "À revoir, merci.")
    with pytest.raises(Invalid) as short:
        await approbateur_actions.send_back(world.runtime, scene.alice.caller, form_id, "  ok ")
    assert short.value.field == "commentaire"
    comment = "Les heures facturées de mars manquent."
    sent = await approbateur_actions.send_back(world.runtime, scene.alice.caller, form_id, comment)
    assert (sent["etat"], sent["commentaire"]) == ("À corriger", comment)

    form = await scene.form(scene.karim)
    assert (form["etat"], form["commentaire_renvoi"], form["renvoye_par"]) == ("À corriger", comment, "Alice Leroy")
    view = await drafts.detail(world.runtime, scene.karim.caller, scene.declaration_id)
    assert view["etat"] == "En cours de saisie"  # no longer « Contrôlée »: a form is to be corrected
    [event] = await world.published(FormSentBackV1.subject())
    assert (event.data.form_id, event.data.comment, event.data.sent_back_by) == (form_id, comment, scene.alice.id)

    resaved = await drafts.save(world.runtime, scene.karim.caller, form_id, form["version"], EAJE_ACTIVITY)
    assert (resaved["etat"], resaved["commentaire_renvoi"], resaved["renvoye_par"]) == (
        "En cours de saisie",
        None,
        None,
    )


async def test_an_estimate_estimation_cannot_give_is_said_unavailable_never_zero(world):
    scene = await lucioles(world)
    await scene.fill()
    world.estimation.down()
    estimate = await review.estimate_for(world.runtime, scene.alice.caller, scene.declaration_id)
    assert estimate["disponible"] is False and "ne répond pas" in estimate["message"]
    world.estimation.refuses("heures_facturees manquant", "figures.heures_facturees")
    estimate = await review.estimate_for(world.runtime, scene.alice.caller, scene.declaration_id)
    # estimation names the figure by its id; the partner reads the label of its form
    wanted = "Estimation indisponible : « Heures facturées aux familles » manquant"
    assert estimate == {"disponible": False, "message": wanted}


async def test_a_provider_of_some_sites_sees_its_own_controls_and_no_estimate(world):
    await world.register_partner()
    alsh = await world.activity("alsh", "periscolaire", "ALSH Les Coccinelles", sites=("Jules Ferry", "Victor Hugo"))
    karim = await world.user("Karim", "Bernard")
    await world.grant(karim, "fda", alsh, site=0)
    await world.campaign("alsh")
    world.estimation.answers("1000.00")
    declaration_id = await world.declaration_of(alsh)
    controls = await review.run(world.runtime, karim.caller, declaration_id)
    assert {c["lieu"] for c in controls["controles"]} <= {"Jules Ferry"}
    assert controls["estimation"]["disponible"] is False and "au-delà de vos lieux" in controls["estimation"]["message"]
    with pytest.raises(Forbidden, match="toute la déclaration"):
        await review.estimate_for(world.runtime, karim.caller, declaration_id)


async def test_the_approbateur_adds_the_complementary_information_the_caf_will_read(world):
    scene = await lucioles(world)
    text = "  Extension de 5 places prévue en septembre.  "
    added = await approbateur_actions.set_complement(world.runtime, scene.alice.caller, scene.declaration_id, text)
    assert added == {"informations_complementaires": text.strip()}
    with pytest.raises(Forbidden, match="Seul l'approbateur ajoute"):
        await approbateur_actions.set_complement(world.runtime, scene.sophie.caller, scene.declaration_id, "Autre")
    view = await drafts.detail(world.runtime, world.agent, scene.declaration_id)
    assert view["informations_complementaires"] == text.strip()
    cleared = await approbateur_actions.set_complement(world.runtime, scene.alice.caller, scene.declaration_id, " ")
    assert cleared == {"informations_complementaires": None}
