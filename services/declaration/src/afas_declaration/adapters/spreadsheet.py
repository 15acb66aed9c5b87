"""Tables to download, one table per file or per sheet: CSV for French Excel (UTF-8 with BOM, ``;`` separators,
decimal comma, dd/mm/yyyy dates) and an Office Open XML workbook (.xlsx) written with ``zipfile``.

In the workbook each cell keeps its type, so a Caf agent sorts, filters and sums without retyping: a date is a date
serial with a dd/mm/yyyy format, a ``Decimal`` a number with two decimals, a ``Percent`` a number shown as a
percentage, an ``int`` a whole number. Each sheet's header row is bold, frozen and carries filter buttons, each
column as wide as its longest value (within bounds)."""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from xml.sax.saxutils import escape


@dataclass(frozen=True)
class Percent:
    """A rate in percent (``Percent(87.5)`` is 87,5 %): stored as the fraction 0.875 with a percentage format."""

    value: float | int | Decimal


Cell = str | int | float | Decimal | date | Percent | bool | None


@dataclass(frozen=True)
class Table:
    """One table: its name (the sheet's), its column headers, its rows (one value per column)."""

    name: str
    header: Sequence[str]
    rows: Sequence[Sequence[Cell]]


XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_TYPE = "text/csv; charset=utf-8"
_INVALID_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
# Spreadsheet day 0 (the 1900 date system, with Lotus' phantom 29 February 1900 accounted for)
_EPOCH = date(1899, 12, 30)
# Column widths in characters: a short code still gets a readable column, a long text wraps the view at 60
_MIN_WIDTH, _MAX_WIDTH = 8, 60


# --- CSV -----------------------------------------------------------------------------------------------


def csv_bytes(table: Table) -> bytes:
    """One table: its header then its rows."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([_csv_cell(cell) for cell in table.header])
    for row in table.rows:
        writer.writerow([_csv_cell(cell) for cell in row])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _csv_cell(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "Oui" if cell else "Non"
    if isinstance(cell, Percent):
        return _french_decimal(cell.value)
    if isinstance(cell, date):
        return f"{cell:%d/%m/%Y}"
    if isinstance(cell, int | float | Decimal):
        return _french_decimal(cell)
    text = str(cell)
    # A cell starting like a formula would run in Excel: neutralise it
    return "'" + text if text[:1] in ("=", "+", "-", "@") and not _is_number(text) else text


def _french_decimal(value: float | int | Decimal) -> str:
    text = format(value, "f") if isinstance(value, Decimal) else format(value, "g")
    return text.replace(".", ",")


def _is_number(text: str) -> bool:
    try:
        float(text.replace(",", "."))
    except ValueError:
        return False
    return True


# --- XLSX cells ----------------------------------------------------------------------------------------

# Cell styles (indexes into cellXfs below): what each type of value is shown as
_PLAIN, _HEADER, _DATE, _DECIMAL, _PERCENT, _INTEGER = range(6)


def column_name(index: int) -> str:
    """0 → A, 25 → Z, 26 → AA."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _cell_xml(ref: str, cell: Cell, header: bool = False) -> str:
    if cell is None or cell == "":
        return ""
    if header:
        return _text_xml(ref, str(cell), _HEADER)
    if isinstance(cell, bool):
        return f'<c r="{ref}" t="b"><v>{int(cell)}</v></c>'
    if isinstance(cell, Percent):
        return f'<c r="{ref}" s="{_PERCENT}"><v>{Decimal(str(cell.value)) / 100}</v></c>'
    if isinstance(cell, datetime):
        cell = cell.date()
    if isinstance(cell, date):
        return f'<c r="{ref}" s="{_DATE}"><v>{(cell - _EPOCH).days}</v></c>'
    if isinstance(cell, Decimal):
        return f'<c r="{ref}" s="{_DECIMAL}"><v>{format(cell, "f")}</v></c>'
    if isinstance(cell, int):
        return f'<c r="{ref}" s="{_INTEGER}"><v>{cell}</v></c>'
    if isinstance(cell, float):
        return f'<c r="{ref}"><v>{cell!r}</v></c>'
    return _text_xml(ref, str(cell), _PLAIN)


def _text_xml(ref: str, text: str, style: int) -> str:
    s = f' s="{style}"' if style else ""
    text = escape(_INVALID_XML.sub("", text))
    return f'<c r="{ref}" t="inlineStr"{s}><is><t xml:space="preserve">{text}</t></is></c>'


def _shown_length(cell: Cell) -> int:
    """How many characters the cell shows, for its column's width."""
    if cell is None:
        return 0
    if isinstance(cell, date):
        return 10
    if isinstance(cell, Decimal):
        return len(f"{cell:,.2f}")
    if isinstance(cell, Percent):
        return len(f"{cell.value}") + 2
    return max((len(line) for line in str(cell).splitlines()), default=0)


def column_widths(table: Table) -> list[float]:
    """Each column's width in characters: its longest value (header included, bold counts a little wider)."""
    widths = []
    for index, title in enumerate(table.header):
        longest = max([round(len(title) * 1.1), *(_shown_length(row[index]) for row in table.rows if index < len(row))])
        widths.append(float(min(max(longest + 2, _MIN_WIDTH), _MAX_WIDTH)))
    return widths


def _sheet_xml(table: Table) -> str:
    header = "".join(_cell_xml(f"{column_name(c)}1", title, header=True) for c, title in enumerate(table.header))
    lines = [f'<row r="1">{header}</row>']
    for r, row in enumerate(table.rows, start=2):
        cells = "".join(_cell_xml(f"{column_name(c)}{r}", cell) for c, cell in enumerate(row))
        lines.append(f'<row r="{r}">{cells}</row>')
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{width}" customWidth="1"/>'
        for i, width in enumerate(column_widths(table), start=1)
    )
    # The header stays in view while scrolling: the pane is split under row 1 and frozen
    view = (
        '<sheetViews><sheetView workbookViewId="0">'
        '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
        '<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>'
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f'{view}<sheetFormatPr defaultRowHeight="15"/>{"<cols>" + cols + "</cols>" if cols else ""}'
        f"<sheetData>{''.join(lines)}</sheetData>{_filter(table)}</worksheet>"
    )


def _filter(table: Table) -> str:
    """Filter buttons on the header, over the table's rows (sorting and filtering a list is what agents do first)."""
    if not table.header:
        return ""
    return f'<autoFilter ref="A1:{column_name(len(table.header) - 1)}{len(table.rows) + 1}"/>'


def _sheet_name(name: str, taken: set[str]) -> str:
    base = _SHEET_NAME_FORBIDDEN.sub(" ", name).strip()[:31] or "Feuille"
    candidate, n = base, 2
    while candidate.lower() in taken:
        suffix = f" ({n})"
        candidate, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(candidate.lower())
    return candidate


# numFmt 164: a French date whatever the reader's locale (the built-in 14 follows the reader's short date)
STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="1"><numFmt numFmtId="164" formatCode="dd/mm/yyyy"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
    "</fills>"
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="6">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="10" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="1" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


# --- XLSX package --------------------------------------------------------------------------------------


def xlsx_bytes(tables: Sequence[Table]) -> bytes:
    """One sheet per table, in order, named after it."""
    taken: set[str] = set()
    names = [_sheet_name(table.name, taken) for table in tables]
    n = len(tables)
    content_types = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        + "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, n + 1)
        )
        + "</Types>"
    )
    root_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
        'Target="xl/workbook.xml"/></Relationships>'
    )
    workbook = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
        + "".join(
            f'<sheet name="{escape(name, {chr(34): "&quot;"})}" sheetId="{i}" r:id="rId{i}"/>'
            for i, name in enumerate(names, start=1)
        )
        + "</sheets></workbook>"
    )
    workbook_rels = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        + "".join(
            f'<Relationship Id="rId{i}" '
            'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            f'Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, n + 1)
        )
        + f'<Relationship Id="rId{n + 1}" '
        'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
        "</Relationships>"
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", root_rels)
        archive.writestr("xl/workbook.xml", workbook)
        archive.writestr("xl/_rels/workbook.xml.rels", workbook_rels)
        archive.writestr("xl/styles.xml", STYLES)
        for i, table in enumerate(tables, start=1):
            archive.writestr(f"xl/worksheets/sheet{i}.xml", _sheet_xml(table))
    return buffer.getvalue()
