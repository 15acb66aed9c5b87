"""The Caf's CSV import of activities: each line becomes an activity or a rejection naming the column."""

from __future__ import annotations

from datetime import date

from afas_habilitation.domain.catalogue import Family, SiteMode
from afas_habilitation.domain.csv_rows import COLUMNS, ActivityRow, Rejection, parse_csv

HEADER = ";".join(COLUMNS)
ALSH = (
    "73282932000074;080;alsh;periscolaire;ALSH Les Explorateurs;multi_lieux_antennes;"
    "École Jules Ferry|École Pasteur;2021-01-04;;;ALSH8001;"
)
CRECHE = (
    "73282932000074;080;eaje_psu;multi_accueil;Multi-accueil Les Lucioles;mono_lieu;"
    "12 rue des Lilas;01/09/2020;31/08/2030;40;EAJE8001;123456"
)


def _file(*lines: str) -> str:
    return "\n".join((HEADER, *lines)) + "\n"


def test_a_good_file_gives_one_row_per_line():
    rows, rejections = parse_csv(_file(ALSH, CRECHE))
    assert rejections == []
    alsh, creche = rows
    assert isinstance(alsh, ActivityRow)
    assert (alsh.line, alsh.partner_siret, alsh.caf_code) == (2, "73282932000074", "080")
    assert alsh.facts.family is Family.alsh
    assert alsh.facts.site_mode is SiteMode.multi_lieux_antennes
    assert alsh.facts.sites == ("École Jules Ferry", "École Pasteur")
    assert (alsh.facts.closing, alsh.facts.capacity, alsh.facts.afc_file) == (None, None, None)
    assert alsh.facts.equipment_id == "ALSH8001"
    assert creche.line == 3
    assert creche.facts.capacity == 40
    assert creche.facts.afc_file == "123456"


def test_day_first_dates_are_accepted():
    [creche], _ = parse_csv(_file(CRECHE))
    assert (creche.facts.opening, creche.facts.closing) == (date(2020, 9, 1), date(2030, 8, 31))


def test_a_byte_order_mark_and_windows_line_ends_are_handled():
    rows, rejections = parse_csv("\ufeff" + _file(ALSH).replace("\n", "\r\n"))
    assert rejections == []
    assert [r.facts.name for r in rows] == ["ALSH Les Explorateurs"]


def test_empty_lines_are_ignored_but_line_numbers_stay_those_of_the_file():
    rows, rejections = parse_csv(_file("", ALSH, ";;;;;;;;;;;", CRECHE))
    assert rejections == []
    assert [r.line for r in rows] == [3, 5]


def test_a_bad_date_names_the_line_and_the_column():
    rows, rejections = parse_csv(
        _file(ALSH, CRECHE, CRECHE.replace("01/09/2020", "2020-13-01").replace("EAJE8001", "EAJE8002"))
    )
    assert len(rows) == 2
    assert rejections == [
        Rejection(4, "Ligne 4 : colonne date_ouverture : date invalide (attendu AAAA-MM-JJ ou JJ/MM/AAAA).")
    ]


def test_loose_date_shapes_are_refused():
    _, rejections = parse_csv(_file(ALSH.replace("2021-01-04", "2021-1-4")))
    assert [r.reason for r in rejections] == [
        "Ligne 2 : colonne date_ouverture : date invalide (attendu AAAA-MM-JJ ou JJ/MM/AAAA)."
    ]


def test_an_unknown_nature_is_rejected():
    _, rejections = parse_csv(_file(ALSH.replace("periscolaire", "multi_accueil")))
    assert rejections == [
        Rejection(2, "Ligne 2 : colonne nature : la nature « multi_accueil » n'existe pas pour la famille ALSH.")
    ]


def test_an_unknown_family_or_site_mode_is_rejected():
    _, rejections = parse_csv(_file(ALSH.replace(";alsh;", ";accueil;").replace("multi_lieux_antennes", "multi")))
    assert [r.reason for r in rejections] == [
        "Ligne 2 : colonne famille : famille « accueil » inconnue; colonne mode_lieux : modalité « multi » inconnue."
    ]


def test_an_eaje_without_places_is_rejected():
    _, rejections = parse_csv(_file(CRECHE.replace(";40;", ";;")))
    assert [r.reason for r in rejections] == [
        "Ligne 2 : colonne places : le nombre de places est obligatoire pour un EAJE."
    ]


def test_every_reason_of_a_line_is_given_at_once():
    bad = CRECHE.replace("73282932000074", "7328").replace(";40;", ";quarante;").replace("31/08/2030", "31/08/2019")
    _, [rejection] = parse_csv(_file(bad))
    assert rejection.reason == (
        "Ligne 2 : colonne partenaire_siret : SIRET invalide (14 chiffres attendus); "
        "colonne places : nombre entier attendu; "
        "colonne date_fermeture : la date de fermeture doit être postérieure ou égale à la date d'ouverture; "
        "colonne places : le nombre de places est obligatoire pour un EAJE."
    )


def test_a_mono_lieu_with_two_sites_is_rejected():
    _, [rejection] = parse_csv(_file(CRECHE.replace("12 rue des Lilas", "A|B")))
    assert rejection.reason == (
        "Ligne 2 : colonne lieux : une activité mono-lieu doit avoir exactement un lieu d'implantation."
    )


def test_the_ideq_is_required_for_the_import():
    _, rejections = parse_csv(_file(ALSH.replace("ALSH8001", "")))
    assert [r.reason for r in rejections] == ["Ligne 2 : colonne ideq obligatoire pour l'import."]


def test_a_badly_shaped_ideq_is_rejected():
    _, [rejection] = parse_csv(_file(ALSH.replace("ALSH8001", "alsh-1")))
    assert rejection.reason.startswith("Ligne 2 : colonne ideq : l'identifiant d'équipement (IDEQU)")


def test_a_duplicate_ideq_rejects_the_later_line():
    other = CRECHE.replace("EAJE8001", "ABC123")
    rows, rejections = parse_csv(_file(ALSH, other, CRECHE, "", "", other))
    assert [r.line for r in rows] == [2, 3, 4]
    assert rejections == [Rejection(7, "Ligne 7 : IDEQU ABC123 déjà présent ligne 3.")]


def test_a_line_with_the_wrong_number_of_cells_is_rejected():
    _, rejections = parse_csv(_file(ALSH + ";en trop"))
    assert rejections == [Rejection(2, "Ligne 2 : 13 colonnes au lieu de 12.")]


def test_a_header_missing_a_column_rejects_the_whole_file():
    header = HEADER.replace(";places", "").replace(";ideq", "")
    rows, rejections = parse_csv(header + "\n" + ALSH + "\n")
    assert rows == []
    assert rejections == [
        Rejection(
            1,
            "Ligne 1 : en-tête invalide, colonnes manquantes : places, ideq. En-tête attendu : " + HEADER + ".",
        )
    ]


def test_a_header_with_an_unknown_column_rejects_the_whole_file():
    _, [rejection] = parse_csv(HEADER.replace("nom", "libelle") + "\n" + ALSH + "\n")
    assert rejection.line == 1
    assert rejection.reason.startswith(
        "Ligne 1 : en-tête invalide, colonnes manquantes : nom ; colonnes inconnues : libelle."
    )


def test_a_missing_header_rejects_the_whole_file():
    rows, [rejection] = parse_csv(ALSH + "\n")
    assert rows == []
    assert rejection.line == 1
    assert "colonnes manquantes : partenaire_siret, caf," in rejection.reason


def test_an_empty_file_is_rejected():
    assert parse_csv("\ufeff\n") == ([], [Rejection(1, "Ligne 1 : fichier vide. En-tête attendu : " + HEADER + ".")])


def test_columns_may_come_in_any_order_and_header_case_is_ignored():
    columns = list(COLUMNS)
    cells = ALSH.split(";")
    header = ";".join(c.upper() for c in reversed(columns))
    rows, rejections = parse_csv(header + "\n" + ";".join(reversed(cells)) + "\n")
    assert rejections == []
    assert rows[0].facts.sites == ("École Jules Ferry", "École Pasteur")


def test_an_oversized_field_is_a_rejection_naming_its_column_not_an_error():
    huge = "x" * 200_000  # over the csv module's own 128 KiB field limit
    rows, rejections = parse_csv(_file(ALSH.replace("ALSH Les Explorateurs", huge), CRECHE))
    assert [r.line for r in rows] == [3]
    [rejection] = rejections
    assert rejection.line == 2 and "colonne nom : trop longue (200000 caractères, 1000 au plus)" in rejection.reason
    assert huge not in rejection.reason
    [rejection] = parse_csv(_file(ALSH.replace("ALSH8001", "A" * 101)))[1]
    assert "colonne ideq : trop longue" in rejection.reason


def test_control_and_bidi_characters_in_a_cell_are_refused_naming_the_column():
    for bad in ("\x00", "\u202e", "\u2066", "\x1b", "\x85"):
        rows, rejections = parse_csv(_file(ALSH.replace("Explorateurs", f"Explo{bad}rateurs"), CRECHE))
        assert [r.line for r in rows] == [3], repr(bad)
        assert rejections[0].line == 2 and "colonne nom : caractère interdit" in rejections[0].reason, repr(bad)


def test_an_unreadable_line_is_explained_in_french():
    rows, [rejection] = parse_csv(HEADER + "\n1;2\r3;4\n")
    assert rows == [] and rejection.line == 2
    assert "retour à la ligne hors d'un champ entre guillemets" in rejection.reason
    assert "new-line" not in rejection.reason


def test_the_quick_character_check_finds_every_character_the_shared_rule_refuses():
    from afas_habilitation.domain.csv_rows import _MAYBE_FORBIDDEN
    from afas_shared.text import forbidden_character

    for code in (*range(0x3000), *range(0xD7F0, 0xE010), *range(0xFFF0, 0x10010)):
        char = chr(code)
        assert bool(_MAYBE_FORBIDDEN.search(char)) == (forbidden_character(char) is not None), hex(code)
