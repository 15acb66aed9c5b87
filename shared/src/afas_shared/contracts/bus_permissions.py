"""Who may publish and subscribe what on the bus: the one table the nats-server authorization comes from.

Derived from the contracts wherever they say it:

- **events a service publishes**: exactly the subjects ``registry.produced_by(service)`` lists;
- **events a service consumes**: :data:`CONSUMES` (kept equal to every ``runtime.consume(...)``
  registration by ``shared/tests/test_bus_permissions.py``, which builds each service's runtime);
- **RPC verbs a service answers**: its own ``<service>.rpc.>`` only, in its queue group ``<service>-rpc``
  (``Bus.rpc`` subscribes nothing else);
- **RPC verbs a service calls**: :data:`CALLS` (the same test checks every literal ``runtime.request`` /
  ``call_service`` / ``call_identity`` / ``call_typed`` call in the services' code against it).

Each user also gets its own inbox prefix (``_INBOX_<user>``, see :func:`inbox_prefix`) so it reads only
the replies to its own requests, never ``_INBOX.>``, and may answer requests it received
(``allow_responses``). JetStream API rights are cut to its own stream (info, create, update) and, on the
streams it consumes, to its own durable consumers with their filter subject (create, info, next, ack).

Only the gateway may call identity's verbs that carry passwords or session tokens
(:data:`GATEWAY_ONLY_IDENTITY_VERBS`). The Caf back-office account (:data:`CAF_CONSUMER`) reads the
published event streams (:data:`CAF_CONSUMER_STREAMS`) through consumers of its own, and nothing else.

Subjects carry an optional prefix (``AFAS_BUS_PREFIX``): ``""`` in production, a concrete prefix, or
:data:`ANY_PREFIX` (``"*"``) for a server shared by test runs with a prefix each.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from afas_shared.contracts.envelope import EventData
from afas_shared.contracts.events import declaration, declaration_thread, estimation, habilitation, identity
from afas_shared.contracts.registry import produced_by
from afas_shared.messaging.naming import BusNames

SERVICES = ("identity", "habilitation", "declaration", "estimation", "notification")
GATEWAY = "declaration"
CAF_CONSUMER = "caf-consumer"
ADMIN = "admin"
ANY_PREFIX = "*"

# The Caf back office reads the business events; identity's stream (accounts, sessions) stays internal.
CAF_CONSUMER_STREAMS = ("habilitation", "declaration", "estimation")

# identity's verbs whose requests or replies carry a password, a one-time link token or a session token
GATEWAY_ONLY_IDENTITY_VERBS = frozenset(
    {
        "login",
        "activate",
        "change_password",
        "reset_password",
        "request_password_reset",
        "refresh",
        "logout",
        "operator_session",
    }
)

# identity's verbs one caller alone may call (a caller granted every verb gets them denied)
EXCLUSIVE_IDENTITY_VERBS: dict[str, str] = {
    **{verb: GATEWAY for verb in GATEWAY_ONLY_IDENTITY_VERBS},
    "mail_link": "notification",  # its reply is a one-time link
}

# Every service that verifies session tokens fetches identity's public keys.
_TOKEN_KEYS = ("identity", "jwks")
ALL_VERBS = "*"

# service -> ((callee, verb), ...); verb ALL_VERBS: every verb of the callee
CALLS: dict[str, tuple[tuple[str, str], ...]] = {
    "identity": (),
    "habilitation": (_TOKEN_KEYS,),
    # The gateway forwards the public API to every service, and asks each one its status.
    "declaration": (
        ("identity", ALL_VERBS),
        ("habilitation", ALL_VERBS),
        ("estimation", ALL_VERBS),
        ("notification", ALL_VERBS),
    ),
    # may: whether a partner user's grants cover the whole activity before it reads its amounts
    "estimation": (_TOKEN_KEYS, ("declaration", "may")),
    # mail_link answers the URL of a one-time link: notification alone needs it (to mail it); the gateway must not
    "notification": (_TOKEN_KEYS, ("identity", "mail_link")),
}

# Object Store buckets a service keeps (its files): service -> store names; the bucket is ``object_store_bucket``
OBJECT_STORES: dict[str, tuple[str, ...]] = {
    # afas_declaration.adapters.object_store: the pièces justificatives of declarations
    "declaration": ("declaration_files",),
}

# JetStream operations a producer may make on its own stream beyond info, create and update
OWN_STREAM_OPERATIONS: dict[str, tuple[str, ...]] = {
    # afas_identity.application.links.purge_withdrawn: removes messages of withdrawn contracts that carried links
    "identity": ("PURGE",),
}

_USERS_FEED = (identity.UserCreatedV1, identity.UserUpdatedV1)  # afas_shared.read_models.user_directory
_REVOCATIONS = (identity.SessionRevokedV1,)  # ServiceRuntime.accept_sessions

CONSUMES: dict[str, tuple[type[EventData], ...]] = {
    "identity": (),
    "habilitation": (
        *_USERS_FEED,
        *_REVOCATIONS,
        identity.PartnerRegisteredV1,
        identity.PartnerUpdatedV1,
        identity.DelegationChangedV1,
        identity.UserClosedV1,
        identity.UserSuspendedV1,
        identity.UserReactivatedV1,
        identity.GroupMembershipAddedV1,
        identity.GroupMembershipRemovedV1,
    ),
    "declaration": (
        *_USERS_FEED,
        *_REVOCATIONS,
        identity.PartnerRegisteredV1,
        identity.PartnerUpdatedV1,
        habilitation.RoleGrantedV1,
        habilitation.GrantValidatedV1,
        habilitation.GrantRejectedV1,
        habilitation.GrantEndedV1,
        habilitation.ActivityRegisteredV1,
        habilitation.ActivityUpdatedV1,
        habilitation.ActivityClosedV1,
    ),
    "estimation": (
        *_REVOCATIONS,
        declaration.DeclarationFiguresUpdatedV1,
        declaration.DeclarationValidatedV1,
        declaration.DeclarationCancelledV1,
    ),
    "notification": (
        *_USERS_FEED,
        *_REVOCATIONS,
        declaration.CampaignOpenedV1,
        declaration.DeclarationExpectedV1,
        declaration.FormSavedV1,
        declaration.FormSentBackV1,
        declaration.DeclarationControlledV1,
        declaration.DeclarationTransmittedV1,
        declaration.DeclarationValidatedV1,
        declaration.DeclarationRefusedV1,
        declaration.DeclarationCancelledV1,
        declaration.CafDocumentPublishedV1,
        habilitation.ActivityRegisteredV1,
        habilitation.ActivityUpdatedV1,
        habilitation.RoleGrantedV1,
        habilitation.GrantValidatedV1,
        habilitation.GrantRejectedV1,
        habilitation.GrantEndedV1,
        identity.ActivationRequestedV2,
        identity.PasswordResetRequestedV2,
        identity.PasswordChangedV1,
        estimation.PaymentScheduledV1,
        estimation.EstimateRevisedV1,
        declaration_thread.ThreadMessagePostedV1,
    ),
}


def inbox_prefix(user: str) -> str:
    """Where a user's replies arrive (nats-py ``inbox_prefix``): ``_INBOX_<user>``, one per user."""
    return f"_INBOX_{user}"


def rpc_queue(service: str) -> str:
    return f"{service}-rpc"


def may_call(caller: str, callee: str, verb: str) -> bool:
    if callee == "identity" and EXCLUSIVE_IDENTITY_VERBS.get(verb, caller) != caller:
        return False
    return any(c == callee and v in (verb, ALL_VERBS) for c, v in CALLS.get(caller, ()))


@dataclass
class Permissions:
    """One user's rights, in nats-server's terms (``publish``/``subscribe`` allow and deny lists)."""

    publish: list[str] = field(default_factory=list)
    subscribe: list[str] = field(default_factory=list)
    publish_deny: list[str] = field(default_factory=list)
    allow_responses: bool = False

    def as_config(self) -> dict:
        publish: dict = {"allow": self.publish}
        if self.publish_deny:
            publish["deny"] = self.publish_deny
        config: dict = {"publish": publish, "subscribe": {"allow": self.subscribe}}
        if self.allow_responses:
            config["allow_responses"] = True
        return config


class _Names:
    """Subjects and stream names under a prefix; ``ANY_PREFIX`` turns the prefix into wildcard tokens."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.bus = BusNames("" if prefix == ANY_PREFIX else prefix)

    def subject(self, contract_subject: str) -> str:
        return f"{self.prefix}.{contract_subject}" if self.prefix else contract_subject

    def stream(self, producer: str) -> str:
        # A stream name is one token (`<PREFIX>_<PRODUCER>`): with any prefix, any stream.
        return "*" if self.prefix == ANY_PREFIX else self.bus.stream(producer)


def durable_name(service: str, contract: type[EventData]) -> str:
    """The durable consumer ``Bus.consume`` creates for ``service`` on ``contract``."""
    return BusNames.durable(service, contract.subject())


def object_store_bucket(prefix: str, store: str) -> str:
    """A store's bucket under the bus prefix: ``AFAS_DECLARATION_FILES``, ``<PREFIX>_DECLARATION_FILES``."""
    return BusNames(prefix).stream(store)


def object_store_rights(n: _Names, store: str) -> list[str]:
    """What using one Object Store bucket takes (``afas_declaration.adapters.object_store``: put, get, delete, the
    sweep's subject counts): its chunk and metadata subjects, its stream's API (info, create, update, purge, last
    message by subject), and the ephemeral ordered consumer a read creates, with its flow-control replies. No other
    bucket, no other stream, not even the list of stream names (a read names its stream)."""
    bucket = "*" if n.prefix == ANY_PREFIX else object_store_bucket(n.prefix, store)
    stream = "*" if n.prefix == ANY_PREFIX else f"OBJ_{bucket}"
    return [
        f"$O.{bucket}.>",
        *(f"$JS.API.STREAM.{op}.{stream}" for op in ("INFO", "CREATE", "UPDATE", "PURGE", "MSG.GET")),
        f"$JS.API.CONSUMER.CREATE.{stream}",
        f"$JS.API.CONSUMER.INFO.{stream}.*",
        f"$JS.API.CONSUMER.DELETE.{stream}.*",
        f"$JS.FC.{stream}.>",
    ]


def _consumer_rights(n: _Names, stream: str, durable: str, filter_subject: str) -> list[str]:
    return [
        # The create request names the filter, so the server refuses a filter other than the allowed one.
        f"$JS.API.CONSUMER.CREATE.{stream}.{durable}.{filter_subject}",
        f"$JS.API.CONSUMER.INFO.{stream}.{durable}",
        f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{durable}",
        f"$JS.ACK.{stream}.{durable}.>",
    ]


def service_permissions(service: str, prefix: str = "") -> Permissions:
    n = _Names(prefix)
    own_stream = n.stream(service)
    publish = [n.subject(c.subject()) for c in produced_by(service)]
    deny: list[str] = []
    for callee, verb in CALLS[service]:
        publish.append(n.subject(f"{callee}.rpc.{'>' if verb == ALL_VERBS else f'{verb}.v1'}"))
        if callee == "identity" and verb == ALL_VERBS:
            deny += [
                n.subject(f"identity.rpc.{v}.>") for v, owner in EXCLUSIVE_IDENTITY_VERBS.items() if owner != service
            ]
    own_ops = ("INFO", "CREATE", "UPDATE", *OWN_STREAM_OPERATIONS.get(service, ()))
    publish += ["$JS.API.INFO"] + [f"$JS.API.STREAM.{op}.{own_stream}" for op in own_ops]
    consumed_streams: list[str] = []
    for contract in CONSUMES[service]:
        stream = n.stream(contract.producer)
        if contract.producer != service and stream not in consumed_streams and stream != own_stream:
            consumed_streams.append(stream)
        publish += _consumer_rights(n, stream, durable_name(service, contract), n.subject(contract.subject()))
    publish += [f"$JS.API.STREAM.INFO.{s}" for s in consumed_streams]
    for store in OBJECT_STORES.get(service, ()):
        publish += object_store_rights(n, store)
    subscribe = [f"{n.subject(f'{service}.rpc.>')} {rpc_queue(service)}", f"{inbox_prefix(service)}.>"]
    return Permissions(_unique(publish), subscribe, publish_deny=sorted(deny), allow_responses=True)


def caf_consumer_permissions(prefix: str = "") -> Permissions:
    """Read-only: consumers of its own on the published event streams, their messages and acks; no RPC, no event."""
    n = _Names(prefix)
    publish = ["$JS.API.INFO", "$JS.API.STREAM.NAMES"]
    deny: list[str] = []
    for producer in CAF_CONSUMER_STREAMS:
        s = n.stream(producer)
        publish += [
            f"$JS.API.STREAM.INFO.{s}",
            f"$JS.API.CONSUMER.CREATE.{s}",  # ephemeral
            f"$JS.API.CONSUMER.CREATE.{s}.>",  # named, with or without its filter
            f"$JS.API.CONSUMER.DURABLE.CREATE.{s}.*",
            f"$JS.API.CONSUMER.INFO.{s}.*",
            f"$JS.API.CONSUMER.MSG.NEXT.{s}.*",
            f"$JS.API.CONSUMER.DELETE.{s}.*",
            f"$JS.ACK.{s}.>",
        ]
        # ... but never the platform's own durable consumers: it must not steal, delete or ack their messages
        for service, contracts in CONSUMES.items():
            for contract in contracts:
                if contract.producer == producer:
                    d = durable_name(service, contract)
                    deny += [
                        f"$JS.API.CONSUMER.CREATE.{s}.{d}",
                        f"$JS.API.CONSUMER.CREATE.{s}.{d}.>",
                        f"$JS.API.CONSUMER.DURABLE.CREATE.{s}.{d}",
                        f"$JS.API.CONSUMER.MSG.NEXT.{s}.{d}",
                        f"$JS.API.CONSUMER.DELETE.{s}.{d}",
                        f"$JS.ACK.{s}.{d}.>",
                    ]
    return Permissions(_unique(publish), [f"{inbox_prefix(CAF_CONSUMER)}.>"], publish_deny=_unique(deny))


def admin_permissions() -> Permissions:
    """Operator tooling (dead-letter replay of another producer's event, stream cleanup): everything."""
    return Permissions([">"], [">"], allow_responses=True)


def all_permissions(prefix: str = "") -> dict[str, Permissions]:
    """User name -> rights: the five services (user = service name), the Caf consumer and the admin."""
    table = {service: service_permissions(service, prefix) for service in SERVICES}
    table[CAF_CONSUMER] = caf_consumer_permissions(prefix)
    table[ADMIN] = admin_permissions()
    return table


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
