"""Secrets of notifiers (SMTP passwords, webhook URLs with tokens): read from the environment or a
file, never shown.

A :class:`Secret` prints as ``***``; code that needs the value asks :meth:`Secret.reveal`. Error
messages show a URL through :func:`mask_url`, which keeps the scheme and host (enough to tell which
endpoint failed) and hides credentials, path and query, where webhook services keep their tokens.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from rootwatch.errors import UsageError


@dataclass(frozen=True)
class Secret:
    """A secret value and where it came from (``$NAME``, a file path or "inline")."""

    _value: str = field(repr=False)
    origin: str

    def reveal(self) -> str:
        return self._value

    def __str__(self) -> str:
        return "***"

    def __repr__(self) -> str:
        return f"Secret(from {self.origin})"


def from_env(name: str, where: str) -> Secret:
    """The secret in environment variable ``name``; ``where`` names the setting for errors."""
    value = os.environ.get(name)
    if value is None or not value.strip():
        raise UsageError(f"{where}: environment variable {name} is not set or empty", hint=f"export {name}=...")
    return Secret(value.strip(), f"${name}")


def from_file(path: Path, where: str) -> Secret:
    """The secret in ``path`` (its first line; surrounding whitespace dropped)."""
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        raise UsageError(f"{where}: secret file {path} does not exist") from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else "not UTF-8 text"
        raise UsageError(f"{where}: cannot read secret file {path}: {reason}") from None
    lines = text.strip().splitlines()
    if not lines or not lines[0].strip():
        raise UsageError(f"{where}: secret file {path} is empty")
    return Secret(lines[0].strip(), str(path))


def mask_url(url: str) -> str:
    """``https://hooks.slack.com/***``: scheme and host only; user, password, path and query hidden."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "***"
    if not parts.scheme or not host:
        return "***"
    hidden = "/***" if (parts.path not in ("", "/") or parts.query or parts.username) else ""
    return f"{parts.scheme}://{host}{port}{hidden}"


_URL = re.compile(r"[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>]+")


def scrub(text: str, *secrets: Secret | None) -> str:
    """``text`` with every secret value replaced by ``***`` and every URL masked.

    Libraries put the URL they failed to reach into their exception messages; this runs over every
    message that mentions a notifier before it is printed.
    """
    for secret in secrets:
        if secret is not None and secret.reveal():
            text = text.replace(secret.reveal(), "***")
    return _URL.sub(lambda match: mask_url(match.group(0)), text)
