"""The authorization matrix of the public gateway: every public route and who may call it.

``test_authorization_matrix.py`` fails on any route of the gateway missing from ``MATRIX`` (and on any route
``MATRIX`` names that the gateway no longer has): a new route must be classified here.
"""

from __future__ import annotations

from datetime import date

from tests.e2e.test_seed_001_story import SITE_B
from tests.integration.authorization_matrix_callers import (
    ADMIN_PARTNER,
    AGENT,
    ALSH_PROVIDERS,
    APPROBATEUR,
    CAF,
    CAF_HAB,
    CAF_HAB_OP,
    CAF_INS,
    CAF_INS_OP,
    CAF_LEC,
    CAF_PAR,
    CAF_PAR_OP,
    CAF_READERS,
    CATALOGUE_EDITORS,
    CNAF,
    DECLARATION_READERS,
    FDA_SITE,
    FDF,
    KINDS,
    NATIONAL_PARAMETRAGE,
    OPERATOR,
    OTHER_CAF,
    OTHER_PARTNER,
    PAGE_PUBLIC,
    PARTNER_ADMINS,
    PARTNER_USERS,
    PASSWORD,
    REASON,
    SIRET_NEW,
    USERS,
    WHOLE_DECLARATION_READERS,
    Route,
    _user_body,
    route,
)

# The secure thread of a declaration: its activity's partner users and its Caf's agents, not the operator
THREAD = ALSH_PROVIDERS | CAF
OF_THREAD = {"message_id": "thread_message_id"}  # a message of the thread (not of the inbox)

MATRIX: dict[tuple[str, str], Route] = {
    # --- platform, documentation, health
    ("GET", "/openapi.json"): route(KINDS),
    ("GET", "/docs"): route(KINDS),
    ("GET", "/docs/oauth2-redirect"): route(KINDS),
    ("GET", "/redoc"): route(KINDS),
    ("GET", "/healthz"): route(KINDS),
    ("GET", "/readyz"): route(KINDS),
    ("GET", "/asyncapi.json"): route(KINDS),
    ("GET", "/api/v1/status"): route(KINDS),
    ("GET", "/api/v1/events/asyncapi/{service}"): route(KINDS),
    ("POST", "/api/v1/admin/demo"): route({OPERATOR}),
    # --- sessions
    ("POST", "/api/v1/auth/login"): route(KINDS, body={"identifiant": AGENT, "mot_de_passe": PASSWORD}),
    ("GET", "/api/v1/auth/session"): route(USERS),
    ("POST", "/api/v1/auth/refresh"): route(USERS - {OPERATOR}),
    ("POST", "/api/v1/auth/logout"): route(USERS, destructive=True, last_caller=CAF_LEC),
    ("POST", "/api/v1/auth/activation"): route(
        KINDS, body={"jeton": "jeton-invente", "mot_de_passe": "Nouveau-Mot-2026!", "confirmation": "Nouveau-Mot-2026!"}
    ),
    ("POST", "/api/v1/auth/password"): route(
        USERS - {OPERATOR},
        body={
            "mot_de_passe_actuel": "pas-le-bon",
            "mot_de_passe": "Nouveau-Mot-2026!",
            "confirmation": "Nouveau-Mot-2026!",
        },
    ),
    ("POST", "/api/v1/auth/password-reset"): route(KINDS, body={"identifiant": "999999999"}),
    ("POST", "/api/v1/auth/password-reset/confirm"): route(
        KINDS, body={"jeton": "jeton-invente", "mot_de_passe": "Nouveau-Mot-2026!", "confirmation": "Nouveau-Mot-2026!"}
    ),
    ("GET", "/api/v1/auth/jwks"): route(KINDS),
    # --- identity: Cafs, partners, conventions, users, groups
    ("GET", "/api/v1/cafs"): route(USERS),
    ("POST", "/api/v1/cafs/{caf}/agents"): route(
        CAF_HAB_OP,
        body={
            "nom": "Agent",
            "prenom": "Nouvel",
            "email": "nouvel.agent@caf-somme.example",
            "email_confirmation": "nouvel.agent@caf-somme.example",
            "roles_caf": ["lecture"],
        },
    ),  # fmt: skip
    ("GET", "/api/v1/partners"): route(USERS),
    ("POST", "/api/v1/partners"): route(
        CAF_HAB_OP,
        body={"raison_sociale": "Commune nouvelle", "siret": SIRET_NEW, "type": "commune", "caf": "080"},
    ),
    ("GET", "/api/v1/partners/{partner_id}"): route(CAF_READERS | {ADMIN_PARTNER, FDA_SITE, FDF, APPROBATEUR}),
    ("PUT", "/api/v1/partners/{partner_id}"): route(CAF_HAB_OP, body="partner_body"),
    ("PUT", "/api/v1/partners/{partner_id}/delegation"): route(CAF_HAB_OP, body={"gestion_deleguee": True}),
    ("GET", "/api/v1/partners/{partner_id}/audit"): route(CAF_READERS),
    ("POST", "/api/v1/partners/{partner_id}/exports"): route({OPERATOR}),
    ("POST", "/api/v1/partners/{partner_id}/conventions"): route(
        CAF_HAB_OP, body={"type": "contrat_service", "date_ouverture": "2026-01-01"}
    ),
    ("GET", "/api/v1/conventions"): route(USERS),
    ("POST", "/api/v1/conventions/{convention_id}/close"): route(CAF_HAB_OP, body={}, destructive=True),
    ("GET", "/api/v1/partners/{partner_id}/users"): route(PARTNER_ADMINS | CAF_READERS),
    ("POST", "/api/v1/partners/{partner_id}/users"): route(PARTNER_ADMINS, body=_user_body("nouveau")),
    ("PUT", "/api/v1/users/{user_id}"): route(PARTNER_ADMINS, body=_user_body("victime")),
    ("POST", "/api/v1/users/{user_id}/close"): route(PARTNER_ADMINS, body={}, destructive=True),
    # the operator alone; the world's user is open, so the operator's call is a 409, never a refusal
    ("POST", "/api/v1/users/{user_id}/erase"): route({OPERATOR}, destructive=True),
    ("POST", "/api/v1/users/{user_id}/suspend"): route(CAF_HAB_OP, body=REASON, destructive=True),
    ("POST", "/api/v1/users/{user_id}/reactivate"): route(CAF_HAB_OP, destructive=True),
    ("POST", "/api/v1/users/{user_id}/force-password-change"): route(CAF_HAB_OP, destructive=True),
    ("POST", "/api/v1/users/{user_id}/groups"): route(PARTNER_ADMINS, body={"groupe": "AFAS-DECLARER"}),
    ("DELETE", "/api/v1/users/{user_id}/groups/{group}"): route(PARTNER_ADMINS, destructive=True),
    # --- habilitation: catalogue and grants
    ("GET", "/api/v1/activities"): route(USERS),
    ("POST", "/api/v1/activities"): route(CATALOGUE_EDITORS, body="activity_body"),
    ("POST", "/api/v1/activities/import"): route(
        CAF | {OTHER_CAF, CNAF, OPERATOR},  # every row is checked against the caller's Caf: refused rows reported
        csv="partenaire_siret;caf;famille;nature;nom;mode_lieux;lieux;date_ouverture;date_fermeture;places;ideq;dossier_afc\n",
    ),
    ("GET", "/api/v1/activities/{activity_id}"): route(CAF_READERS | {ADMIN_PARTNER, FDA_SITE, FDF, APPROBATEUR}),
    ("PUT", "/api/v1/activities/{activity_id}"): route(
        CATALOGUE_EDITORS, body="laep_body", params={"activity_id": "laep"}
    ),
    ("POST", "/api/v1/activities/{activity_id}/close"): route(
        CATALOGUE_EDITORS, body={"date_fermeture": "2030-12-31"}, params={"activity_id": "laep"}, destructive=True
    ),
    ("POST", "/api/v1/grants"): route({ADMIN_PARTNER, CAF_HAB, OPERATOR}, body="grant_body"),
    ("GET", "/api/v1/partners/{partner_id}/grants"): route({ADMIN_PARTNER} | CAF_READERS),
    ("GET", "/api/v1/grants"): route(CAF_READERS | {ADMIN_PARTNER, OTHER_PARTNER, OTHER_CAF, CNAF}),
    ("GET", "/api/v1/grants/pending"): route(CAF | {OTHER_CAF, CNAF}),
    ("POST", "/api/v1/grants/{grant_id}/validate"): route(CAF_HAB_OP, destructive=True),
    ("POST", "/api/v1/grants/{grant_id}/reject"): route(CAF_HAB_OP, body=REASON, destructive=True),
    ("POST", "/api/v1/grants/{grant_id}/end"): route({ADMIN_PARTNER, CAF_HAB, OPERATOR}, destructive=True),
    # --- declaration: campaigns, declarations, forms, permissions
    ("POST", "/api/v1/campaigns"): route(
        CAF_PAR_OP | {OTHER_CAF},
        body={
            "type_activite": "rpe",
            "exercice": 2030,
            "type_declaration": "reelle",
            "date_ouverture": "2031-01-15",
            "date_limite": "2031-03-31",
        },
    ),  # fmt: skip
    ("GET", "/api/v1/campaigns"): route(CAF_READERS | {OTHER_CAF, CNAF}),
    ("POST", "/api/v1/campaigns/{campaign_id}/reconciliation"): route(CAF_PAR_OP),
    ("GET", "/api/v1/campaigns/{campaign_id}/actions"): route(CAF_PAR_OP),
    ("POST", "/api/v1/campaigns/{campaign_id}/close"): route(CAF_PAR_OP, destructive=True),
    ("GET", "/api/v1/jobs/{job_id}"): route(CAF_READERS | {OTHER_CAF, CNAF}),
    ("GET", "/api/v1/declarations"): route(USERS),
    ("GET", "/api/v1/declarations/a-saisir"): route(USERS),
    ("GET", "/api/v1/activities/{activity_id}/declarations"): route(DECLARATION_READERS),
    ("GET", "/api/v1/declarations/{declaration_id}"): route(DECLARATION_READERS),
    ("PUT", "/api/v1/forms/{form_id}"): route({APPROBATEUR}, body={"version": 1, "valeurs": SITE_B}),
    ("POST", "/api/v1/forms/{form_id}/prefill"): route({APPROBATEUR}, body={"version": 1}),
    ("GET", "/api/v1/me/permissions"): route(USERS - {OPERATOR}),
    ("GET", "/api/v1/me/permissions/check"): route(USERS - {OPERATOR}, query="permission_query"),
    ("POST", "/api/v1/declarations/{declaration_id}/controls"): route(ALSH_PROVIDERS),
    ("GET", "/api/v1/declarations/{declaration_id}/controls"): route(DECLARATION_READERS),
    ("PUT", "/api/v1/declarations/{declaration_id}/justifications/{key}"): route(
        {APPROBATEUR}, body={"texte": "Sorties du mercredi autorisées par la PMI.", "montant": "100"}
    ),
    ("PUT", "/api/v1/declarations/{declaration_id}/complement"): route(
        {APPROBATEUR}, body={"texte": "Rien à ajouter."}
    ),
    ("GET", "/api/v1/declarations/{declaration_id}/estimate"): route(WHOLE_DECLARATION_READERS),
    ("POST", "/api/v1/forms/{form_id}/send-back"): route({APPROBATEUR}, body={"commentaire": "Vérifiez les heures."}),
    ("POST", "/api/v1/declarations/{declaration_id}/transmit"): route({APPROBATEUR}, body={"signature": True}),
    ("GET", "/api/v1/declarations/{declaration_id}/versions"): route(DECLARATION_READERS),
    ("GET", "/api/v1/declarations/{declaration_id}/versions/{number}"): route(DECLARATION_READERS),
    ("GET", "/api/v1/declarations/{declaration_id}/versions/{number}/accuse.pdf"): route(WHOLE_DECLARATION_READERS),
    # pièces justificatives: attached by the partner's providers and approbateur (the declaration is transmitted:
    # 409 to them), read under the declaration's authorization; the whole declaration's file not by a site's provider
    ("POST", "/api/v1/declarations/{declaration_id}/pieces-jointes"): route(ALSH_PROVIDERS),
    ("GET", "/api/v1/declarations/{declaration_id}/pieces-jointes"): route(DECLARATION_READERS),
    ("GET", "/api/v1/declarations/{declaration_id}/pieces-jointes/{attachment_id}"): route(WHOLE_DECLARATION_READERS),
    # withdrawn before transmission by its author or the approbateur (Paul's file, transmitted: 409 to him)
    ("DELETE", "/api/v1/declarations/{declaration_id}/pieces-jointes/{attachment_id}"): route({APPROBATEUR}),
    # documents from the Caf: published by its instruction and habilitations agents (no file sent: 422 to them),
    # listed by the partner's users and its Caf's agents, opened by the partner's users only
    ("POST", "/api/v1/partners/{partner_id}/documents"): route({CAF_HAB, CAF_INS}),
    ("GET", "/api/v1/partners/{partner_id}/documents"): route(CAF | ALSH_PROVIDERS | {ADMIN_PARTNER}),
    ("GET", "/api/v1/partners/{partner_id}/documents/{document_id}"): route(ALSH_PROVIDERS | {ADMIN_PARTNER}),
    # the secure thread: the partner's users acting on the activity and the agents of the declaration's Caf only
    ("GET", "/api/v1/declarations/{declaration_id}/messages"): route(THREAD),
    ("POST", "/api/v1/declarations/{declaration_id}/messages"): route(THREAD, form={"texte": "Message de la matrice."}),
    ("POST", "/api/v1/declarations/{declaration_id}/messages/lus"): route(THREAD),
    ("GET", "/api/v1/declarations/{declaration_id}/messages/{message_id}/fichier"): route(THREAD, params=OF_THREAD),
    ("GET", "/api/v1/instruction/declarations"): route(CAF_READERS | {OTHER_CAF, CNAF}),
    ("POST", "/api/v1/declarations/{declaration_id}/validate"): route(CAF_INS_OP, body={}),
    ("POST", "/api/v1/declarations/{declaration_id}/refuse"): route(CAF_INS_OP, body=REASON),
    ("POST", "/api/v1/declarations/{declaration_id}/cancel"): route(CAF_INS_OP, body=REASON),
    # --- notification
    ("GET", "/api/v1/calendrier"): route(USERS),
    ("POST", "/api/v1/calendrier/lien"): route(PARTNER_USERS),
    ("DELETE", "/api/v1/calendrier/lien"): route(USERS - {OPERATOR}),
    ("GET", "/api/v1/calendrier/{token}.ics"): route(KINDS),  # the token is the credential: a made-up one is a 404
    ("GET", "/api/v1/notifications"): route(USERS - {OPERATOR}),
    ("GET", "/api/v1/notifications/non-lues"): route(USERS - {OPERATOR}),
    ("POST", "/api/v1/notifications/lues"): route(USERS - {OPERATOR}),
    ("POST", "/api/v1/notifications/{message_id}/lue"): route(USERS - {OPERATOR}),
    ("GET", "/api/v1/notifications/preferences"): route(USERS - {OPERATOR}),
    ("PUT", "/api/v1/notifications/preferences"): route(USERS - {OPERATOR}, body={}),
    ("GET", "/api/v1/rappels/parametres"): route(CAF_READERS | {OTHER_CAF, CNAF}),
    ("PUT", "/api/v1/rappels/parametres"): route(
        CAF_PAR_OP | {OTHER_CAF}, body={"jours_avant": [15, 3, 1], "jours_apres": 1}
    ),
    ("GET", "/api/v1/admin/notifications/non-distribuees"): route({OPERATOR}),
    ("POST", "/api/v1/admin/notifications/{message_id}/renvoyer"): route({OPERATOR}),
    # --- estimation
    ("GET", "/api/v1/baremes/{famille}"): route(USERS),
    ("PUT", "/api/v1/baremes/{famille}/parametres/{parametre}"): route(
        NATIONAL_PARAMETRAGE, body="parameter_body", destructive=True
    ),
    ("GET", "/api/v1/baremes/reestimations/{job_id}"): route(CAF_READERS),
    # the amounts cover the whole activity: a partner user needs a grant on the whole activity (estimation asks
    # declaration.rpc.may), so neither a site provider nor an administrator without a grant reads them
    ("GET", "/api/v1/activities/{activity_id}/payments"): route(
        WHOLE_DECLARATION_READERS, query={"exercice": str(date.today().year + 1)}
    ),
    ("GET", "/api/v1/declarations/{declaration_id}/entitlement"): route(WHOLE_DECLARATION_READERS),
    ("GET", "/api/v1/cafs/{caf}/politique-paiement"): route(USERS),
    # a Caf chooses its own payment policy: its paramétrage agents only (not the Cnaf, not the operator)
    ("PUT", "/api/v1/cafs/{caf}/politique-paiement"): route({CAF_PAR}, body="policy_body", destructive=True),
    # a Caf's local parameter (bonus territoire per new place): its paramétrage agents only (not the Cnaf)
    ("PUT", "/api/v1/cafs/{caf}/parametres-locaux/{famille}/{parametre}"): route(
        {CAF_PAR},
        body="local_parameter_body",
        params={"famille": "famille_psu", "parametre": "local"},
        destructive=True,
    ),
    # a Caf's territories (bonus territoire per new place): read by that Caf's agents and the operator, defined and
    # assigned by its paramétrage agents only (not the Cnaf, not the operator); the ALSH has no territory: 422
    ("GET", "/api/v1/cafs/{caf}/territoires"): route(CAF_READERS),
    ("PUT", "/api/v1/cafs/{caf}/territoires/{code}"): route({CAF_PAR}, body="territory_body"),
    ("PUT", "/api/v1/activities/{activity_id}/territoire"): route({CAF_PAR}, body="activity_territory_body"),
    # payments made before the platform: the activity's Caf, instruction or paramétrage (201, then 409 once known)
    ("POST", "/api/v1/activities/{activity_id}/versements-anterieurs"): route(
        {CAF_INS, CAF_PAR}, body="prior_payments_body"
    ),
    # an actual validated before the platform: the activity's Caf, instruction or paramétrage (201, then 409)
    ("POST", "/api/v1/activities/{activity_id}/reels-anterieurs"): route({CAF_INS, CAF_PAR}, body="prior_actual_body"),
    # --- pages: public
    ("GET", "/static/{name}"): route(PAGE_PUBLIC),
    ("GET", "/etat"): route(PAGE_PUBLIC),
    ("GET", "/"): route(PAGE_PUBLIC, ends_on_login_page=True),  # a redirect, to /connexion without a cookie
    ("GET", "/connexion"): route(PAGE_PUBLIC),
    # The login form's double-submit CSRF token: the same value in its cookie and in the form
    ("POST", "/connexion"): route(
        PAGE_PUBLIC,
        form={"identifiant": AGENT, "mot_de_passe": PASSWORD, "csrf": "jeton-matrice"},
        cookies={"afas_connexion": "jeton-matrice"},
    ),
    ("POST", "/deconnexion"): route(
        PAGE_PUBLIC, form={}, destructive=True, last_caller=CAF_LEC, ends_on_login_page=True
    ),
    ("GET", "/mot-de-passe-oublie"): route(PAGE_PUBLIC),
    ("POST", "/mot-de-passe-oublie"): route(PAGE_PUBLIC, form={"identifiant": "999999999"}),
    ("GET", "/mot-de-passe/nouveau"): route(PAGE_PUBLIC, query={"jeton": "jeton-invente"}),
    ("POST", "/mot-de-passe/nouveau"): route(
        PAGE_PUBLIC,
        form={"jeton": "jeton-invente", "mot_de_passe": "Nouveau-Mot-2026!", "confirmation": "Nouveau-Mot-2026!"},
    ),
    ("GET", "/activation"): route(PAGE_PUBLIC, query={"jeton": "jeton-invente"}),
    ("POST", "/activation"): route(
        PAGE_PUBLIC,
        form={"jeton": "jeton-invente", "mot_de_passe": "Nouveau-Mot-2026!", "confirmation": "Nouveau-Mot-2026!"},
    ),
    # The guides: no personal data, and they explain how to log in (linked from the login page)
    ("GET", "/aide"): route(PAGE_PUBLIC),
    ("GET", "/aide/fournisseur"): route(PAGE_PUBLIC),
    ("GET", "/aide/approbateur"): route(PAGE_PUBLIC),
    ("GET", "/aide/administrateur"): route(PAGE_PUBLIC),
    ("GET", "/aide/agent-caf"): route(PAGE_PUBLIC),
    # --- pages: signed-in users
    ("GET", "/mot-de-passe"): route(USERS),
    ("POST", "/mot-de-passe"): route(
        USERS - {OPERATOR},
        form={
            "mot_de_passe_actuel": "pas-le-bon",
            "mot_de_passe": "Nouveau-Mot-2026!",
            "confirmation": "Nouveau-Mot-2026!",
        },
    ),
    ("GET", "/accueil"): route(USERS),
    ("GET", "/declarations"): route(USERS),
    ("GET", "/declarations/{declaration_id}"): route(DECLARATION_READERS),
    ("GET", "/formulaires/{form_id}"): route({APPROBATEUR} | CAF_READERS),
    ("POST", "/formulaires/{form_id}"): route({APPROBATEUR}, form={"version": "1"}),
    # « Renvoyer au fournisseur »: the approbateur only, as the API's send-back (the Caf reads the form, never sends)
    ("GET", "/formulaires/{form_id}/renvoi"): route({APPROBATEUR}),
    ("POST", "/formulaires/{form_id}/renvoi"): route({APPROBATEUR}, form={"commentaire": "Vérifiez les heures."}),
    ("GET", "/declarations/{declaration_id}/controle"): route(DECLARATION_READERS),
    ("POST", "/declarations/{declaration_id}/controle"): route(ALSH_PROVIDERS, form={}),
    ("POST", "/declarations/{declaration_id}/justifications/{key}"): route(
        {APPROBATEUR}, form={"texte": "Sorties du mercredi autorisées par la PMI.", "montant": "100"}
    ),
    ("GET", "/declarations/{declaration_id}/transmission"): route(DECLARATION_READERS),
    ("POST", "/declarations/{declaration_id}/transmission"): route({APPROBATEUR}, form={"signature": "oui"}),
    ("GET", "/declarations/{declaration_id}/versions/{number}/accuse.pdf"): route(WHOLE_DECLARATION_READERS),
    ("POST", "/declarations/{declaration_id}/pieces-jointes"): route(ALSH_PROVIDERS, form={}),
    ("GET", "/declarations/{declaration_id}/pieces-jointes/{attachment_id}"): route(WHOLE_DECLARATION_READERS),
    ("POST", "/declarations/{declaration_id}/pieces-jointes/{attachment_id}/retrait"): route({APPROBATEUR}, form={}),
    ("GET", "/declarations/{declaration_id}/messages"): route(THREAD),
    ("POST", "/declarations/{declaration_id}/messages"): route(THREAD, form={}),
    ("GET", "/declarations/{declaration_id}/messages/{message_id}/fichier"): route(THREAD, params=OF_THREAD),
    ("GET", "/pilotage"): route(PARTNER_USERS),
    # the partner's documents from its Caf (another partner's page lists its own: none)
    ("GET", "/documents"): route(PARTNER_USERS),
    ("GET", "/documents/{document_id}"): route(ALSH_PROVIDERS | {ADMIN_PARTNER}),
    ("GET", "/messages"): route(USERS),
    ("POST", "/messages/lus"): route(USERS - {OPERATOR}, form={}),
    ("POST", "/messages/preferences"): route(USERS - {OPERATOR}, form={}),
    ("POST", "/messages/calendrier"): route(PARTNER_USERS, form={}),
    # --- pages: partner administration
    ("GET", "/administration/habilitations"): route({ADMIN_PARTNER, OTHER_PARTNER}),
    ("POST", "/administration/habilitations"): route({ADMIN_PARTNER}, form="grant_form"),
    ("POST", "/administration/habilitations/{grant_id}/fin"): route({ADMIN_PARTNER}, form={}, destructive=True),
    ("GET", "/administration/utilisateurs"): route({ADMIN_PARTNER, OTHER_PARTNER}),
    ("POST", "/administration/utilisateurs"): route({ADMIN_PARTNER, OTHER_PARTNER}, form="user_form"),
    ("POST", "/administration/utilisateurs/{user_id}/groupes"): route(
        {ADMIN_PARTNER}, form={"groupe": "AFAS-DECLARER"}
    ),
    ("POST", "/administration/utilisateurs/{user_id}/groupes/{group}/retrait"): route(
        {ADMIN_PARTNER}, form={}, destructive=True
    ),
    # --- pages: the Caf's back office
    ("GET", "/caf/approbateurs"): route(CAF | {OTHER_CAF, CNAF}),
    ("POST", "/caf/approbateurs/{grant_id}/valider"): route(
        {CAF_HAB, OPERATOR}, form={}, destructive=True, last_caller=CAF_HAB
    ),
    ("POST", "/caf/approbateurs/{grant_id}/refuser"): route(
        {CAF_HAB, OPERATOR}, form=REASON, destructive=True, last_caller=CAF_HAB
    ),
    ("GET", "/caf/instruction"): route(CAF_READERS | {OTHER_CAF, CNAF}),
    ("GET", "/caf/instruction/{declaration_id}"): route(CAF_READERS),
    ("POST", "/caf/instruction/{declaration_id}/{action}"): route(CAF_INS_OP, form={"motif_refuser": REASON["motif"]}),
    ("GET", "/caf/partenaires"): route(CAF_READERS | {OTHER_CAF, CNAF}),
    # the catalogue's page, its CSV import (every row checked against the agent's Caf) and the import's progress
    ("GET", "/caf/activites"): route(CAF_READERS | {OTHER_CAF, CNAF}),
    ("POST", "/caf/activites/import"): route(CAF_READERS | {OTHER_CAF, CNAF}, form={}),
    ("GET", "/caf/activites/import/{job_id}"): route(CAF_READERS | {OTHER_CAF, CNAF}),
    ("POST", "/caf/partenaires"): route(CAF_HAB_OP, form="partner_form"),
    ("GET", "/caf/partenaires/{partner_id}"): route(CAF_READERS),
    ("POST", "/caf/partenaires/{partner_id}/documents"): route({CAF_HAB, CAF_INS}, form={}),
    ("POST", "/caf/partenaires/{partner_id}/delegation"): route(CAF_HAB_OP, form={"gestion_deleguee": "oui"}),
    ("POST", "/caf/partenaires/{partner_id}/conventions"): route(
        CAF_HAB_OP, form={"type": "contrat_service", "date_ouverture": "2026-01-01"}
    ),
    ("POST", "/caf/partenaires/{partner_id}/utilisateurs/{user_id}/{action}"): route(
        CAF_HAB_OP, form={"motif": REASON["motif"]}, destructive=True
    ),
    ("GET", "/caf/campagnes"): route(CAF_READERS | {OTHER_CAF, CNAF}),
    ("POST", "/caf/campagnes"): route(
        CAF_PAR_OP | {OTHER_CAF},
        form={
            "type_activite": "laep",
            "exercice": "2030",
            "type_declaration": "reelle",
            "date_ouverture": "2031-01-15",
            "date_limite": "2031-03-31",
        },
    ),  # fmt: skip
    ("GET", "/caf/campagnes/{campaign_id}"): route(CAF_READERS),
    # closing: its paramétrage agents and the operator; without « confirmation » the page only asks for it
    ("POST", "/caf/campagnes/{campaign_id}/cloture"): route(CAF_PAR_OP, form={}),
    ("GET", "/caf/campagnes/{campaign_id}/export-{table}.csv"): route(CAF_READERS),
    ("GET", "/caf/campagnes/{campaign_id}/export.xlsx"): route(CAF_READERS),
    ("GET", "/caf/baremes"): route(CAF_READERS | {OTHER_CAF, CNAF}),
    ("POST", "/caf/baremes/{famille}"): route(NATIONAL_PARAMETRAGE, form="parameter_form", destructive=True),
    # the page form has no Caf: it sets the agent's own Caf's policy (Caf 075's for the other Caf's agent)
    ("POST", "/caf/politique-paiement"): route({CAF_PAR, OTHER_CAF}, form="policy_form", destructive=True),
    # the page's territory is the agent's own Caf's (Caf 075's for the other Caf's agent); an activity is assigned
    # by its own Caf's paramétrage agents only (the other Caf's agent is refused by estimation)
    ("POST", "/caf/territoires"): route({CAF_PAR, OTHER_CAF}, form="territory_form"),
    ("POST", "/caf/territoires/affectation"): route({CAF_PAR}, form="activity_territory_form"),
    ("POST", "/caf/declarations/{declaration_id}/versements-anterieurs"): route(
        {CAF_INS, CAF_PAR}, form="prior_payments_form"
    ),
    ("POST", "/caf/declarations/{declaration_id}/reels-anterieurs"): route(
        {CAF_INS, CAF_PAR}, form="prior_actual_form"
    ),
}
