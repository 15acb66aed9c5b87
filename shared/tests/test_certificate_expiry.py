"""The end of the CA a service trusts for the broker's TLS is exported when the service connects: the certificate
expiry alert reads it (deploy/k8s/base/monitoring/prometheus-rules.yaml, AfasCertificateExpiringSoon)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from prometheus_client import REGISTRY

from afas_shared.messaging.connection_options import client_options


def _ca(path: Path, name: str, not_after: dt.datetime) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_after - dt.timedelta(days=365))
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    with path.open("ab") as out:
        out.write(certificate.public_bytes(serialization.Encoding.PEM))


def test_the_earliest_end_of_the_trusted_ca_bundle_is_exported_per_service(make_settings, tmp_path):
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    bundle = tmp_path / "ca.pem"
    _ca(bundle, "AFAS CA 2026", now + dt.timedelta(days=400))
    _ca(bundle, "AFAS CA 2025", now + dt.timedelta(days=20))  # the old CA, kept in the bundle during a rotation
    settings = make_settings("identity")
    common = settings.common.model_copy(update={"nats_tls_ca_file": bundle})
    options = client_options(settings.model_copy(update={"common": common}), "identity")
    assert options["tls"] is not None
    exported = REGISTRY.get_sample_value(
        "afas_tls_certificate_expiry_timestamp_seconds", {"service": "identity", "purpose": "nats_ca"}
    )
    assert exported == (now + dt.timedelta(days=20)).timestamp()


def test_nothing_is_exported_for_a_service_without_a_private_ca(make_settings):
    before = REGISTRY.get_sample_value(
        "afas_tls_certificate_expiry_timestamp_seconds", {"service": "estimation", "purpose": "nats_ca"}
    )
    assert "tls" not in client_options(make_settings("estimation"), "estimation")
    after = REGISTRY.get_sample_value(
        "afas_tls_certificate_expiry_timestamp_seconds", {"service": "estimation", "purpose": "nats_ca"}
    )
    assert before is None and after is None
