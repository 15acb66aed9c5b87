"""notification's requests and replies: calendars, personal ICS feeds, the inbox, mail preferences, each Caf's
reminder days and the operators' undeliverable mail.

Field names are the public API's (``/api/v1/calendrier``, ``/api/v1/notifications``, ``/api/v1/rappels``); the
attribute keeps notification's name where it differs. The public API passes these replies through as they are:
each is also its route's reply model, with its example.

A value of the wrong type is refused in French (``refused_unless``): whoever calls the bus directly reads the same
words a page would. The rules beyond the type (a Caf's reminder days between 1 and 120, security mails always on)
are notification's own, checked by its use cases.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from afas_shared.contracts.rpc.base import Empty, RpcContract, RpcReply, RpcRequest, Timestamp, example

MAX_OFFSET = 100_000  # the inbox's pagination: far beyond any user's messages, well within the database's integers
OFFSET_MESSAGE = f"Pagination invalide : un décalage entre 0 et {MAX_OFFSET}."
DAYS_BEFORE_MESSAGE = "Jours avant la date limite : des nombres entiers entre 1 et 120."
DAYS_AFTER_MESSAGE = "Jours après la date limite : un nombre entier entre 1 et 60."


def refused_unless(accepts: Callable[[Any], bool], message: str) -> BeforeValidator:
    """A field whose value, when given, must pass ``accepts``; otherwise refused with ``message`` (French)."""

    def check(value: Any) -> Any:
        if value is not None and not accepts(value):
            raise ValueError(message)
        return value

    return BeforeValidator(check)


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _an_offset(value: Any) -> bool:
    return _whole(value) and 0 <= value <= MAX_OFFSET  # a huge one would overflow the database's integers


def _whole_numbers(value: Any) -> bool:
    return isinstance(value, list) and all(_whole(v) for v in value)


def _an_identifier(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True


Identifier = Annotated[uuid.UUID, refused_unless(_an_identifier, "Identifiant invalide.")]
Flag = Annotated[bool | None, refused_unless(lambda v: isinstance(v, bool), "Valeur attendue : vrai ou faux.")]


# --- the calendar and the personal ICS feed -----------------------------------------------------------------------


class CalendarRequestV1(RpcRequest):
    exercice: Annotated[int | None, refused_unless(_whole, "Exercice invalide.")] = None
    caf: str | None = None  # the operator's choice; an agent or a partner sees its own Cafs


class FeedRequestV1(RpcRequest):
    """The secret token of a feed's URL: it is the credential (calendar applications cannot log in)."""

    token: str = ""


class CampaignDatesV1(RpcReply):
    campagne_id: uuid.UUID
    caf: str
    type_activite: str
    type_activite_libelle: str
    exercice: int
    type_declaration: str
    type_declaration_libelle: str
    date_ouverture: date
    date_limite: date | None


class DeadlineV1(RpcReply):
    declaration_id: uuid.UUID
    activite: str | None
    exercice: int
    type_declaration: str
    date_limite: date | None
    etat: str = Field(description="Où en est la déclaration, en clair")


class CalendarV1(RpcReply):
    model_config = example(
        {
            "campagnes": [
                {
                    "campagne_id": "5d2b76f7-944c-4684-bbcb-28c53f546cfb",
                    "caf": "080",
                    "type_activite": "alsh",
                    "type_activite_libelle": "ALSH",
                    "exercice": 2027,
                    "type_declaration": "previsionnelle",
                    "type_declaration_libelle": "Prévisionnelle",
                    "date_ouverture": "2026-12-07",
                    "date_limite": "2027-02-05",
                }
            ],
            "mes_echeances": [
                {
                    "declaration_id": "8f078ad4-272f-49a6-ac93-a61b3c379af0",
                    "activite": "Multi-accueil Les Lucioles",
                    "exercice": 2027,
                    "type_declaration": "previsionnelle",
                    "date_limite": "2027-02-05",
                    "etat": "À transmettre",
                }
            ],
        }
    )

    campagnes: list[CampaignDatesV1]
    mes_echeances: list[DeadlineV1] = Field(
        description="Un utilisateur partenaire : ses déclarations et leur date limite"
    )


class CalendarLinkV1(RpcReply):
    model_config = example({"url": "https://afas.example/api/v1/calendrier/OkIPvMvE….ics", "jeton": "OkIPvMvE…"})

    url: str = Field(description="L'adresse à donner à son agenda (secrète : elle vaut accès)")
    jeton: str


class CalendarLinkRevokedV1(RpcReply):
    model_config = example({"revoque": True})

    revoque: bool = Field(description="Faux s'il n'y avait pas de lien")


class IcsFeedV1(RpcReply):
    ics: str = Field(description="Le calendrier au format iCalendar")


# --- the inbox and mail preferences ---------------------------------------------------------------------------------


class InboxRequestV1(RpcRequest):
    unread_only: Flag = Field(default=False, alias="non_lues")
    limit: Annotated[int | None, refused_unless(_whole, "Pagination invalide.")] = Field(default=None, alias="limite")
    offset: Annotated[int | None, refused_unless(_an_offset, OFFSET_MESSAGE)] = Field(default=0, alias="decalage")


class MarkReadRequestV1(RpcRequest):
    message_id: Identifier | None = None  # one message, or all of the caller's when none


class PreferencesRequestV1(RpcRequest):
    """Only the preferences given change."""

    email_reminders: Flag = Field(default=None, alias="rappels_par_email")
    email_notices: Flag = Field(default=None, alias="avis_par_email")
    security_mails: Flag = Field(default=None, alias="securite_par_email")  # never false: notification refuses it


class InboxMessageV1(RpcReply):
    model_config = example(
        {
            "id": "f0eb3479-3919-44c4-8e1a-8efff599f9d8",
            "type": "approbateur_valide",
            "categorie": "avis",
            "objet": "Votre habilitation d'approbateur a été validée",
            "texte": "Bonjour Claire,\n\nVotre Caf a validé votre habilitation…",
            "lien": "https://afas.example/declarations/9a942c0b-1d5c-4e56-9660-af12af056651",
            "declaration_id": "9a942c0b-1d5c-4e56-9660-af12af056651",
            "recu_le": "2026-03-01T09:30:00+00:00",
            "lu": False,
        }
    )

    id: uuid.UUID
    type: str
    categorie: str = Field(description="rappel, avis ou securite")
    objet: str
    texte: str
    lien: str | None
    declaration_id: uuid.UUID | None
    recu_le: Timestamp
    lu: bool


class UnreadCountV1(RpcReply):
    model_config = example({"non_lues": 3})

    non_lues: int


class MarkedReadV1(RpcReply):
    model_config = example({"marques": 3})

    marques: int = Field(description="Combien de messages sont passés à « lu »")


class MailPreferencesV1(RpcReply):
    model_config = example({"rappels_par_email": True, "avis_par_email": False, "securite_par_email": True})

    rappels_par_email: bool
    avis_par_email: bool
    securite_par_email: bool = Field(description="Toujours vrai")


# --- each Caf's reminder days -----------------------------------------------------------------------------------------


class ReminderSettingsRequestV1(RpcRequest):
    caf: str | None = None  # the operator names the Caf; an agent sets its own


class SetReminderSettingsRequestV1(ReminderSettingsRequestV1):
    days_before: Annotated[list[int], refused_unless(_whole_numbers, DAYS_BEFORE_MESSAGE)] = Field(
        default_factory=list, alias="jours_avant"
    )
    days_after: Annotated[int | None, refused_unless(_whole, DAYS_AFTER_MESSAGE)] = Field(
        default=None, alias="jours_apres"
    )


class ReminderSettingsV1(RpcReply):
    model_config = example({"caf": "080", "jours_avant": [15, 3, 1], "jours_apres": 1, "par_defaut": True})

    caf: str
    jours_avant: list[int]
    jours_apres: int
    par_defaut: bool = Field(description="Vrai : la Caf garde les jours par défaut de la plateforme")


# --- the operators' undeliverable mail --------------------------------------------------------------------------------


class RetryRequestV1(RpcRequest):
    message_id: Identifier


class UndeliverableMessageV1(RpcReply):
    model_config = example(
        {
            "id": "21c55706-1475-4c45-b54a-519bb18ebd34",
            "type": "activation",
            "destinataire_id": "0a588ecf-d376-49cc-8b7e-2805b4172657",
            "objet": "Activez votre compte",
            "tentatives": 8,
            "derniere_erreur": "550 mailbox unavailable",
            "cree_le": "2026-03-01T09:30:00+00:00",
            "message_id": "<21c55706@afas.example>",
        }
    )

    id: uuid.UUID
    type: str
    destinataire_id: uuid.UUID | None
    objet: str
    tentatives: int
    derniere_erreur: str | None
    cree_le: Timestamp
    message_id: str | None


class RetryQueuedV1(RpcReply):
    model_config = example({"id": "21c55706-1475-4c45-b54a-519bb18ebd34", "etat": "a_renvoyer"})

    id: uuid.UUID
    etat: str


def _contracts() -> tuple[RpcContract, ...]:
    def c(verb: str, request: type[RpcRequest], reply: Any) -> RpcContract:
        return RpcContract("notification", verb, request, reply)

    return (
        c("calendar", CalendarRequestV1, CalendarV1),
        c("calendar_feed_create", Empty, CalendarLinkV1),
        c("calendar_feed_revoke", Empty, CalendarLinkRevokedV1),
        c("calendar_feed", FeedRequestV1, IcsFeedV1),
        c("inbox", InboxRequestV1, list[InboxMessageV1]),
        c("inbox_unread", Empty, UnreadCountV1),
        c("inbox_mark_read", MarkReadRequestV1, MarkedReadV1),
        c("preferences_get", Empty, MailPreferencesV1),
        c("preferences_set", PreferencesRequestV1, MailPreferencesV1),
        c("reminder_settings_get", ReminderSettingsRequestV1, ReminderSettingsV1),
        c("reminder_settings_set", SetReminderSettingsRequestV1, ReminderSettingsV1),
        c("undeliverable", Empty, list[UndeliverableMessageV1]),
        c("undeliverable_retry", RetryRequestV1, RetryQueuedV1),
    )


CONTRACTS = _contracts()
