"""Who sees what of a declaration (``declaration_scope.Standing``, the one rule) and what a provider granted one
site of a multi-site activity is shown of the controls and of a transmitted version: its own forms only, no
aggregate figures, no estimate. Pure: no database, no bus."""

from __future__ import annotations

import uuid
from datetime import date

from afas_declaration.adapters.tables import ActivityCopy, Campaign, Declaration, DeclarationForm
from afas_declaration.application import review, transmission
from afas_declaration.application.declaration_scope import Loaded
from afas_declaration.domain.access_policy import Standing

SITE_A, SITE_B = uuid.uuid4(), uuid.uuid4()


def _loaded() -> Loaded:
    declaration = Declaration(
        id=uuid.uuid4(),
        campaign_id=uuid.uuid4(),
        activity_id=uuid.uuid4(),
        partner_id=uuid.uuid4(),
        caf_code="080",
        exercice=2026,
        declaration_type="previsionnelle",
        state="en_cours",
    )
    activity = ActivityCopy(
        activity_id=declaration.activity_id,
        partner_id=declaration.partner_id,
        caf_code="080",
        family="alsh",
        nature="periscolaire",
        name="ALSH Les Coccinelles",
        site_mode="multi_lieux_antennes",
        opening_date=date(2020, 9, 1),
        version=1,
    )
    campaign = Campaign(
        id=declaration.campaign_id,
        caf_code="080",
        family="alsh",
        exercice=2026,
        declaration_type="previsionnelle",
        form_version="2026",
        opening_date=date(2026, 3, 2),
        deadline=date(2026, 4, 15),
    )
    forms = [
        DeclarationForm(id=uuid.uuid4(), declaration_id=declaration.id, kind="activite", site_id=SITE_A, site_name="A"),
        DeclarationForm(id=uuid.uuid4(), declaration_id=declaration.id, kind="activite", site_id=SITE_B, site_name="B"),
        DeclarationForm(id=uuid.uuid4(), declaration_id=declaration.id, kind="financier"),
    ]
    return Loaded(declaration, activity, campaign, forms)


def _result(form: str | None, site: str | None, status: str = "anomalie") -> dict:
    return {
        "cle": f"{form}-{site}",
        "id": "c",
        "severite": "blocking",
        "statut": status,
        "formulaire": form,
        "lieu": site,
        "libelle": f"contrôle {form} {site}",
        "message": "…",
        "a_justifier": False,
        "justification": None,
    }


RESULTS = [_result("activite", "A"), _result("activite", "B"), _result("financier", None), _result(None, None)]
SITE_A_FDA = Standing(roles=frozenset({("fda", SITE_A)}))


def test_only_a_provider_limited_to_some_sites_lacks_the_full_view():
    assert not SITE_A_FDA.full_view
    assert not Standing(roles=frozenset({("fda", SITE_A), ("fda", SITE_B)})).full_view
    for full in (
        Standing(roles=frozenset({("approbateur", None)})),
        Standing(roles=frozenset({("fdf", None)})),
        Standing(roles=frozenset({("fda", None)})),
        Standing(roles=frozenset({("fda", SITE_A), ("fdf", None)})),
        Standing(caf_roles=frozenset({"lecture"})),
        Standing(operator=True),
    ):
        assert full.full_view, full
    assert not Standing().full_view and not Standing(caf_roles=frozenset()).sees_anything


def test_a_site_provider_sees_its_own_forms_and_their_controls_only():
    loaded = _loaded()
    assert [SITE_A_FDA.sees(f) for f in loaded.forms] == [True, False, False]
    assert review.results_seen(loaded, RESULTS, SITE_A_FDA) == [RESULTS[0]]
    assert review.results_seen(loaded, RESULTS, Standing(roles=frozenset({("approbateur", None)}))) == RESULTS


def test_the_controls_view_of_a_site_provider_has_no_estimate_and_names_only_its_own_obstacles():
    loaded = _loaded()
    estimate = {"disponible": True, "montant": "12345.00"}
    view = review._view(loaded, review.Assessment(RESULTS, {}, estimate), SITE_A_FDA)
    assert view["controles"] == [RESULTS[0]]
    assert view["anomalies_bloquantes"] == 1
    assert view["estimation"]["disponible"] is False and "12345" not in str(view)
    assert view["transmissible"] is False
    assert all("(B)" not in o and "financières" not in o for o in view["obstacles"]), view["obstacles"]
    full = review._view(loaded, review.Assessment(RESULTS, {}, estimate), Standing(caf_roles=frozenset({"lecture"})))
    assert full["controles"] == RESULTS and full["estimation"] == estimate


def test_a_transmitted_version_read_by_a_site_provider_keeps_its_forms_only():
    loaded = _loaded()
    snapshot = {
        "declaration_id": str(loaded.declaration.id),
        "version": 1,
        "formulaires": [{"id": str(f.id), "type": f.kind, "lieu": f.site_name} for f in loaded.forms],
        "controles": RESULTS,
        "chiffres": {"total_charges": "78000"},
        "estimation": {"disponible": True, "montant": "12345.00"},
    }
    scoped = transmission._scoped(snapshot, loaded, SITE_A_FDA)
    assert [f["lieu"] for f in scoped["formulaires"]] == ["A"]
    assert scoped["controles"] == [RESULTS[0]]
    assert scoped["chiffres"] is None and scoped["estimation"]["disponible"] is False
    assert "78000" not in str(scoped) and "12345" not in str(scoped)
    assert transmission._scoped(snapshot, loaded, Standing(roles=frozenset({("fdf", None)}))) == snapshot
