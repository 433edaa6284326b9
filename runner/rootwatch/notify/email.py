"""Mail over SMTP: STARTTLS (port 587, the default) or implicit TLS (port 465), optional login,
several recipients, a plain-text and an HTML body, and the findings as a CSV attachment.

Settings: ``host``, ``port``, ``tls`` (``starttls`` | ``implicit`` | ``none``), ``username``,
``password_env`` or ``password_file`` (never the password itself), ``from``, ``to`` (one address or
a list), ``cc``, ``ca_file`` (a private CA's certificates). With ``starttls`` a server that does not
offer STARTTLS is an error: mail is never sent in clear unless ``tls: none`` says so.

On the command line: ``smtps://USER@HOST[:PORT]?to=a@example.com,b@example.com&from=...`` (implicit
TLS) or ``smtp://...`` (STARTTLS; ``&tls=none`` for a local relay); the password comes from
``$ROOTWATCH_SMTP_PASSWORD`` or ``&password_env=NAME`` / ``&password_file=PATH``.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from rootwatch.errors import UsageError
from rootwatch.notify import DeliveryError
from rootwatch.notify.config import Options
from rootwatch.notify.message import Message
from rootwatch.notify.secrets import Secret, scrub

PASSWORD_ENV = "ROOTWATCH_SMTP_PASSWORD"
TLS_MODES = ("starttls", "implicit", "none")
DEFAULT_PORTS = {"starttls": 587, "implicit": 465, "none": 25}
URL_SETTINGS = {"to", "cc", "from", "tls", "password_env", "password_file", "ca_file", "attach_csv", "max_rows"}


@dataclass(frozen=True)
class EmailNotifier:
    host: str
    port: int
    tls: str
    sender: str
    to: tuple[str, ...]
    cc: tuple[str, ...] = ()
    username: str | None = None
    password: Secret | None = None
    ca_file: Path | None = None
    carries_files = True

    @property
    def description(self) -> str:
        scheme = "smtps" if self.tls == "implicit" else "smtp"
        mode = " (no TLS)" if self.tls == "none" else ""
        return f"email via {scheme}://{self.host}:{self.port}{mode} to {', '.join(self.to + self.cc)}"

    def send(self, message: Message, timeout: float) -> None:
        mail = compose_mail(message, self.sender, self.to, self.cc)
        try:
            self._deliver(mail, timeout)
        except DeliveryError:
            raise
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryError(f"SMTP authentication failed on {self.host}: {_reply(exc)}", retryable=False) from None
        except smtplib.SMTPRecipientsRefused as exc:
            refused = "; ".join(f"{addr} ({code} {_text(text)})" for addr, (code, text) in exc.recipients.items())
            raise DeliveryError(f"{self.host} refused every recipient: {refused}", retryable=False) from None
        except smtplib.SMTPResponseException as exc:
            # 4xx replies are temporary (greylisting, a full queue); 5xx are final.
            raise DeliveryError(f"{self.host} answered {_reply(exc)}", retryable=400 <= exc.smtp_code < 500) from None
        except ssl.SSLCertVerificationError as exc:
            raise DeliveryError(
                f"TLS certificate of {self.host} not trusted ({exc.verify_message}); set ca_file for a private CA",
                retryable=False,
            ) from None
        except ssl.SSLError as exc:
            hint = " (is the port right for tls: implicit?)" if self.tls == "implicit" else ""
            raise DeliveryError(f"TLS with {self.host}:{self.port} failed: {exc.reason or exc}{hint}", retryable=False) from None
        except smtplib.SMTPNotSupportedError as exc:
            raise DeliveryError(f"{self.host}: {exc}", retryable=False) from None
        except (smtplib.SMTPException, TimeoutError, socket.timeout, OSError) as exc:
            detail = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
            raise DeliveryError(f"cannot deliver through {self.host}:{self.port}: {scrub(detail, self.password)}", retryable=True) from None

    def _deliver(self, mail: EmailMessage, timeout: float) -> None:
        context = ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)
        smtp: smtplib.SMTP
        if self.tls == "implicit":
            smtp = smtplib.SMTP_SSL(self.host, self.port, timeout=timeout, context=context)
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=timeout)
        try:
            smtp.ehlo()
            if self.tls == "starttls":
                if not smtp.has_extn("starttls"):
                    raise DeliveryError(
                        f"{self.host}:{self.port} offers no STARTTLS; not sending in clear (tls: implicit for port 465, "
                        "tls: none to allow a plain relay)",
                        retryable=False,
                    )
                smtp.starttls(context=context)
                smtp.ehlo()
            if self.username:
                smtp.login(self.username, self.password.reveal() if self.password else "")
            refused = smtp.send_message(mail, self.sender, list(self.to + self.cc))
            if refused:
                listed = "; ".join(f"{addr} ({code} {_text(text)})" for addr, (code, text) in refused.items())
                raise DeliveryError(f"{self.host} refused some recipients (the others got the mail): {listed}", retryable=False)
        finally:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _reply(exc: smtplib.SMTPResponseException) -> str:
    return f"{exc.smtp_code} {_text(exc.smtp_error)}".strip()


def compose_mail(message: Message, sender: str, to: tuple[str, ...], cc: tuple[str, ...] = ()) -> EmailMessage:
    """multipart/mixed: multipart/alternative (text, then HTML), then the attachments."""
    mail = EmailMessage()
    mail["Subject"] = message.subject
    mail["From"] = sender
    mail["To"] = ", ".join(to)
    if cc:
        mail["Cc"] = ", ".join(cc)
    mail["Date"] = formatdate(usegmt=True)
    mail["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or None)
    mail["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to an alert
    mail.set_content(message.text)
    mail.add_alternative(message.html, subtype="html")
    for attachment in message.attachments:
        maintype, _, subtype = attachment.mime_type.partition("/")
        mail.add_attachment(attachment.content, maintype=maintype, subtype=subtype or "octet-stream", filename=attachment.filename)
    return mail


def from_target(value: str) -> dict[str, Any]:
    """``smtp(s)://[USER@]HOST[:PORT]?to=...&from=...`` as settings."""
    parts = urlsplit(value)
    if parts.password is not None:
        raise UsageError(
            "--notify: an SMTP password must not be written in the URL (it would show in shell history and process listings)",
            hint=f"export {PASSWORD_ENV}=... or add password_env=NAME / password_file=PATH to the URL's query",
        )
    if not parts.hostname:
        raise UsageError("--notify: the SMTP URL names no host", hint="e.g. smtps://alerts@smtp.example.com?to=secops@example.com&from=alerts@example.com")
    query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    for key in query:
        if key not in URL_SETTINGS:
            raise UsageError(f"--notify: unknown SMTP URL parameter {key!r}", hint=f"parameters: {', '.join(sorted(URL_SETTINGS))}")
    settings: dict[str, Any] = {"host": parts.hostname, "tls": query.pop("tls", "implicit" if parts.scheme.lower() == "smtps" else "starttls")}
    if parts.port:
        settings["port"] = parts.port
    if parts.username:
        settings["username"] = unquote(parts.username)
        if "password_env" not in query and "password_file" not in query:
            settings["password_env"] = PASSWORD_ENV
    if "max_rows" in query:
        try:
            settings["max_rows"] = int(query.pop("max_rows"))
        except ValueError:
            raise UsageError("--notify: max_rows must be a whole number") from None
    return {**settings, **query}


def build(options: Options) -> EmailNotifier:
    options.check_keys({"host", "port", "tls", "username", "password", "password_env", "password_file", "from", "to", "cc", "ca_file"})
    tls = options.choice("tls", TLS_MODES, "starttls")
    username = options.text("username")
    password = options.secret("password", required=False, inline=False)
    if password is not None and not username:
        raise options.error("username", "a password is set but no username")
    if username and password is None:
        raise options.error(None, f"username {username!r} needs password_env or password_file")
    if tls == "none" and password is not None:
        raise options.error("tls", "refusing to send an SMTP password without TLS", hint="use tls: starttls or tls: implicit")
    ca_file = options.text("ca_file")
    sender = options.text("from", required=True) or ""
    to = options.texts("to", required=True)
    for address in [sender, *to, *options.texts("cc")]:
        if "@" not in address:
            raise options.error("to" if address in to else "from", f"{address!r} is not an email address")
    return EmailNotifier(
        host=options.text("host", required=True) or "",
        port=options.integer("port", DEFAULT_PORTS[tls], minimum=1),
        tls=tls,
        sender=sender,
        to=tuple(to),
        cc=tuple(options.texts("cc")),
        username=username,
        password=password,
        ca_file=Path(ca_file) if ca_file else None,
    )
