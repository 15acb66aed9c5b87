"""Identity's Ed25519 signing keys, named by their JWK thumbprint, and the ring that rotates them.

Only identity holds private keys; every other service sees the public half through the JWKS
identity publishes, and verifies tokens locally with it.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_pem: str
    created_at: datetime

    def private_key(self) -> Ed25519PrivateKey:
        key = serialization.load_pem_private_key(self.private_pem.encode("ascii"), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"signing key {self.kid} is not an Ed25519 key")
        return key

    def public_key(self) -> Ed25519PublicKey:
        return self.private_key().public_key()

    def __repr__(self) -> str:
        # Keeps the private key out of logs and tracebacks.
        return f"SigningKey(kid={self.kid!r}, created_at={self.created_at!r})"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def raw_public_bytes(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def thumbprint(public: Ed25519PublicKey) -> str:
    """RFC 7638 thumbprint: SHA-256 of the required members, sorted, without whitespace."""
    members = {"crv": "Ed25519", "kty": "OKP", "x": b64url(raw_public_bytes(public))}
    canonical = json.dumps(members, separators=(",", ":"), sort_keys=True).encode("utf-8")
    return b64url(hashlib.sha256(canonical).digest())


def generate_signing_key(now: datetime) -> SigningKey:
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    return SigningKey(kid=thumbprint(private.public_key()), private_pem=pem, created_at=now)


def public_jwk(key: SigningKey) -> dict[str, Any]:
    return {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": b64url(raw_public_bytes(key.public_key())),
        "kid": key.kid,
        "alg": "EdDSA",
        "use": "sig",
    }


def jwks(keys: Iterable[SigningKey]) -> dict[str, Any]:
    return {"keys": [public_jwk(key) for key in keys]}


class KeyRing:
    """Several keys at once: the newest signs, the older ones stay published so their tokens still verify."""

    def __init__(self, keys: Iterable[SigningKey]) -> None:
        self._keys = sorted(keys, key=lambda k: k.created_at)
        if not self._keys:
            raise ValueError("a key ring needs at least one key")

    @property
    def active(self) -> SigningKey:
        return self._keys[-1]

    @property
    def keys(self) -> list[SigningKey]:
        """Newest first."""
        return list(reversed(self._keys))

    def public_jwks(self) -> dict[str, Any]:
        return jwks(self.keys)

    def rotate(self, now: datetime) -> SigningKey:
        key = generate_signing_key(now)
        # Appended, not re-sorted: the new key signs even if the clock stepped back.
        self._keys.append(key)
        return key

    def retire_older_than(self, moment: datetime) -> list[SigningKey]:
        """Drop keys created before ``moment`` (never the active one); returns those dropped.

        Call it with "now minus the longest token lifetime": no live token can still need them.
        """
        active = self.active
        retired = [k for k in self._keys if k.created_at < moment and k is not active]
        self._keys = [k for k in self._keys if k not in retired]
        return retired
