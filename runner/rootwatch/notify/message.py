"""What notifiers send: a generic message made of items that each carry a level.

Nothing here knows about benchmarks. A :class:`Digest` is a list of :class:`Item` plus a composer
that turns any subset of them into a :class:`Message` (subject, text body, HTML body, JSON payload,
attachments). Dispatch (:mod:`rootwatch.notify.dispatch`) picks, per notifier, the items its level
and filters let through and asks the digest to compose a message of exactly those, so a notifier at
``error`` gets a subject that counts errors, not the alarms it never sees. Run results become a
digest in :mod:`rootwatch.notify.run_message`; other sources (CloudTrail root events) can build
their own digest and reuse levels, filters, retries and every notifier.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from enum import IntEnum
from typing import Any

from rootwatch.errors import UsageError


class Level(IntEnum):
    """How much a notifier hears. An item of level L reaches every notifier whose level is >= L."""

    ERROR = 0
    """Only what could not run (control errors, failed runs) and notifier problems."""
    INFO = 1
    """Alarms and errors (the default)."""
    VERBOSE = 2
    """Every result, passes and skips included, and resolved findings."""

    @classmethod
    def parse(cls, text: object, where: str) -> Level:
        """The level named by ``text``; ``where`` names the option or file for the error."""
        names = ", ".join(level.name.lower() for level in cls)
        if isinstance(text, str) and text.strip().upper() in cls.__members__:
            return cls[text.strip().upper()]
        raise UsageError(f"{where}: {text!r} is not a notification level", hint=f"one of {names}")


@dataclass(frozen=True)
class Attachment:
    """A file sent with a message (where the target can carry one)."""

    filename: str
    content: bytes
    mime_type: str = "text/csv"


@dataclass(frozen=True)
class Item:
    """One thing worth telling: a finding, a failed run, a recovery, a root event.

    ``kind`` says what it is in one word (``alarm``, ``error``, ``ok``, ``resolved``, ``failed``,
    ``recovered``...); ``level`` who hears it. ``about`` is what filters look at (a run result's
    control node; None for items about the run itself, which every filter lets through).
    ``record`` is the item as flat JSON-ready data, for payloads and the CSV attachment.
    """

    level: Level
    kind: str
    line: str
    record: Mapping[str, Any] = field(default_factory=dict)
    account_id: str | None = None
    headline: str = ""
    """A few words for subjects, e.g. "root access key"."""
    about: Any = None
    key: Any = None
    """What identifies the item across runs (a run result's ``rootwatch.diff.ResultKey``)."""


@dataclass(frozen=True)
class Message:
    """One message as every target can render it."""

    subject: str
    text: str
    html: str
    payload: Mapping[str, Any]
    short: str
    """At most ~160 characters, for SMS."""
    attachments: tuple[Attachment, ...] = ()
    items: tuple[Item, ...] = ()


Composer = Callable[[Sequence[Item], "ComposeOptions"], Message]


@dataclass(frozen=True)
class ComposeOptions:
    """Per-notifier choices that shape a message."""

    max_rows: int = 20
    """Lines in the text and HTML bodies; the rest is "and N more" (and in the attachment)."""
    attach_csv: bool = False
    """Attach every item as CSV (also done whenever rows were cut)."""
    carries_files: bool = True
    """Whether the target can carry an attachment at all (chat webhooks cannot)."""


@dataclass(frozen=True)
class Digest:
    """Items and the composer that turns a selection of them into a message."""

    items: tuple[Item, ...]
    compose: Composer
    origin: str = "rootwatch"

    def message(self, items: Sequence[Item], options: ComposeOptions) -> Message:
        return self.compose(items, options)


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 alarm``, ``3 alarms``."""
    return f"{count} {word if count == 1 else (many or word + 's')}"


def format_instant(value: datetime | None) -> str:
    """``2026-11-25 09:00 UTC``: what a person reads on a phone."""
    if value is None:
        return ""
    if value.utcoffset() is None:
        return value.strftime("%Y-%m-%d %H:%M")
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
