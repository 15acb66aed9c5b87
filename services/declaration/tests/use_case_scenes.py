"""The scene most review, transmission and instruction tests start from: the Lucioles multi-accueil (EAJE, PSU) of
the Commune d'Amiens in the 2026 forecast campaign, Karim entering its activity data, Sophie its budget, and Alice
its approbateur validated by the Caf; estimation answers 40 852,00 €."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from afas_declaration.application import approbateur_actions, drafts, review, transmission
from afas_shared.testing.eaje import EAJE_ACTIVITY, EAJE_BUDGET
from services.declaration.tests.use_case_world import Activity, User, World

ESTIMATE = "40852.00"
EXPLANATION = "Facturation au contrat mensualisé des familles, absences non déduites."


@dataclass
class Lucioles:
    world: World
    activity: Activity
    declaration_id: uuid.UUID
    karim: User
    sophie: User
    alice: User

    async def form(self, who: User) -> dict[str, Any]:
        """The one form ``who`` fills, as ``who`` reads it."""
        [form] = (await drafts.detail(self.world.runtime, who.caller, self.declaration_id))["formulaires"]
        return form

    async def fill(self, activity: dict[str, Any] = EAJE_ACTIVITY, budget: dict[str, Any] = EAJE_BUDGET) -> None:
        """Karim saves the activity data, Sophie the budget, each on the version they read."""
        for who, values in ((self.karim, activity), (self.sophie, budget)):
            form = await self.form(who)
            await drafts.save(self.world.runtime, who.caller, uuid.UUID(form["id"]), form["version"], values)

    async def ready(self) -> str:
        """Filled, controlled, its flagged billing rate justified by Alice: ready to transmit. The control's key."""
        await self.fill()
        controls = await review.run(self.world.runtime, self.alice.caller, self.declaration_id)
        [key] = [c["cle"] for c in controls["controles"] if c["a_justifier"]]
        await approbateur_actions.justify(
            self.world.runtime, self.alice.caller, self.declaration_id, key, EXPLANATION, "6000"
        )
        return key

    async def transmitted(self) -> dict[str, Any]:
        """Ready, then signed and transmitted by Alice: the version transmitted."""
        await self.ready()
        return await transmission.transmit(self.world.runtime, self.alice.caller, self.declaration_id, True, None)


async def lucioles(world: World) -> Lucioles:
    await world.register_partner()
    activity = await world.activity("eaje_psu", "multi_accueil", "Multi-accueil Les Lucioles", sites=("Les Lucioles",))
    karim, sophie = await world.user("Karim", "Bernard"), await world.user("Sophie", "Martin")
    alice = await world.user("Alice", "Leroy")
    await world.grant(karim, "fda", activity)
    await world.grant(sophie, "fdf", activity)
    await world.grant(alice, "approbateur", activity)
    await world.campaign("eaje_psu")
    world.estimation.answers(ESTIMATE)
    return Lucioles(world, activity, await world.declaration_of(activity), karim, sophie, alice)
