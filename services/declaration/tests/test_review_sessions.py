"""Controls and transmit each run in one unit of work (issue 16): the declaration and its forms read once, locked,
then checked, controlled and changed in the same session — where a session of reads then a unit of work opened two
sessions and read the declaration, its activity and its forms twice."""

from __future__ import annotations

import uuid

from afas_declaration.application import drafts, review, transmission
from afas_shared.contracts.events.declaration import DeclarationControlledV1, DeclarationTransmittedV1
from afas_shared.testing.eaje import EAJE_ACTIVITY
from services.declaration.tests.test_save_sessions import counting
from services.declaration.tests.use_case_scenes import ESTIMATE, lucioles


def _reads_of(statements: list[str], table: str) -> int:
    """Reads of the declaration's own rows in ``table`` (the earlier declarations' figures are another read)."""
    key = {"declaration": "declaration.id = ", "declaration_form": "declaration_form.declaration_id = "}[table]
    return sum(1 for sql in statements if sql.lstrip().startswith("SELECT") and f"WHERE {key}" in " ".join(sql.split()))


async def test_the_controls_read_the_declaration_once_in_one_unit_of_work(world):
    scene = await lucioles(world)
    await scene.fill()
    with counting(world.runtime) as counted:
        controls = await review.run(world.runtime, scene.alice.caller, scene.declaration_id)
    assert controls["etat"] == "Contrôlée" and controls["estimation"]["montant"] == ESTIMATE
    assert counted.sessions == 1
    assert (_reads_of(counted.statements, "declaration"), _reads_of(counted.statements, "declaration_form")) == (1, 1)
    [controlled] = await world.published(DeclarationControlledV1.subject())
    assert controlled.data.ready is True


async def test_the_transmit_reads_the_declaration_once_in_one_unit_of_work(world):
    scene = await lucioles(world)
    await scene.ready()
    with counting(world.runtime) as counted:
        sent = await transmission.transmit(world.runtime, scene.alice.caller, scene.declaration_id, True, " Vu. ")
    assert (sent["version"], sent["estimation"]["montant"]) == (1, ESTIMATE)
    assert counted.sessions == 1
    assert (_reads_of(counted.statements, "declaration"), _reads_of(counted.statements, "declaration_form")) == (1, 1)
    [transmitted] = await world.published(DeclarationTransmittedV1.subject())
    assert transmitted.data.snapshot_hash == sent["hash"]
    snapshot = await transmission.version(world.runtime, scene.alice.caller, scene.declaration_id, 1)
    assert snapshot["informations_complementaires"] == "Vu."


async def test_a_save_reads_its_declaration_once_and_writes_back_without_reading_a_form_again(world):
    """The aggregate is written back over the rows it was read from: the session holds them (its identity map keeps
    unchanged rows only weakly), so the other form of the declaration is not read a second time."""
    scene = await lucioles(world)
    form = await scene.form(scene.karim)
    with counting(world.runtime) as counted:
        saved = await drafts.save(world.runtime, scene.karim.caller, uuid.UUID(form["id"]), 0, EAJE_ACTIVITY)
    assert saved["version"] == 1
    # the declaration the form belongs to (with its activity and campaign) then its forms, under lock, once each;
    # none after the write
    assert (_reads_of(counted.statements, "declaration"), _reads_of(counted.statements, "declaration_form")) == (1, 1)
    assert sum(1 for sql in counted.statements if sql.lstrip().startswith("SELECT declaration_form")) == 1
