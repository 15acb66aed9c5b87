"""A payment's date on the partner's pages, phrased as the Caf 92 calendar (seed 001) phrases it, from the line
estimation's schedule answers (``estimation.rpc.payments``: ``statut``, ``date``, ``type``, ``declencheur``)."""

from afas_declaration.gateway.web.payment_dates import payment_date, payment_line


def _payment(**fields):
    return {"libelle": "1er acompte 2027", "montant": "4000.00", "statut_libelle": "À venir", **fields}


def test_a_paid_payment_shows_the_day_it_was_paid():
    assert payment_date(_payment(statut="verse", date="2027-03-12", declencheur="x")) == "Versé le 12/03/2027"


def test_a_payment_to_come_shows_the_validation_it_waits_for():
    first = _payment(statut="a_venir", type="acompte_1", declencheur="validation de la déclaration prévisionnelle 2027")
    assert payment_date(first) == "Dès validation de la déclaration prévisionnelle 2027 par la Caf"
    top_up = _payment(
        statut="a_venir", type="complement", declencheur="validation de la déclaration actualisée 2027 (30 septembre)"
    )
    assert payment_date(top_up) == "Dès validation de la déclaration actualisée 2027 (30 septembre) par la Caf"


def test_the_second_advance_comes_with_the_previous_years_balance():
    second = _payment(statut="a_venir", type="acompte_2", declencheur="validation de la déclaration réelle 2026")
    assert payment_date(second) == (
        "En même temps que le paiement du solde 2026 : dès validation de la déclaration réelle 2026 par la Caf"
    )


def test_the_line_carries_the_computation_and_never_a_bare_code():
    line = payment_line(
        _payment(
            statut="a_venir",
            type="solde",
            declencheur="validation de la déclaration réelle 2027",
            explication="estimation : droit prévisionnel 2027 10 000,00 € − acomptes 7 000,00 € = 3 000,00 €",
        )
    )
    assert line == {
        "libelle": "1er acompte 2027",
        "calcul": "estimation : droit prévisionnel 2027 10 000,00 € − acomptes 7 000,00 € = 3 000,00 €",
        "date": "Dès validation de la déclaration réelle 2027 par la Caf",
        "montant": "4000.00",
        "etat": "À venir",
    }
