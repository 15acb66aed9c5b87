"""Field types shared by the public API's replies, as the services write them today.

A moment stays the text the service wrote (``2026-03-01T09:30:00+00:00``): parsed, pydantic would rewrite its
offset as ``Z`` and clients comparing the text would see a change. An amount stays decimal text, never a float.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from afas_shared.contracts.rpc.base import Euros, Timestamp, example  # one home with the contracts' replies

__all__ = ["Euros", "Message", "Timestamp", "example", "file_reply"]


class Message(BaseModel):
    model_config = example({"message": "Votre demande est enregistrée."})

    message: str


def file_reply(media_type: str, description: str) -> dict[int | str, dict[str, Any]]:
    """The success of a route that answers a file (PDF, ICS…) rather than JSON: its media type, in ``responses``."""
    return {
        200: {"description": description, "content": {media_type: {"schema": {"type": "string", "format": "binary"}}}}
    }
