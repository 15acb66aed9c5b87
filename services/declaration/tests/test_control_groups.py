"""The controls page's grouping: by form and site, a « Corriger » link to each field, one line for the empty
required fields of a form; and the obstacles sentence naming a repeated control once."""

from __future__ import annotations

from afas_declaration.domain.declaration_parts import obstacles
from afas_declaration.gateway.web.control_groups import WHOLE_DECLARATION, grouped

FORMS = [
    {
        "id": "f-a",
        "type": "activite",
        "titre": "Données d'activité",
        "lieu": "Les Lutins",
        "sections": [
            {"champs": [{"id": "heures", "libelle": "Heures réalisées"}, {"id": "jours", "libelle": "Jours"}]}
        ],
    },
    {
        "id": "f-b",
        "type": "financier",
        "titre": "Compte de résultat",
        "lieu": None,
        "sections": [{"champs": [{"id": "charges_60", "libelle": "Achats"}]}],
    },
]


def _result(control: str, form: str | None, site: str | None, fields=(), status="anomalie", **extra) -> dict:
    return {
        "cle": f"{control}@{site}:{form}.{'.'.join(fields)}",
        "id": control,
        "severite": "blocking",
        "statut": status,
        "formulaire": form,
        "lieu": site,
        "libelle": "Champs obligatoires" if control == "champ_obligatoire" else control.capitalize(),
        "message": "…",
        "champs": list(fields),
        "a_justifier": False,
        "justification": None,
        **extra,
    }


def test_anomalies_are_grouped_by_form_and_site_in_the_forms_order_with_a_link_to_each_field():
    results = [
        _result("ratio", "financier", None, ("charges_60",)),
        _result("plafond", "activite", "Les Lutins", ("heures",)),
        _result("champ_obligatoire", "activite", "Les Lutins", status="ok"),
        _result("global", None, None),
    ]
    groups = grouped(results, FORMS)
    assert [g.title for g in groups] == [
        "Données d'activité – site Les Lutins",
        "Compte de résultat",
        WHOLE_DECLARATION,
    ]
    [plafond] = groups[0].rows
    assert plafond["corriger"] == [{"libelle": "Heures réalisées", "href": "/formulaires/f-a#champ-heures"}]
    assert groups[2].rows[0]["corriger"] == []


def test_the_empty_required_fields_of_a_form_read_as_one_line_with_a_link_to_each():
    results = [_result("champ_obligatoire", "activite", "Les Lutins", (f,)) for f in ("heures", "jours")]
    results.append(_result("champ_obligatoire", "financier", None, ("charges_60",)))
    activity, budget = grouped(results, FORMS)
    [line] = activity.rows
    assert line["message"] == "2 champs obligatoires ne sont pas remplis."
    assert [link["libelle"] for link in line["corriger"]] == ["Heures réalisées", "Jours"]
    assert budget.rows[0]["message"] == "1 champ obligatoire n'est pas rempli."


def test_a_form_the_viewer_is_not_shown_is_named_by_its_site_without_links():
    [group] = grouped([_result("plafond", "activite", "Les Coccinelles", ("heures",))], FORMS)
    assert group.title == "Site Les Coccinelles" and group.rows[0]["corriger"] == []


def test_the_obstacles_name_a_repeated_control_once_per_form_with_its_count():
    results = [_result("champ_obligatoire", "activite", "Les Lutins", (f"c{i}",)) for i in range(19)]
    results += [_result("champ_obligatoire", "financier", None, (f"c{i}",)) for i in range(2)]
    results += [_result("ratio", "financier", None), _result("ratio", "financier", None)]
    [sentence] = obstacles([], results)
    assert sentence == (
        "23 anomalies bloquantes à corriger : « Champs obligatoires » (données d'activité, Les Lutins, 19 fois), "
        "« Champs obligatoires » (données financières, 2 fois), « Ratio » (2 fois)"
    )
