"""The values changed between two transmitted versions, as the Caf's instruction page lists them."""

from __future__ import annotations

from afas_declaration.gateway.web.version_changes import FieldChange, changes


def _snapshot(*forms: tuple[str, str | None, dict]) -> dict:
    return {
        "formulaires": [
            {
                "type": kind,
                "titre": "Données d'activité" if kind == "activite" else "Compte de résultat",
                "lieu": site,
                "sections": [
                    {
                        "libelle": "Section",
                        "champs": [
                            {"id": k, "libelle": k.capitalize(), "valeur": v, "unite": "h", "type": "decimal"}
                            for k, v in values.items()
                        ],
                    }
                ],
            }
            for kind, site, values in forms
        ]
    }


def test_only_the_values_that_differ_are_listed_with_their_form_and_site():
    before = _snapshot(("activite", "Les Lutins", {"heures": "1200", "jours": 140}), ("financier", None, {"c": "5"}))
    after = _snapshot(("activite", "Les Lutins", {"heures": "1100", "jours": 140}), ("financier", None, {"c": "5.00"}))
    assert changes(before, after) == [
        FieldChange("Données d'activité – site Les Lutins", "Heures", "1200", "1100", "h", "decimal")
    ]


def test_a_value_emptied_or_filled_counts_and_two_empty_values_do_not():
    before = _snapshot(("activite", None, {"heures": None, "jours": "", "aeeh": "3"}))
    after = _snapshot(("activite", None, {"heures": "10", "jours": None, "aeeh": None}))
    assert [(c.label, c.before, c.after) for c in changes(before, after)] == [
        ("Heures", None, "10"),
        ("Aeeh", "3", None),
    ]


def test_a_site_added_or_gone_shows_its_filled_fields():
    before = _snapshot(("activite", "A", {"heures": "5"}), ("activite", "B", {"heures": "7", "jours": None}))
    after = _snapshot(("activite", "A", {"heures": "5"}), ("activite", "C", {"heures": "9"}))
    assert [(c.form, c.before, c.after) for c in changes(before, after)] == [
        ("Données d'activité – site C", None, "9"),
        ("Données d'activité – site B", "7", None),
    ]


def test_yes_and_no_compare_as_such():
    before = _snapshot(("activite", None, {"repas": False}))
    after = _snapshot(("activite", None, {"repas": True}))
    assert [(c.before, c.after) for c in changes(before, after)] == [(False, True)]
    assert changes(after, after) == []
