"""Refusals the gateway turns into HTTP answers (422, 409, 404, 403, 401, 429)."""

from __future__ import annotations

from afas_shared.messaging.rpc import RpcFailure


def invalid(field: str, message: str) -> RpcFailure:
    return RpcFailure("invalid", message, field)


def conflict(message: str, field: str | None = None) -> RpcFailure:
    return RpcFailure("conflict", message, field)


def not_found(message: str) -> RpcFailure:
    return RpcFailure("not_found", message)


def unauthorized(message: str) -> RpcFailure:
    return RpcFailure("unauthorized", message)


def locked(message: str) -> RpcFailure:
    return RpcFailure("locked", message)
