"""A real SMTP server (aiosmtpd) on loopback with STARTTLS or implicit TLS and AUTH, for mail tests."""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

USER, PASSWORD = "ckmon", "s3cret-for-tests"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes


@dataclass
class Recorder:
    """Keeps what it accepts; refuses the recipients in `refuse` with the reply given there."""

    received: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)
    logins: int = 0

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(
            Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
        )
        return "250 Message accepted"

    def authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            USER.encode(),
            PASSWORD.encode(),
        )
        self.logins += ok
        return AuthResult(success=ok, handled=False)


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, made for this test run."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "ckmon test SMTP")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        # Valid on any date: `pytest --clock-ahead` moves Python's clock, not OpenSSL's.
        .not_valid_before(dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
        .not_valid_after(dt.datetime(2100, 1, 1, tzinfo=dt.UTC))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def smtp_server(
    recorder: Recorder, port: int, cert: tuple[Path, Path], *, mode: str = "starttls"
) -> Iterator[Controller]:
    """Serve on 127.0.0.1:`port`; `mode` starttls (required before AUTH) or ssl (implicit TLS)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*cert)
    common: dict[str, Any] = {
        "hostname": "127.0.0.1",
        "port": port,
        "authenticator": recorder.authenticate,
        "auth_required": True,
    }
    if mode == "starttls":
        controller = Controller(recorder, tls_context=context, require_starttls=True, **common)
    else:
        controller = Controller(recorder, ssl_context=context, auth_require_tls=False, **common)
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


@dataclass
class Drip:
    """One connection to a trickling server: when it was accepted, when each line was sent, and
    when the client hung up (monotonic seconds; None while connected)."""

    accepted: float
    sent: list[float] = field(default_factory=list)
    hung_up: float | None = None


@dataclass
class Tarpit:
    port: int
    connections: list[Drip] = field(default_factory=list)


def _drip(conn: socket.socket, record: Drip, interval: float, stage: str, stop: Any) -> None:
    """Send `220-`/`250-` continuation lines one per `interval`, never the last line, until the
    client hangs up (seen as end of input) or the server stops."""
    import select

    prefix = b"220-"
    if stage == "ehlo":  # greet at once, then drip the reply to EHLO
        conn.sendall(b"220 tarpit ready\r\n")
        prefix = b""
    with conn:
        while not stop.is_set():
            readable, _, _ = select.select([conn], [], [], interval)
            if readable:
                try:
                    data = conn.recv(4096)
                except OSError:
                    data = b""
                if not data:
                    record.hung_up = time.monotonic()
                    return
                if prefix == b"" and data.upper().startswith((b"EHLO", b"HELO")):
                    prefix = b"250-"
                continue
            if not prefix:
                continue
            try:
                conn.sendall(prefix + b"still thinking\r\n")
            except OSError:
                record.hung_up = time.monotonic()
                return
            record.sent.append(time.monotonic())


@contextmanager
def tarpit_smtp(interval: float, *, stage: str = "greeting") -> Iterator[Tarpit]:
    """An SMTP tarpit on 127.0.0.1: with `stage` "greeting" it sends its greeting one `220-` line
    per `interval` and never finishes it; with "ehlo" it greets and drips its reply to EHLO."""
    listener = socket.create_server(("127.0.0.1", 0))
    tarpit = Tarpit(listener.getsockname()[1])
    stop = threading.Event()
    threads: list[threading.Thread] = []

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            record = Drip(time.monotonic())
            tarpit.connections.append(record)
            worker = threading.Thread(
                target=_drip, args=(conn, record, interval, stage, stop), daemon=True
            )
            threads.append(worker)
            worker.start()

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        yield tarpit
    finally:
        stop.set()
        try:
            listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() (close alone may not)
        except OSError:
            pass
        listener.close()
        for worker in [acceptor, *threads]:
            worker.join(timeout=5)
