"""Helpers of the Caf's page tests: a declaration transmitted through the API, a page's text, an XLSX's sheets.

Shared by ``test_web_caf_pages.py`` and ``test_web_caf_campaigns_partners_baremes.py``.
"""

from __future__ import annotations

import html
import io
import re
import zipfile
from xml.etree import ElementTree

from tests.integration.test_declaration_journey import ACTIVITY, ADMIN, _eaje_declaration, _fill

AGENT = "100000001"
MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


def _text(page: str) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


async def _transmitted(platform, catalogue, activity=ACTIVITY) -> tuple[str, dict]:
    """The EAJE declaration filled, controlled, justified and transmitted through the API (version 1)."""
    declaration, headers = await _eaje_declaration(platform, catalogue)
    await _transmit(platform, declaration, headers, activity)
    return declaration, headers


async def _transmit(platform, declaration, headers, activity=ACTIVITY) -> None:
    await _fill(platform, declaration, headers, activity=activity)
    url = f"/api/v1/declarations/{declaration}"
    controls = await platform.client.post(f"{url}/controls", headers=headers[ADMIN])
    assert controls.status_code == 200, controls.text
    for c in controls.json()["controles"]:
        if c["a_justifier"] and not c["justification"]:
            justified = await platform.client.put(
                f"{url}/justifications/{c['cle']}",
                headers=headers[ADMIN],
                json={
                    "texte": "Facturation au contrat mensualisé des familles, absences non déduites.",
                    "montant": "6000",
                },
            )
            assert justified.status_code == 200, justified.text
    sent = await platform.client.post(f"{url}/transmit", headers=headers[ADMIN], json={"signature": True})
    assert sent.status_code == 201, sent.text


def _xlsx(content: bytes) -> dict[str, list[list[str]]]:
    """Each sheet's rows as text, read with zipfile and the sheet XML only."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert archive.testzip() is None
        assert "[Content_Types].xml" in archive.namelist()
        names = [s.get("name") for s in ElementTree.fromstring(archive.read("xl/workbook.xml")).iter(f"{MAIN}sheet")]
        sheets = {}
        for i, name in enumerate(names, start=1):
            root = ElementTree.fromstring(archive.read(f"xl/worksheets/sheet{i}.xml"))
            sheets[name] = [["".join(c.itertext()) for c in row.iter(f"{MAIN}c")] for row in root.iter(f"{MAIN}row")]
    return sheets
