"""Signature and transmission, at the use-case level: only the validated approbateur transmits, once, a signed
and complete declaration with its flagged controls justified; the version is frozen as a snapshot (SHA-256 of its
canonical JSON), with its PDF receipt, and announced by ``declaration_transmitted`` in the outbox."""

from __future__ import annotations

import hashlib
import json
import uuid

import pytest

from afas_declaration.application import approbateur_actions, drafts, review, transmission
from afas_declaration.application.errors import Conflict, Forbidden, Invalid, NotFound
from afas_shared.contracts.events.declaration import DeclarationControlledV1, DeclarationTransmittedV1
from services.declaration.tests.use_case_scenes import ESTIMATE, EXPLANATION, lucioles

COMPLEMENT = "Extension de 5 places prévue en septembre."


async def test_only_the_approbateur_transmits_signed_and_nothing_left_to_justify(world):
    scene = await lucioles(world)
    await scene.fill()
    await review.run(world.runtime, scene.alice.caller, scene.declaration_id)
    with pytest.raises(Forbidden, match="Seul l'approbateur"):
        await transmission.transmit(world.runtime, scene.karim.caller, scene.declaration_id, True, None)
    with pytest.raises(Conflict, match="à justifier"):
        await transmission.transmit(world.runtime, scene.alice.caller, scene.declaration_id, True, None)
    with pytest.raises(Invalid) as unsigned:
        await transmission.transmit(world.runtime, scene.alice.caller, scene.declaration_id, False, None)
    assert unsigned.value.field == "signature"
    assert await world.published(DeclarationTransmittedV1.subject()) == []


async def test_a_pending_approbateur_does_not_transmit(world):
    scene = await lucioles(world)
    bruno = await world.user("Bruno", "Morel")
    await world.grant(bruno, "approbateur", scene.activity, validated=False)
    await scene.ready()
    with pytest.raises(Forbidden):
        await transmission.transmit(world.runtime, bruno.caller, scene.declaration_id, True, None)


async def test_a_transmission_freezes_a_snapshot_with_its_receipt_and_is_announced_once(world):
    scene = await lucioles(world)
    key = await scene.ready()
    sent = await transmission.transmit(world.runtime, scene.alice.caller, scene.declaration_id, True, COMPLEMENT)
    assert (sent["version"], sent["signataire"], sent["estimation"]["montant"]) == (1, "Alice Leroy", ESTIMATE)
    assert sent["accuse_reception"] == f"/api/v1/declarations/{scene.declaration_id}/versions/1/accuse.pdf"
    with pytest.raises(Conflict, match="déjà été transmise"):
        await transmission.transmit(world.runtime, scene.alice.caller, scene.declaration_id, True, COMPLEMENT)

    snapshot = await transmission.version(world.runtime, scene.alice.caller, scene.declaration_id, 1)
    content = {k: v for k, v in snapshot.items() if k not in ("hash", "decision_caf")}
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert hashlib.sha256(canonical.encode()).hexdigest() == snapshot["hash"] == sent["hash"]
    assert (snapshot["partenaire"]["nom"], snapshot["partenaire"]["siret"]) == ("Commune d'Amiens", "21800021900004")
    assert snapshot["informations_complementaires"] == COMPLEMENT and snapshot["chiffres"]["heures_facturees"]
    [flag] = [c for c in snapshot["controles"] if c["a_justifier"]]
    assert flag["justification"]["texte"] == EXPLANATION
    receipt = await transmission.receipt(world.runtime, scene.alice.caller, scene.declaration_id, 1)
    assert receipt.startswith(b"%PDF")
    with pytest.raises(NotFound):
        await transmission.receipt(world.runtime, scene.alice.caller, scene.declaration_id, 2)

    [event] = await world.published(DeclarationTransmittedV1.subject())
    assert (event.subject, event.data.snapshot_hash, event.data.estimate) == (
        str(scene.declaration_id),
        sent["hash"],
        ESTIMATE,
    )
    assert (event.data.transmitted_by, event.data.flagged_justified, event.data.revision) == (
        scene.alice.id,
        [key],
        False,
    )
    [controlled] = await world.published(DeclarationControlledV1.subject())
    # consumers order the lifecycle by it: version × 10 + step (controls 0, transmission 1)
    assert (controlled.aggregate_version, event.aggregate_version) == (10, 11)


async def test_a_transmitted_declaration_no_longer_changes(world):
    scene = await lucioles(world)
    await scene.ready()
    await transmission.transmit(world.runtime, scene.alice.caller, scene.declaration_id, True, None)
    form = await scene.form(scene.karim)
    assert form["etat"] == "Transmise Caf"
    with pytest.raises(Conflict, match="transmise"):
        await drafts.save(world.runtime, scene.karim.caller, uuid.UUID(form["id"]), form["version"], {})
    with pytest.raises(Conflict, match="figés"):
        await review.run(world.runtime, scene.alice.caller, scene.declaration_id)
    with pytest.raises(Conflict):
        await approbateur_actions.set_complement(world.runtime, scene.alice.caller, scene.declaration_id, "Trop tard")


async def test_a_provider_of_the_whole_activity_reads_the_version_a_stranger_does_not(world):
    scene = await lucioles(world)
    await scene.ready()
    await transmission.transmit(world.runtime, scene.alice.caller, scene.declaration_id, True, None)
    [version] = await transmission.versions(world.runtime, scene.karim.caller, scene.declaration_id)
    assert (version["version"], version["decision_caf"]) == (1, None)
    [agents] = await transmission.versions(world.runtime, world.agent, scene.declaration_id)
    assert agents["hash"] == version["hash"]
    stranger = await world.user("Paul", "Durand")
    with pytest.raises(Forbidden, match="pas dans votre périmètre"):
        await transmission.versions(world.runtime, stranger.caller, scene.declaration_id)
