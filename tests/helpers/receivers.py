"""Real receivers on loopback for the notifier tests (fixtures re-exported by tests/notify/conftest.py): an HTTP server that records what it is sent
(and can refuse on cue), an SMTP server (aiosmtpd) with STARTTLS or implicit TLS and login, a
self-signed certificate made for each test session, and the CLI test mod's snapshots."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import json
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HttpSink:
    """An HTTP server on 127.0.0.1 that records every POST; ``script`` holds the status codes of
    the next answers (200 once it runs out)."""

    url: str
    received: list[Received] = field(default_factory=list)
    script: list[int] = field(default_factory=list)
    refuse: dict[str, int] = field(default_factory=dict)
    """Path → the status every request to it gets."""
    answered: list[int] = field(default_factory=list)

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Received]:
        import time

        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.received) >= count, f"expected {count} requests, got {len(self.received)}"
        return self.received


@pytest.fixture()
def http_sink() -> Iterator[HttpSink]:
    sink = HttpSink("")
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            with lock:
                status = sink.refuse.get(self.path) or (sink.script.pop(0) if sink.script else 200)
                sink.answered.append(status)
                if status < 300:
                    sink.received.append(Received(self.path, dict(self.headers.items()), body))
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(b"ok" if status < 300 else b"no service")

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    sink.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield sink
    finally:
        server.shutdown()
        server.server_close()


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    """A self-signed certificate for localhost and 127.0.0.1, made here (never shipped)."""
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "rootwatch test SMTP")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    (folder / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "key.pem").write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return Certificate(folder / "cert.pem", folder / "key.pem")


@dataclass
class SmtpServer:
    port: int
    messages: list[tuple[str, list[str], email.message.EmailMessage]] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)


USER, PASSWORD = "alerts@example.com", "s3cret-smtp-password"


def _smtp(mode: str, certificate: Certificate | None) -> Iterator[SmtpServer]:
    import socket

    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = SmtpServer(port)

    class Handler:
        async def handle_DATA(self, smtp, session, envelope):  # noqa: N802, ANN001, ANN201 - aiosmtpd's hook
            parsed = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
            server.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
            return "250 OK"

    def authenticator(smtp, session, envelope, mechanism, auth_data):  # noqa: ANN001, ANN202
        ok = isinstance(auth_data, LoginPassword) and (auth_data.login.decode(), auth_data.password.decode()) == (USER, PASSWORD)
        if ok:
            server.logins.append((auth_data.login.decode(), mechanism))
        return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself

    kwargs: dict[str, Any] = {"hostname": "127.0.0.1", "port": port}
    if mode == "starttls":
        assert certificate is not None
        kwargs |= {"tls_context": certificate.server_context(), "require_starttls": True, "authenticator": authenticator, "auth_required": True}
    elif mode == "implicit":
        assert certificate is not None
        kwargs |= {"ssl_context": certificate.server_context(), "authenticator": authenticator, "auth_required": True, "auth_require_tls": False}
    controller = Controller(Handler(), server_hostname="localhost", **kwargs)
    if mode == "implicit":
        # The controller's readiness probe speaks plain SMTP; with implicit TLS it must use TLS too.
        controller.ssl_context = certificate.server_context()  # type: ignore[union-attr]
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


@pytest.fixture()
def smtp_starttls(certificate: Certificate) -> Iterator[SmtpServer]:
    yield from _smtp("starttls", certificate)


@pytest.fixture()
def smtp_implicit(certificate: Certificate) -> Iterator[SmtpServer]:
    yield from _smtp("implicit", certificate)


@pytest.fixture()
def smtp_plain() -> Iterator[SmtpServer]:
    yield from _smtp("plain", None)


@pytest.fixture(scope="module")
def example(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled example organisation's snapshot."""
    from rootwatch.snapshot.from_files import build_from_directory

    out = tmp_path_factory.mktemp("example") / "example.duckdb"
    build_from_directory(REPO / "examples" / "org", out)
    return out


def write_config(path: Path, text: str) -> Path:
    import textwrap

    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path
