"""The receipt's « Pièces justificatives »: each frozen file with its size, its author and its full SHA-256; a version
transmitted before files existed prints no such section (its receipt stays the same bytes)."""

from __future__ import annotations

import hashlib

from afas_declaration.adapters.receipt_pdf import render_receipt
from services.declaration.tests.receipt_snapshot import flat, snapshot

RELEVE, BILAN = hashlib.sha256(b"releve").hexdigest(), hashlib.sha256(b"bilan").hexdigest()
FILES = [
    {"id": "1", "nom": "relevé-heures.csv", "type": "CSV", "taille": 18_432, "sha256": RELEVE,
     "controle": "taux_facturation", "lieu": None, "lieu_id": None, "deposee_par": "Claire Martin",
     "deposee_le": "2027-01-10T14:05:12+01:00"},
    {"id": "2", "nom": "Bilan 2026.pdf", "type": "PDF", "taille": 2_500_000, "sha256": BILAN, "controle": None,
     "lieu": "École Jules Ferry", "lieu_id": "5", "deposee_par": "Karim Benali",
     "deposee_le": "2027-01-10T14:06:00+01:00"},
]  # fmt: skip


def test_each_frozen_file_is_printed_with_its_size_author_and_full_hash():
    text = flat(render_receipt(snapshot(pieces_jointes=FILES)))
    assert "Pièces justificatives" in text and "2 pièces jointes, identifiées par leur empreinte" in text
    assert "relevé-heures.csv" in text and "CSV — 18 Ko" in text and "Justification d'un contrôle" in text
    assert "Bilan 2026.pdf" in text and "PDF — 2,4 Mo" in text and "Lieu : École Jules Ferry" in text
    assert "Déposée par Karim Benali" in text
    compact = text.replace(" ", "")
    assert RELEVE in compact and BILAN in compact


def test_no_file_says_so_and_an_older_snapshot_has_no_section():
    assert "Aucune pièce justificative jointe." in flat(render_receipt(snapshot(pieces_jointes=[])))
    assert "Pièces justificatives" not in flat(render_receipt(snapshot()))
