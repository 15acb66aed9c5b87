"""Campaign opening, at the use-case level: the Caf's paramétrage agents create campaigns; at the opening date each
activity of that Caf and family active during the exercice gets its expected declaration with its forms (one
activity form per site of a multi-site activity), later activities join an open campaign, and the reconciliation
creates what is still missing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from afas_declaration.adapters.tables import Declaration, DeclarationForm
from afas_declaration.application import campaign_opening, campaigns
from afas_declaration.application.errors import Conflict, Forbidden, Invalid
from afas_shared.auth.caller import ForwardedCaller
from afas_shared.contracts.events.declaration import CampaignOpenedV1, DeclarationExpectedV1

SITES = ("École Jules Ferry", "École Victor Hugo")


async def test_opening_a_campaign_expects_a_declaration_of_each_matching_activity_with_its_forms(world):
    await world.register_partner()
    alsh = await world.activity("alsh", "periscolaire", "ALSH Les Coccinelles", sites=SITES)
    laep = await world.activity("laep", "general", "LAEP Petits Pas")
    closed = await world.activity("alsh", "periscolaire", "ALSH fermé", closing_date=date(2024, 8, 31))
    opened = await world.campaign("alsh")
    assert (opened["ouverte"], opened["type_declaration_libelle"], opened["caf"]) == (True, "Prévisionnelle", "080")

    forms = await world.forms(await world.declaration_of(alsh))
    assert sorted(forms, key=str) == sorted(
        [("activite", SITES[0]), ("activite", SITES[1]), ("financier", None)], key=str
    )
    assert all(f["version"] == 0 and f["etat"] == "À saisir" for f in forms.values())
    for other in (laep, closed):  # another family; closed before the exercice
        with pytest.raises(ValueError):
            await world.declaration_of(other)

    [campaign] = await world.published(CampaignOpenedV1.subject())
    [expected] = await world.published(DeclarationExpectedV1.subject())
    assert (str(campaign.data.campaign_id), expected.data.activity_id) == (opened["id"], alsh.id)
    assert sorted((f.kind, f.site_id) for f in expected.data.forms) == sorted(
        [("activite", alsh.site_ids[0]), ("activite", alsh.site_ids[1]), ("financier", None)], key=str
    )
    assert expected.data.deadline == date(2026, 5, 1)


async def test_a_campaign_opens_on_its_date_once_and_later_activities_join_it(world):
    await world.register_partner()
    lucioles = await world.activity("eaje_psu", "multi_accueil", "Multi-accueil Les Lucioles")
    future = await world.campaign("eaje_psu", opens_in=10)
    assert future["ouverte"] is False
    assert await campaign_opening.open_due(world.runtime) == 0
    with pytest.raises(ValueError):
        await world.declaration_of(lucioles)

    world.declaration.clock.advance(timedelta(days=10))
    assert await campaign_opening.open_due(world.runtime) == 1
    assert await campaign_opening.open_due(world.runtime) == 0  # opening twice expects nothing twice
    assert len(await world.forms(await world.declaration_of(lucioles))) == 2

    later = await world.activity("eaje_psu", "micro_creche_psu", "Micro-crèche Les Petits Loups")
    await world.declaration_of(later)  # joined the open campaign when declaration learnt of it
    long_closed = await world.activity("eaje_psu", "halte_garderie", "Ancienne halte", closing_date=date(2015, 12, 31))
    with pytest.raises(ValueError):
        await world.declaration_of(long_closed)
    assert len(await world.published(DeclarationExpectedV1.subject())) == 2


async def test_the_reconciliation_creates_a_missing_declaration_once(world):
    await world.register_partner()
    kept = await world.activity("laep", "general", "LAEP Petits Pas")
    lost = await world.activity("laep", "general", "LAEP Grands Pas")
    await world.campaign("laep")
    assert await campaigns.reconcile(world.runtime) == 0  # nothing missing
    # A gap as a bug or an older release would leave it: the declaration of one activity is gone.
    gone = await world.declaration_of(lost)
    async with world.runtime.db.transaction() as session:
        await session.execute(sa.delete(DeclarationForm).where(DeclarationForm.declaration_id == gone))
        await session.execute(sa.delete(Declaration).where(Declaration.id == gone))

    assert await campaigns.reconcile(world.runtime) == 1
    assert await campaigns.reconcile(world.runtime) == 0  # idempotent
    assert await world.declaration_of(lost) != gone and await world.declaration_of(kept)
    expected = await world.published(DeclarationExpectedV1.subject())
    assert [e.data.activity_id for e in expected].count(lost.id) == 2


async def test_a_calendar_is_refused_when_it_repeats_goes_backwards_or_comes_from_a_partner(world):
    await world.campaign("rpe", "reelle", exercice=2023)
    with pytest.raises(Conflict, match="existe déjà"):
        await world.campaign("rpe", "reelle", exercice=2023)
    today = date(2026, 3, 2)
    backwards = campaigns.CampaignInput(
        family="laep", exercice=2026, declaration_type="reelle", opening_date=today, deadline=today
    )
    with pytest.raises(Invalid) as refused:
        await campaigns.create(world.runtime, world.agent, backwards)
    assert refused.value.field == "date_limite"  # the API's name: the gateway forwards it with no map
    forward = backwards.model_copy(update={"deadline": today + timedelta(days=30)})
    karim = await world.user("Karim", "Bernard")
    reader = ForwardedCaller(kind="caf", caf_code="080", caf_roles=frozenset({"instruction"}))
    for caller in (karim.caller, reader):
        with pytest.raises(Forbidden, match="Seuls les agents de paramétrage"):
            await campaigns.create(world.runtime, caller, forward)
    with pytest.raises(Invalid, match="Indiquez la Caf") as no_caf:
        await campaigns.create(world.runtime, world.operator, forward)
    assert no_caf.value.field == "caf"
    for_lille = await campaigns.create(world.runtime, world.operator, forward.model_copy(update={"caf_code": "059"}))
    assert for_lille["caf"] == "059"
    assert [c["caf"] for c in await campaigns.visible_to(world.runtime, world.agent)] == ["080"]


def test_a_campaign_is_read_and_refused_under_the_apis_names():
    """The API's body, the Caf's form and the use case name a campaign's fields alike: one language, no map."""
    api = {"type_activite": "laep", "exercice": 2026, "type_declaration": "reelle"}
    dates = {"date_ouverture": "2026-03-02", "date_limite": "2026-04-30", "caf": "059"}
    read = campaigns.CampaignInput.model_validate({**api, **dates})
    assert (read.family, read.deadline, read.caf_code) == ("laep", date(2026, 4, 30), "059")
    for field, wrong in (
        ("type_activite", "creche"),
        ("type_declaration", "annuelle"),
        ("caf", "59"),
        ("date_limite", ""),
    ):
        with pytest.raises(ValidationError) as refused:
            campaigns.CampaignInput.model_validate({**api, **dates, field: wrong})
        assert [e["loc"] for e in refused.value.errors()] == [(field,)]
