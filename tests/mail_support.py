"""Shared helpers of the mail tests: a scriptable aiosmtpd server on loopback and a TLS certificate."""

from __future__ import annotations

import asyncio
import datetime as dt
import email
import email.policy
import ipaddress
import socket
import ssl
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Received:
    peer: Any
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


class ScriptedInbox:
    """An aiosmtpd handler that keeps what it receives and answers RCPT/DATA as scripted.

    ``rcpt`` maps an address to the replies of its successive RCPT commands (accepted once the list
    runs out), or to one reply given every time. ``data_delay`` holds each DATA open, so that
    concurrent sessions overlap and ``peak`` (most DATA commands in progress at once) means something.
    """

    def __init__(
        self, rcpt: dict[str, list[str] | str] | None = None, data_reply: str = "250 2.0.0 Ok: queued as T1"
    ) -> None:
        self.rcpt = {k: (list(v) if isinstance(v, list) else v) for k, v in (rcpt or {}).items()}
        self.data_reply = data_reply
        self.data_delay = 0.0
        self.hang_up_after_data = False  # like a server that closes idle sessions
        self.received: list[Received] = []
        self.rcpt_calls: Counter[str] = Counter()
        self.active = 0
        self.peak = 0

    async def handle_RCPT(
        self, server: object, session: object, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        self.rcpt_calls[address] += 1
        script = self.rcpt.get(address)
        if isinstance(script, str):
            return script
        if script:
            return script.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: object, session: Any, envelope: Any) -> str:
        self.active += 1
        self.peak = max(self.peak, self.active)
        try:
            if self.data_delay:
                await asyncio.sleep(self.data_delay)
            if not self.data_reply.startswith("250"):
                return self.data_reply
            parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
            self.received.append(Received(session.peer, envelope.mail_from, list(envelope.rcpt_tos), parsed))
            if self.hang_up_after_data:  # after the reply has gone out
                asyncio.get_running_loop().call_soon(server.transport.close)  # type: ignore[attr-defined]
            return self.data_reply
        finally:
            self.active -= 1

    @property
    def peers(self) -> set[Any]:
        """Distinct client connections that delivered at least one message."""
        return {item.peer for item in self.received}


@contextmanager
def smtp_server(handler: object, **kwargs: Any) -> Iterator[Controller]:
    """A real SMTP server on 127.0.0.1 (a free port) for the duration of the block."""
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **kwargs)
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


@dataclass(frozen=True)
class Certificates:
    ca_file: Path
    cert_file: Path
    key_file: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


def make_certificates(folder: Path) -> Certificates:
    """A throwaway CA and a certificate it signed for localhost / 127.0.0.1 (cryptography, EC keys)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "paperfeed test CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
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
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    files = Certificates(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    files.ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    files.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    files.key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


class Sleeps(list[float]):
    """A stand-in for ``time.sleep`` that records the waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def body(message: EmailMessage, kind: str) -> str:
    """The decoded ``text/<kind>`` part, with the wire's CRLF line ends made LF."""
    part = message.get_body((kind,))
    assert part is not None, f"no text/{kind} part"
    return str(part.get_content()).replace("\r\n", "\n")  # type: ignore[attr-defined]
