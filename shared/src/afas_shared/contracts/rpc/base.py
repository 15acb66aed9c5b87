"""What a request/reply contract is: a request model and a reply model per (service, verb, version).

A request's fields travel under the names the public API gives them (French, as the Caf screens say
them): a refusal naming a field (``RpcFailure(field=…)``) therefore names the API's field as it is,
and the gateway forwards it without any translation. The Python attribute may keep the service's own
name (``last_name``), its alias being the wire's (``nom``): a request read from the bus is validated by
alias only (``answer_contract``), while code may build one with either name.

Who calls travels beside the request (``actor``, ``address``, the credential header), never in it: a
request model ignores those keys. A reply is read tolerantly (a field added within a major version is
ignored by older readers), like an event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

from afas_shared.text import InputModel


class RpcRequest(InputModel):
    """The body of a request: its texts checked for control characters (``afas_shared.text``)."""

    model_config = ConfigDict(extra="ignore", validate_by_alias=True, validate_by_name=True, serialize_by_alias=True)

    @classmethod
    def wire_names(cls) -> set[str]:
        """Every name a refusal may give for this request: its fields and, through nested models, theirs."""
        names: set[str] = set()
        for name, info in cls.model_fields.items():
            names.add(info.alias or name)
            for nested in _models_in(info.annotation):
                if issubclass(nested, RpcRequest) and nested is not cls:
                    names |= nested.wire_names()
        return names


class RpcReply(BaseModel):
    """A reply's documented fields; a reader tolerates fields added within the major version.

    A reply the public API passes through is also its route's ``response_model``: one model, with its example.
    """

    model_config = ConfigDict(extra="allow")


def example(sample: dict[str, Any] | list[Any]) -> ConfigDict:
    """A model's config with one example of it, shown in the OpenAPI and the JSON-Schema snapshot."""
    return ConfigDict(json_schema_extra={"examples": [sample]})


# A moment stays the text the service wrote (``2026-03-01T09:30:00+00:00``): parsed, pydantic would rewrite its
# offset as ``Z`` and a client comparing the text would see a change.
Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"}, examples=["2026-03-01T09:30:00+00:00"])]
# an amount stays decimal text, never a float
Euros = Annotated[str, Field(description="Montant en euros, texte décimal", examples=["12799.73"])]


@dataclass(frozen=True)
class RpcContract:
    service: str
    verb: str
    request: type[RpcRequest]
    reply: Any  # a model, or a list / None of one: whatever TypeAdapter accepts
    version: int = 1
    summary: str = ""
    in_result: bool = True  # the reply travels as ``{"result": reply}`` (see ``answer_contract``)

    @property
    def subject(self) -> str:
        return f"{self.service}.rpc.{self.verb}.v{self.version}"

    def reply_adapter(self) -> TypeAdapter[Any]:
        return _adapter(self.reply)


_ADAPTERS: dict[Any, TypeAdapter[Any]] = {}


def _adapter(reply: Any) -> TypeAdapter[Any]:
    if reply not in _ADAPTERS:
        _ADAPTERS[reply] = TypeAdapter(reply)
    return _ADAPTERS[reply]


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in getattr(annotation, "__args__", ()) for m in _models_in(arg)]


class Empty(RpcRequest):
    """A request with no field: the caller alone (from its credential) says what is asked."""


class Acknowledgement(RpcReply):
    """A reply with nothing documented beyond the fields an action chooses to return."""
