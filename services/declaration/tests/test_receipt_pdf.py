"""The PDF receipt of a transmitted declaration: its content in French (values, controls, estimate, signature)."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from afas_declaration.adapters.receipt_pdf import UNAVAILABLE_ESTIMATE, format_value, render_receipt
from services.declaration.tests.receipt_snapshot import HASH, flat, pages_text, snapshot, text_of


@pytest.fixture(scope="module")
def receipt() -> bytes:
    return render_receipt(snapshot())


def test_is_an_a4_pdf_with_the_title_and_headers(receipt: bytes):
    assert receipt.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(receipt))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)
    text = flat(receipt)
    assert "Accusé de réception de déclaration" in text
    for expected in (
        "La Caf de la Somme accuse réception",
        "Caf de la Somme (080)",
        "Commune d'Amiens (SIRET 21800021900004)",
        "Multi-accueil Les Lutins (n° EAJE0801)",
        "EAJE - PSU",
        "Multi-accueil",
        "Exercice 2026",
        "Prévisionnelle",
        "3f2b8c1e-5d1a-4a2b-9c3d-0123456789ab",
        "transmise le 10/02/2026 à 14:32:05 (heure de Paris)",
    ):
        assert expected in text, expected


def test_every_declared_value_is_printed_in_french_under_its_form_and_section(receipt: bytes):
    text = text_of(receipt)
    for expected in (
        "Données d'activité — Site A",
        "Capacité et ouverture",
        "Nombre de places agréées 40 places",
        "Heures facturées 61 234,50 h",
        "Taux d'occupation 107,00 %",
        "Repas fournis Oui",
        "Couches fournies Non",
        "Commentaire —",
        "Budget prévisionnel",
        "Charges",
        "60 - Achats 12 500,50 €",
        "64 - Charges de personnel -3,20 €",
    ):
        assert expected in text, expected
    assert text.index("Capacité et ouverture") < text.index("Nombre de places agréées") < text.index("60 - Achats")


def test_controls_show_their_status_message_and_justification(receipt: bytes):
    text = text_of(receipt)
    for expected in (
        "4 contrôles : 1 conforme, 3 anomalies, 0 non évalué.",
        "Taux de facturation Anomalie",
        "Contrôle de signalement",
        "Taux de facturation : 112,40 % mesuré, seuil 107 %",
        "Justification : Œuvre « exceptionnelle » de l’été : fermeture d’un site.",
        "Valeur justifiée : 112,40 %",
        "Valeur justifiée : 800,00 h",
        "Montant justifié : 1 200,00 €",
        "Équilibre du budget Conforme",
        "Contrôle bloquant — Lieu : Site A",
        "Le budget est équilibré.",
    ):
        assert expected in text, expected


def test_estimate_with_its_steps_and_parameters(receipt: bytes):
    text = text_of(receipt)
    for expected in (
        "Montant estimé : 123 456,78 €",
        "Prix de revient horaire 9,12 €/h",
        "Taux de prise en charge 66 % 01/01/2014 Circulaire Psu — Cnaf — 26/03/2014 — Circulaire Cnaf n° 2014-009",
        "Prix plafond horaire maximal 9,22 €/h 01/01/2025 Non sourcé — à confirmer par la Caf",
        "Prix plafond dégressif Oui 01/01/2025",
        "Bonus territoire non applicable : aucune place déclarée",
        "source publique n'a pas été trouvée",
    ):
        assert expected in flat(receipt), expected
    for wrong in ("True", "False", "/1", "0,66 /1", "taux_ps", "prix_plafond_maximum", "Montant justifié : 800"):
        assert wrong not in text, wrong
    assert "Paramètre Valeur En vigueur Provenance" in flat(receipt)  # the header wraps "depuis"
    assert "à confirmer par la Caf (valeur retenue à titre provisoire)" in flat(receipt)
    assert UNAVAILABLE_ESTIMATE not in text
    assert "(estimation provisoire)" not in text and "partiel" not in text
    provisional = text_of(render_receipt(snapshot(estimation={**snapshot()["estimation"], "provisoire": True})))
    assert "Montant estimé : 123 456,78 € (estimation provisoire)" in provisional
    partial = flat(
        render_receipt(
            snapshot(
                estimation={
                    **snapshot()["estimation"],
                    "partielle": True,
                    "parties_non_calculees": ["Bonus inclusion handicap"],
                }
            )
        )
    )
    assert "Montant estimé partiel : 123 456,78 €" in partial
    assert "ne couvre qu'une partie de la prestation" in partial
    assert "non calculé faute de données : Bonus inclusion handicap" in partial


def test_signature_statement_and_full_hash_on_the_last_lines(receipt: bytes):
    pages = pages_text(receipt)
    text = flat(receipt)
    assert "Ouverture d'une section de 6 places en septembre." in text
    statement = (
        "Déclaration signée électroniquement par Karim Benali (identifiant 200000002) "
        "le 10/02/2026 à 14:32:05 (heure de Paris)."
    )
    assert statement in text
    assert "Qualité du signataire : Approbateur" in text
    # The fingerprint is the last thing on the last page, before its footer only
    last_page_lines = [line for line in pages[-1].splitlines() if line.strip()]
    assert last_page_lines[-2] == HASH
    assert last_page_lines[-1].endswith(f"Page {len(pages)} / {len(pages)}")
    assert "Empreinte SHA-256 de la déclaration transmise (version 1) :" in last_page_lines[-3]


def test_the_time_is_printed_in_paris_whatever_the_offset_of_the_snapshot():
    text = flat(render_receipt(snapshot(transmise_le="2026-07-01T08:05:00+00:00")))
    assert "le 01/07/2026 à 10:05:00 (heure de Paris)" in text


@pytest.mark.parametrize(
    "estimation",
    [
        {"disponible": False, "message": "Estimation indisponible"},
        {"disponible": False, "message": "Le barème 2026 n'est pas encore publié."},
        {"disponible": True, "montant": None},
        None,
    ],
)
def test_unavailable_estimate_is_said_and_never_printed_as_zero(estimation):
    data = snapshot(estimation=estimation)
    if estimation is None:
        del data["estimation"]
    text = flat(render_receipt(data))
    assert UNAVAILABLE_ESTIMATE + "." in text
    assert "Montant estimé" not in text
    assert "0,00 €" not in text.replace("1 200,00 €", "").replace("12 500,50 €", "")
    if estimation and "barème" in (estimation.get("message") or ""):
        assert "Le barème 2026 n'est pas encore publié." in text


def test_a_minimal_snapshot_renders_with_dashes():
    text = text_of(render_receipt({"declaration_id": "d-1", "hash": HASH}))
    assert "Accusé de réception de déclaration" in text
    assert "Partenaire —" in text
    assert "Aucun contrôle n'a été exécuté sur cette déclaration." in text
    assert UNAVAILABLE_ESTIMATE in text
    assert "Informations complémentaires\nAucune." in text
    assert HASH in text


def test_text_is_printed_as_typed_and_unprintable_characters_do_not_break_the_pdf():
    typed = "Remarque {nb} : coût 5 € ; œuvre « Noël » l’hiver\tfin\x00\u200b — 漢"
    text = text_of(render_receipt(snapshot(informations_complementaires=typed)))
    assert "Remarque {nb} : coût 5 € ; œuvre « Noël » l’hiver    fin — " in text
    # A character absent from the font is shown, not silently dropped
    assert "fin — ?" in text


@pytest.mark.parametrize(
    ("value", "field_type", "unit", "expected"),
    [
        ("12500.50", "euros", "€", "12\u00a0500,50\u00a0€"),
        ("12500.5", "euros", None, "12\u00a0500,50\u00a0€"),
        ("107", "percent", "%", "107,00\u00a0%"),
        ("1234567.891", "hours", None, "1\u00a0234\u00a0567,89\u00a0h"),
        ("-1234.5", "decimal", None, "-1\u00a0234,50"),
        ("40", "integer", "places", "40\u00a0places"),
        (3, "integer", None, "3"),
        ("0", "euros", "€", "0,00\u00a0€"),
        (True, "boolean", None, "Oui"),
        ("false", "boolean", None, "Non"),
        (None, "euros", "€", "—"),
        ("", "text", None, "—"),
        ("Texte libre", "text", None, "Texte libre"),
        ("n/a", "euros", "€", "n/a"),
    ],
)
def test_format_value(value, field_type, unit, expected):
    assert format_value(value, field_type, unit) == expected
