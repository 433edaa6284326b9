"""The root user's three last-used dates per account, for messages about ``root_not_used_recently``.

The emailed root-usage report people know lists, per account, the days since root was last used
and the password's and both access keys' last use. A control row carries only its reason, so the
notifier reads the three dates once from the credential report (on the engine the run used) and
adds them to that control's lines. Like account names, this is decoration: when the table is not
there or the query fails, the lines go out with the reason alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone

from rootwatch.engines.base import Engine, QueryFailed
from rootwatch.errors import SqlError
from rootwatch.sql.parsing import SqlSource

CONTROL_ID = "root_not_used_recently"
"""The control whose lines carry the dates."""

_LAST_USE = SqlSource(
    "root last use (aws_iam_credential_report)",
    "select distinct on (account_id) account_id, password_last_used, access_key_1_last_used_date, "
    "access_key_2_last_used_date from aws_iam_credential_report where user_name = '<root_account>' "
    "order by account_id, generated_time desc",
)


@dataclass(frozen=True)
class RootLastUse:
    """One account's root credential use as the credential report records it."""

    password: datetime | None
    access_key_1: datetime | None
    access_key_2: datetime | None

    def latest(self) -> datetime | None:
        dates = [d for d in (self.password, self.access_key_1, self.access_key_2) if d is not None]
        return max(dates) if dates else None

    def days_since(self, as_of: datetime) -> int | None:
        """Whole days from the latest use to ``as_of`` (0 for a use after it)."""
        latest = self.latest()
        if latest is None:
            return None
        return max(0, int((as_of - latest).total_seconds() // 86400))

    def as_record(self, as_of: datetime) -> dict[str, object]:
        return {
            "days_since_last_use": self.days_since(as_of),
            "password_last_used": _day(self.password),
            "access_key_1_last_used": _day(self.access_key_1),
            "access_key_2_last_used": _day(self.access_key_2),
        }

    def describe(self, as_of: datetime) -> str:
        """``last used 2 days ago; password 2026-11-23, access key 1 never, access key 2 never``."""
        days = self.days_since(as_of)
        when = "never used" if days is None else ("last used today" if days == 0 else f"last used {days} day{'s' if days != 1 else ''} ago")
        dates = ", ".join(
            f"{name} {_day(value) or 'never'}"
            for name, value in (("password", self.password), ("access key 1", self.access_key_1), ("access key 2", self.access_key_2))
        )
        return f"{when}; {dates}"


def _day(value: datetime | None) -> str | None:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%d") if value is not None else None


def read_root_last_use(engine: Engine, as_of: datetime) -> Mapping[str, RootLastUse]:
    """Account id → the root user's last use, for every account whose report has a root row."""
    from rootwatch.sql.compile import compile_sql

    if "aws_iam_credential_report" not in engine.available_tables():
        return {}
    try:
        result = engine.execute(compile_sql(_LAST_USE, engine.kind, {}, as_of))
    except (QueryFailed, SqlError):
        return {}
    return {
        str(account): RootLastUse(_aware(password), _aware(key_1), _aware(key_2))
        for account, password, key_1, key_2 in result.rows
        if account
    }


def _aware(value: object) -> datetime | None:
    if not isinstance(value, datetime):
        return None
    return value if value.utcoffset() is not None else value.replace(tzinfo=timezone.utc)
