"""Pièces justificatives through the gateway: providers and the approbateur attach files (to the declaration, to a
flagged control's justification), the transmitted version freezes them (name, size, SHA-256 in the snapshot and on
the PDF receipt), and everyone who sees the declaration downloads them — stored in JetStream's Object Store.

Nothing half-stored: an upload cut short after its object was stored, or in the middle of its chunks, is never
listed, and the sweep removes what it left once the grace period is over."""

from __future__ import annotations

import hashlib
import io
import re
import uuid
from datetime import timedelta

import nats
import pypdf
import sqlalchemy as sa

from afas_declaration.adapters.spreadsheet import Table, csv_bytes, xlsx_bytes
from afas_declaration.application import attachments
from afas_shared.testing.fixtures import eventually
from tests.integration.test_declaration_journey import ADMIN, KARIM, SOPHIE, _eaje_declaration, _estimation, _fill

PDF = b"%PDF-1.7\n" + b"% bilan d'activite 2026\n" * 40 + b"%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 700  # two chunks of the store's 128 KiB
CSV = csv_bytes(Table("Heures", ["Mois", "Heures facturées"], [["janvier", 5200], ["février", 5100]]))
XLSX = xlsx_bytes([Table("Budget", ["Poste", "Montant"], [["Personnel", 180000]])])

MEDIA_TYPES = {
    "PDF": "application/pdf",
    "PNG": "image/png",
    "CSV": "text/csv",
    "XLSX": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def files(name: str, content: bytes, **fields: str) -> dict:
    return {"files": {"fichier": (name, content, "application/octet-stream")}, "data": fields}


async def test_attached_files_are_frozen_with_the_transmitted_version_and_downloaded_as_sent(
    platform, catalogue, make_settings
):
    declaration, headers = await _eaje_declaration(platform, catalogue)
    url = f"/api/v1/declarations/{declaration}/pieces-jointes"
    client, approbateur = platform.client, headers[ADMIN]
    await _fill(platform, declaration, headers)

    # A provider attaches a PDF; the approbateur an image named .pdf: its real kind decides its type and extension
    bilan = await client.post(url, headers=headers[KARIM], **files("Bilan 2026.pdf", PDF))
    assert bilan.status_code == 201, bilan.text
    assert {k: bilan.json()[k] for k in ("nom", "type", "taille", "sha256", "controle", "lieu")} == {
        "nom": "Bilan 2026.pdf",
        "type": "PDF",
        "taille": len(PDF),
        "sha256": hashlib.sha256(PDF).hexdigest(),
        "controle": None,
        "lieu": None,
    }
    assert bilan.json()["deposee_par"] and bilan.json()["deposee_le"].startswith("2026-03-02T09:00:00")
    photo = await client.post(url, headers=approbateur, **files("planning.pdf", PNG))
    assert (photo.status_code, photo.json()["type"], photo.json()["nom"]) == (201, "PNG", "planning.png")
    budget = await client.post(url, headers=headers[SOPHIE], **files("budget.xlsx", XLSX))
    assert budget.status_code == 201 and budget.json()["type"] == "XLSX", budget.text

    # Refused: another kind of content (415), a file beyond the limit (413), each in French and naming the limit
    program = await client.post(url, headers=approbateur, **files("facture.pdf", b"MZ\x90\x00" + bytes(100)))
    assert program.status_code == 415 and "PDF, PNG, JPEG, XLSX, ODS ou CSV" in program.json()["detail"]
    limit = platform.gateway.settings.attachment_max_bytes
    huge = await client.post(url, headers=approbateur, **files("scan.pdf", PDF + bytes(limit)))
    assert huge.status_code == 413 and "10 Mo au plus" in huge.json()["detail"], huge.text
    boundary = "frontiere-afas"

    async def unannounced():  # sent without a Content-Length (chunked): counted as it arrives
        yield f'--{boundary}\r\nContent-Disposition: form-data; name="fichier"; filename="gros.pdf"\r\n\r\n'.encode()
        for _ in range(limit // (1024 * 1024) + 2):
            yield b"%PDF" * (256 * 1024)
        yield f"\r\n--{boundary}--\r\n".encode()

    multipart = {**approbateur, "Content-Type": f"multipart/form-data; boundary={boundary}"}
    chunked = await client.post(url, headers=multipart, content=unannounced())
    assert chunked.status_code == 413 and "10 Mo au plus" in chunked.json()["detail"], chunked.text
    empty = await client.post(url, headers=approbateur, data={"lieu": ""})
    assert empty.status_code == 422
    two = [("fichier", ("a.pdf", PDF, "application/pdf")), ("fichier", ("b.pdf", PDF, "application/pdf"))]
    doubled = await client.post(url, headers=approbateur, files=two)
    assert doubled.status_code == 422 and "un seul par envoi" in doubled.text
    # Withdrawn before transmission by its author (or the approbateur), not by another provider
    wrong = await client.post(url, headers=headers[KARIM], **files("erreur.pdf", PDF))
    assert (await client.delete(wrong.json()["lien"], headers=headers[SOPHIE])).status_code == 403
    assert (await client.delete(wrong.json()["lien"], headers=headers[KARIM])).status_code == 204
    assert (await client.get(wrong.json()["lien"], headers=headers[KARIM])).status_code == 404
    assert (await client.delete(wrong.json()["lien"], headers=headers[KARIM])).status_code == 404
    # A Caf agent sees the declaration but attaches nothing (its exchanges are the thread's)
    assert (await client.post(url, headers=catalogue.agent, **files("x.pdf", PDF))).status_code == 403

    async with _estimation(make_settings, platform):
        controls = (await client.post(f"/api/v1/declarations/{declaration}/controls", headers=approbateur)).json()
        [key] = [c["cle"] for c in controls["controles"] if c["a_justifier"]]
        unknown = await client.post(url, headers=approbateur, **files("x.csv", CSV, controle="pas_un_controle"))
        assert unknown.status_code == 404
        proof = await client.post(url, headers=approbateur, **files("heures.csv", CSV, controle=key))
        assert proof.status_code == 201 and proof.json()["controle"] == key, proof.text
        justified = await client.put(
            f"/api/v1/declarations/{declaration}/justifications/{key}",
            headers=approbateur,
            json={"texte": "Facturation au contrat mensualisé, relevé des heures joint.", "montant": "6000"},
        )
        assert justified.status_code == 200, justified.text
        sent = await client.post(
            f"/api/v1/declarations/{declaration}/transmit", headers=approbateur, json={"signature": True}
        )
        assert sent.status_code == 201, sent.text

    listed = (await client.get(url, headers=catalogue.agent)).json()
    # oldest first (one instant on this test's clock: then by name)
    assert [f["nom"] for f in listed] == ["Bilan 2026.pdf", "budget.xlsx", "heures.csv", "planning.png"]
    contents = {"Bilan 2026.pdf": PDF, "planning.png": PNG, "budget.xlsx": XLSX, "heures.csv": CSV}

    # Frozen: the snapshot records each file's name, size and SHA-256; the receipt prints them
    snapshot = (await client.get(f"/api/v1/declarations/{declaration}/versions/1", headers=approbateur)).json()
    frozen = {f["nom"]: (f["taille"], f["sha256"]) for f in snapshot["pieces_jointes"]}
    assert frozen == {name: (len(c), hashlib.sha256(c).hexdigest()) for name, c in contents.items()}

    async def rendered():  # a loaded box may take longer than the download's wait (503 « en préparation »)
        answer = await client.get(sent.json()["accuse_reception"], headers=approbateur)
        return answer if answer.status_code == 200 else None

    pdf = await eventually(rendered, timeout=60)
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf.content)).pages).replace("\n", " ")
    assert "Pièces justificatives" in text
    for name, content in contents.items():
        assert name in text and hashlib.sha256(content).hexdigest() in text.replace(" ", ""), name
    late = await client.post(url, headers=approbateur, **files("oubli.pdf", PDF))
    assert late.status_code == 409 and "figées" in late.json()["detail"]
    assert (await client.delete(listed[0]["lien"], headers=approbateur)).status_code == 409

    # Downloaded as sent, under its real type, by the Caf and by the partner alike
    for listing in listed:
        for reader in (catalogue.agent, headers[KARIM]):
            got = await client.get(listing["lien"], headers=reader)
            assert got.status_code == 200 and got.content == contents[listing["nom"]], listing
        assert "attachment;" in got.headers["content-disposition"]
        assert got.headers["content-type"].split(";")[0] == MEDIA_TYPES[listing["type"]]
    stranger = await client.get(listed[0]["lien"].replace(declaration, "00000000-0000-4000-8000-000000000000"))
    assert stranger.status_code == 401
    absent = listed[0]["lien"].rsplit("/", 1)[0] + "/00000000-0000-4000-8000-000000000000"
    assert (await client.get(absent, headers=approbateur)).status_code == 404


async def test_an_upload_cut_short_is_never_listed_and_the_sweep_removes_what_it_left(platform, catalogue):
    declaration, headers = await _eaje_declaration(platform, catalogue)
    runtime, url = platform.gateway, f"/api/v1/declarations/{declaration}/pieces-jointes"
    store = attachments.store_of(runtime)
    kept = await platform.client.post(url, headers=headers[ADMIN], **files("garde.pdf", PDF))
    assert kept.status_code == 201

    # The process died after storing the object, before its row: the upload's note is all that names it
    from afas_declaration.adapters.tables import AttachmentUpload

    orphan = "11111111-1111-4111-8111-111111111111"
    await store.put(orphan, PDF)
    async with runtime.unit_of_work() as uow:
        uow.session.add(AttachmentUpload(id=uuid.UUID(orphan), started_at=platform.clock.now()))
    # ... and another died in the middle of its chunks: chunks no metadata names
    nc = await nats.connect(platform.nats_url)
    try:
        js = nc.jetstream()
        for part in range(3):
            await js.publish(f"$O.{store.bucket}.C.NUIDOFAPUTCUTSHORT", bytes([part]) * 1000)
    finally:
        await nc.close()
    listed = (await platform.client.get(url, headers=headers[ADMIN])).json()
    assert [f["nom"] for f in listed] == ["garde.pdf"]

    # Within the grace period nothing is touched (an upload may still be under way)
    assert await attachments.sweep(runtime) == 0
    assert await store.get(orphan) == PDF
    platform.clock.advance(timedelta(seconds=runtime.settings.attachment_orphan_grace_seconds + 1))
    assert await attachments.sweep(runtime) == 1  # the note's object; the stray chunks are younger than the grace
    assert await store.sweep_stray_chunks(timedelta(0)) == 1
    js = runtime.bus.jetstream()
    chunks = (await js.stream_info(store.stream, subjects_filter=f"$O.{store.bucket}.C.>")).state.subjects or {}
    metas = (await js.stream_info(store.stream, subjects_filter=f"$O.{store.bucket}.M.>")).state.subjects or {}
    assert len(chunks) == len(metas) == 1  # the listed file's, nothing else
    async with runtime.db.sessions() as session:
        assert (await session.execute(sa.select(sa.func.count()).select_from(AttachmentUpload))).scalar_one() == 0
    got = await platform.client.get(listed[0]["lien"], headers=await platform.login(KARIM))  # an hour later
    assert got.status_code == 200 and got.content == PDF


async def test_the_pages_upload_form_checks_its_csrf_and_its_limit_and_the_caf_sees_the_frozen_files(
    platform, catalogue, make_settings
):
    declaration, headers = await _eaje_declaration(platform, catalogue)
    client, approbateur = platform.client, headers[ADMIN]
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', (await client.get("/accueil", headers=approbateur)).text)
    page_url = f"/declarations/{declaration}/pieces-jointes"

    forged = await client.post(page_url, headers=approbateur, **files("bilan.pdf", PDF, csrf="faux"))
    assert forged.status_code == 403
    limit = platform.gateway.settings.attachment_max_bytes
    huge = await client.post(page_url, headers=approbateur, **files("scan.pdf", PDF + bytes(limit), csrf=csrf[1]))
    assert huge.status_code == 413 and "10 Mo au plus" in huge.text and "Revenir à la page précédente" in huge.text
    sent = await client.post(page_url, headers=approbateur, **files("bilan.pdf", PDF, csrf=csrf[1]))
    assert sent.status_code == 303 and sent.headers["location"].endswith(f"/declarations/{declaration}#pieces-jointes")
    page = await client.get(f"/declarations/{declaration}", headers=headers[KARIM])
    assert "bilan.pdf" in page.text and 'enctype="multipart/form-data"' in page.text

    # Transmitted: the Caf's instruction page lists the version's files with their SHA-256 and download links
    await _fill(platform, declaration, headers)
    async with _estimation(make_settings, platform):
        controls = (await client.post(f"/api/v1/declarations/{declaration}/controls", headers=approbateur)).json()
        for key in [c["cle"] for c in controls["controles"] if c["a_justifier"]]:
            justification = {"texte": "Facturation au contrat mensualisé des familles.", "montant": "6000"}
            await client.put(f"/api/v1/declarations/{declaration}/justifications/{key}", headers=approbateur,
                             json=justification)  # fmt: skip
        sent = await client.post(
            f"/api/v1/declarations/{declaration}/transmit", headers=approbateur, json={"signature": True}
        )
        assert sent.status_code == 201, sent.text
    instruction = await client.get(f"/caf/instruction/{declaration}", headers=catalogue.agent)
    assert instruction.status_code == 200 and "Pièces justificatives de la version 1" in instruction.text
    assert hashlib.sha256(PDF).hexdigest() in instruction.text and f"{page_url}/" in instruction.text
    assert (
        'enctype="multipart/form-data"'
        not in (await client.get(f"/declarations/{declaration}", headers=approbateur)).text
    )
