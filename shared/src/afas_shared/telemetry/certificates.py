"""When the certificates a service relies on end, for the certificate expiry alert.

A service trusts a private CA for the broker's TLS (``AFAS_NATS_TLS_CA_FILE``): once that CA ends, every connection
to the broker fails its verification, all services at once. The file is read when the process connects (as the
TLS context is), and its earliest ``notAfter`` is exported, labelled by service and purpose (``nats_ca``): a fixed,
short list. The ingress certificate is cert-manager's, which exports and renews its own.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from cryptography import x509
from prometheus_client import Gauge

CERTIFICATE_EXPIRY = Gauge(
    "afas_tls_certificate_expiry_timestamp_seconds",
    "When the earliest certificate of a file the service relies on ends (notAfter, Unix time), by purpose",
    ["service", "purpose"],
)


def earliest_end(path: Path) -> datetime:
    """The earliest ``notAfter`` of the PEM certificates in ``path`` (a CA bundle may hold several)."""
    certificates = x509.load_pem_x509_certificates(path.read_bytes())
    return min(c.not_valid_after_utc for c in certificates)


def record(service: str, purpose: str, path: Path) -> None:
    CERTIFICATE_EXPIRY.labels(service, purpose).set(earliest_end(path).timestamp())
