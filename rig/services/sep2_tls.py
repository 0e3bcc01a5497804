"""TLS for the 2030.5 server: a throw-away test CA, and the client's certificate as identity.

IEEE 2030.5 identifies a device by its certificate: the *LFDI* is the SHA-256
fingerprint of the DER certificate, left-truncated to 160 bits (40 hex digits), the
*SFDI* its first 36 bits as 11 decimal digits plus a check digit
(:mod:`sep2tools.cert_id` computes both). So the server needs the client's
certificate *per request*, which uvicorn does not put in the ASGI scope:
:class:`PeerCertProtocol` is uvicorn's h11 protocol that, when a TLS connection is
made, copies the peer's DER certificate into the connection's ``scope["state"]``
(:data:`PEER_CERT`), where :func:`cert_lfdi` reads it.

:class:`TestCA` makes a CA, a server certificate for ``127.0.0.1`` and client
certificates with the ``cryptography`` package (ECDSA P-256, as 2030.5 requires),
for tests and ``rig serve`` to generate and throw away; nothing is committed.
:class:`Sep2Tls` names one end's files — its certificate, its key, and the CA it
trusts the other end by: the server serves with them (:meth:`Sep2Tls.uvicorn_options`),
the ESI's client connects with them (:meth:`Sep2Tls.client_context`) and is the
device of its certificate's LFDI (:attr:`Sep2Tls.lfdi`). The server asks for a client
certificate but does not require one (``CERT_OPTIONAL``): a client without one may
still present its bearer token over TLS; a certificate from another CA fails the
handshake.

``python -m rig.services.sep2_tls DIR ESI-ALICE …`` writes a throw-away CA, a server
certificate for 127.0.0.1 and one client certificate per ESI named into ``DIR``
(``ca.pem``, ``server.pem``/``.key``, ``<ESI>.pem``/``.key``) and prints each
client's LFDI: what ``rig serve --sep2-cert …`` and ``pytest --utility-cert …`` take.
"""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import ipaddress
import ssl
import sys
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from sep2tools.cert_id import get_lfdi, get_sfdi
from starlette.requests import Request
from uvicorn.protocols.http.h11_impl import H11Protocol

PEER_CERT = "sep2_peer_cert"
"""The key of the client's DER certificate in ``scope["state"]`` (TLS connections only)."""


class PeerCertProtocol(H11Protocol):
    """uvicorn's h11 protocol, putting each TLS connection's client certificate in the
    requests' state."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        tls = transport.get_extra_info("ssl_object")
        der = tls.getpeercert(binary_form=True) if tls is not None else None
        if der:
            self.app_state = {**self.app_state, PEER_CERT: der}


def fingerprint(der: bytes) -> str:
    """The 2030.5 certificate fingerprint: SHA-256 of the DER certificate, hex."""
    return hashlib.sha256(der).hexdigest().upper()


def lfdi_of(der: bytes) -> str:
    """The LFDI of a DER certificate (40 hex digits, ungrouped)."""
    return str(get_lfdi(fingerprint(der), group=False))


def sfdi_of(der: bytes) -> int:
    """The SFDI of a DER certificate."""
    return int(get_sfdi(fingerprint(der), group=False))


def cert_lfdi(request: Request) -> str | None:
    """The LFDI of the request's client certificate; ``None`` without one."""
    der = request.scope.get("state", {}).get(PEER_CERT)
    return lfdi_of(der) if isinstance(der, bytes) else None


ESI_FIELD = "{esi}"
"""In a client's certificate and key file names: the ESI's ID (:meth:`Sep2Tls.for_esi`)."""


@dataclass(frozen=True)
class Sep2Tls:
    """One end's certificate, its key, and the CA whose certificates it trusts."""

    certfile: Path
    keyfile: Path
    ca_certs: Path

    def for_esi(self, esi_id: str) -> Sep2Tls:
        """The files of one ESI: ``{esi}`` in the certificate and key names is its ID."""
        return Sep2Tls(
            Path(str(self.certfile).replace(ESI_FIELD, esi_id)),
            Path(str(self.keyfile).replace(ESI_FIELD, esi_id)),
            self.ca_certs,
        )

    @property
    def der(self) -> bytes:
        """The certificate, DER-encoded (what the LFDI is the fingerprint of)."""
        cert = x509.load_pem_x509_certificate(self.certfile.read_bytes())
        return cert.public_bytes(serialization.Encoding.DER)

    @property
    def lfdi(self) -> str:
        """The LFDI of this end's certificate: the device a client is."""
        return lfdi_of(self.der)

    @property
    def sfdi(self) -> int:
        """The SFDI of this end's certificate."""
        return sfdi_of(self.der)

    def client_context(self) -> ssl.SSLContext:
        """A client's TLS context: verifies the server by ``ca_certs``, presents the
        certificate (mutual TLS)."""
        context = ssl.create_default_context(cafile=str(self.ca_certs))
        context.load_cert_chain(str(self.certfile), str(self.keyfile))
        return context

    def uvicorn_options(self) -> dict[str, object]:
        return {
            "ssl_certfile": str(self.certfile),
            "ssl_keyfile": str(self.keyfile),
            "ssl_ca_certs": str(self.ca_certs),
            "ssl_cert_reqs": ssl.CERT_OPTIONAL,
            "http": PeerCertProtocol,
        }


class TestCA:
    """A throw-away CA in ``directory``: issues server and client certificates."""

    __test__ = False  # not a pytest test class

    def __init__(self, directory: Path, name: str = "rig test CA") -> None:
        self.dir = directory
        self.dir.mkdir(parents=True, exist_ok=True)
        self._key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        self.cert = (
            self._builder(subject, self._key.public_key())
            .issuer_name(subject)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(self._key, hashes.SHA256())
        )
        self.certfile = self.dir / "ca.pem"
        self.certfile.write_bytes(self.cert.public_bytes(serialization.Encoding.PEM))

    @staticmethod
    def _builder(subject: x509.Name, key: ec.EllipticCurvePublicKey) -> x509.CertificateBuilder:
        now = datetime.datetime.now(datetime.UTC)
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .public_key(key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(hours=1))
            .not_valid_after(now + datetime.timedelta(days=2))
        )

    def issue(self, name: str, *, server: bool = False) -> Sep2Tls:
        """A certificate for ``name`` (a server one for 127.0.0.1, or a client one), its
        key, and this CA: one end's :class:`Sep2Tls`."""
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        usage = x509.oid.ExtendedKeyUsageOID.SERVER_AUTH if server else None
        builder = (
            self._builder(subject, key.public_key())
            .issuer_name(self.cert.subject)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage([usage or x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH]),
                critical=False,
            )
        )
        if server:
            names: list[x509.GeneralName] = [
                x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                x509.DNSName("localhost"),
            ]
            builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
        cert = builder.sign(self._key, hashes.SHA256())
        certfile, keyfile = self.dir / f"{name}.pem", self.dir / f"{name}.key"
        certfile.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        keyfile.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return Sep2Tls(certfile, keyfile, self.certfile)

    def server_tls(self) -> Sep2Tls:
        """A server certificate for 127.0.0.1, as :class:`Sep2Tls` for the cluster."""
        return self.issue("server", server=True)

    def client_tls(self, name: str) -> Sep2Tls:
        """A client certificate for ``name`` (an ESI's device), as :class:`Sep2Tls`."""
        return self.issue(name)


def main(argv: list[str]) -> int:
    """``python -m rig.services.sep2_tls DIR [CLIENT …]``: see the module docstring."""
    if not argv:
        print("usage: python -m rig.services.sep2_tls DIR [CLIENT ...]", file=sys.stderr)
        return 2
    ca = TestCA(Path(argv[0]))
    server = ca.server_tls()
    print(f"CA {ca.certfile}; server {server.certfile} {server.keyfile}")
    for name in argv[1:]:
        client = ca.client_tls(name)
        print(f"{name}: {client.certfile} {client.keyfile} LFDI {client.lfdi}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
