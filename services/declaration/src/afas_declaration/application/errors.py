"""The refusals of declaration's use cases, independent of how they reach the caller.

A use case raises one of these with the French message for the user and, when one input is at fault, its field.
They are the domain's own (``afas_declaration.domain.errors``: the aggregate's transitions refuse with them too).
The gateway and the bus entrypoints turn them into the bus's refusal and into HTTP answers in one place
(``afas_declaration.gateway.clients.service_calls``): the application knows nothing of the bus.
"""

from __future__ import annotations

from afas_declaration.domain.errors import Conflict, Forbidden, Invalid, NotFound, Refused

__all__ = ["Conflict", "Forbidden", "Invalid", "NotFound", "Refused"]
