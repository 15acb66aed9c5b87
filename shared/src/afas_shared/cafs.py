"""The Caf (caisses d'allocations familiales) as reference data, shared: identity attaches partners and agents to
a Caf by code, the receipt and the pages print its name.

Provenance: one fund per département, built from the list of départements, the names written the way the funds
usually call themselves. This list is "non sourcé officiellement — à confirmer par la Cnaf". Known simplifications:
the two historic Pyrénées-Atlantiques funds (Béarn et Soule, Pays basque et Seignanx) appear as one entry, 064;
Mayotte is served by its social security fund (CSSM) but appears as "Caf de Mayotte", code 976.

Codes are 3 digits: the zero-padded département number in metropolitan France, 201 and 202 for Corsica (there is
no 020), the INSEE code overseas.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Caf:
    code: str
    name: str
    departement: str


class UnknownCaf(LookupError):
    def __init__(self, code: str) -> None:
        super().__init__(f"Caf inconnue : {code}")
        self.code = code


# (code, département, name)
_TABLE: tuple[tuple[str, str, str], ...] = (
    ("001", "01", "Caf de l'Ain"),
    ("002", "02", "Caf de l'Aisne"),
    ("003", "03", "Caf de l'Allier"),
    ("004", "04", "Caf des Alpes-de-Haute-Provence"),
    ("005", "05", "Caf des Hautes-Alpes"),
    ("006", "06", "Caf des Alpes-Maritimes"),
    ("007", "07", "Caf de l'Ardèche"),
    ("008", "08", "Caf des Ardennes"),
    ("009", "09", "Caf de l'Ariège"),
    ("010", "10", "Caf de l'Aube"),
    ("011", "11", "Caf de l'Aude"),
    ("012", "12", "Caf de l'Aveyron"),
    ("013", "13", "Caf des Bouches-du-Rhône"),
    ("014", "14", "Caf du Calvados"),
    ("015", "15", "Caf du Cantal"),
    ("016", "16", "Caf de la Charente"),
    ("017", "17", "Caf de la Charente-Maritime"),
    ("018", "18", "Caf du Cher"),
    ("019", "19", "Caf de la Corrèze"),
    ("201", "2A", "Caf de la Corse-du-Sud"),
    ("202", "2B", "Caf de la Haute-Corse"),
    ("021", "21", "Caf de la Côte-d'Or"),
    ("022", "22", "Caf des Côtes-d'Armor"),
    ("023", "23", "Caf de la Creuse"),
    ("024", "24", "Caf de la Dordogne"),
    ("025", "25", "Caf du Doubs"),
    ("026", "26", "Caf de la Drôme"),
    ("027", "27", "Caf de l'Eure"),
    ("028", "28", "Caf d'Eure-et-Loir"),
    ("029", "29", "Caf du Finistère"),
    ("030", "30", "Caf du Gard"),
    ("031", "31", "Caf de la Haute-Garonne"),
    ("032", "32", "Caf du Gers"),
    ("033", "33", "Caf de la Gironde"),
    ("034", "34", "Caf de l'Hérault"),
    ("035", "35", "Caf d'Ille-et-Vilaine"),
    ("036", "36", "Caf de l'Indre"),
    ("037", "37", "Caf d'Indre-et-Loire"),
    ("038", "38", "Caf de l'Isère"),
    ("039", "39", "Caf du Jura"),
    ("040", "40", "Caf des Landes"),
    ("041", "41", "Caf de Loir-et-Cher"),
    ("042", "42", "Caf de la Loire"),
    ("043", "43", "Caf de la Haute-Loire"),
    ("044", "44", "Caf de Loire-Atlantique"),
    ("045", "45", "Caf du Loiret"),
    ("046", "46", "Caf du Lot"),
    ("047", "47", "Caf de Lot-et-Garonne"),
    ("048", "48", "Caf de la Lozère"),
    ("049", "49", "Caf de Maine-et-Loire"),
    ("050", "50", "Caf de la Manche"),
    ("051", "51", "Caf de la Marne"),
    ("052", "52", "Caf de la Haute-Marne"),
    ("053", "53", "Caf de la Mayenne"),
    ("054", "54", "Caf de Meurthe-et-Moselle"),
    ("055", "55", "Caf de la Meuse"),
    ("056", "56", "Caf du Morbihan"),
    ("057", "57", "Caf de la Moselle"),
    ("058", "58", "Caf de la Nièvre"),
    ("059", "59", "Caf du Nord"),
    ("060", "60", "Caf de l'Oise"),
    ("061", "61", "Caf de l'Orne"),
    ("062", "62", "Caf du Pas-de-Calais"),
    ("063", "63", "Caf du Puy-de-Dôme"),
    ("064", "64", "Caf des Pyrénées-Atlantiques"),
    ("065", "65", "Caf des Hautes-Pyrénées"),
    ("066", "66", "Caf des Pyrénées-Orientales"),
    ("067", "67", "Caf du Bas-Rhin"),
    ("068", "68", "Caf du Haut-Rhin"),
    ("069", "69", "Caf du Rhône"),
    ("070", "70", "Caf de la Haute-Saône"),
    ("071", "71", "Caf de Saône-et-Loire"),
    ("072", "72", "Caf de la Sarthe"),
    ("073", "73", "Caf de la Savoie"),
    ("074", "74", "Caf de la Haute-Savoie"),
    ("075", "75", "Caf de Paris"),
    ("076", "76", "Caf de Seine-Maritime"),
    ("077", "77", "Caf de Seine-et-Marne"),
    ("078", "78", "Caf des Yvelines"),
    ("079", "79", "Caf des Deux-Sèvres"),
    ("080", "80", "Caf de la Somme"),
    ("081", "81", "Caf du Tarn"),
    ("082", "82", "Caf de Tarn-et-Garonne"),
    ("083", "83", "Caf du Var"),
    ("084", "84", "Caf de Vaucluse"),
    ("085", "85", "Caf de la Vendée"),
    ("086", "86", "Caf de la Vienne"),
    ("087", "87", "Caf de la Haute-Vienne"),
    ("088", "88", "Caf des Vosges"),
    ("089", "89", "Caf de l'Yonne"),
    ("090", "90", "Caf du Territoire de Belfort"),
    ("091", "91", "Caf de l'Essonne"),
    ("092", "92", "Caf des Hauts-de-Seine"),
    ("093", "93", "Caf de la Seine-Saint-Denis"),
    ("094", "94", "Caf du Val-de-Marne"),
    ("095", "95", "Caf du Val-d'Oise"),
    ("971", "971", "Caf de la Guadeloupe"),
    ("972", "972", "Caf de la Martinique"),
    ("973", "973", "Caf de la Guyane"),
    ("974", "974", "Caf de La Réunion"),
    ("976", "976", "Caf de Mayotte"),
)

CAFS: dict[str, Caf] = {code: Caf(code, name, departement) for code, departement, name in _TABLE}

# The Cnaf (Caisse nationale des allocations familiales) as the national "Caf" 000: it has no partners, only agents
# (the national paramétrage, who set the national barèmes). Not one of the 101 Caf of ``CAFS``.
NATIONAL_CODE = "000"
CNAF = Caf(NATIONAL_CODE, "Cnaf", "")


def get_caf(code: str) -> Caf:
    try:
        return CAFS[code]
    except KeyError:
        raise UnknownCaf(code) from None


def caf_name(code: str | None) -> str | None:
    """The Caf's name (« Caf de la Somme », « Cnaf » for 000) for its code, ``None`` when the code is unknown."""
    found = CNAF if code == NATIONAL_CODE else CAFS.get(code or "")
    return found.name if found is not None else None
