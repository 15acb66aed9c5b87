"""The verbs the shared runtime answers for a service: ``status`` (every service, for the gateway's platform
status page) and ``list_users`` (each service keeping a copy of identity's users, for the operator).

Their replies travel bare (no ``{"result": …}``): the shared code answers them, before any use case.
"""

from __future__ import annotations

from afas_shared.contracts.rpc.base import Empty, RpcContract, RpcReply

SERVICES = ("identity", "habilitation", "declaration", "estimation", "notification")


class ServiceStatusV1(RpcReply):
    name: str
    version: str
    database: str
    ready: bool
    checks: dict[str, bool]


class KnownUserV1(RpcReply):
    user_id: str
    identifier: str
    last_name: str
    first_name: str
    email: str


class KnownUsersV1(RpcReply):
    users: list[KnownUserV1]


# the services feeding a copy of identity's users (``afas_shared.read_models.user_directory.attach``)
WITH_USER_DIRECTORY = ("habilitation", "declaration", "notification")

CONTRACTS = (
    *(RpcContract(s, "status", Empty, ServiceStatusV1, in_result=False, summary=f"Is {s} ready?") for s in SERVICES),
    *(
        RpcContract(s, "list_users", Empty, KnownUsersV1, in_result=False, summary=f"{s}'s copy of identity's users")
        for s in WITH_USER_DIRECTORY
    ),
)
