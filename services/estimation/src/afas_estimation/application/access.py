"""Who may read an activity's amounts: the operator, that Caf's agents, and the users of the partner concerned."""

from __future__ import annotations

import uuid

from afas_shared.auth.caller import ForwardedCaller


def may_see(caller: ForwardedCaller, caf_code: str, partner_id: uuid.UUID) -> bool:
    """A partner user sees only its own partner's activities; a Caf agent (any back-office role) its Caf's."""
    if caller.kind == "operator":
        return True
    if caller.kind == "caf":
        return caller.is_caf_agent_of(caf_code)
    return caller.partner_id is not None and caller.partner_id == partner_id
