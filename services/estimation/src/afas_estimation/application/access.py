"""Who may read an activity's amounts: the operator, that Caf's agents, and the users of the partner concerned."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from afas_shared.auth.caller import ForwardedCaller
from afas_shared.contracts.rpc.declaration import MayRequestV1
from afas_shared.messaging.rpc import RemoteError, RpcFailure, ServiceUnavailable

# Whether a partner user's grants cover the whole activity: the declaration service keeps the grant lines.
WholeActivityCheck = Callable[[ForwardedCaller, uuid.UUID], Awaitable[bool]]


def may_see(caller: ForwardedCaller, caf_code: str, partner_id: uuid.UUID) -> bool:
    """A partner user sees only its own partner's activities; a Caf agent (any back-office role) its Caf's."""
    if caller.kind == "operator":
        return True
    if caller.kind == "caf":
        return caller.is_caf_agent_of(caf_code)
    return caller.partner_id is not None and caller.partner_id == partner_id


def whole_activity_check(request) -> WholeActivityCheck:
    """Asks ``declaration.rpc.may.v1`` whether the user may read the whole activity (not one site of it).

    An activity's amounts cover every site and the whole budget: a provider granted one site, or a partner
    user without any grant on the activity, does not see them, whoever reached this service.
    """

    async def covers(caller: ForwardedCaller, activity_id: uuid.UUID) -> bool:
        if caller.kind != "partner":
            return True  # Caf agents and the operator: may_see decided
        try:
            asked = MayRequestV1(user_id=caller.user_id, action="consulter_montants", activity_id=activity_id)
            reply = await request("declaration", "may", asked.model_dump(mode="json", by_alias=True))
        except (ServiceUnavailable, RemoteError):
            raise RpcFailure(
                "unavailable", "Les droits ne peuvent pas être vérifiés pour le moment : réessayez plus tard."
            ) from None
        return bool(reply["result"]["allowed"])

    return covers
