"""Any service Apprise supports (Discord, Telegram, PagerDuty, Opsgenie, ntfy, Matrix, Google Chat,
Pushover, ... ): the URL syntax Apprise users already know, e.g. ``discord://ID/TOKEN``.

Needs the ``notify`` extra (``pip install 'rootwatch[notify]'``). Apprise is imported when the
first message is sent, never by a run that does not notify through it. Settings: ``url`` /
``url_env`` / ``url_file`` (an Apprise URL: a secret, it holds the service's token). The text body
is sent, with the CSV attached where the service takes files. Apprise reports only success or
failure, so every failure is retried within the notifier's time budget; the reason shown is
Apprise's own log line, with the URL masked.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from rootwatch.notify import DeliveryError
from rootwatch.notify.config import Options
from rootwatch.notify.message import Message
from rootwatch.notify.secrets import Secret, scrub


@dataclass(frozen=True)
class AppriseNotifier:
    url: Secret
    carries_files = True

    @property
    def description(self) -> str:
        scheme = self.url.reveal().partition("://")[0] or "?"
        return f"apprise {scheme}://***"

    def send(self, message: Message, timeout: float) -> None:
        import apprise
        from apprise.attachment.memory import AttachMemory

        client = apprise.Apprise()
        if not client.add(self.url.reveal()):
            raise DeliveryError("Apprise does not understand the URL (check its scheme and parts)", retryable=False)
        for service in client:
            service.socket_connect_timeout = service.socket_read_timeout = timeout
        attachments = apprise.AppriseAttachment()
        for attachment in message.attachments:
            attachments.add(AttachMemory(content=attachment.content, name=attachment.filename, mimetype=attachment.mime_type))
        kinds = {item.kind for item in message.items}
        notify_type = (
            apprise.NotifyType.FAILURE if "error" in kinds or "failed" in kinds or "notifier_failed" in kinds
            else apprise.NotifyType.WARNING if "alarm" in kinds
            else apprise.NotifyType.SUCCESS if kinds <= {"resolved", "recovered", "ok"}
            else apprise.NotifyType.INFO
        )  # fmt: skip
        with apprise.LogCapture(level=logging.WARNING) as log:
            sent = client.notify(
                body=message.text,
                title=message.subject,
                notify_type=notify_type,
                body_format=apprise.NotifyFormat.TEXT,
                attach=attachments if message.attachments else None,
            )
        if not bool(sent):
            lines = [line.split(" - ", 2)[-1] for line in log.getvalue().strip().splitlines() if line.strip()]
            reason = scrub(lines[-1], self.url) if lines else "no reason given"
            raise DeliveryError(f"Apprise could not deliver: {reason}", retryable=True)


def build(options: Options) -> AppriseNotifier:
    options.check_keys({"url", "url_env", "url_file"})
    secret = options.secret("url", required=True, inline=True)
    assert secret is not None
    if "://" not in secret.reveal():
        raise options.error("url", f"the Apprise URL (from {secret.origin}) has no scheme://", hint="e.g. discord://WEBHOOK_ID/TOKEN")
    return AppriseNotifier(secret)
