"""How a process connects to the broker: its NATS user, its inbox prefix and the broker's CA."""

from __future__ import annotations

import ssl
from typing import Any

from afas_shared.contracts.bus_permissions import inbox_prefix
from afas_shared.settings import CommonSettings, ServiceSettings
from afas_shared.telemetry import certificates


def tls_context(common: CommonSettings) -> ssl.SSLContext | None:
    """The broker's certificate checked against ``AFAS_NATS_TLS_CA_FILE`` (a private CA), hostname included; None:
    the system's CAs, which nats-py uses by itself when the broker requires TLS."""
    if common.nats_tls_ca_file is None:
        return None
    return ssl.create_default_context(cafile=str(common.nats_tls_ca_file))


def client_options(settings: ServiceSettings, service: str | None = None) -> dict[str, Any]:
    """How a service's process connects to the broker (``nats.connect`` keywords): its own user and password (none:
    an unauthenticated local broker, refused in production by the settings), its own inbox prefix, and the CA of a
    broker with TLS. Operator commands acting as a service (``afas-rotate-signing-key``) connect the same way."""
    options: dict[str, Any] = {"inbox_prefix": inbox_prefix(service or settings.service_name())}
    if settings.nats_password:
        options |= {"user": settings.nats_user, "password": settings.nats_password}
    if (tls := tls_context(settings.common)) is not None:
        options["tls"] = tls
        if settings.common.nats_tls_ca_file is not None:  # what the context trusts: its end, for the expiry alert
            certificates.record(service or settings.service_name(), "nats_ca", settings.common.nats_tls_ca_file)
    return options
