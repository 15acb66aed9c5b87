"""Role grants: their state over time, the rules a new grant must respect, and the "Non attribué" search."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from afas_habilitation.domain.grants import (
    GrantFacts,
    Role,
    State,
    Validation,
    grant_problems,
    initial_validation,
    is_effective,
    state_of,
    unassigned,
)

TODAY = date(2025, 6, 15)

FDA = GrantFacts(
    grant_id="g1",
    user_id="ines",
    role=Role.fda,
    activity_id="alsh-1",
    site=None,
    start=date(2025, 1, 1),
    end=None,
    validation=Validation.not_required,
)
OK = {"user_in_declarer_group": True, "activity_partner_matches": True, "site_allowed": True}


def grant(grant_id: str, user_id: str, role: Role = Role.fda, **changes) -> GrantFacts:
    return replace(FDA, grant_id=grant_id, user_id=user_id, role=role, **changes)


def test_labels_are_french():
    assert Role.fda.label == "Fournisseur de données d'activité"
    assert Role.fdf.label == "Fournisseur de données financières"
    assert Role.approbateur.label == "Approbateur"
    assert Validation.pending.label == "En attente de validation par votre Caf"
    assert Validation.validated.label == "Validé"
    assert Validation.rejected.label == "Refusé"
    assert [s.label for s in State] == ["Actif", "Historique", "Inactif"]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({}, State.actif),
        ({"end": TODAY}, State.actif),
        ({"start": TODAY}, State.actif),
        ({"validation": Validation.validated}, State.actif),
        ({"end": date(2025, 6, 14)}, State.historique),
        ({"validation": Validation.rejected}, State.historique),
        ({"start": date(2025, 7, 1), "validation": Validation.rejected}, State.historique),
        ({"start": date(2025, 6, 16)}, State.inactif),
        ({"validation": Validation.pending}, State.inactif),
    ],
)
def test_state_over_time_and_validation(changes, expected):
    assert state_of(replace(FDA, **changes), TODAY) is expected
    assert is_effective(replace(FDA, **changes), TODAY) is (expected is State.actif)


def test_only_the_approbateur_needs_the_caf_validation():
    assert initial_validation(Role.approbateur) is Validation.pending
    assert initial_validation(Role.fda) is Validation.not_required
    assert initial_validation(Role.fdf) is Validation.not_required


def test_a_valid_grant_has_no_problems():
    assert grant_problems(FDA, [], **OK) == []


def test_end_may_not_precede_start():
    assert grant_problems(replace(FDA, end=date(2024, 12, 31)), [], **OK) == [
        "La date de fin doit être postérieure ou égale à la date de début."
    ]
    assert grant_problems(replace(FDA, end=FDA.start), [], **OK) == []


def test_only_declarers_may_receive_a_role():
    assert grant_problems(FDA, [], **(OK | {"user_in_declarer_group": False})) == [
        "Seul un membre du groupe AFAS-DECLARER peut recevoir un rôle de déclaration."
    ]


def test_the_activity_must_belong_to_the_users_partner():
    assert grant_problems(FDA, [], **(OK | {"activity_partner_matches": False})) == [
        "Cette activité n'appartient pas au partenaire de l'utilisateur."
    ]


def test_a_site_only_when_the_caller_allows_it():
    on_site = replace(FDA, site="École Pasteur")
    assert grant_problems(on_site, [], **OK) == []
    assert grant_problems(on_site, [], **(OK | {"site_allowed": False})) == [
        "Le rôle ne peut viser un lieu d'implantation que pour le fournisseur de données d'activité "
        "d'une activité multi-lieux ALSH, LAEP ou Espace de rencontre."
    ]
    # without a site the caller's answer is irrelevant
    assert grant_problems(FDA, [], **(OK | {"site_allowed": False})) == []


def test_only_the_activity_data_role_may_target_a_site():
    [problem] = grant_problems(replace(FDA, role=Role.fdf, site="École Pasteur"), [], **OK)
    assert problem.startswith("Le rôle ne peut viser un lieu d'implantation")


def test_the_site_must_be_one_of_the_activitys():
    unknown = replace(FDA, site="Gymnase")
    assert grant_problems(unknown, [], **(OK | {"site_allowed": False, "site_known": False})) == [
        "Ce lieu d'implantation n'appartient pas à l'activité."
    ]


def test_one_approbateur_at_a_time():
    current = grant("g0", "lea", Role.approbateur, validation=Validation.validated)
    new = grant("g1", "ines", Role.approbateur, validation=Validation.pending)
    message = "Une activité ne peut avoir qu'un seul approbateur à la fois : ALSH Les Explorateurs en a déjà un."
    assert grant_problems(new, [current], **OK, activity_name="ALSH Les Explorateurs") == [message]
    assert grant_problems(new, [current], **OK) == [message.replace("ALSH Les Explorateurs", "alsh-1")]


def test_a_pending_approbateur_already_blocks_a_second_one():
    pending = grant("g0", "lea", Role.approbateur, validation=Validation.pending)
    new = grant("g1", "ines", Role.approbateur, validation=Validation.pending)
    assert len(grant_problems(new, [pending], **OK)) == 1


def test_an_approbateur_may_follow_a_rejected_or_ended_one():
    new = grant("g1", "ines", Role.approbateur, start=date(2025, 6, 1), validation=Validation.pending)
    rejected = grant("g0", "lea", Role.approbateur, validation=Validation.rejected)
    ended = grant("g2", "lea", Role.approbateur, end=date(2025, 5, 31), validation=Validation.validated)
    other_activity = grant("g3", "lea", Role.approbateur, activity_id="eaje-1", validation=Validation.validated)
    assert grant_problems(new, [rejected, ended, other_activity], **OK) == []


def test_at_most_two_providers_of_a_role_on_a_scope():
    existing = [grant("g1", "ines"), grant("g2", "lea")]
    assert grant_problems(grant("g3", "hugo"), existing, **OK) == [
        "Au plus deux personnes peuvent tenir le rôle Fournisseur de données d'activité sur ce périmètre."
    ]


def test_two_providers_are_fine_and_other_scopes_or_roles_do_not_count():
    existing = [
        grant("g1", "ines"),
        grant("g2", "lea", site="École Pasteur"),
        grant("g3", "hugo", Role.fdf),
        grant("g4", "marc", activity_id="eaje-1"),
        grant("g5", "paul", validation=Validation.rejected),
    ]
    assert grant_problems(grant("g9", "zoe"), existing, **OK) == []


def test_a_successor_is_not_a_third_provider():
    # lea left before hugo arrived: never more than two at once alongside the new grant
    existing = [
        grant("g1", "ines"),
        grant("g2", "lea", end=date(2025, 3, 31)),
        grant("g3", "hugo", start=date(2025, 4, 1)),
    ]
    assert grant_problems(grant("g4", "zoe", start=date(2025, 6, 1)), existing, **OK)
    two_successive = [grant("g2", "lea", end=date(2025, 3, 31)), grant("g3", "hugo", start=date(2025, 4, 1))]
    assert grant_problems(grant("g4", "zoe"), two_successive, **OK) == []


def test_a_third_provider_fits_when_periods_do_not_overlap():
    existing = [grant("g1", "ines", end=date(2025, 12, 31)), grant("g2", "lea", end=date(2025, 12, 31))]
    assert grant_problems(grant("g3", "hugo", start=date(2026, 1, 1)), existing, **OK) == []
    assert grant_problems(grant("g3", "hugo", start=date(2025, 12, 31)), existing, **OK) != []


def test_the_same_user_may_not_hold_the_same_role_twice_on_a_scope():
    assert grant_problems(grant("g2", "ines"), [FDA], **OK) == ["Cet utilisateur a déjà ce rôle sur ce périmètre."]
    approbateur = grant("g1", "ines", Role.approbateur, validation=Validation.validated)
    assert grant_problems(grant("g2", "ines", Role.approbateur), [approbateur], **OK) == [
        "Cet utilisateur a déjà ce rôle sur ce périmètre."
    ]


def test_the_same_user_may_hold_it_again_after_it_ended():
    ended = replace(FDA, end=date(2025, 3, 31))
    assert grant_problems(grant("g2", "ines", start=date(2025, 4, 1)), [ended], **OK) == []


def test_a_grant_is_not_compared_with_its_own_previous_version():
    assert grant_problems(replace(FDA, end=date(2025, 12, 31)), [FDA], **OK) == []


def test_one_person_may_hold_every_role():
    held = [grant("g1", "ines", Role.fda), grant("g2", "ines", Role.fdf)]
    approbateur = grant("g3", "ines", Role.approbateur, validation=initial_validation(Role.approbateur))
    assert grant_problems(approbateur, held, **OK) == []
    assert grant_problems(grant("g4", "ines", Role.fda, site="École Pasteur"), held, **OK) == []


def test_every_problem_is_reported_at_once():
    existing = [grant("g1", "lea"), grant("g2", "hugo"), grant("g3", "ines")]
    problems = grant_problems(
        grant("g4", "ines", start=date(2025, 2, 1), end=date(2025, 1, 31)),
        existing,
        user_in_declarer_group=False,
        activity_partner_matches=False,
        site_allowed=True,
    )
    assert len(problems) == 5


ACTIVITIES = {"eaje-1": [None], "alsh-1": ["École Jules Ferry", "École Pasteur"]}


def test_unassigned_lists_every_role_nobody_holds():
    assert unassigned(ACTIVITIES, [], TODAY) == [
        ("eaje-1", None, Role.fda),
        ("eaje-1", None, Role.fdf),
        ("eaje-1", None, Role.approbateur),
        ("alsh-1", "École Jules Ferry", Role.fda),
        ("alsh-1", "École Pasteur", Role.fda),
        ("alsh-1", None, Role.fdf),
        ("alsh-1", None, Role.approbateur),
    ]


def test_effective_and_pending_grants_count_as_assigned():
    grants = [
        grant("g1", "ines", activity_id="eaje-1"),
        grant("g2", "ines", Role.fdf, activity_id="eaje-1"),
        grant("g3", "lea", Role.approbateur, activity_id="eaje-1", validation=Validation.pending),
        grant("g4", "hugo", site="École Pasteur"),
    ]
    assert unassigned(ACTIVITIES, grants, TODAY) == [
        ("alsh-1", "École Jules Ferry", Role.fda),
        ("alsh-1", None, Role.fdf),
        ("alsh-1", None, Role.approbateur),
    ]


def test_ended_future_and_rejected_grants_leave_the_role_unassigned():
    grants = [
        grant("g1", "ines", activity_id="eaje-1", end=date(2025, 6, 14)),
        grant("g2", "ines", Role.fdf, activity_id="eaje-1", start=date(2025, 6, 16)),
        grant("g3", "lea", Role.approbateur, activity_id="eaje-1", validation=Validation.rejected),
    ]
    assert unassigned({"eaje-1": [None]}, grants, TODAY) == [
        ("eaje-1", None, Role.fda),
        ("eaje-1", None, Role.fdf),
        ("eaje-1", None, Role.approbateur),
    ]


def test_an_activity_wide_provider_covers_every_site():
    assert unassigned({"alsh-1": ["École Jules Ferry", "École Pasteur"]}, [FDA], TODAY) == [
        ("alsh-1", None, Role.fdf),
        ("alsh-1", None, Role.approbateur),
    ]
