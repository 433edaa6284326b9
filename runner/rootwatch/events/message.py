"""From a batch of root activity to a digest the notifiers send: one item per alert.

An alert reads, for a person on call::

    CRITICAL  root ConsoleLogin in 222222222222 (example-prod) at 2026-11-24 08:02:11 UTC: console sign-in
              us-east-1, from 198.51.100.23, MFA: no, credential: password, succeeded
              user agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0
              event b8e4c2a0-3f1d-4e6b-8c9a-7d5e3f1b9a2c (signin.amazonaws.com)

Levels: an alert is ``info`` (what an alarm is to a run), an event that could not be read is
``error`` (every notifier hears it: someone must look at the dead-letter path), a repeat of a
burst already alerted on is ``verbose``. Each item's ``about`` carries the event's severity and
tags, so a notifier's ``where: "severity = 'critical'"`` or ``tag: event_source=iam.amazonaws.com``
filters root events as it filters controls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from rootwatch.accounts import display_account
from rootwatch.events.dedup import Group
from rootwatch.events.evaluate import Activity
from rootwatch.events.reading import Unreadable
from rootwatch.events.severity import SEVERITIES, Severity
from rootwatch.notify.message import ComposeOptions, Digest, Item, Level, Message, plural
from rootwatch.notify.render import attachments_for, envelope, html_body, short_text, subject_line, text_body

KIND = "root_activity"
CSV_NAME = "rootwatch-root-activity.csv"
HTML_COLUMNS = (
    ("severity", "Severity"),
    ("account", "Account"),
    ("event_name", "Event"),
    ("event_time", "Time"),
    ("region", "Region"),
    ("source_ip_address", "Source IP"),
    ("mfa_used", "MFA"),
    ("credential", "Credential"),
    ("outcome", "Outcome"),
    ("user_agent", "User agent"),
)
_INDENT = " " * 10


@dataclass(frozen=True)
class EventAbout:
    """What notifier filters see of a root event, in the shape of a control node."""

    id: str
    title: str
    description: str
    severity: str
    tags: Mapping[str, str] = field(default_factory=dict)
    control: None = None


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value is not None else "an unknown time"


def _record(activity: Activity, severity: Severity, names: Mapping[str, str]) -> dict[str, Any]:
    row, record = activity.row, activity.event.record
    account = str(row["account_id"])
    return {
        "status": "alarm",
        "severity": severity.level,
        "severity_reason": severity.label,
        "account_id": account,
        "account_name": names.get(account),
        "account": display_account(account, names),
        "event_time": activity.time.isoformat(),
        "event_name": row.get("event_name"),
        "event_source": row.get("event_source"),
        "region": row.get("region"),
        "source_ip_address": row.get("source_ip_address"),
        "user_agent": activity.event.row.get("user_agent"),
        "mfa_used": row.get("mfa_used"),
        "credential": row.get("credential"),
        "access_key_id": row.get("access_key_id"),
        "outcome": row.get("outcome"),
        "error_code": row.get("error_code"),
        "error_message": row.get("error_message"),
        "event_id": row.get("event_id"),
        "read_only": record.get("readOnly"),
        "received_from": activity.event.where,
    }


def _mfa(record: Mapping[str, Any]) -> str:
    value = record.get("mfa_used")
    if value is None:
        return ""
    return "MFA: yes" if str(value).lower() == "yes" else "MFA: NO"


def _lines(record: Mapping[str, Any], count: int, last: datetime | None) -> str:
    head = (f"{record['severity'].upper():<9} root {record['event_name']} in {record['account']} at "
            f"{_when(datetime.fromisoformat(record['event_time']))}: {record['severity_reason']}")  # fmt: skip
    if count > 1:
        head += f" ({count} times until {_when(last)})"
    facts = [record.get("region") or "", f"from {record['source_ip_address']}" if record.get("source_ip_address") else "",
             _mfa(record), f"credential: {record['credential']}" if record.get("credential") else "", record.get("outcome") or ""]  # fmt: skip
    if record.get("error_code"):
        facts.append(f"error {record['error_code']}" + (f": {record['error_message']}" if record.get("error_message") else ""))
    lines = [head, _INDENT + ", ".join(f for f in facts if f)]
    if record.get("user_agent"):
        lines.append(f"{_INDENT}user agent: {record['user_agent']}")
    lines.append(f"{_INDENT}event {record['event_id']} ({record['event_source']})")
    return "\n".join(lines)


def headline(record: Mapping[str, Any]) -> str:
    """``CRITICAL ConsoleLogin without MFA``: a few words for the subject."""
    text = f"{str(record['severity']).upper()} {record['event_name']}"
    if record.get("mfa_used") is not None and str(record["mfa_used"]).lower() != "yes":
        text += " without MFA"
    if record.get("outcome") == "failed":
        text += " (failed)"
    return text


def _about(record: Mapping[str, Any]) -> EventAbout:
    tags = {k: str(record[k]) for k in ("event_source", "event_name", "account_id", "region", "credential", "outcome") if record.get(k)}
    return EventAbout(KIND, str(record["event_name"]), str(record["severity_reason"]), str(record["severity"]), tags)


def alert_item(group: Group, severity: Severity, names: Mapping[str, str]) -> Item:
    record = _record(group.first, severity, names)
    record["count"] = group.count
    record["last_event_time"] = group.last.time.isoformat()
    return Item(Level.INFO, "alarm", _lines(record, group.count, group.last.time), record, record["account_id"], headline(record),
                _about(record), frozenset({record["event_id"]}))  # fmt: skip


def duplicate_item(activity: Activity, alerted: datetime, severity: Severity, names: Mapping[str, str]) -> Item:
    record = _record(activity, severity, names) | {"status": "duplicate", "alerted_at": alerted.isoformat()}
    line = (f"{'REPEAT':<9} root {record['event_name']} in {record['account']} at {_when(activity.time)} from "
            f"{record['source_ip_address']}: part of a burst alerted on at {_when(alerted)}")  # fmt: skip
    return Item(Level.VERBOSE, "duplicate", line, record, record["account_id"], f"repeated {record['event_name']}", _about(record))


def unreadable_item(entry: Unreadable, destination: str) -> Item:
    record = {"status": "error", "received_from": entry.where, "reason": entry.reason, "dead_letter": destination}
    line = f"{'ERROR':<9} could not read {entry.where}: {entry.reason}; {destination}"
    return Item(Level.ERROR, "error", line, record, None, "unreadable event")


def root_activity_digest(items: Sequence[Item], source: str) -> Digest:
    """The digest of one batch; ``source`` says where the events came from (for the intro)."""

    def compose(chosen: Sequence[Item], options: ComposeOptions) -> Message:
        return compose_events(chosen, options, source)

    return Digest(tuple(items), compose, origin="events")


def _order(item: Item) -> tuple[int, int, str]:
    kinds = {"alarm": 0, "error": 1, "duplicate": 2}
    severity = str(item.record.get("severity") or "low")
    rank = SEVERITIES.index(severity) if severity in SEVERITIES else 0
    return kinds.get(item.kind, 3), -rank, str(item.record.get("event_time") or "")


def compose_events(items: Sequence[Item], options: ComposeOptions, source: str) -> Message:
    """Subject, bodies, attachment and payload for ``items`` of one batch."""
    ordered = sorted(items, key=_order)
    alerts = [i for i in ordered if i.kind == "alarm"]
    errors = [i for i in ordered if i.kind == "error"]
    repeats = [i for i in ordered if i.kind == "duplicate"]
    accounts = {i.account_id for i in alerts if i.account_id}
    if len(alerts) == 1:
        record = alerts[0].record
        summary = f"root {record['event_name']} in {record['account']}"
        headlines = [f"{str(record['severity']).upper()}" + (" without MFA" if "without MFA" in alerts[0].headline else "")]
    elif alerts:
        summary = f"{plural(len(alerts), 'root event')} in {plural(len(accounts), 'account')}"
        headlines = [i.headline for i in alerts]
    elif errors:
        summary, headlines = f"{plural(len(errors), 'event')} could not be read", []
    else:
        summary, headlines = f"{plural(len(repeats), 'repeated root event')}", []
    subject = subject_line("rootwatch", summary, headlines)
    counts = [plural(len(alerts), "alert")] + ([plural(len(errors), "unreadable event")] if errors else [])
    counts += [f"{len(repeats)} repeated (already alerted)"] if repeats else []
    intro = [f"Root user activity from {source}: {', '.join(counts)}."]
    outro = ["Severity, de-duplication and the root_activity_* exclusions: docs/events.md. "
             "The same events: rootwatch query run root_activity on a snapshot of the CloudTrail logs."]  # fmt: skip
    return Message(
        subject=subject,
        text=text_body(intro, ordered, options, outro),
        html=html_body(subject, intro, ordered, HTML_COLUMNS, options, outro),
        payload=envelope(KIND, subject, ordered, source=source),
        short=short_text(subject, ordered),
        attachments=attachments_for(ordered, options, CSV_NAME),
        items=tuple(ordered),
    )
