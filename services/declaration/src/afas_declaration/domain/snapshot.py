"""The frozen form of a transmitted declaration: canonical JSON and its SHA-256.

Canonical: keys sorted, no insignificant whitespace, UTF-8 kept as is, decimals as strings — so the same
declaration always gives the same bytes, and the hash printed on the receipt can be recomputed by anyone
from the stored snapshot (without its ``hash`` key).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from uuid import UUID


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, float):
        raise TypeError("floats have no canonical decimal form: use Decimal or str")
    raise TypeError(f"{type(value).__name__} is not part of a snapshot")


def canonical_json(document: Mapping[str, Any]) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=_plain)


def content_hash(document: Mapping[str, Any]) -> str:
    """SHA-256 of the canonical JSON of ``document`` without its own ``hash`` key."""
    content = {k: v for k, v in document.items() if k != "hash"}
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


def sealed(document: Mapping[str, Any]) -> tuple[dict[str, Any], str]:
    """The document with its ``hash`` added, as a plain JSON-compatible dict, and its canonical text."""
    plain = json.loads(canonical_json({k: v for k, v in document.items() if k != "hash"}))
    plain["hash"] = content_hash(plain)
    return plain, canonical_json(plain)
