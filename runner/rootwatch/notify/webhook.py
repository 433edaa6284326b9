"""A generic JSON webhook: the message's payload (schema ``rootwatch.notification/1``, described
in docs/alerts.md: the items, the run, and the findings as in the JSON export) POSTed as is.

Settings: ``url`` / ``url_env`` / ``url_file``; ``header_env`` (header name → environment variable
holding its value, e.g. ``Authorization: WEBHOOK_AUTH``); ``signing_secret_env`` or
``signing_secret_file`` (adds ``X-Rootwatch-Signature: sha256=<hex HMAC of the body>``); ``ca_file``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from rootwatch.notify.config import Options
from rootwatch.notify.http import post_json
from rootwatch.notify.message import Message
from rootwatch.notify.secrets import Secret, from_env, mask_url

SIGNATURE_HEADER = "X-Rootwatch-Signature"


@dataclass(frozen=True)
class WebhookNotifier:
    url: Secret
    headers: Mapping[str, Secret] = field(default_factory=dict)
    signing_secret: Secret | None = None
    ca_file: Path | None = None
    carries_files = False

    @property
    def description(self) -> str:
        return f"json webhook {mask_url(self.url.reveal())}"

    def send(self, message: Message, timeout: float) -> None:
        headers = {name: value.reveal() for name, value in self.headers.items()}
        body = dict(message.payload)
        if self.signing_secret is not None:
            headers[SIGNATURE_HEADER] = "sha256=" + signature(self.signing_secret, canonical(body))
            # post_json serialises the same way, so the receiver can verify the bytes it got.
        post_json(self.url, body, timeout=timeout, headers=headers, ca_file=self.ca_file)


def canonical(body: Mapping[str, object]) -> bytes:
    """The bytes post_json sends for ``body``."""
    return json.dumps(body, ensure_ascii=False, default=str).encode("utf-8")


def signature(secret: Secret, data: bytes) -> str:
    return hmac.new(secret.reveal().encode("utf-8"), data, hashlib.sha256).hexdigest()


def build(options: Options) -> WebhookNotifier:
    options.check_keys({"url", "url_env", "url_file", "header_env", "signing_secret", "signing_secret_env", "signing_secret_file", "ca_file"})
    header_env = options.data.get("header_env") or {}
    if not isinstance(header_env, Mapping) or not all(isinstance(v, str) for v in header_env.values()):
        raise options.error("header_env", "header_env maps header names to environment variable names")
    headers = {str(name): from_env(var, f"{options.where}: header_env {name}") for name, var in header_env.items()}
    ca_file = options.text("ca_file")
    return WebhookNotifier(
        options.url(),
        headers,
        options.secret("signing_secret", required=False, inline=False),
        Path(ca_file) if ca_file else None,
    )
