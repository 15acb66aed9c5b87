"""TLS for client connections (the documented option of deploy/k8s), on a nats-server of our own.

A throwaway CA and a server certificate for 127.0.0.1 are made here (``cryptography``); the server runs the
generated production config (bcrypt hashes, permissions) with the ``tls { }`` block ``afas_shared.nats_auth``
adds when given a certificate. A real service (identity, from its bootstrap) connects over TLS with its own
credential, trusting the CA through ``AFAS_NATS_TLS_CA_FILE``; a plaintext client, a client that does not
trust the CA and an anonymous one are refused.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import json
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import nats
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from afas_shared.contracts.bus_permissions import GATEWAY, inbox_prefix
from afas_shared.messaging.connection_options import tls_context
from afas_shared.nats_auth import TlsOptions, local_client_env, password_env
from afas_shared.testing.fixtures import running
from afas_shared.testing.secured_nats import SecuredNats, start_secured_nats


@dataclass(frozen=True)
class Pki:
    ca_file: Path
    cert_file: Path
    key_file: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def make_pki(directory: Path) -> Pki:
    """A CA valid for a day and a certificate it signs for 127.0.0.1 and localhost (server authentication)."""
    now = dt.datetime.now(dt.UTC)
    ca_key, server_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca = (
        x509.CertificateBuilder()
        .subject_name(_name("AFAS test CA"))
        .issuer_name(_name("AFAS test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    server = (
        x509.CertificateBuilder()
        .subject_name(_name("nats"))
        .issuer_name(ca.subject)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(server_key.public_key()), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    pki = Pki(directory / "ca.crt", directory / "tls.crt", directory / "tls.key")
    pki.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    pki.cert_file.write_bytes(server.public_bytes(serialization.Encoding.PEM))
    pki.key_file.write_bytes(_pem_key(server_key))
    pki.key_file.chmod(0o600)
    return pki


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Pki:
    return make_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def tls_nats(tmp_path_factory, nats_credentials, pki) -> SecuredNats:
    tls = TlsOptions(cert_file=str(pki.cert_file), key_file=str(pki.key_file))
    secured = start_secured_nats(tmp_path_factory.mktemp("tls-nats"), nats_credentials, tls=tls)
    yield secured
    secured.server.stop()


def _connections(secured: SecuredNats) -> list[dict]:
    """The server's own view of its client connections (monitoring endpoint), with their user and TLS version."""
    url = f"http://127.0.0.1:{secured.server.monitor_port}/connz?auth=true"
    with urllib.request.urlopen(url, timeout=10) as answer:
        return json.load(answer).get("connections") or []


def test_the_generated_config_has_the_tls_block_and_the_operator_tools_find_it(tls_nats, pki):
    config = tls_nats.auth.config_file.read_text()
    assert (
        f"tls {{\n  cert_file: {json.dumps(str(pki.cert_file))}\n  key_file: {json.dumps(str(pki.key_file))}\n}}"
        in (config)
    )
    assert "authorization {" in config
    env = local_client_env(tls_nats.auth.config_file.parent, GATEWAY)
    assert env == {
        "AFAS_NATS_URL": f"tls://127.0.0.1:{tls_nats.server.port}",
        password_env(GATEWAY): tls_nats.auth.passwords[GATEWAY],
    }


async def test_a_service_connects_over_tls_with_its_credential(tls_nats, pki, make_settings, tmp_path):
    common = tls_nats.common_settings(tmp_path, nats_tls_ca_file=pki.ca_file)
    assert common.nats_url.startswith("tls://")
    identity_settings = make_settings("identity", common=common, nats_password=tls_nats.auth.passwords["identity"])
    async with running(identity_settings) as identity:
        assert identity.bus.connected()
        # the gateway's way in: its credential, its inbox, the CA from the same setting
        gateway = await nats.connect(
            tls_nats.url,
            user=GATEWAY,
            password=tls_nats.auth.passwords[GATEWAY],
            inbox_prefix=inbox_prefix(GATEWAY),
            tls=tls_context(common),
            allow_reconnect=False,
            connect_timeout=5,
        )
        try:
            reply = await gateway.request(identity.bus.names.rpc("identity", "jwks"), b"{}", timeout=10)
            assert json.loads(reply.data)["result"]["keys"], reply.data
            connections = await asyncio.to_thread(_connections, tls_nats)
        finally:
            await gateway.close()
    users = [c.get("authorized_user") for c in connections]
    # identity's two connections (relay and subscribers) and the gateway's, every one of them encrypted
    assert users.count("identity") == 2 and users.count(GATEWAY) == 1, connections
    assert all(c.get("tls_version") for c in connections), connections


async def test_a_plaintext_client_is_refused(tls_nats):
    reader, writer = await asyncio.open_connection("127.0.0.1", tls_nats.server.port)
    try:
        info = json.loads((await asyncio.wait_for(reader.readline(), 10)).removeprefix(b"INFO "))
        assert info["tls_required"] is True
        connect = {"user": GATEWAY, "pass": tls_nats.auth.passwords[GATEWAY], "verbose": True, "pedantic": False}
        writer.write(f"CONNECT {json.dumps(connect)}\r\nPING\r\n".encode())
        await writer.drain()
        # the server expects a TLS handshake: it drops the connection, never answering +OK or PONG
        answer = await asyncio.wait_for(reader.read(), 10)
    finally:
        writer.close()
    assert b"PONG" not in answer and b"+OK" not in answer, answer
    assert "TLS handshake error" in tls_nats.log()


async def test_a_client_that_does_not_trust_the_ca_or_has_no_credential_is_refused(tls_nats, pki, tmp_path):
    # the system's CAs do not know ours: the server's certificate is not believed, nothing is sent
    with pytest.raises(Exception) as untrusted:
        nc = await nats.connect(
            tls_nats.url,
            user=GATEWAY,
            password=tls_nats.auth.passwords[GATEWAY],
            allow_reconnect=False,
            max_reconnect_attempts=0,
            connect_timeout=5,
        )
        await nc.close()
    assert "certificate verify failed" in repr(untrusted.value) + repr(untrusted.value.__cause__), untrusted.value
    # TLS does not replace authentication: trusted, but anonymous
    with pytest.raises(Exception) as anonymous:
        nc = await nats.connect(
            tls_nats.url,
            tls=tls_context(tls_nats.common_settings(tmp_path, nats_tls_ca_file=pki.ca_file)),
            allow_reconnect=False,
            max_reconnect_attempts=0,
            connect_timeout=5,
        )
        await nc.close()
    assert isinstance(anonymous.value, nats.errors.AuthorizationError) or "Authorization Violation" in str(
        anonymous.value
    ), anonymous.value
