"""Notifiers: tell people about a run (or, later, about root events) by mail, chat, webhook or SNS.

A notifier is a module with a ``build(options) -> Notifier`` function and a registry line below;
``options`` is the notifier's section of the configuration (or a ``--notify`` target turned into
one), read through :class:`rootwatch.notify.config.Options` so that every mistake names its file
and line. Levels, filters, retries, dry runs and secrets are handled once, in
:mod:`rootwatch.notify.dispatch`, for every target.

Nothing here is imported by ``rootwatch --help`` or the listings: the command line imports this
package only when a run was asked to notify.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from rootwatch.notify.config import Options
    from rootwatch.notify.message import Message


class DeliveryError(Exception):
    """A target refused or could not take a message. ``retryable`` says whether trying again may
    help (a timeout, a 5xx, a throttle) or not (bad credentials, an unknown topic, a 4xx);
    ``retry_after`` is the wait the target asked for, in seconds, when it said."""

    def __init__(self, message: str, *, retryable: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.retry_after = retry_after


class Notifier(Protocol):
    """One configured target."""

    @property
    def description(self) -> str:
        """What and where, safe to print: ``email via smtps://mail.example.com:465 to a@example.com``."""
        ...

    def send(self, message: Message, timeout: float) -> None:
        """Deliver ``message`` once, giving up after ``timeout`` seconds; raise DeliveryError."""
        ...


@dataclass(frozen=True)
class NotifierType:
    """A registered kind of target: the module that builds it and what it needs installed."""

    name: str
    module: str
    summary: str
    requires: str | None = None
    """A module that must be importable, with the extra that installs it."""
    extra: str | None = None

    def build(self, options: Options) -> Notifier:
        import importlib

        return importlib.import_module(self.module).build(options)  # type: ignore[no-any-return]


NOTIFIER_TYPES: dict[str, NotifierType] = {
    t.name: t
    for t in (
        NotifierType("email", "rootwatch.notify.email", "mail over SMTP (STARTTLS or implicit TLS)"),
        NotifierType("slack", "rootwatch.notify.slack", "Slack (or a Slack-compatible) incoming webhook"),
        NotifierType("teams", "rootwatch.notify.teams", "Microsoft Teams workflow webhook (Adaptive Card)"),
        NotifierType("webhook", "rootwatch.notify.webhook", "generic JSON webhook (rootwatch's notification schema)"),
        NotifierType("sns", "rootwatch.notify.sns", "Amazon SNS topic (email, email-json, sms structure)", "boto3", "aws"),
        NotifierType("apprise", "rootwatch.notify.apprise_target", "any Apprise URL (Discord, Telegram, PagerDuty, ...)", "apprise", "notify"),
    )
}
