"""Per-control test cases in YAML: given table rows, expect graded rows.

A case file (``tests/cases/<control>.yaml`` in this repository) looks like::

    control: root_no_access_keys          # optional: defaults to the file stem
    as_of: 2026-11-25T12:00:00Z           # default as-of for every case in the file
    vars: {root_recent_days: 30}          # default variable values (mod defaults otherwise)
    defaults:                             # merged into every given row of that table
      aws_account: {partition: aws, region: global}
    cases:
      - name: inactive_key_still_fails
        description: CIS counts an inactive root key as a failure.
        given:
          aws_account: [{account_id: "111111111111"}]
          aws_iam_account_summary: [{account_id: "111111111111", account_access_keys_present: 1}]
        expect:
          - resource: arn:aws:iam::111111111111:root
            status: alarm
            reason_contains: key 1 (inactive        # or reason: exact text, reason_matches: regex
            dimensions: {account_id: "111111111111"} # optional subset

A case may name tables as ``not_captured: [aws_iam_virtual_mfa_device]``: the engine then presents
itself as a snapshot that did not capture them for any account of ``aws_account``, so the case sees
the runner's evidence rule at work (a control that needs such a table grades the account ``skip``).
``"aws_eventbridge_rule in eu-west-1"`` stands for a table missed in one region only.

``expect`` lists every row the control must return (order does not matter). The file's shape is
checked against ``rootwatch/schemas/case.schema.json``. The loader and runner
live here so that mod authors can use them: ``rootwatch control test`` runs every case on DuckDB,
and on Postgres too with ``--database``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from rootwatch.errors import InputError, Problem
from rootwatch.results import ResultRow
from rootwatch.yamlio import LineDict, line_of
from rootwatch.yamlschema import load_checked



@dataclass(frozen=True)
class ExpectedRow:
    resource: str
    status: str
    reason: str | None = None
    reason_contains: tuple[str, ...] = ()
    reason_matches: str | None = None
    dimensions: Mapping[str, str | None] = field(default_factory=dict)

    def problems_with(self, row: ResultRow) -> list[str]:
        """Why ``row`` (same resource and status) does not meet the other expectations."""
        found: list[str] = []
        if self.reason is not None and row.reason != self.reason:
            found.append(f"reason {row.reason!r} != {self.reason!r}")
        for fragment in self.reason_contains:
            if fragment not in row.reason:
                found.append(f"reason {row.reason!r} lacks {fragment!r}")
        if self.reason_matches is not None and not re.search(self.reason_matches, row.reason):
            found.append(f"reason {row.reason!r} does not match /{self.reason_matches}/")
        actual = dict(row.dimensions)
        for key, value in self.dimensions.items():
            if key not in actual:
                found.append(f"no dimension {key!r} (has {sorted(actual)})")
            elif actual[key] != value:
                found.append(f"dimension {key}={actual[key]!r} != {value!r}")
        return found


@dataclass(frozen=True)
class Case:
    """One case of one control."""

    control: str
    name: str
    description: str
    given: Mapping[str, Sequence[Mapping[str, Any]]]
    expect: tuple[ExpectedRow, ...]
    variables: Mapping[str, Any]
    as_of: datetime
    path: Path
    line: int | None
    not_captured: frozenset[str] = frozenset()
    """Tables the case's data stands for a snapshot that did not capture (for every account);
    ``"TABLE in REGION"`` for one region only."""

    @property
    def id(self) -> str:
        """``<control>_<case>``, the pytest id."""
        return f"{self.control}_{self.name}"


def uncaptured_entry(entry: str) -> tuple[str, str | None]:
    """A ``not_captured`` entry of a case as (table, region): ``"aws_eventbridge_rule in eu-west-1"``
    names one region, a bare table name the whole account."""
    table, _, region = entry.partition(" in ")
    return table.strip(), (region.strip() or None)


def _as_of(value: Any, path: Path, line: int | None) -> datetime:
    from rootwatch.schema.values import parse_timestamp

    try:
        parsed = parse_timestamp(value)
    except ValueError:
        parsed = None
    if parsed is None:
        raise InputError(Problem(path, line, f"as_of {value!r} is not an ISO 8601 timestamp"))
    return parsed


def load_cases(path: Path) -> list[Case]:
    """Every case in one file (InputError naming file and line on a malformed file)."""
    from rootwatch.schema.tables import load_tables

    data, problems = load_checked(path, "case")
    if not isinstance(data, LineDict):
        raise InputError(Problem(path, 1, "a case file is a mapping with a 'cases' list"))
    if problems:
        # The first, by line: fix it and run again (a later one may be an echo of it).
        raise InputError(problems[0])
    control = str(data.get("control") or path.stem)
    file_as_of = data.get("as_of")
    file_vars = dict(data.get("vars") or {})
    defaults = data.get("defaults") or {}
    tables = load_tables()
    for table in defaults:
        if table not in tables:
            raise InputError(Problem(path, line_of(defaults, table), f"defaults for unknown table {table}"))
    cases: list[Case] = []
    seen: set[str] = set()
    for raw in data.get("cases") or []:
        name = raw["name"]
        if name in seen:
            raise InputError(Problem(path, raw.line, f"case name {name!r} is used twice"))
        seen.add(name)
        as_of_value = raw.get("as_of", file_as_of)
        if as_of_value is None:
            raise InputError(Problem(path, raw.line, f"case {name} has no as_of (set it per case or per file)"))
        given: dict[str, list[dict[str, Any]]] = {}
        for table, rows in (raw.get("given") or {}).items():
            if table not in tables:
                raise InputError(Problem(path, line_of(raw.get("given"), table), f"unknown table {table}"))
            base = defaults.get(table) or {}
            given[table] = [{**base, **row} for row in rows or []]
            for row in given[table]:
                unknown = [c for c in row if tables[table].column(c) is None]
                if unknown:
                    raise InputError(Problem(path, line_of(row), f"table {table} has no column {unknown[0]}"))
        not_captured = raw.get("not_captured") or []  # a list of strings (the schema says so)
        for entry in not_captured:
            table = uncaptured_entry(entry)[0]
            if table not in tables:
                raise InputError(Problem(path, line_of(raw, "not_captured"), f"not_captured: unknown table {table}"))
        expect = []
        for item in raw.get("expect") or []:
            contains = item.get("reason_contains") or ()
            expect.append(
                ExpectedRow(
                    resource=str(item["resource"]),
                    status=str(item["status"]),
                    reason=item.get("reason"),
                    reason_contains=(contains,) if isinstance(contains, str) else tuple(contains),
                    reason_matches=item.get("reason_matches"),
                    dimensions={str(k): (None if v is None else str(v)) for k, v in (item.get("dimensions") or {}).items()},
                )
            )
        cases.append(
            Case(
                control=control,
                name=name,
                description=str(raw.get("description") or ""),
                given=given,
                expect=tuple(expect),
                variables={**file_vars, **dict(raw.get("vars") or {})},
                as_of=_as_of(as_of_value, path, raw.line),
                path=path,
                line=raw.line,
                not_captured=frozenset(not_captured),
            )
        )
    return cases


def discover_cases(directory: Path) -> list[Case]:
    """Every case of every ``*.yaml`` file in ``directory``, sorted by file name."""
    cases: list[Case] = []
    for path in sorted(directory.glob("*.yaml")):
        cases.extend(load_cases(path))
    return cases


def compare(case: Case, rows: Sequence[ResultRow]) -> list[str]:
    """Every way ``rows`` differ from what ``case`` expects (empty when they match)."""
    problems: list[str] = []
    remaining = list(rows)
    for expected in case.expect:
        match = next((r for r in remaining if r.resource == expected.resource and r.status.value == expected.status), None)
        if match is None:
            same = [r for r in remaining if r.resource == expected.resource]
            got = f"; got {', '.join(r.status.value + ': ' + r.reason for r in same)}" if same else ""
            problems.append(f"expected {expected.status} for {expected.resource}{got}")
            if same:
                remaining.remove(same[0])  # reported above; not also an "unexpected row"
            continue
        remaining.remove(match)
        problems.extend(f"{expected.resource}: {p}" for p in expected.problems_with(match))
    for extra in remaining:
        problems.append(f"unexpected row {extra.status.value} for {extra.resource}: {extra.reason}")
    return problems


# ---- loading given rows into engines -------------------------------------------------------------


def duckdb_with_rows(given: Mapping[str, Iterable[Mapping[str, Any]]]) -> Any:
    """An in-memory DuckDB connection holding every table, with ``given`` rows loaded."""
    import duckdb

    from rootwatch.schema.tables import load_tables
    from rootwatch.snapshot.loading import insert_duckdb

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    tables = load_tables()
    for table in tables.values():
        con.execute(table.ddl("duckdb"))
    for name, rows in given.items():
        insert_duckdb(con, tables[name], rows)
    return con


def postgres_schema_with_rows(connection: Any, given: Mapping[str, Iterable[Mapping[str, Any]]]) -> str:
    """A new schema on ``connection`` holding every table with ``given`` rows; returns its name.

    The schema stands in for a Steampipe connection (each is a schema); drop it with
    :func:`drop_postgres_schema`.
    """
    from psycopg import sql

    from rootwatch.schema.tables import load_tables
    from rootwatch.snapshot.loading import insert_postgres

    schema = f"case_{uuid.uuid4().hex[:12]}"
    tables = load_tables()
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(schema)))
        for table in tables.values():
            cursor.execute(table.ddl("postgres", schema=schema))
    for name, rows in given.items():
        insert_postgres(connection, tables[name], rows, schema=schema)
    connection.commit()
    return schema


def drop_postgres_schema(connection: Any, schema: str) -> None:
    from psycopg import sql

    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("DROP SCHEMA {} CASCADE").format(sql.Identifier(schema)))
    connection.commit()


def run_case_on(engine: Any, case: Case, mod: Any) -> tuple[tuple[ResultRow, ...], str | None]:
    """Run the case's control on an engine loaded with its rows: (graded rows, control error)."""
    from rootwatch.execution import run_targets
    from rootwatch.api import control_target
    from rootwatch.mod.variables import resolve_variables
    from rootwatch.options import RunOptions

    variables = resolve_variables(mod.variables, environ={})
    for name, value in case.variables.items():
        from rootwatch.mod.variables import coerce_value

        if name not in mod.variables:
            raise InputError(Problem(case.path, case.line, f"case {case.name} sets unknown variable {name}"))
        variables[name] = coerce_value(mod.variables[name], value, from_text=False)
    options = RunOptions(variables=variables, as_of=case.as_of, max_parallel=1)
    if case.not_captured:
        engine = UncapturedEvidence(engine, case)
    result = run_targets(engine, [control_target(mod, case.control)], options)
    (_, run), = list(result.control_runs())
    return run.rows, run.error


class UncapturedEvidence:
    """An engine presented as a snapshot that did not capture ``case.not_captured`` for any account
    of the case's ``aws_account`` rows; everything else is the engine's own."""

    def __init__(self, engine: Any, case: Case) -> None:
        from rootwatch.snapshot.metadata import NOT_CAPTURED, SnapshotInfo, SnapshotIssue

        self._engine = engine
        self.kind = engine.kind
        accounts = sorted({str(row.get("account_id")) for row in case.given.get("aws_account", [])})
        self._info = SnapshotInfo(
            captured_at=case.as_of,
            source="case",
            tool_version="",
            created_at=case.as_of,
            issues=tuple(
                SnapshotIssue(NOT_CAPTURED, f"{table} not captured in case {case.name}", account, region, table)
                for account in accounts
                for table, region in sorted(map(uncaptured_entry, case.not_captured), key=str)
            ),
        )

    def snapshot_info(self) -> Any:
        return self._info

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)


def run_case_duckdb(case: Case, mod: Any) -> tuple[tuple[ResultRow, ...], str | None]:
    from rootwatch.engines.duckdb_engine import DuckDBEngine

    engine = DuckDBEngine.from_connection(duckdb_with_rows(case.given))
    try:
        return run_case_on(engine, case, mod)
    finally:
        engine.close()


def spark_engine_with_rows(session: Any, given: Mapping[str, Iterable[Mapping[str, Any]]]) -> Any:
    """A Spark engine on ``session`` with a view of every table, holding ``given`` rows.

    The rows go through DuckDB first, so that each value is typed exactly as in a snapshot, and
    reach Spark as Arrow (JSON as its text, as in a Parquet export).
    """
    from rootwatch.engines.spark_engine import SparkEngine, ddl_schema
    from rootwatch.schema.tables import load_tables, quote_identifier

    engine = SparkEngine(session, "Spark (case rows)")
    con = duckdb_with_rows(given)
    try:
        for table in load_tables().values():
            columns = [(c.name, c.type.duckdb) for c in table.columns]
            select = ", ".join(
                f"CAST({quote_identifier(n)} AS VARCHAR) AS {quote_identifier(n)}" if kind == "JSON" else quote_identifier(n)
                for n, kind in columns
            )
            rows = con.execute(f"SELECT {select} FROM {quote_identifier(table.name)}").to_arrow_table()
            engine.register(table.name, session.createDataFrame(rows, schema=ddl_schema(columns)))
    finally:
        con.close()
    return engine


def run_case_spark(case: Case, mod: Any, session: Any) -> tuple[tuple[ResultRow, ...], str | None]:
    """Run the case on Spark (``session``: a SparkSession, local or Connect) with its rows as views."""
    engine = spark_engine_with_rows(session, case.given)
    try:
        return run_case_on(engine, case, mod)
    finally:
        engine.close()


def run_case_postgres(case: Case, mod: Any, dsn: str) -> tuple[tuple[ResultRow, ...], str | None]:
    """Load the case into a fresh schema of the database at ``dsn``, run it, drop the schema."""
    import psycopg

    from rootwatch.engines.postgres_engine import PostgresEngine

    with psycopg.connect(dsn) as connection:
        schema = postgres_schema_with_rows(connection, case.given)
        try:
            engine = PostgresEngine.open(dsn, search_path=schema)
            try:
                return run_case_on(engine, case, mod)
            finally:
                engine.close()
        finally:
            drop_postgres_schema(connection, schema)
