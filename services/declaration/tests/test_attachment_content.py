"""Pièces justificatives: the kind read from the content (never the name), the limits, the names and who sees what."""

from __future__ import annotations

import io
import uuid
import zipfile

import pytest

from afas_declaration.adapters.spreadsheet import Table, csv_bytes, xlsx_bytes
from afas_declaration.domain import attachments as rules
from afas_declaration.domain.access_policy import Standing

ALL = list(rules.KINDS)
PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(20)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(20)
TABLE = Table("Heures", ["Lieu", "Heures"], [["École Jules Ferry", 1200], ["École Victor Hugo", 800]])


def ods() -> bytes:
    """An OpenDocument spreadsheet as LibreOffice writes it: ``mimetype`` first, stored uncompressed."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>", zipfile.ZIP_DEFLATED)
    return out.getvalue()


def some_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("notes.txt", "pas un tableur")
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "kind"),
    [
        (PDF, "pdf"),
        (PNG, "png"),
        (JPEG, "jpeg"),
        (xlsx_bytes([TABLE]), "xlsx"),
        (ods(), "ods"),
        (csv_bytes(TABLE), "csv"),
        ("Lieu;Heures\r\nÉcole;1200\r\n".encode("cp1252"), "csv"),  # as a French spreadsheet saves it
    ],
)
def test_the_kind_is_read_from_the_content(content, kind):
    assert rules.sniff(content) == kind
    assert rules.check_file(content, 10 * 1024 * 1024, ALL).code == kind


@pytest.mark.parametrize(
    "content",
    [
        b"MZ\x90\x00\x03\x00\x00\x00" + bytes(60),  # a Windows program named « facture.pdf »
        some_zip(),  # a ZIP that is no spreadsheet
        b"GIF89a" + bytes(10),
        b"une ligne de texte sans separateur\n",
        b"Lieu;Heures\x00\x01binaire",
        b"<html><script>alert(1)</script></html>",
    ],
)
def test_a_file_of_another_kind_is_refused_with_415_naming_the_kinds_accepted(content):
    with pytest.raises(rules.UnsupportedType) as refused:
        rules.check_file(content, 10 * 1024 * 1024, ALL)
    assert refused.value.code == "unsupported_type"
    assert "PDF, PNG, JPEG, XLSX, ODS ou CSV" in refused.value.detail


def test_a_kind_the_settings_leave_out_is_refused_though_recognised():
    with pytest.raises(rules.UnsupportedType) as refused:
        rules.check_file(PNG, 10 * 1024 * 1024, ["pdf"])
    assert "seuls les fichiers PDF sont acceptés" in refused.value.detail


def test_a_file_beyond_the_limit_is_refused_with_413_naming_it_and_an_empty_one_with_422():
    with pytest.raises(rules.TooLarge) as refused:
        rules.check_file(PDF + bytes(2 * 1024 * 1024), 2 * 1024 * 1024, ALL)
    assert refused.value.code == "too_large" and "2 Mo au plus" in refused.value.detail
    assert rules.too_large_message(1536 * 1024).endswith("1,5 Mo au plus.")
    with pytest.raises(rules.Invalid):
        rules.check_file(b"", 1024, ALL)


def test_the_name_keeps_what_the_sender_called_it_with_the_extension_of_its_real_kind():
    pdf, png = rules.KINDS["pdf"], rules.KINDS["png"]
    assert rules.clean_name("C:\\Users\\claire\\Bilan 2026.pdf", pdf) == "Bilan 2026.pdf"
    assert rules.clean_name("../../etc/photo.pdf", png) == "photo.png"
    assert rules.clean_name("relevé\x00\n.exe", pdf) == "relevé.pdf"
    assert rules.clean_name(None, pdf) == "piece-jointe.pdf"
    assert len(rules.clean_name("x" * 500 + ".pdf", pdf)) == rules.NAME_MAX


def test_a_site_provider_sees_its_sites_files_only_the_whole_view_sees_all():
    site, other = uuid.uuid4(), uuid.uuid4()
    provider = Standing(roles=frozenset({("fda", site)}))
    assert rules.visible_to(provider, site) and not rules.visible_to(provider, other)
    assert not rules.visible_to(provider, None)  # a file of the whole declaration holds more than its site
    for whole in (Standing(roles=frozenset({("approbateur", None)})), Standing(caf_roles=frozenset({"lecture"}))):
        assert rules.visible_to(whole, site) and rules.visible_to(whole, None)
    assert rules.may_attach(provider) and not rules.may_attach(Standing(caf_roles=frozenset({"instruction"})))


def test_sizes_read_as_a_person_reads_them():
    assert [rules.size_label(n) for n in (512, 18 * 1024, 2_500_000)] == ["512 octets", "18 Ko", "2,4 Mo"]
