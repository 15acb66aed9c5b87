"""The public API's routes answer the fields their use case returned, as before they declared a reply model."""

from __future__ import annotations

from typing import Any

from fastapi.routing import APIRoute


class ReplyRoute(APIRoute):
    """A field a reply did not carry is left out, never sent as ``null``: a model's optional field documents a
    reply that varies (e.g. the estimate's details, present once computed) without changing any reply."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["response_model_exclude_unset"] = True
        super().__init__(*args, **kwargs)
