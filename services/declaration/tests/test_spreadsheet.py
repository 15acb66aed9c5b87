"""The downloadable tables, opened as a spreadsheet program reads them: the workbook's XML parts (cell types, number
formats, column widths, frozen and bold header, one sheet per table) and the CSV (one table, French notation)."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date, timedelta
from decimal import Decimal
from xml.etree import ElementTree

from afas_declaration.adapters.spreadsheet import Percent, Table, csv_bytes, xlsx_bytes
from afas_declaration.gateway.web.caf_campaign_exports import export_tables

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"

PROGRESS = {
    "campagne": {
        "id": "c1",
        "caf": "080",
        "type_activite": "eaje_psu",
        "exercice": 2026,
        "type_declaration": "previsionnelle",
        "type_declaration_libelle": "Prévisionnelle",
        "date_ouverture": "2026-01-15",
        "date_limite": "2026-03-31",
    },
    "activites": 2,
    "declarees": 1,
    "declarations": 2,
    "taux_declaration": 50,
    "par_etat": [{"etat": "transmise", "libelle": "Transmise Caf", "nombre": 1}],
    "lignes": [
        {
            "activite": "Multi-accueil Les Lucioles",
            "nature": "multi_accueil",
            "partenaire": "Commune d'Amiens",
            "etat_libelle": "Transmise Caf",
            "declaree": True,
        },
        {
            "activite": "Crèche familiale Les Hirondelles du quartier Saint-Leu",
            "nature": "creche_familiale",
            "partenaire": "Commune d'Amiens",
            "etat_libelle": "À saisir",
            "declaree": False,
        },
    ],
}


class Workbook:
    """The parts of an .xlsx a test reads: sheets by name, cell styles, number formats."""

    def __init__(self, content: bytes) -> None:
        self.archive = zipfile.ZipFile(io.BytesIO(content))
        assert self.archive.testzip() is None
        workbook = ElementTree.fromstring(self.archive.read("xl/workbook.xml"))
        self.names = [s.get("name") for s in workbook.iter(f"{MAIN}sheet")]
        styles = ElementTree.fromstring(self.archive.read("xl/styles.xml"))
        self.formats = {int(f.get("numFmtId")): f.get("formatCode") for f in styles.iter(f"{MAIN}numFmt")}
        fonts = list(styles.find(f"{MAIN}fonts"))
        self.bold_fonts = {i for i, font in enumerate(fonts) if font.find(f"{MAIN}b") is not None}
        self.xfs = list(styles.find(f"{MAIN}cellXfs"))

    def sheet(self, name: str) -> ElementTree.Element:
        return ElementTree.fromstring(self.archive.read(f"xl/worksheets/sheet{self.names.index(name) + 1}.xml"))

    def cell(self, name: str, ref: str) -> ElementTree.Element:
        return next(c for c in self.sheet(name).iter(f"{MAIN}c") if c.get("r") == ref)

    def number_format(self, cell: ElementTree.Element) -> int:
        return int(self.xfs[int(cell.get("s", "0"))].get("numFmtId"))

    def is_bold(self, cell: ElementTree.Element) -> bool:
        return int(self.xfs[int(cell.get("s", "0"))].get("fontId")) in self.bold_fonts


def test_the_campaign_workbook_has_a_sheet_per_table_with_typed_cells_labels_and_a_frozen_bold_header():
    book = Workbook(xlsx_bytes(list(export_tables(PROGRESS).values())))
    assert book.names == ["Synthèse", "Déclarations par état", "Activités"]

    # Dates: a number (days since 30/12/1899) shown dd/mm/yyyy whatever the reader's locale
    opening = book.cell("Synthèse", "G2")
    assert opening.get("t") is None and date(1899, 12, 30) + timedelta(days=int(opening.findtext(f"{MAIN}v"))) == (
        date(2026, 1, 15)
    )
    assert book.formats[book.number_format(opening)] == "dd/mm/yyyy"
    # Whole numbers and the rate: numbers, the rate as a fraction shown in percent (built-in format 10: 0.00%)
    exercise, rate = book.cell("Synthèse", "E2"), book.cell("Synthèse", "K2")
    assert exercise.get("t") is None and exercise.findtext(f"{MAIN}v") == "2026"
    assert rate.get("t") is None and Decimal(rate.findtext(f"{MAIN}v")) == Decimal("0.5")
    assert book.number_format(rate) == 10
    # Labels, not codes
    assert book.cell("Synthèse", "B2").findtext(f".//{MAIN}t") == "Caf de la Somme"
    assert book.cell("Synthèse", "D2").findtext(f".//{MAIN}t") == "EAJE - PSU"
    assert book.cell("Activités", "B2").findtext(f".//{MAIN}t") == "Multi-accueil"
    assert book.cell("Activités", "B3").findtext(f".//{MAIN}t") == "Crèche familiale"

    for name in book.names:
        sheet = book.sheet(name)
        pane = sheet.find(f"{MAIN}sheetViews/{MAIN}sheetView/{MAIN}pane")
        assert (pane.get("state"), pane.get("ySplit"), pane.get("topLeftCell")) == ("frozen", "1", "A2"), name
        header = [c for c in sheet.iter(f"{MAIN}c") if c.get("r").endswith("1") and c.get("r")[1:] == "1"]
        assert header and all(book.is_bold(c) for c in header), name
        assert not any(book.is_bold(c) for c in sheet.iter(f"{MAIN}c") if c.get("r")[1:] == "2"), name
        rows = len(list(sheet.iter(f"{MAIN}row")))
        assert sheet.find(f"{MAIN}autoFilter").get("ref") == f"A1:{chr(64 + len(header))}{rows}", name
        widths = [float(col.get("width")) for col in sheet.iter(f"{MAIN}col")]
        assert len(widths) == len(header) and all(8 <= w <= 60 for w in widths), name
    activity_widths = [float(col.get("width")) for col in book.sheet("Activités").iter(f"{MAIN}col")]
    # The longest activity name sets its column's width; « Déclarée » (Oui/Non) keeps a narrow one
    assert activity_widths[0] >= len("Crèche familiale Les Hirondelles du quartier Saint-Leu")
    assert activity_widths[-1] < 15


def test_decimals_are_numbers_with_two_decimals_and_text_is_never_a_formula():
    table = Table("Montants", ["Libellé", "Montant"], [["=SOMME(A1)", Decimal("12500.50")], [None, 3.25]])
    book = Workbook(xlsx_bytes([table]))
    amount = book.cell("Montants", "B2")
    assert amount.get("t") is None and amount.findtext(f"{MAIN}v") == "12500.50" and book.number_format(amount) == 4
    formula = book.cell("Montants", "A2")
    assert formula.get("t") == "inlineStr" and formula.find(f"{MAIN}f") is None
    assert book.cell("Montants", "B3").findtext(f"{MAIN}v") == "3.25"


def test_a_csv_holds_one_table_in_french_notation():
    table = Table(
        "Synthèse",
        ["Libellé", "Date", "Montant", "Taux", "Nombre"],
        [["=1+1", date(2026, 3, 31), Decimal("12500.50"), Percent(87.5), 3]],
    )
    rows = list(csv.reader(io.StringIO(csv_bytes(table).decode("utf-8-sig")), delimiter=";"))
    assert rows == [["Libellé", "Date", "Montant", "Taux", "Nombre"], ["'=1+1", "31/03/2026", "12500,50", "87,5", "3"]]
    tables = export_tables(PROGRESS)
    activities = list(csv.reader(io.StringIO(csv_bytes(tables["activites"]).decode("utf-8-sig")), delimiter=";"))
    assert activities[0] == ["Activité", "Nature", "Partenaire", "État de la déclaration", "Déclarée"]
    assert len(activities) == 3 and all(len(row) == 5 for row in activities)  # no other table below it
