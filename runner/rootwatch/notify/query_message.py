"""From an analyst query's rows to a digest: each row is an ``info`` item (``root_activity`` rows
are root events someone should look at); a query that returned nothing says so at ``verbose``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from rootwatch.accounts import display_account
from rootwatch.notify.message import ComposeOptions, Digest, Item, Level, Message, format_instant, plural
from rootwatch.notify.render import attachments_for, envelope, html_body, short_text, subject_line, text_body

if TYPE_CHECKING:
    from rootwatch.api import QueryRun

CSV_NAME = "rootwatch-query.csv"


def _value(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def query_digest(run: QueryRun, names: Mapping[str, str]) -> Digest:
    items: list[Item] = []
    for row in run.rows:
        record = {column: _value(value) for column, value in zip(run.columns, row)}
        account = str(record["account_id"]) if record.get("account_id") else None
        if account:
            record = {"account": display_account(account, names), **record}
        cells = "  ".join(f"{k}={v}" for k, v in record.items() if v not in (None, "") and k != "account_id")
        items.append(Item(Level.INFO, "row", f"ROW      {cells}", record, account, run.name))
    if not items:
        items.append(Item(Level.VERBOSE, "empty", f"query {run.name} returned no rows (as of {format_instant(run.as_of)})", {"query": run.name}, None, "no rows"))

    def compose(chosen: Sequence[Item], options: ComposeOptions) -> Message:
        rows = [i for i in chosen if i.kind == "row"]
        accounts = {i.account_id for i in rows if i.account_id}
        summary = f"{run.name} returned {plural(len(rows), 'row')}" + (f" in {plural(len(accounts), 'account')}" if accounts else "")
        subject = subject_line("rootwatch", summary, [])
        intro = [f"query run {run.name}, as of {format_instant(run.as_of)}: {summary}."]
        columns = [(c, c) for c in (["account"] if accounts else []) + [c for c in run.columns if c != "account_id"]][:6]
        return Message(
            subject=subject,
            text=text_body(intro, chosen, options),
            html=html_body(subject, intro, rows, columns, options),
            payload=envelope("query", subject, chosen, query={"name": run.name, "as_of": run.as_of.isoformat(), "columns": list(run.columns)}),
            short=short_text(subject, chosen),
            attachments=attachments_for(rows, options, CSV_NAME),
            items=tuple(chosen),
        )

    return Digest(tuple(items), compose, origin=f"query run {run.name}")
