"""Pièces justificatives: what a supporting document is, recognised from its content (never its name or the type the
browser claims), the limits it must keep, and who sees it.

Pure: the application reads the bytes and the settings, asks here, and stores what passes.
"""

from __future__ import annotations

import io
import re
import unicodedata
import uuid
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass

from afas_declaration.domain.access_policy import Standing
from afas_shared.refusals import Invalid, Refused


class TooLarge(Refused, code="too_large"):
    """The file exceeds the size limit (HTTP 413)."""


class UnsupportedType(Refused, code="unsupported_type"):
    """The file's content is of a kind not accepted (HTTP 415)."""


@dataclass(frozen=True)
class Kind:
    code: str
    label: str
    media_type: str
    extension: str


KINDS: dict[str, Kind] = {
    k.code: k
    for k in (
        Kind("pdf", "PDF", "application/pdf", "pdf"),
        Kind("png", "PNG", "image/png", "png"),
        Kind("jpeg", "JPEG", "image/jpeg", "jpg"),
        Kind("xlsx", "XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
        Kind("ods", "ODS", "application/vnd.oasis.opendocument.spreadsheet", "ods"),
        Kind("csv", "CSV", "text/csv", "csv"),
    )
}
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
# Control characters a text file (CSV) never holds: all but tab, line feed and carriage return
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
NAME_MAX = 200


def sniff(content: bytes) -> str | None:
    """The kind of ``content`` from its first bytes (its structure for the spreadsheets), None if none we know."""
    if content.startswith(b"%PDF-"):
        return "pdf"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if content.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if content.startswith(b"PK\x03\x04"):
        return _zipped(content)
    return "csv" if _is_delimited_text(content) else None


def _zipped(content: bytes) -> str | None:
    """An XLSX holds ``xl/workbook.xml``; an ODS starts with its ``mimetype`` entry naming it (OpenDocument, 3.3)."""
    if content[30:38] == b"mimetype" and content[38 : 38 + len(_ODS_MIMETYPE)] == _ODS_MIMETYPE:
        return "ods"
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError):
        return None
    return "xlsx" if {"[Content_Types].xml", "xl/workbook.xml"} <= names else None


def _is_delimited_text(content: bytes) -> bool:
    """Text (UTF-8, or Windows-1252 as a French spreadsheet saves it) whose first line has a separator."""
    if not content:
        return False
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = content.decode("cp1252")
        except UnicodeDecodeError:
            return False
    if _CONTROL.search(text):
        return False
    first = text.splitlines()[0] if text.strip() else ""
    return any(separator in first for separator in (";", ",", "\t"))


def megabytes(size: int) -> str:
    """« 10 Mo », « 1,5 Mo », « 512 Ko »: a limit as a person reads it."""
    if size >= 1024 * 1024:
        value = size / (1024 * 1024)
        return f"{value:.1f}".rstrip("0").rstrip(".").replace(".", ",") + " Mo"
    return f"{max(1, size // 1024)} Ko"


def size_label(size: int) -> str:
    """« 2,4 Mo », « 18 Ko », « 512 octets »: a file's size as a person reads it."""
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f}".replace(".", ",") + " Mo"
    return f"{round(size / 1024)} Ko" if size >= 1024 else f"{size} octets"


def too_large_message(limit: int) -> str:
    return f"Fichier trop volumineux : une pièce justificative fait {megabytes(limit)} au plus."


def refused_type_message(accepted: Iterable[str]) -> str:
    labels = [KINDS[code].label for code in accepted if code in KINDS]
    listed = ", ".join(labels[:-1]) + f" ou {labels[-1]}" if len(labels) > 1 else labels[0]
    return f"Type de fichier refusé : seuls les fichiers {listed} sont acceptés (le type est lu dans le contenu)."


def check_file(content: bytes, limit: int, accepted: Iterable[str]) -> Kind:
    """The file's kind if it may be attached; else TooLarge (413), Invalid (empty, 422) or UnsupportedType (415)."""
    if len(content) > limit:
        raise TooLarge(too_large_message(limit), "fichier")
    if not content:
        raise Invalid("Le fichier est vide.", "fichier")
    accepted = list(accepted)
    kind = sniff(content)
    if kind is None or kind not in accepted:
        raise UnsupportedType(refused_type_message(accepted), "fichier")
    return KINDS[kind]


def clean_name(filename: str | None, kind: Kind) -> str:
    """The name shown and offered on download: the sender's without its folders or control characters, at most
    ``NAME_MAX`` characters, ending with its kind's extension (the content decides, not the name)."""
    base = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(c for c in unicodedata.normalize("NFC", base) if unicodedata.category(c)[0] != "C").strip()
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = stem.strip(" .") or "piece-jointe"
    return f"{stem[: NAME_MAX - len(kind.extension) - 1]}.{kind.extension}"


def visible_to(who: Standing, site_id: uuid.UUID | None) -> bool:
    """Whoever sees the whole declaration sees every file; a provider granted some sites sees its sites' files."""
    if who.full_view:
        return True
    return site_id is not None and any(site == site_id for _, site in who.roles)


def may_attach(who: Standing) -> bool:
    """The partner's providers and its approbateur (any role on the activity); not the Caf (its thread, issue 19)."""
    return who.partner_member
