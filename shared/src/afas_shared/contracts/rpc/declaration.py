"""declaration's request/reply verb: ``may``, whether a user's grants allow an action on an activity today.

Asked by estimation before it shows an activity's amounts; the action is one of declaration's permission
actions (``consulter_montants``, ``saisir_activite``…), checked by declaration itself.
"""

from __future__ import annotations

import uuid

from afas_shared.contracts.rpc.base import RpcContract, RpcReply, RpcRequest


class MayRequestV1(RpcRequest):
    user_id: uuid.UUID
    action: str
    activity_id: uuid.UUID
    site_id: uuid.UUID | None = None  # on one site of the activity, or on the whole of it


class MayV1(RpcReply):
    allowed: bool


CONTRACTS = (RpcContract("declaration", "may", MayRequestV1, MayV1),)
