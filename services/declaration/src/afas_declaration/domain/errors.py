"""The refusals of declaration's rules and use cases, independent of how they reach the caller.

The domain (the ``Declaration`` aggregate's transitions) and the use cases raise one of these with the French
message for the user and, when one input is at fault, its field. They are the platform's refusals
(``afas_shared.refusals``, which the shared helpers raise too): the bus layer answers them as its error reply, and
the gateway turns them into HTTP answers in one place (``afas_declaration.gateway.clients.service_calls``).
"""

from __future__ import annotations

from afas_shared.refusals import Conflict, Forbidden, Invalid, NotFound, Refused

__all__ = ["Conflict", "Forbidden", "Invalid", "NotFound", "Refused"]
