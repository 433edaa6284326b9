"""Slack incoming webhooks, and the services that accept Slack's payload (Mattermost, Rocket.Chat,
Zulip's Slack-compatible endpoint, Discord's ``/slack`` URL).

Settings: ``url`` / ``url_env`` / ``url_file`` (the webhook URL: a secret), ``blocks`` (default
true: Block Kit sections as Slack shows them; false sends plain ``text`` only, for services that
reject blocks) and ``ca_file``. The ``text`` field always holds the whole message, so a service
that ignores blocks still shows everything.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rootwatch.notify.config import Options
from rootwatch.notify.http import post_json
from rootwatch.notify.message import Message
from rootwatch.notify.secrets import Secret, mask_url

SECTION_LIMIT = 2900
"""Slack refuses a section text over 3,000 characters."""
MAX_BLOCKS = 48


@dataclass(frozen=True)
class SlackNotifier:
    url: Secret
    blocks: bool = True
    ca_file: Path | None = None
    carries_files = False

    @property
    def description(self) -> str:
        return f"slack webhook {mask_url(self.url.reveal())}"

    def send(self, message: Message, timeout: float) -> None:
        post_json(self.url, payload(message, blocks=self.blocks), timeout=timeout, ca_file=self.ca_file)


def escape(text: str) -> str:
    """Slack's three control characters in message text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def chunks(text: str, limit: int = SECTION_LIMIT) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, cut at line ends where possible."""
    pieces: list[str] = []
    current = ""
    for line in text.splitlines():
        while len(line) > limit:
            if current:
                pieces.append(current)
                current = ""
            pieces.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current:
        pieces.append(current)
    return pieces


def payload(message: Message, *, blocks: bool = True) -> dict[str, Any]:
    body = escape(message.text.rstrip("\n"))
    data: dict[str, Any] = {"text": f"*{escape(message.subject)}*\n{body}"}
    if blocks:
        sections: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": message.subject[:150]}}]
        sections += [{"type": "section", "text": {"type": "mrkdwn", "text": f"```{piece}```"}} for piece in chunks(body, SECTION_LIMIT - 6)]
        data["blocks"] = sections[:MAX_BLOCKS]
    return data


def build(options: Options) -> SlackNotifier:
    options.check_keys({"url", "url_env", "url_file", "blocks", "ca_file"})
    ca_file = options.text("ca_file")
    return SlackNotifier(options.url(), options.boolean("blocks", True), Path(ca_file) if ca_file else None)
