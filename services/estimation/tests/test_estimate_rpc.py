"""The estimate request over the bus: an explained amount, and French refusals for bad requests."""

from __future__ import annotations

import pytest

from afas_shared.messaging.rpc import RemoteError
from afas_shared.testing.eaje import PSU_FIGURES
from afas_shared.testing.fixtures import running
from services.estimation.tests.wire import on_the_wire

PSU_2026 = {
    "family": "eaje_psu",
    "nature": "multi_accueil",
    "declaration_type": "previsionnelle",
    "exercice": 2026,
    "caf_code": "921",
    "figures": PSU_FIGURES,
}


def estimate(runtime, **changes):
    return runtime.request("estimation", "estimate", on_the_wire("estimate", {**PSU_2026, **changes}))


async def test_estimate_over_request_reply(make_settings):
    async with running(make_settings("estimation")) as estimation:
        reply = await estimate(estimation)
        with pytest.raises(RemoteError) as missing:
            figures = {k: v for k, v in PSU_2026["figures"].items() if k not in ("places", "total_charges")}
            await estimate(estimation, figures=figures)
        with pytest.raises(RemoteError) as unknown:
            await estimate(estimation, family="creche_lunaire")
        with pytest.raises(RemoteError) as negative:
            figures = {**PSU_2026["figures"], "heures_realisees": "-3"}
            await estimate(estimation, figures=figures)
        with pytest.raises(RemoteError) as bad_type:
            await estimate(estimation, declaration_type="trimestrielle")
        with pytest.raises(RemoteError) as not_figures:
            await estimate(estimation, figures=["heures_realisees"])
        with pytest.raises(RemoteError) as bad_exercice:
            await estimate(estimation, exercice="deux mille")

    result = reply["result"]
    # 0.66 × 9.22 (2025 maximum ceiling, latest known) × 10000 − 20000 = 40852
    assert result["montant"] == "40852.00"
    assert result["provisoire"] is True and result["parametres_manquants"] == ["prix_plafond_maximum"]
    assert result["type_declaration"] == "previsionnelle" and result["caf_code"] == "921"
    assert result["entrees"]["heures_facturees"] == "10000"
    assert {p["nom"] for p in result["parametres"]} >= {"taux_ps", "prix_plafond_maximum"}
    assert all(s["libelle"] for s in result["etapes"])

    assert missing.value.error == "invalid"
    assert "places" in str(missing.value.detail) and "total_charges" in str(missing.value.detail)
    # a refusal names the request's field as it travels (the API's name), a figure by its form field id
    assert unknown.value.error == "invalid" and unknown.value.field == "famille"
    assert negative.value.field == "heures_realisees"
    assert (bad_type.value.field, not_figures.value.field, bad_exercice.value.field) == (
        "type_declaration",
        "valeurs",
        "exercice",
    )
