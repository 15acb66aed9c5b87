"""The partner's payment dates on its « Messages, calendrier et paiements » page, through the gateway, as the Caf 92
calendar of seed 001 presents them: each payment of the schedule estimation keeps, with its rate and computation,
and its date of payment — the day it was paid, or the validation it waits for (« Dès validation de … par la Caf »)."""

from __future__ import annotations

import html
import re
import uuid

from afas_shared.testing.eaje import EAJE_ACTIVITY
from afas_shared.testing.fixtures import eventually
from tests.integration.test_declaration_journey import ADMIN, _eaje_declaration, _estimation, _fill
from tests.integration.test_web_pages import _sign_in


def _rows(page: str) -> list[list[str]]:
    section = page[page.index('id="paiements"') :]
    rows = re.findall(r"<tr>(.*?)</tr>", section, re.S)
    return [
        [html.unescape(re.sub(r"<[^>]+>", "", c)).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", r, re.S)]
        for r in rows
        if "<td" in r
    ]


async def test_the_partner_sees_each_payment_with_its_date_paid_or_planned(platform, catalogue, make_settings):
    declaration, headers = await _eaje_declaration(platform, catalogue)
    url = f"/api/v1/declarations/{declaration}"
    await _fill(platform, declaration, headers, activity={**EAJE_ACTIVITY, "heures_facturees": "63000"})
    async with _estimation(make_settings, platform) as estimation:
        controls = (await platform.client.post(f"{url}/controls", headers=headers[ADMIN])).json()
        assert controls["transmissible"] is True, controls
        sent = await platform.client.post(f"{url}/transmit", headers=headers[ADMIN], json={"signature": True})
        assert sent.status_code == 201, sent.text
        validated = await platform.client.post(f"{url}/validate", headers=catalogue.agent, json={})
        assert validated.status_code == 200, validated.text

        async def estimation_holds_the_validation() -> bool:
            from afas_estimation.adapters.tables import PaymentFact

            async with estimation.db.sessions() as session:
                return await session.get(PaymentFact, uuid.UUID(declaration)) is not None

        await eventually(estimation_holds_the_validation, timeout=15)
        await _sign_in(platform.client, ADMIN)
        page = await platform.client.get("/messages")
    assert page.status_code == 200
    assert "Date de versement" in page.text and "Taux et calcul" in page.text
    rows = {r[0]: r for r in _rows(page.text)}
    first = rows["1er acompte 2026"]
    assert first[2] == "Versé le 02/03/2026" and first[4] == "Versé" and first[1].startswith("35 % ×"), first
    assert rows["2e acompte 2026"][2] == "Versé le 02/03/2026"  # the first exercice here: both with the forecast
    balance = rows["Solde 2026"]
    assert balance[2] == "Dès validation de la déclaration réelle 2026 par la Caf" and balance[4] == "À venir"
    assert not any(r[2] in ("—", "", "Date non connue") for r in rows.values()), rows
