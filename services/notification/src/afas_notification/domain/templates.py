"""The French texts of every message, in plain text and HTML (escaped), with their category.

Categories decide the channels: a ``rappel`` or an ``avis`` goes to the inbox and, unless the user switched it
off, by e-mail; a ``securite`` mail (activation, password reset, password changed) is always mailed and cannot be
switched off.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import date

RAPPEL, AVIS, SECURITE = "rappel", "avis", "securite"

MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
DECLARATION_TYPES = {
    "previsionnelle": "prévisionnelle",
    "actualisee_juin": "actualisée janvier à juin",
    "actualisee_septembre": "actualisée janvier à septembre",
    "reelle": "réelle",
}
FAMILIES = {
    "eaje_psu": "EAJE (PSU)",
    "alsh": "ALSH",
    "rpe": "RPE",
    "laep": "LAEP",
    "espace_rencontre": "Espace de rencontre",
    "mediation_familiale": "Médiation familiale",
    "ps_jeunes": "PS Jeunes",
    "centre_social_agc": "Centre social (AGC)",
    "centre_social_acf": "Centre social (ACF)",
    "clas": "CLAS",
    "ctg": "Chargé de coopération CTG",
}
ROLES = {
    "fda": "fournisseur de données d'activité (FDA)",
    "fdf": "fournisseur de données financières (FDF)",
    "approbateur": "approbateur",
}
TASKS = {
    "saisir_activite": "saisir et enregistrer les données d'activité",
    "saisir_financier": "saisir et enregistrer les données financières",
    "transmettre": "contrôler la déclaration, la signer et la transmettre à votre Caf",
}
FOOTER = "Ce message vous est envoyé automatiquement par le service AFAS de votre Caf ; merci de ne pas y répondre."


def french_date(day: date) -> str:
    return f"{day.day}{'er' if day.day == 1 else ''} {MONTHS[day.month - 1]} {day.year}"


@dataclass(frozen=True)
class Rendered:
    category: str
    subject: str
    text: str
    html: str


@dataclass(frozen=True)
class DeclarationFacts:
    declaration_type: str
    exercice: int
    activity_name: str | None
    deadline: date

    def title(self) -> str:
        kind = DECLARATION_TYPES.get(self.declaration_type, self.declaration_type)
        return f"déclaration {kind} {self.exercice}"

    def of_activity(self) -> str:
        return f" de l'activité « {self.activity_name} »" if self.activity_name else ""


def _render(category: str, subject: str, first_name: str | None, paragraphs: list[str], link: str | None) -> Rendered:
    greeting = f"Bonjour {first_name}," if first_name else "Bonjour,"
    text_parts = [greeting, *paragraphs]
    html_parts = [f"<p>{html.escape(greeting)}</p>", *(f"<p>{html.escape(p)}</p>" for p in paragraphs)]
    if link:
        text_parts.append(link)
        html_parts.append(f'<p><a href="{html.escape(link, quote=True)}">{html.escape(link)}</a></p>')
    text_parts.append(FOOTER)
    html_parts.append(f'<p style="color:#666;font-size:small">{html.escape(FOOTER)}</p>')
    body = "\n\n".join(text_parts) + "\n"
    page = (
        '<!DOCTYPE html><html lang="fr"><head><meta charset="utf-8">'
        f"<title>{html.escape(subject)}</title></head><body>{''.join(html_parts)}</body></html>"
    )
    return Rendered(category, subject, body, page)


def _tasks(tasks: set[str]) -> str:
    ordered = [TASKS[t] for t in ("saisir_activite", "saisir_financier", "transmettre") if t in tasks]
    return " et ".join(ordered)


# --- reminders -----------------------------------------------------------------------------------------------------


def reminder(kind: str, facts: DeclarationFacts, tasks: set[str], first_name: str | None, link: str) -> Rendered:
    """``ouverture``, ``j-N`` (N days before the deadline) or ``j+N`` (N days overdue)."""
    title, deadline = facts.title(), french_date(facts.deadline)
    todo = f"Il vous revient de {_tasks(tasks)}." if tasks else ""
    if kind == "ouverture":
        subject = f"Votre {title} est disponible"
        lines = [f"Votre {title}{facts.of_activity()} est disponible sur AFAS.", f"À transmettre avant le {deadline}."]
    elif kind.startswith("j-"):
        days = int(kind[2:])
        left = "demain" if days == 1 else f"dans {days} jours"
        subject = f"Rappel : votre {title} est à transmettre avant le {deadline}"
        lines = [f"La date limite de votre {title}{facts.of_activity()} est le {deadline}, {left}."]
    else:
        subject = f"Retard : votre {title} n'a pas été transmise"
        lines = [
            f"La date limite de votre {title}{facts.of_activity()} était le {deadline} : "
            "la déclaration n'a pas encore été transmise à votre Caf.",
            "Sans transmission, le versement de la prestation de service peut être retardé.",
        ]
    return _render(RAPPEL, subject, first_name, [*lines, todo] if todo else lines, link)


# --- notices -------------------------------------------------------------------------------------------------------


def refused(facts: DeclarationFacts, reason: str, first_name: str | None, link: str) -> Rendered:
    title = facts.title()
    return _render(
        AVIS,
        f"Votre {title} a été refusée par la Caf",
        first_name,
        [
            f"Votre Caf a refusé la {title}{facts.of_activity()}.",
            f"Motif : {reason}",
            "Corrigez la déclaration (ou renvoyez les formulaires à leurs fournisseurs), puis contrôlez-la et "
            "transmettez-la à nouveau.",
        ],
        link,
    )


def role_granted(role: str, activity_name: str | None, first_name: str | None, link: str) -> Rendered:
    where = f" sur l'activité « {activity_name} »" if activity_name else ""
    return _render(
        AVIS,
        "Un rôle de déclaration vous a été attribué",
        first_name,
        [f"Vous êtes désormais {ROLES.get(role, role)}{where}."],
        link,
    )


def approbateur_pending(activity_name: str | None, first_name: str | None, link: str) -> Rendered:
    where = f" de l'activité « {activity_name} »" if activity_name else ""
    return _render(
        AVIS,
        "Votre habilitation d'approbateur est en attente de validation par votre Caf",
        first_name,
        [
            f"Vous avez été désigné approbateur{where}.",
            "Votre habilitation est en attente de validation par votre Caf : vous serez prévenu de sa décision.",
        ],
        link,
    )


def approbateur_validated(activity_name: str | None, first_name: str | None, link: str) -> Rendered:
    where = f" de l'activité « {activity_name} »" if activity_name else ""
    return _render(
        AVIS,
        "Votre habilitation d'approbateur a été validée",
        first_name,
        [f"Votre Caf a validé votre habilitation d'approbateur{where} : vous pouvez signer et transmettre."],
        link,
    )


def approbateur_rejected(activity_name: str | None, reason: str, first_name: str | None, link: str) -> Rendered:
    where = f" de l'activité « {activity_name} »" if activity_name else ""
    return _render(
        AVIS,
        "Votre habilitation d'approbateur a été refusée",
        first_name,
        [f"Votre Caf a refusé votre habilitation d'approbateur{where}.", f"Motif : {reason}"],
        link,
    )


def role_ended(role: str, activity_name: str | None, end: date, first_name: str | None, link: str) -> Rendered:
    where = f" sur l'activité « {activity_name} »" if activity_name else ""
    return _render(
        AVIS,
        "Fin d'un rôle de déclaration",
        first_name,
        [f"Votre rôle de {ROLES.get(role, role)}{where} a pris fin le {french_date(end)}."],
        link,
    )


def french_amount(amount: str) -> str:
    """``"-40852.5"`` -> ``"40 852,50"`` (sign dropped: the wording says whether it is paid or recovered)."""
    units, _, cents = amount.lstrip("-").partition(".")
    grouped = f"{int(units or 0):,}".replace(",", "\u202f")
    return f"{grouped},{(cents + '00')[:2]}"


def payment_scheduled(label: str, amount: str, due: date, first_name: str | None, link: str) -> Rendered:
    if amount.startswith("-"):
        subject = "Un indu est à rembourser à votre Caf"
        line = f"Votre Caf récupérera {french_amount(amount)} € à partir du {french_date(due)} : {label}."
    else:
        subject = "Un paiement de votre Caf est programmé"
        line = f"Votre Caf versera {french_amount(amount)} € le {french_date(due)} : {label}."
    return _render(AVIS, subject, first_name, [line], link)


def estimate_revised(
    facts: DeclarationFacts, before: str | None, after: str | None, first_name: str | None, link: str
) -> Rendered:
    if after is None:
        change = " ne peut plus être calculée avec le nouveau barème"
    elif before is None:
        change = f" est désormais de {french_amount(after)} €"
    else:
        change = f" passe de {french_amount(before)} € à {french_amount(after)} €"
    return _render(
        AVIS,
        f"Nouvelle estimation de votre {facts.title()}",
        first_name,
        [
            "Le barème de la prestation de service a changé : l'estimation de la "
            f"{facts.title()}{facts.of_activity()}{change}.",
        ],
        link,
    )


def caf_document(nature: str, title: str, first_name: str | None, link: str) -> Rendered:
    """A document from the Caf: its nature and title only (the file is opened on the « Documents » page)."""
    return _render(
        AVIS,
        "Votre Caf vous a adressé un document",
        first_name,
        [
            f"Votre Caf vous a adressé {nature} : « {title} ».",
            "Vous le trouverez dans la rubrique « Documents » de votre espace AFAS, une fois connecté.",
        ],
        link,
    )


def activation(first_name: str, link: str, expires: str, identifier: str | None = None) -> Rendered:
    # The identifier is what the login form asks for: without it a new user cannot log in alone. It is not a
    # secret (the password is chosen on the page, never mailed); an event from before it was carried has none.
    login = (
        [
            f"Votre identifiant de connexion est {identifier} : conservez ce message, il vous sera demandé à chaque "
            "connexion et pour réinitialiser votre mot de passe."
        ]
        if identifier
        else []
    )
    return _render(
        SECURITE,
        "Activez votre compte AFAS",
        first_name,
        [
            "Un compte nominatif vient de vous être créé sur le service AFAS de votre Caf.",
            *login,
            f"Pour l'activer et choisir votre mot de passe, ouvrez le lien ci-dessous avant le {expires}. "
            "Il ne sert qu'une fois. Ne le communiquez à personne.",
        ],
        link,
    )


def password_reset(first_name: str, link: str, expires: str) -> Rendered:
    return _render(
        SECURITE,
        "Réinitialisation de votre mot de passe AFAS",
        first_name,
        [
            "Une réinitialisation de votre mot de passe a été demandée.",
            f"Ouvrez le lien ci-dessous avant le {expires} pour choisir un nouveau mot de passe. "
            "Si vous n'êtes pas à l'origine de cette demande, ignorez ce message.",
        ],
        link,
    )


def password_changed(first_name: str | None, when: str) -> Rendered:
    return _render(
        SECURITE,
        "Votre mot de passe AFAS a été modifié",
        first_name,
        [
            f"Le mot de passe de votre compte AFAS a été modifié le {when}.",
            "Si vous n'êtes pas à l'origine de ce changement, contactez votre Caf sans attendre.",
        ],
        None,
    )


# A one-time link (activation, reset) is never stored: its mail is kept with this placeholder, replaced when sent.
LINK_PLACEHOLDER = "{{lien-a-usage-unique}}"


def with_link(text: str, page: str, url: str) -> tuple[str, str]:
    """The mail's text and HTML with the one-time URL in place of the placeholder."""
    return text.replace(LINK_PLACEHOLDER, url), page.replace(LINK_PLACEHOLDER, html.escape(url, quote=True))


# A notice to a user not known here yet (the grant overtook identity's announcement) is stored with this first name,
# resolved from the user directory when the mail is sent and when the inbox is read (``with_first_name``).
NAME_PLACEHOLDER = "{{prenom}}"
_GREETING_TO_RESOLVE = f"Bonjour {NAME_PLACEHOLDER},"


def with_first_name(text: str, page: str, first_name: str | None) -> tuple[str, str]:
    """The message's text and HTML greeting the user by the first name now known (``Bonjour,`` if still unknown)."""
    greeting = f"Bonjour {first_name}," if first_name else "Bonjour,"
    return (
        text.replace(_GREETING_TO_RESOLVE, greeting),
        page.replace(html.escape(_GREETING_TO_RESOLVE), html.escape(greeting)),
    )
