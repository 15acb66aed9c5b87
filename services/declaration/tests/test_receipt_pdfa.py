"""The receipt is an archival, tagged PDF: PDF/A-2U with every font embedded, XMP metadata, an sRGB output intent,
and a structure tree of headings, paragraphs and tables (checked by ``pdfa_checks`` with qpdf, see there why)."""

from __future__ import annotations

import io
from collections import Counter
from datetime import UTC, datetime

import pikepdf
from fpdf import FPDF

from afas_declaration.adapters.receipt_pdf import render_receipt
from services.declaration.tests.pdfa_checks import NS, elements, problems, xmp
from services.declaration.tests.receipt_snapshot import pages_text, snapshot


def _long_snapshot() -> dict:
    """Tables and paragraphs over many pages: a paragraph and a row each continue on the next page."""
    fields = [
        {"id": f"champ_{i}", "libelle": f"Champ {i}", "valeur": f"{i}000.5", "unite": "€", "type": "euros"}
        for i in range(120)
    ]
    long_text = "Une très longue explication, répétée pour dépasser une page. " * 300
    fields.append({"id": "texte", "libelle": "Texte très long", "valeur": long_text, "type": "text"})
    return snapshot(
        formulaires=[{"type": "financier", "titre": "Compte de résultat", "sections": [{"champs": fields}]}],
        informations_complementaires=long_text,
    )


def test_the_receipt_passes_the_pdfa_2u_and_tagged_pdf_checks():
    for data in (render_receipt(snapshot()), render_receipt(_long_snapshot())):
        assert problems(data) == []
    assert len(pages_text(render_receipt(_long_snapshot()))) > 5


def test_metadata_fonts_and_output_intent():
    data = render_receipt(snapshot())
    assert data.startswith(b"%PDF-1.7")
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert pdf.open_metadata().pdfa_status == "2U"
        tree = xmp(pdf)
        created = datetime.fromisoformat(tree.findtext(".//xmp:CreateDate", namespaces=NS))
        assert created == datetime(2026, 2, 10, 13, 32, 5, tzinfo=UTC)  # the transmission, never the clock
        assert tree.findtext(".//dc:language/rdf:Bag/rdf:li", namespaces=NS) == "fr-FR"
        assert str(pdf.Root.Lang) == "fr-FR" and bool(pdf.Root.ViewerPreferences.DisplayDocTitle)
        intent = pdf.Root.OutputIntents[0]
        assert str(intent.OutputConditionIdentifier) == "sRGB"
        fonts = {str(f.BaseFont).split("+")[-1] for p in pdf.pages for f in p.Resources.Font.values()}
        # the fingerprint too is in an embedded font: no Courier left
        assert fonts == {"DejaVuSansBook", "DejaVuSansBold"}


def test_headings_paragraphs_and_tables_are_tagged():
    with pikepdf.open(io.BytesIO(render_receipt(snapshot()))) as pdf:
        found = list(elements(pdf))
        roles = Counter(str(e.S) for e in found)
        assert [str(e.S) for e in found[:2]] == ["/Document", "/H1"]  # the title first
        assert roles["/H1"] == 1 and roles["/H2"] >= 5 and roles["/H3"] >= 1 and roles["/P"] >= 5
        assert roles["/Table"] >= 2 and roles["/TR"] >= 10
        for element in found:
            kids = [k for k in element.get("/K", []) if isinstance(k, pikepdf.Dictionary) and "/S" in k]
            if element.S == "/Table":
                assert kids and all(k.S == "/TR" for k in kids)
            if element.S == "/TR":
                assert kids and all(k.S in ("/TH", "/TD") for k in kids)
                assert element.P.S == "/Table"
            if element.S == "/TH":
                assert str(element.A.Scope) in ("/Row", "/Column")
        # the parameters' table opens with a row of column headers
        header_rows = [e for e in found if e.S == "/TR" and all(k.S == "/TH" for k in e.K)]
        assert header_rows and all(str(k.A.Scope) == "/Column" for k in header_rows[0].K)


def test_the_checks_report_a_plain_pdf_and_a_receipt_stripped_of_its_marks():
    plain = FPDF()
    plain.add_page()
    plain.set_font("Courier", size=12)
    plain.cell(0, 10, "Accusé de réception")
    found = "\n".join(problems(bytes(plain.output())))
    for expected in ("standard font Courier", "no XMP metadata", "output intents", "no structure tree"):
        assert expected in found

    with pikepdf.open(io.BytesIO(render_receipt(snapshot()))) as pdf:
        del pdf.Root["/MarkInfo"]
        first = pdf.pages[0]
        first.contents_add(b"BT /F1 9 Tf 10 10 Td (hors structure) Tj ET", prepend=False)
        out = io.BytesIO()
        pdf.save(out)
    found = "\n".join(problems(out.getvalue()))
    assert "/MarkInfo" in found and "page 1: text shown outside any tagged or artifact sequence" in found
