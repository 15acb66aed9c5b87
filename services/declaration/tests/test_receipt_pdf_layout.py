"""The PDF receipt of a transmitted declaration: long content wraps and paginates, the same snapshot gives the same
bytes."""

from __future__ import annotations

import copy
import hashlib
import io
import json
import os
import subprocess
import sys
from datetime import UTC, datetime

from pypdf import PdfReader

from afas_declaration.adapters.receipt_pdf import render_receipt
from services.declaration.tests.receipt_snapshot import HASH, pages_text, snapshot


def test_two_hundred_fields_and_long_texts_wrap_and_paginate():
    fields = [
        {
            "id": f"champ_{i}",
            "libelle": f"Champ numéro {i} : " + "libellé long " * (i % 7),
            "valeur": f"{i}000.5",
            "unite": "€",
            "type": "euros",
        }
        for i in range(200)
    ]
    long_text = "Une très longue explication, répétée pour dépasser une page. " * 400
    fields.append({"id": "texte", "libelle": "Texte très long", "valeur": long_text, "type": "text"})
    fields.append({"id": "mot", "libelle": "Mot sans espace", "valeur": "x" * 700, "type": "text"})
    data = snapshot(
        formulaires=[
            {
                "type": "financier",
                "titre": "Compte de résultat",
                "lieu": None,
                "sections": [{"libelle": "Tout", "champs": fields}],
            }
        ],
        informations_complementaires=long_text,
    )
    data["controles"][0]["justification"]["texte"] = long_text
    pdf = render_receipt(data)
    pages = pages_text(pdf)
    text = "\n".join(pages)
    assert len(pages) > 8
    for i in (0, 57, 123, 199):
        assert f"Champ numéro {i} :" in text
    assert "199 000,50 €" in text
    assert "".join(text.split()).count("x" * 700) == 1  # wrapped, never cut
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} / {len(pages)}" in page
    assert HASH in pages[-1]


def test_same_snapshot_same_bytes_and_dated_by_the_transmission():
    first, second = render_receipt(snapshot()), render_receipt(copy.deepcopy(snapshot()))
    assert first == second
    # PDF/A keeps the document's metadata in XMP (receipt_archive): every date is the transmission's
    metadata = PdfReader(io.BytesIO(first)).xmp_metadata
    created = metadata.xmp_create_date
    assert (created if created.tzinfo else created.replace(tzinfo=UTC)) == datetime(2026, 2, 10, 13, 32, 5, tzinfo=UTC)
    assert metadata.xmp_modify_date == metadata.xmp_create_date == metadata.xmp_metadata_date
    assert metadata.dc_title == {"x-default": "Accusé de réception de déclaration — Multi-accueil Les Lutins — 2026"}
    assert render_receipt(snapshot(hash="0" * 64)) != first


def test_same_bytes_in_another_process_with_another_hash_seed():
    # set and dict iteration orders change with the hash seed: the bytes must not
    data = json.dumps(snapshot())
    code = (
        "import hashlib, json, sys\n"
        "from afas_declaration.adapters.receipt_pdf import render_receipt\n"
        "print(hashlib.sha256(render_receipt(json.loads(sys.stdin.read()))).hexdigest())\n"
    )
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    done = subprocess.run(
        [sys.executable, "-c", code], input=data, capture_output=True, text=True, env=env, check=True, timeout=120
    )
    assert done.stdout.strip() == hashlib.sha256(render_receipt(json.loads(data))).hexdigest()


def test_lines_break_where_fpdf2_multi_cell_breaks_them():
    # The receipt breaks its lines itself (fpdf2's line breaking re-measures the line for each character): the
    # same lines as fpdf2's multi_cell, in both styles and sizes, for words, long words, spaces at the edge and
    # newlines
    from fpdf.enums import MethodReturnValue

    from afas_declaration.adapters.receipt_page import ReceiptPage

    page = ReceiptPage(snapshot())
    page.add_page()
    texts = [
        "",
        "Court",
        "Une très longue explication, répétée pour dépasser une ligne. " * 9,
        "x" * 300,
        "mot " + "y" * 150 + " fin",
        "a\n",
        "a\n\nb\n",
        "\n",
        "Espaces    multiples   " * 12,
        "Œuvre « l’été » — 1\u00a0250,00\u00a0€ ; " * 10,
        "bord" + " " * 80 + "suite",
    ]
    for bold, size in ((False, 9.0), (True, 12.0), (False, 7.5)):
        page.font(bold=bold, size=size)
        for width in (30.0, 61.3, page.epw):
            for text in texts:
                expected = page.multi_cell(width, 4.6, text, dry_run=True, output=MethodReturnValue.LINES) or [""]
                # fpdf2 returns its lines' non-breaking spaces as spaces (it draws them as typed, as the receipt does)
                ours = [line.replace("\u00a0", " ") for line in page._lines(text, width)]
                assert ours == expected, (bold, size, width, text)
