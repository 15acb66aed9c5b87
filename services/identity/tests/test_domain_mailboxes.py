"""Nominative accounts: obvious shared mailboxes are refused."""

from __future__ import annotations

import pytest

from afas_identity.domain.mailboxes import shared_mailbox_problem


@pytest.mark.parametrize(
    "email",
    [
        "contact@creche-arc-en-ciel.fr",
        "Contact+x@creche-arc-en-ciel.fr",
        "CONTACT@creche.fr",
        "accueil2@mairie-amiens.fr",
        "contact2@creche.fr",
        "secretariat-general@mairie.fr",
        "secretariat.general@mairie.fr",
        "no-reply@caf.fr",
        "noreply@caf.fr",
        "centre_social@ville.fr",
        "secrétariat@mairie.fr",
        "rh@asso.fr",
        "multiaccueil12@ville.fr",
        "periscolaire@ville.fr",
    ],
)
def test_shared_mailboxes_are_refused(email):
    assert shared_mailbox_problem(email) is not None


def test_the_message_names_the_local_part_as_typed():
    assert shared_mailbox_problem("Contact+x@creche.fr") == (
        "Le compte doit être nominatif : « Contact+x@… » est une boîte partagée. "
        "Indiquez l'adresse personnelle de l'utilisateur."
    )


@pytest.mark.parametrize(
    "email",
    [
        "prenom.nom@creche.fr",
        "c.martin@mairie-amiens.fr",
        "lea.moreau+afas@creche.fr",
        "contact.martin@creche.fr",  # a person whose address starts like a shared one
        "infirmiere.dupont@creche.fr",
        "ramon@asso.fr",
        "2contact@creche.fr",
    ],
)
def test_personal_addresses_are_allowed(email):
    assert shared_mailbox_problem(email) is None
