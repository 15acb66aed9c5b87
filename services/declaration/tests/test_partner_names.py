"""The Caf's instruction queue names its partners from declaration's copy (identity's events), never by a call to
identity: a Caf agent gets its Caf's partners by name, a renamed partner under its new name (a stale event never
undoes it), the operator every partner, and a partner's user is refused."""

from __future__ import annotations

import uuid

import pytest

from afas_declaration.application import partner_copy
from afas_declaration.application.errors import Forbidden
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.contracts.events.identity import PartnerRegisteredV1, PartnerUpdatedV1
from afas_shared.testing.delivery import deliver, event


async def _announced(world, data, version: int = 1) -> None:
    assert await deliver(world.runtime, event(data, data.partner_id, version)) in ("handled", "stale")


def _partner(name: str, caf_code: str, updated: bool = False):
    kind = PartnerUpdatedV1 if updated else PartnerRegisteredV1
    return kind(
        partner_id=uuid.uuid4(), name=name, siret="21800021900004", kind="commune", caf_code=caf_code, delegated=True
    )


async def test_the_queue_lists_its_cafs_partners_from_the_copy(world):
    await world.register_partner("Commune d'Amiens")
    await _announced(world, _partner("association Les Castors", "080"))
    await _announced(world, _partner("Commune de Lille", "059"))
    names = [p["raison_sociale"] for p in await partner_copy.names_for(world.runtime, world.agent)]
    assert names == ["association Les Castors", "Commune d'Amiens"]  # by name, case aside; never another Caf's
    everyone = await partner_copy.names_for(world.runtime, world.operator)
    assert {p["raison_sociale"] for p in everyone} == {
        "association Les Castors",
        "Commune d'Amiens",
        "Commune de Lille",
    }


async def test_a_renamed_partner_is_listed_under_its_new_name(world):
    registered = _partner("Crèche Les Lutins", "080")
    await _announced(world, registered)
    renamed = PartnerUpdatedV1(**(registered.model_dump(exclude={"delegated"}) | {"name": "Crèche Les Petits Lutins"}))
    await _announced(world, renamed, 2)
    await _announced(world, registered, 1)  # late and stale: ignored
    [partner] = await partner_copy.names_for(world.runtime, world.agent)
    assert partner == {"id": str(registered.partner_id), "raison_sociale": "Crèche Les Petits Lutins"}


async def test_a_partners_user_is_refused(world):
    user = ForwardedCaller(kind="partner", user_id=uuid.uuid4(), partner_id=world.partner_id)
    with pytest.raises(Forbidden):
        await partner_copy.names_for(world.runtime, user)
