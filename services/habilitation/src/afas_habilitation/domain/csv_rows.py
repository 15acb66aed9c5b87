"""The Caf's CSV import of activities: parsing and checking each row, before anything is stored.

The file is UTF-8 (a BOM is tolerated, spreadsheets add one), semicolon-separated, with a header naming the columns
in any order. Each row becomes an ActivityRow or a Rejection saying, in French, which columns are wrong. The IDEQU
(`ideq`) is the natural key the application uses to make a re-import idempotent, so it is required and may appear
only once per file. Whether the partner and the Caf exist is the application's business: here only their format.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import TypeVar

from afas_habilitation.domain.catalogue import ActivityFacts, Family, SiteMode, activity_problems
from afas_shared.contracts.limits import CATALOGUE_IMPORT_MAX_BYTES
from afas_shared.text import forbidden_character

COLUMNS: tuple[str, ...] = (
    "partenaire_siret",
    "caf",
    "famille",
    "nature",
    "nom",
    "mode_lieux",
    "lieux",
    "date_ouverture",
    "date_fermeture",
    "places",
    "ideq",
    "dossier_afc",
)
SITE_SEPARATOR = "|"

# where activity_problems' fields come from, to name the column back to the Caf
_FIELD_COLUMNS = {
    "family": "famille",
    "nature": "nature",
    "name": "nom",
    "site_mode": "mode_lieux",
    "sites": "lieux",
    "opening": "date_ouverture",
    "closing": "date_fermeture",
    "capacity": "places",
    "equipment_id": "ideq",
    "afc_file": "dossier_afc",
}
_DATE_FORMATS = ("%Y-%m-%d", "%d/%m/%Y")
_DATE_SHAPE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}|[0-9]{2}/[0-9]{2}/[0-9]{4}")
_SIRET = re.compile(r"[0-9]{14}")
_CAF_CODE = re.compile(r"[0-9]{3}")
_INTEGER = re.compile(r"[0-9]+")

_Choice = TypeVar("_Choice", bound=StrEnum)

# The characters ``afas_shared.text`` refuses in a single-line text, found by the regex engine: a 70,000-row import
# checks 840,000 cells, and looking at each character in Python cost more than the rest of the check. Only a cell it
# matches goes through ``forbidden_character``, which names the character (a test keeps the two in step).
_MAYBE_FORBIDDEN = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")

# Longest cell read (its value is never echoed in a rejection); the domain has its own, stricter, limits.
_CELL_MAX_DEFAULT = 100
_CELL_MAX = {"nom": 1_000, "lieux": 30_000}
# csv refuses a field over 128 KiB by default (a csv.Error): read any field the import may hold, then name it
csv.field_size_limit(max(csv.field_size_limit(), CATALOGUE_IMPORT_MAX_BYTES + 1))


@dataclass(frozen=True)
class ActivityRow:
    line: int
    partner_siret: str
    caf_code: str
    facts: ActivityFacts


@dataclass(frozen=True)
class Rejection:
    line: int
    reason: str


class _Invalid(Exception):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.reason = f"colonne {column} : {message}"


def _sentence_part(message: str) -> str:
    # the domain's messages are whole sentences; inside "Ligne n : colonne x : ..." they continue one
    message = message.rstrip(".")
    if len(message) > 1 and not message[1].isupper():
        message = message[0].lower() + message[1:]
    return message


def _parse_date(column: str, value: str) -> date:
    # strptime alone would accept "2024-1-5"; the shape check keeps the two documented forms only
    if _DATE_SHAPE.fullmatch(value):
        for fmt in _DATE_FORMATS:
            try:
                return datetime.strptime(value, fmt).date()
            except ValueError:
                continue
    raise _Invalid(column, "date invalide (attendu AAAA-MM-JJ ou JJ/MM/AAAA)")


def _header_problem(line: int, header: list[str]) -> str | None:
    names = [name.strip().lower() for name in header]
    problems = []
    if missing := [c for c in COLUMNS if c not in names]:
        problems.append(f"colonnes manquantes : {', '.join(missing)}")
    if unknown := [n for n in names if n not in COLUMNS]:
        problems.append(f"colonnes inconnues : {', '.join(n or '(sans nom)' for n in unknown)}")
    if duplicated := sorted({n for n in names if n in COLUMNS and names.count(n) > 1}):
        problems.append(f"colonnes en double : {', '.join(duplicated)}")
    if not problems:
        return None
    return f"Ligne {line} : en-tête invalide, {' ; '.join(problems)}. En-tête attendu : {';'.join(COLUMNS)}."


class _RowReader:
    """Reads one row's cells, collecting every column problem rather than stopping at the first."""

    def __init__(self, cells: dict[str, str]) -> None:
        self.cells = cells
        self.reasons: list[str] = []

    def text(self, column: str) -> str:
        return self.cells[column].strip()

    def optional(self, column: str) -> str | None:
        return self.text(column) or None

    def required(self, column: str, *, reason: str | None = None) -> str | None:
        value = self.text(column)
        if not value:
            self.reasons.append(reason or f"colonne {column} obligatoire")
            return None
        return value

    def matching(self, column: str, pattern: re.Pattern[str], message: str) -> str | None:
        value = self.required(column)
        if value is not None and not pattern.fullmatch(value):
            self.reasons.append(_Invalid(column, message).reason)
            return None
        return value

    def choice(self, column: str, kind: type[_Choice], what: str) -> _Choice | None:
        value = self.required(column)
        if value is None:
            return None
        try:
            return kind(value)
        except ValueError:
            self.reasons.append(_Invalid(column, f"{what} « {value} » inconnue").reason)
            return None

    def day(self, column: str, *, required: bool) -> date | None:
        value = self.required(column) if required else self.optional(column)
        if value is None:
            return None
        try:
            return _parse_date(column, value)
        except _Invalid as invalid:
            self.reasons.append(invalid.reason)
            return None

    def integer(self, column: str) -> int | None:
        value = self.optional(column)
        if value is None:
            return None
        if not _INTEGER.fullmatch(value):
            self.reasons.append(_Invalid(column, "nombre entier attendu").reason)
            return None
        return int(value)


def _read_row(line: int, cells: dict[str, str]) -> ActivityRow | list[str]:
    reader = _RowReader(cells)
    siret = reader.matching("partenaire_siret", _SIRET, "SIRET invalide (14 chiffres attendus)")
    caf_code = reader.matching("caf", _CAF_CODE, "code Caf invalide (3 chiffres attendus)")
    family = reader.choice("famille", Family, "famille")
    site_mode = reader.choice("mode_lieux", SiteMode, "modalité")
    opening = reader.day("date_ouverture", required=True)
    closing = reader.day("date_fermeture", required=False)
    capacity = reader.integer("places")
    equipment_id = reader.required("ideq", reason="colonne ideq obligatoire pour l'import")
    raw_sites = reader.text("lieux")
    sites = tuple(site.strip() for site in raw_sites.split(SITE_SEPARATOR)) if raw_sites else ()
    if family is None or site_mode is None or opening is None:
        # without these the activity's own rules cannot be checked; the reasons so far say why
        return reader.reasons
    facts = ActivityFacts(
        family=family,
        nature=reader.text("nature"),
        name=reader.text("nom"),
        site_mode=site_mode,
        sites=sites,
        opening=opening,
        closing=closing,
        capacity=capacity,
        equipment_id=equipment_id,
        afc_file=reader.optional("dossier_afc"),
    )
    reasons = reader.reasons + [
        _Invalid(_FIELD_COLUMNS[field], _sentence_part(message)).reason for field, message in activity_problems(facts)
    ]
    if reasons or siret is None or caf_code is None:
        return reasons
    return ActivityRow(line=line, partner_siret=siret, caf_code=caf_code, facts=facts)


def _cell_problems(cells: dict[str, str]) -> list[str]:
    """Cells too long, or holding a control or bidi character: named by column, their value not echoed."""
    reasons = []
    for column, value in cells.items():
        limit = _CELL_MAX.get(column, _CELL_MAX_DEFAULT)
        if len(value) > limit:
            reasons.append(f"colonne {column} : trop longue ({len(value)} caractères, {limit} au plus)")
        elif _MAYBE_FORBIDDEN.search(value) and (problem := forbidden_character(value)):
            reasons.append(f"colonne {column} : {_sentence_part(problem)}")
    return reasons


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line, cells) of each record; a line the csv module cannot read ends the file with a _Unreadable."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")), delimiter=";")
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise _Unreadable(reader.line_num, _in_french(str(exc))) from None
        yield reader.line_num, cells


def _in_french(reason: str) -> str:
    """The csv module explains in English; the Caf agent reads the import report in French."""
    if "new-line" in reason:
        return "un retour à la ligne hors d'un champ entre guillemets"
    if "field larger than field limit" in reason:
        return "un champ trop long"
    if "NUL" in reason or "null byte" in reason:
        return "un caractère nul"
    return "une ligne mal formée (guillemets ou séparateurs)"


class _Unreadable(Exception):
    def __init__(self, line: int, why: str) -> None:
        super().__init__(why)
        self.rejection = Rejection(line, f"Ligne {line} : illisible ({why}) ; la suite du fichier n'a pas été lue.")


def parse_csv(text: str) -> tuple[list[ActivityRow], list[Rejection]]:
    """Split the file into importable rows and rejected lines; a bad header rejects the whole file (line 1)."""
    rows: list[ActivityRow] = []
    split = split_records(text)
    rejections = list(split.rejections)
    if split.columns is not None:
        for line, cells, earlier in split.records:
            result = check_record(line, split.columns, cells, earlier)
            (rows if isinstance(result, ActivityRow) else rejections).append(result)  # type: ignore[arg-type]
    rejections.sort(key=lambda r: r.line)
    return rows, rejections


@dataclass(frozen=True)
class SplitFile:
    """A file cut into records, none checked yet (cheap: the csv module's C reader, no row read).

    ``columns`` is None when the header is missing or invalid (``rejections`` says why); ``records`` are the
    non-blank data records as (line, cells, the line where their IDEQU first appeared when it is a repeat).
    """

    columns: list[str] | None
    records: list[tuple[int, list[str], int | None]]
    rejections: list[Rejection]


def split_records(text: str) -> SplitFile:
    """The file's header and records: what a background import stores, then checks a batch at a time."""
    records: list[tuple[int, list[str], int | None]] = []
    rejections: list[Rejection] = []
    columns: list[str] | None = None
    try:
        reader = _records(text)
        line, header = next(((n, cells) for n, cells in reader if any(cell.strip() for cell in cells)), (1, None))
        if header is None:
            rejections.append(Rejection(1, f"Ligne 1 : fichier vide. En-tête attendu : {';'.join(COLUMNS)}."))
        elif problem := _header_problem(line, [name[:_CELL_MAX_DEFAULT] for name in header]):
            rejections.append(Rejection(line, problem))
        else:
            columns = [name.strip().lower() for name in header]
            key = columns.index("ideq")
            first_seen: dict[str, int] = {}
            for line, cells in reader:
                if not any(cell.strip() for cell in cells):
                    continue
                # a key given twice in one file is ambiguous, whichever row is otherwise valid
                ideq = cells[key].strip() if len(cells) == len(columns) else ""
                earlier = first_seen.setdefault(ideq, line) if ideq else line
                records.append((line, cells, earlier if earlier != line else None))
    except _Unreadable as unreadable:
        rejections.append(unreadable.rejection)
    return SplitFile(columns, records, rejections)


def check_record(line: int, columns: list[str], cells: list[str], earlier: int | None) -> ActivityRow | Rejection:
    """One record of a file read with ``split_records``: the row to import, or why it is rejected."""
    if len(cells) != len(columns):
        return Rejection(line, f"Ligne {line} : {len(cells)} colonnes au lieu de {len(columns)}.")
    named = dict(zip(columns, cells, strict=True))
    if reasons := _cell_problems(named):
        return Rejection(line, f"Ligne {line} : {'; '.join(reasons)}.")
    result = _read_row(line, named)
    reasons = [] if isinstance(result, ActivityRow) else result
    if earlier is not None:
        reasons.append(f"IDEQU {named['ideq'].strip()} déjà présent ligne {earlier}")
    if reasons or not isinstance(result, ActivityRow):
        return Rejection(line, f"Ligne {line} : {'; '.join(reasons)}.")
    return result
