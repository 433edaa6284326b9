"""Microsoft Teams through a Workflows webhook ("post to a channel when a webhook request is
received"), which takes an Adaptive Card; the retired Office 365 connectors' MessageCard is not sent.

Settings: ``url`` / ``url_env`` / ``url_file`` (the workflow's URL, signature included: a secret)
and ``ca_file``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rootwatch.notify.config import Options
from rootwatch.notify.http import post_json
from rootwatch.notify.message import Message
from rootwatch.notify.secrets import Secret, mask_url

_COLOURS = {"alarm": "Attention", "error": "Warning", "failed": "Warning", "resolved": "Good", "recovered": "Good", "ok": "Good"}


@dataclass(frozen=True)
class TeamsNotifier:
    url: Secret
    ca_file: Path | None = None
    carries_files = False

    @property
    def description(self) -> str:
        return f"teams workflow {mask_url(self.url.reveal())}"

    def send(self, message: Message, timeout: float) -> None:
        post_json(self.url, payload(message), timeout=timeout, ca_file=self.ca_file)


def payload(message: Message) -> dict[str, Any]:
    """The message as one Adaptive Card: subject, the body's lines (items coloured by kind)."""
    by_line = {item.line: item.kind for item in message.items}
    body: list[dict[str, Any]] = [{"type": "TextBlock", "text": message.subject, "weight": "Bolder", "size": "Medium", "wrap": True}]
    for line in message.text.rstrip("\n").splitlines():
        if not line.strip():
            continue
        block: dict[str, Any] = {"type": "TextBlock", "text": line, "wrap": True, "spacing": "Small"}
        colour = _COLOURS.get(by_line.get(line, ""))
        if colour:
            block["color"] = colour
        body.append(block)
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "msteams": {"width": "Full"},
        "body": body,
    }
    return {"type": "message", "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}]}


def build(options: Options) -> TeamsNotifier:
    options.check_keys({"url", "url_env", "url_file", "ca_file"})
    ca_file = options.text("ca_file")
    return TeamsNotifier(options.url(), Path(ca_file) if ca_file else None)
