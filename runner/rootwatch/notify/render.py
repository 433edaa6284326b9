"""Rendering items into the parts of a message: subject, text and HTML bodies, CSV attachment.

Generic over items (findings today, root events next), so every source gets the same shape: a
subject a person can triage from a phone, one line per item capped at ``max_rows`` with "and N more",
an HTML table with inline styles (mail clients drop style sheets and scripts), and every item as CSV
when rows were cut or the notifier asks for it.
"""

from __future__ import annotations

import csv
import html
import io
from collections.abc import Sequence
from typing import Any

from rootwatch.notify.message import Attachment, ComposeOptions, Item, Message, plural

SUBJECT_LIMIT = 100
"""SNS refuses longer subjects, and a phone's notification shows about this much."""
SHORT_LIMIT = 160

_KIND_COLOURS = {
    "alarm": "#b42318",
    "error": "#b54708",
    "failed": "#b54708",
    "notifier_failed": "#b54708",
    "ok": "#067647",
    "resolved": "#067647",
    "recovered": "#067647",
    "info": "#175cd3",
    "skip": "#667085",
}


def subject_line(prefix: str, summary: str, headlines: Sequence[str]) -> str:
    """``prefix: summary: headline, headline`` cut to the subject limit at a headline boundary."""
    subject = f"{prefix}: {summary}"
    shown: list[str] = []
    for headline in dict.fromkeys(h for h in headlines if h):
        candidate = f"{subject}: {', '.join([*shown, headline])}"
        if len(candidate) > SUBJECT_LIMIT:
            break
        shown.append(headline)
    if shown:
        subject = f"{subject}: {', '.join(shown)}"
    return subject if len(subject) <= SUBJECT_LIMIT else subject[: SUBJECT_LIMIT - 3].rstrip() + "..."


def text_body(intro: Sequence[str], items: Sequence[Item], options: ComposeOptions, outro: Sequence[str] = ()) -> str:
    lines = [*intro, ""] if intro else []
    lines += [item.line for item in items[: options.max_rows]]
    more = len(items) - options.max_rows
    if more > 0:
        lines.append(f"... and {more} more {_where_the_rest_is(options)}")
    if outro:
        lines += ["", *outro]
    return "\n".join(lines) + "\n"


def html_body(
    title: str,
    intro: Sequence[str],
    items: Sequence[Item],
    columns: Sequence[tuple[str, str]],
    options: ComposeOptions,
    outro: Sequence[str] = (),
) -> str:
    """A small HTML document that renders in mail clients: one table, inline styles only."""
    esc = html.escape
    cell = "padding:6px 10px;border-bottom:1px solid #eaecf0;vertical-align:top;text-align:left"
    head = "".join(f'<th style="{cell};background:#f2f4f7">{esc(heading)}</th>' for _key, heading in columns)
    rows = []
    for item in items[: options.max_rows]:
        colour = _KIND_COLOURS.get(item.kind, "#344054")
        cells = []
        for key, _heading in columns:
            value = _cell_text(item.record.get(key))
            if key == "status":
                value_html = f'<strong style="color:{colour}">{esc(value.upper())}</strong>'
            else:
                value_html = esc(value)
            cells.append(f'<td style="{cell}">{value_html}</td>')
        rows.append(f"<tr>{''.join(cells)}</tr>")
    more = len(items) - options.max_rows
    if more > 0:
        rows.append(
            f'<tr><td colspan="{len(columns)}" style="{cell};color:#475467">... and {more} more '
            f"{esc(_where_the_rest_is(options))}</td></tr>"
        )
    paragraphs = "".join(f'<p style="margin:0 0 8px">{esc(line)}</p>' for line in intro if line)
    closing = "".join(f'<p style="margin:12px 0 0;color:#475467;font-size:12px">{esc(line)}</p>' for line in outro if line)
    table = (
        '<table cellspacing="0" cellpadding="0" style="border-collapse:collapse;font-size:13px">'
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        if columns
        else ""
    )
    return (
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
        f"<title>{esc(title)}</title></head>"
        '<body style="margin:0;padding:16px;font-family:Arial,Helvetica,sans-serif;font-size:14px;color:#101828">'
        f'<h1 style="font-size:18px;margin:0 0 12px">{esc(title)}</h1>{paragraphs}{table}{closing}'
        "</body></html>\n"
    )


def _where_the_rest_is(options: ComposeOptions) -> str:
    if options.carries_files:
        return "(every item is in the attached CSV)"
    return "(this target carries no files: an email notifier or --export FILE.csv has every item)"


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    return str(value)


def csv_attachment(items: Sequence[Item], filename: str) -> Attachment:
    """Every item's record as CSV, columns in order of first appearance."""
    columns: dict[str, None] = {}
    for item in items:
        columns.update(dict.fromkeys(item.record))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(list(columns))
    for item in items:
        writer.writerow([_cell_text(item.record.get(column)) for column in columns])
    return Attachment(filename, buffer.getvalue().encode("utf-8"), "text/csv")


def attachments_for(items: Sequence[Item], options: ComposeOptions, filename: str) -> tuple[Attachment, ...]:
    """The CSV when asked for, or when the bodies could not hold every item."""
    if options.carries_files and (options.attach_csv or len(items) > options.max_rows):
        return (csv_attachment(items, filename),)
    return ()


def short_text(subject: str, items: Sequence[Item]) -> str:
    """The subject and as many lines as fit an SMS."""
    text = subject
    for item in items:
        candidate = f"{text}\n{item.line}"
        if len(candidate) > SHORT_LIMIT:
            break
        text = candidate
    return text if len(text) <= SHORT_LIMIT else text[: SHORT_LIMIT - 3] + "..."


SCHEMA = "rootwatch.notification/1"


def envelope(kind: str, subject: str, items: Sequence[Item], **extra: Any) -> dict[str, Any]:
    """The JSON payload every message carries (the generic webhook's body; see docs/alerts.md)."""
    counts: dict[str, int] = {}
    for item in items:
        counts[item.kind] = counts.get(item.kind, 0) + 1
    return {"schema": SCHEMA, "kind": kind, "subject": subject, "counts": counts, "items": [dict(i.record) for i in items], **extra}


def compose_plain(items: Sequence[Item], options: ComposeOptions) -> Message:
    """A message of items about rootwatch itself (failed runs, recoveries, notifier problems)."""
    subject = subject_line("rootwatch", items[0].headline if len(items) == 1 else plural(len(items), "problem"), [])
    lines = [item.line for item in items]
    return Message(
        subject=subject,
        text=text_body([], items, options),
        html=html_body(subject, lines[: options.max_rows], [], [], options),
        payload=envelope(items[0].kind if len(items) == 1 else "problems", subject, items),
        short=short_text(subject, items),
        items=tuple(items),
    )
