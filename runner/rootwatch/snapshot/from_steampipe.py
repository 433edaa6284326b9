"""Copy the tables the mod reads from a live Steampipe (or any Postgres) endpoint into a snapshot.

Every table of the one table definition is read from each source (a Steampipe connection is a
schema; several connections or an aggregator may be named; by default the endpoint's search path
picks the tables) and copied in bulk: ``COPY (SELECT ...) TO STDOUT`` in CSV, streamed to a
temporary file that DuckDB reads and casts itself, so no table is ever held whole in memory and no
Python object is made per value (row inserts made the copy of 10,000 accounts take 21 s).

What does not make it is recorded in the snapshot rather than stopping the copy:

* a table the endpoint does not have (``rootwatch_organizations_features`` never exists on
  Steampipe) is a ``missing_table`` issue and stays empty;
* a table whose query fails (Steampipe reports AWS errors, such as a missing credential report,
  as query errors) is an ``error`` issue carrying the database's message; its rows are discarded;
* the CloudTrail event tables are copied only with ``events_days``: on Steampipe they need a log
  group qualifier and read whole log streams, so by default they are a ``skipped_table`` issue.

An empty table is no evidence when its rows were never read: an empty virtual MFA device table
reads as "no virtual device", a hardware MFA pass. So a Steampipe table that is missing or whose
query failed is also a ``not_captured`` issue for every account of that source (the accounts its
copied rows name) whose rows of the table no other source supplied; controls that need the table
then grade those accounts ``skip``. rootwatch-only tables (origin ``rootwatch``) are exempt when
missing: no Steampipe endpoint has them, and the controls reading them say themselves what their
absence means, exactly as on the live endpoint.

Bad input stops the copy before anything is written (exit 3): a source without an ``aws_account``
table (a search path or schema that is not a Steampipe AWS connection, such as a plain database's
``public``), a source whose ``aws_account`` is empty (no account: an aggregator matching no
connection), and an endpoint from which no ``aws_account`` row could be read at all (every
control grades one row per ``aws_account`` row, so such a snapshot would grade nothing and say
"0 results"). When ``aws_account`` fails on one source of several, the copy goes on: the failure is
an ``error`` issue (exit 2), and that source's accounts, absent from ``aws_account``, are not graded.

A column of the definition that the endpoint lacks is an error (exit 3) naming the table, column
and source, because a control reading it would grade NULLs as if they were evidence. With
``allow_missing_columns`` it is left NULL and recorded as a ``missing_column`` issue instead.
rootwatch-only columns (``rootwatch_columns`` in the table definitions) are never on an endpoint:
they are left NULL, which the controls read as "not captured".
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from rootwatch.engines.dsn import mask_dsn
from rootwatch.engines.postgres_engine import connect, error_message
from rootwatch.engines.steampipe_schemas import ACCOUNT_TABLE, schemas_hint, schemas_holding
from rootwatch.errors import ConnectionFailed, UsageError
from rootwatch.schema.tables import EVENT_TABLES, ColumnType, Table, load_tables, quote_identifier
from rootwatch.snapshot.metadata import NOT_CAPTURED, AccountInfo, SnapshotIssue
from rootwatch.snapshot.writer import BuildSummary, SnapshotWriter

Progress = Callable[[int, int, str], None]
"""``progress(done, total, label)``, called as each table of each source is finished."""


@dataclass(frozen=True)
class SteampipeCopyOptions:
    """What to copy and where to write it."""

    dsn: str
    output: Path
    connections: tuple[str, ...] = ()
    """Schemas to read (Steampipe connections or aggregators); empty: the search path's tables."""
    allow_missing_columns: bool = False
    events_days: int | None = None
    """Copy the CloudTrail event tables for this many days before the capture (None: skip them)."""
    overwrite: bool = False
    progress: Progress | None = None


@dataclass
class _Seen:
    """Accounts, regions, connections and credential report times observed in copied rows."""

    regions: dict[str, set[str]]
    connections: dict[str, set[str]]
    reports: dict[str, datetime]

    def account(self, account_id: str, connection: str) -> None:
        self.regions.setdefault(account_id, set())
        self.connections.setdefault(account_id, set()).add(connection)


@dataclass
class _SourceCopy:
    """What one source (a schema, or the search path) gave: the accounts its copied rows name and
    which tables were copied whole or not at all; from these the ``not_captured`` issues follow."""

    label: str
    """How messages name the source: ``connection 'aws_prod'`` or ``search path "public"``."""
    accounts: set[str] = field(default_factory=set)
    copied: set[str] = field(default_factory=set)
    """Tables whose every row was copied (possibly none)."""
    not_copied: dict[str, str] = field(default_factory=dict)
    """Table -> why its rows are missing: the endpoint lacks it, or its query failed."""


def copy_from_steampipe(options: SteampipeCopyOptions) -> BuildSummary:
    """Copy every table from the endpoint into ``options.output``; returns what was written."""
    captured_at = datetime.now(timezone.utc)
    connection = connect(options.dsn, hint="check --database (or $ROOTWATCH_DATABASE) and that the Steampipe service is running")
    with connection:
        with connection.cursor() as cursor:
            sources = _sources(cursor, options.connections, options.dsn)
            # Before the writer exists: a source that is no Steampipe AWS connection is bad input,
            # and bad input leaves no file behind (not even a temporary one).
            _check_sources(cursor, sources, options.dsn)
        connection.commit()
        detail = f"{mask_dsn(options.dsn)} " + (
            f"connections {', '.join(options.connections)}" if options.connections else f"search path {sources[0][1]}"
        )
        with SnapshotWriter(
            options.output, source="steampipe", captured_at=captured_at, source_detail=detail, overwrite=options.overwrite
        ) as writer:
            _copy_all(connection, writer, options, sources, captured_at)
            return writer.summary()


def _sources(cursor: Any, connections: tuple[str, ...], dsn: str) -> list[tuple[str | None, str]]:
    """(schema or None for the search path, label) per source; unknown schemas are a usage error."""
    if not connections:
        cursor.execute("SELECT current_setting('search_path')")
        return [(None, cursor.fetchone()[0])]
    cursor.execute("SELECT nspname FROM pg_namespace")
    existing = {name for (name,) in cursor.fetchall()}
    for name in connections:
        if name not in existing:
            schemas = ", ".join(sorted(n for n in existing if not n.startswith(("pg_", "information_schema"))))
            raise UsageError(
                f"--connection {name!r}: {mask_dsn(dsn)} has no such connection (schema)",
                hint=f"its schemas are: {schemas}",
            )
    return [(name, name) for name in dict.fromkeys(connections)]


def _describe(schema: str | None, label: str) -> str:
    """A source as messages name it."""
    return f"connection {schema!r}" if schema else f"search path {label!r}"


def _check_sources(cursor: Any, sources: list[tuple[str | None, str]], dsn: str) -> None:
    """Usage error unless every source has the ``aws_account`` table that names its accounts.

    Without it nothing the source gives can be graded (every control grades one row per account
    of ``aws_account``), and a snapshot of it would grade "0 results" as if all were well: the
    typical case is the default search path of a database that is not Steampipe (``public``).
    """
    steampipe = [t.name for t in load_tables().values() if t.origin != "rootwatch"]
    for schema, label in sources:
        cursor.execute(
            "SELECT name FROM unnest(%s::text[], %s::text[]) AS t(name, qualified) WHERE to_regclass(qualified) IS NOT NULL",
            (steampipe, [_qualified(schema, name) for name in steampipe]),
        )
        present = {name for (name,) in cursor.fetchall()}
        if ACCOUNT_TABLE in present:
            continue
        where = f"{_describe(schema, label)} of {mask_dsn(dsn)}"
        if present:
            message = f"{where} has no {ACCOUNT_TABLE} table, which names the accounts every control grades"
        else:
            message = f"{where} has none of the mod's tables ({ACCOUNT_TABLE}, {steampipe[1]}, ...): it is not a Steampipe AWS connection"
        raise UsageError(message, hint=_connections_hint(cursor))


def _connections_hint(cursor: Any) -> str:
    """Which schemas of the endpoint do hold the mod's tables, as a suggestion of what to pass."""
    return schemas_hint(schemas_holding(cursor), "--connection")


def _copy_all(
    connection: Any,
    writer: SnapshotWriter,
    options: SteampipeCopyOptions,
    sources: list[tuple[str | None, str]],
    captured_at: datetime,
) -> None:
    # aws_account first: it names the source's accounts, and an empty one stops the copy before
    # any other table is read.
    tables = sorted(load_tables().values(), key=lambda t: t.name != ACCOUNT_TABLE)
    seen = _Seen({}, {}, {})
    total = len(tables) * len(sources)
    done = 0
    copies: list[_SourceCopy] = []
    for schema, label in sources:
        log_groups: set[str] = set()
        source = _SourceCopy(_describe(schema, label))
        copies.append(source)
        for table in tables:
            before = writer.row_counts.get(table.name, 0)
            _copy_table(connection, writer, options, table, schema, seen, log_groups, captured_at, source)
            if table.name == ACCOUNT_TABLE and table.name in source.copied and writer.row_counts.get(table.name, 0) == before:
                raise UsageError(
                    f"{source.label} of {mask_dsn(options.dsn)} has no account: its {ACCOUNT_TABLE} table is empty",
                    hint="name a Steampipe connection or an aggregator whose connections match (steampipe query "
                    f"'select * from {ACCOUNT_TABLE}' should list the accounts)",
                )
            done += 1
            if options.progress:
                options.progress(done, total, f"{schema + '.' if schema else ''}{table.name}")
    if not writer.row_counts.get(ACCOUNT_TABLE):
        # Every source's aws_account query failed: a snapshot would grade nothing at all.
        failures = "; ".join(f"{s.label}: {s.not_copied[ACCOUNT_TABLE]}" for s in copies if ACCOUNT_TABLE in s.not_copied)
        raise UsageError(
            f"no account could be read from {mask_dsn(options.dsn)} ({failures or f'{ACCOUNT_TABLE} is empty'})",
            hint="check the connection's AWS credentials (steampipe query 'select * from aws_account'); with an "
            "aggregator, copy the connections that work with one --connection each",
        )
    for issue in _not_captured(copies):
        writer.add_issue(issue)
    for account_id, regions in seen.regions.items():
        writer.add_account(
            AccountInfo(
                account_id,
                tuple(sorted(regions)),
                seen.reports.get(account_id),
                "steampipe " + ", ".join(sorted(seen.connections[account_id])),
            )
        )


def _not_captured(copies: Iterable[_SourceCopy]) -> list[SnapshotIssue]:
    """A ``not_captured`` issue per account and table its source did not copy.

    Not when another source copied the table whole for the same account (a connection named
    beside an aggregator that also covers it): the snapshot then holds that account's rows.
    """
    copies = list(copies)
    covered: dict[str, set[str]] = {}
    for source in copies:
        for table in source.copied:
            covered.setdefault(table, set()).update(source.accounts)
    issues: dict[tuple[str, str], SnapshotIssue] = {}
    for source in copies:
        for table, why in source.not_copied.items():
            for account in sorted(source.accounts - covered.get(table, set())):
                issues.setdefault(
                    (account, table),
                    SnapshotIssue(NOT_CAPTURED, f"{why}; controls that need it grade the account skip", account_id=account, source=table),
                )
    return list(issues.values())


def _qualified(schema: str | None, table: str) -> str:
    name = quote_identifier(table)
    return f"{quote_identifier(schema)}.{name}" if schema else name



def _endpoint_columns(connection: Any, schema: str | None, table: str) -> tuple[str, set[str]] | None:
    """(schema the table resolves to, its column names), or None when the endpoint lacks it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)::oid", (_qualified(schema, table),))
        oid = cursor.fetchone()[0]
        if oid is None:
            connection.commit()
            return None
        cursor.execute(
            "SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = %s", (oid,)
        )
        resolved = cursor.fetchone()[0]
        cursor.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = %s AND attnum > 0 AND NOT attisdropped", (oid,)
        )
        columns = {name for (name,) in cursor.fetchall()}
    connection.commit()
    return resolved, columns


def _select_list(table: Table, names: list[str]) -> str:
    """Each column cast to the definition's type, so DuckDB receives what it declared.

    JSON comes across as text: parsing it into Python only to dump it again costs more than the
    rest of the copy.
    """
    parts = []
    for name in names:
        column_type = table.column(name).type  # type: ignore[union-attr]
        if column_type is ColumnType.JSONB:
            parts.append(f"CAST(CAST({quote_identifier(name)} AS jsonb) AS text)")
        else:
            parts.append(f"CAST({quote_identifier(name)} AS {column_type.postgres})")
    return ", ".join(parts)


def _copy_table(
    connection: Any,
    writer: SnapshotWriter,
    options: SteampipeCopyOptions,
    table: Table,
    schema: str | None,
    seen: _Seen,
    log_groups: set[str],
    captured_at: datetime,
    source: _SourceCopy,
) -> None:
    """Copy one table of one source, recording in ``source`` whether it was copied whole."""
    label = schema or "search path"
    where = f"{schema + '.' if schema else ''}{table.name}"
    if table.name in EVENT_TABLES and options.events_days is None:
        writer.add_issue(
            SnapshotIssue(
                "skipped_table",
                f"{table.name} not copied: event tables are copied only with --events-days N",
                source=where,
            )
        )
        return
    found = _endpoint_columns(connection, schema, table.name)
    if found is None:
        writer.add_issue(SnapshotIssue("missing_table", f"{label} has no table {table.name}; it is left empty", source=where))
        # A rootwatch-only table never exists on Steampipe; the controls reading it grade its
        # absence themselves, as they do live. A missing Steampipe table is evidence not read.
        if table.origin != "rootwatch":
            source.not_copied[table.name] = f"{label} has no table {table.name}"
        return
    resolved, available = found
    missing = [c.name for c in table.columns if c.name not in available and c.origin != "rootwatch"]
    if missing and not options.allow_missing_columns:
        raise UsageError(
            f"{resolved}.{table.name} on {mask_dsn(options.dsn)} has no column {missing[0]!r}"
            + (f" (nor {', '.join(missing[1:])})" if len(missing) > 1 else ""),
            hint="upgrade the Steampipe AWS plugin, or pass --allow-missing-columns to copy it as NULL "
            "(controls reading it may then grade NULLs)",
        )
    for name in missing:
        writer.add_issue(
            SnapshotIssue("missing_column", f"{resolved}.{table.name} has no column {name}; copied as NULL", source=where)
        )
    names = [name for name in table.column_names if name in available]
    for statement, params in _statements(table, schema, names, options.events_days, log_groups, captured_at):
        failure = _stream(connection, writer, table, names, statement, params, seen, log_groups, resolved, where, source)
        if failure is not None:
            # Trail events are read per log group: one failed group still leaves the table short.
            source.not_copied.setdefault(table.name, f"the query of {where} failed: {failure}")
    if table.name not in source.not_copied:
        source.copied.add(table.name)


def _statements(
    table: Table, schema: str | None, names: list[str], events_days: int | None, log_groups: set[str], captured_at: datetime
) -> Iterator[tuple[str, tuple[Any, ...]]]:
    """The SELECT(s) that read one table: one, or one per log group for trail events."""
    base = f"SELECT {_select_list(table, names)} FROM {_qualified(schema, table.name)}"
    if table.name not in EVENT_TABLES:
        yield base, ()
        return
    since = captured_at - timedelta(days=events_days or 0)
    if table.name == "aws_cloudtrail_lookup_event":
        yield base + " WHERE event_time >= %s", (since,)
        return
    # Steampipe reads trail events only with log_group_name given: one query per log group that
    # a trail of this source delivers to (the trails table is copied first).
    for group in sorted(log_groups):
        yield base + " WHERE log_group_name = %s AND timestamp >= %s", (group, since)


def _stream(
    connection: Any,
    writer: SnapshotWriter,
    table: Table,
    names: list[str],
    statement: str,
    params: tuple[Any, ...],
    seen: _Seen,
    log_groups: set[str],
    resolved: str,
    where: str,
    source: _SourceCopy,
) -> str | None:
    """Copy one SELECT into the snapshot; the database's message if it failed (nothing kept).

    The rows travel as CSV: ``COPY (SELECT ...) TO STDOUT`` streamed into a temporary file, which
    DuckDB reads and casts itself (:meth:`SnapshotWriter.staged_csv`); no Python object is made per
    value. Accounts, regions, connections, report times and trail log groups are then read from
    the staged rows with SQL.
    """
    import psycopg

    with tempfile.TemporaryDirectory(prefix="rootwatch-copy-") as directory:
        path = Path(directory) / "rows.csv"
        try:
            with connection.cursor() as cursor:
                # Text forms DuckDB reads back exactly: ISO timestamps with their offset, every
                # digit of a double, UTF-8. LOCAL: the session's own settings return at COMMIT.
                for setting in ("datestyle TO 'ISO, YMD'", "timezone TO 'UTC'", "extra_float_digits TO 3", "client_encoding TO 'UTF8'"):
                    cursor.execute(f"SET LOCAL {setting}")
                with cursor.copy(f"COPY ({statement}) TO STDOUT (FORMAT csv)", params or None) as copy, open(path, "wb") as file:
                    for chunk in copy:
                        file.write(chunk)
            connection.commit()
        except psycopg.Error as exc:
            if connection.broken:
                raise ConnectionFailed(f"lost the connection while copying {where}: {error_message(exc)}") from None
            connection.rollback()
            message = error_message(exc)
            writer.add_issue(SnapshotIssue("error", f"{table.name}: {message}", source=where))
            return message
        with writer.transaction(), writer.staged_csv(table.name, names, path) as stage:
            _observe(writer.connection, stage, table, names, seen, log_groups, resolved, source)
    return None


def _observe(
    duck: Any, stage: str, table: Table, names: list[str], seen: _Seen, log_groups: set[str], resolved: str, source: _SourceCopy
) -> None:
    """Record what the staged rows of one table say about accounts, regions and log groups."""
    if "account_id" not in names:
        return
    connection_name = "sp_connection_name" if "sp_connection_name" in names else "NULL"
    region = "region" if "region" in names and table.scope == "regional" else "NULL"
    report = "generated_time" if table.name == "aws_iam_credential_report" else "NULL"
    rows = duck.execute(
        f"SELECT account_id, {connection_name}, {region}, max({report}) FROM temp.{stage} "
        "WHERE account_id IS NOT NULL GROUP BY ALL"
    ).fetchall()
    for account_id, connection, row_region, generated in rows:
        seen.account(account_id, connection or resolved)
        source.accounts.add(account_id)
        if row_region:
            seen.regions[account_id].add(row_region)
        if generated is not None:
            known = seen.reports.get(account_id)
            seen.reports[account_id] = max(known, generated) if known else generated
    if table.name == "aws_cloudtrail_trail" and "log_group_arn" in names:
        # arn:partition:logs:region:account:log-group:NAME[:*]
        for (arn,) in duck.execute(f"SELECT DISTINCT log_group_arn FROM temp.{stage} WHERE log_group_arn IS NOT NULL").fetchall():
            parts = arn.split(":")
            if len(parts) >= 7:
                log_groups.add(parts[6])
