"""Field types shared by the public API's replies, as the services write them today.

A moment stays the text the service wrote (``2026-03-01T09:30:00+00:00``): parsed, pydantic would rewrite its
offset as ``Z`` and clients comparing the text would see a change. An amount stays decimal text, never a float.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"}, examples=["2026-03-01T09:30:00+00:00"])]
Euros = Annotated[str, Field(description="Montant en euros, texte décimal", examples=["12799.73"])]


def example(sample: dict[str, Any] | list[Any]) -> ConfigDict:
    """The model's config with one example of the reply, shown in the OpenAPI."""
    return ConfigDict(json_schema_extra={"examples": [sample]})


class Message(BaseModel):
    model_config = example({"message": "Votre demande est enregistrée."})

    message: str


def file_reply(media_type: str, description: str) -> dict[int | str, dict[str, Any]]:
    """The success of a route that answers a file (PDF, ICS…) rather than JSON: its media type, in ``responses``."""
    return {
        200: {"description": description, "content": {media_type: {"schema": {"type": "string", "format": "binary"}}}}
    }
