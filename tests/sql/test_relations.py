"""Shared relations (``controls/relations/``): prepended as CTEs, dependencies first, only those
read; mistakes named by file and line; ``rootwatch check``, the evidence rule, ``control show --sql``
and psql all see through them."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers.mods import write_files

from rootwatch.errors import SqlError
from rootwatch.mod.loader import load_mod, load_mod_partly
from rootwatch.sql.parsing import tables_read
from rootwatch.sql.relations import expanded_text, used_relations

MOD_YAML = """\
mod: {name: reltest}
variables:
  wanted_partition: {type: string, default: aws, description: a partition}
benchmarks:
  all:
    title: All
    children:
      - control: c
"""
META = "title: C\ndescription: C.\nseverity: low\ndocs: {rationale: r, remediation: m}\n"
BASE = "-- The accounts.\nselect account_id, partition from aws_account\n"
IN_PARTITION = "select b.account_id\nfrom base as b\nwhere b.partition = :wanted_partition;\n"


def _mod(root: Path, control: str, relations: dict[str, str]) -> Path:
    files = {"mod.yaml": MOD_YAML, "controls/c.sql": control, "controls/c.yaml": META}
    return write_files(root, files | {f"controls/relations/{name}.sql": sql for name, sql in relations.items()})


def test_relations_read_are_prepended_dependencies_first(tmp_path: Path) -> None:
    control = "-- c\nwith extra as (select 1 as y)\nselect p.account_id from in_partition as p, extra\n"
    mod = load_mod(_mod(tmp_path, control, {"base": BASE, "in_partition": IN_PARTITION, "unused": "select 1 as x"}))
    source = mod.control("c").source
    assert [r.name for r in used_relations(source)] == ["base", "in_partition"]
    assert expanded_text(source) == (
        "-- c\nwith\n"
        "-- shared relation base: relations/base.sql\nbase as (\n-- The accounts.\nselect account_id, partition from aws_account\n),\n"
        "-- shared relation in_partition: relations/in_partition.sql\n"
        "in_partition as (\nselect b.account_id\nfrom base as b\nwhere b.partition = :wanted_partition\n),\n"
        "extra as (select 1 as y)\nselect p.account_id from in_partition as p, extra\n"
    )
    # Every step sees through: the tables it needs, its variables.
    assert tables_read(source) == {"aws_account"}
    from rootwatch.sql.parsing import placeholders

    assert placeholders(source) == {"wanted_partition"}


def test_a_control_without_ctes_gets_a_with(tmp_path: Path) -> None:
    mod = load_mod(_mod(tmp_path, "select account_id from base\n", {"base": BASE}))
    assert expanded_text(mod.control("c").source).startswith("with\n-- shared relation base")
    assert expanded_text(mod.control("c").source).endswith(")\nselect account_id from base\n")


def test_expanded_sql_runs_on_duckdb(tmp_path: Path) -> None:
    from rootwatch.cases import duckdb_with_rows
    from rootwatch.engines.duckdb_engine import DuckDBEngine
    from rootwatch.execution import run_control_sql
    from rootwatch.options import RunOptions

    control = "select 'arn' as resource, 'ok' as status, 'r' as reason, account_id from in_partition\n"
    mod = load_mod(_mod(tmp_path, control, {"base": BASE, "in_partition": IN_PARTITION}))
    rows = {"aws_account": [{"account_id": "1", "partition": "aws"}, {"account_id": "2", "partition": "aws-cn"}]}
    engine = DuckDBEngine.from_connection(duckdb_with_rows(rows))
    try:
        from datetime import datetime, timezone

        as_of = datetime(2026, 1, 1, tzinfo=timezone.utc)
        graded = run_control_sql(mod.control("c"), engine, RunOptions(variables={"wanted_partition": "aws"}), as_of, frozenset())
    finally:
        engine.close()
    assert graded.error is None and [r.dimension("account_id") for r in graded.rows] == ["1"]


def test_cte_named_like_a_relation_is_an_error_at_its_line(tmp_path: Path) -> None:
    root = _mod(tmp_path, "with\n  base as (select 1 as account_id)\nselect account_id from base\n", {"base": BASE})
    mod = load_mod(root)
    with pytest.raises(SqlError) as caught:
        expanded_text(mod.control("c").source)
    assert caught.value.problem.path == root / "controls" / "c.sql" and caught.value.problem.line == 2
    assert "CTE base has the name of the shared relation base" in caught.value.message
    from rootwatch import api

    problems = [str(p) for p in api.check_mod(root)]
    assert problems == [f"{root / 'controls' / 'c.sql'}:2: CTE base has the name of the shared relation base"]


def test_a_cycle_is_an_error_naming_the_relations(tmp_path: Path) -> None:
    root = _mod(
        tmp_path,
        "select account_id from a\n",
        {"a": "select account_id\nfrom b\n", "b": "select account_id from a\n"},
    )
    from rootwatch import api

    relations = root / "controls" / "relations"
    # Where the cycle closes, seen from each relation; the control reading a repeats nothing.
    assert [str(p) for p in api.check_mod(root)] == [
        f"{relations / 'a.sql'}:2: relations read each other in a cycle: b -> a -> b",
        f"{relations / 'b.sql'}:1: relations read each other in a cycle: a -> b -> a",
    ]


def test_a_relation_named_like_a_table_does_not_load(tmp_path: Path) -> None:
    root = _mod(tmp_path, "select 1 as account_id\n", {"aws_account": "select 1 as account_id\n"})
    loaded = load_mod_partly(root)
    assert [str(p) for p in loaded.problems] == [
        f"{root / 'controls' / 'relations' / 'aws_account.sql'}:1: relation aws_account has the name of the table "
        "aws_account, which it would hide; rename the file"
    ]


def test_check_names_a_relations_mistake_in_its_own_file_once(tmp_path: Path) -> None:
    root = _mod(tmp_path, "select account_id from base\n", {"base": "select account_id,\n  partiton\nfrom aws_account\n"})
    from rootwatch import api

    assert [str(p) for p in api.check_mod(root)] == [
        f"{root / 'controls' / 'relations' / 'base.sql'}:2: no column partiton in aws_account"
    ]


def test_evidence_a_control_needs_includes_what_its_relations_read(mod) -> None:
    from rootwatch.evidence import required_tables

    # root_hardware_mfa_enabled writes no table name itself; its relations read these.
    assert required_tables(mod.control("root_hardware_mfa_enabled")) == {"aws_iam_credential_report", "aws_iam_virtual_mfa_device"}
    assert required_tables(mod.control("root_not_used_recently")) == {"aws_iam_credential_report"}
    assert "aws_sns_topic_subscription" in required_tables(mod.control("root_usage_monitored"))


def test_no_control_or_query_repeats_what_a_relation_holds(mod) -> None:
    """The copies the relations replaced stay gone: no control or query reads the raw tables that
    a relation already shapes (aws_account, the root row of the credential report, the summary)."""
    for source in [c.source for c in mod.controls.values()] + [q.source for q in mod.queries.values()]:
        text = source.text.lower()
        assert "from aws_account" not in text, source.name
        assert "from aws_iam_account_summary" not in text, source.name
        assert "'<root_account>'" not in text or source.name == "credential_report_fresh", source.name


def test_control_show_sql_prints_the_expanded_text(run_cli_repo, mod) -> None:
    code, out, _ = run_cli_repo("control", "show", "root_no_access_keys", "--sql")
    assert code == 0 and out == expanded_text(mod.control("root_no_access_keys").source)
    code, out, _ = run_cli_repo("control", "show", "root_no_access_keys")
    assert code == 0 and "relations: accounts, root_summary, root_report, root_credentials, root_access_keys\n" in out
    code, out, _ = run_cli_repo("query", "show", "root_credential_inventory")
    assert code == 0 and out.startswith("Root credential inventory") and "relations: accounts," in out
    code, out, _ = run_cli_repo("query", "show", "root_credential_inventory", "--sql")
    assert code == 0 and out.startswith("-- Root credential inventory") and "root_credentials as (" in out
    # A benchmark item shows the SQL of the control grading it; one no control grades has none.
    code, out, _ = run_cli_repo("control", "show", "cis_v700_2_4", "--sql")
    assert code == 0 and out == expanded_text(mod.control("root_no_access_keys").source)
    code, out, err = run_cli_repo("control", "show", "cis_v700_6_1_1", "--sql")
    assert (code, out) == (3, "") and "benchmark item cis_v700_6_1_1 is graded by no rootwatch control" in err


@pytest.fixture()
def run_cli_repo(run_cli, repo: Path):
    """``run_cli`` on the repository's mod."""
    return lambda *args: run_cli(*args, "--mod-location", str(repo))


def _psql_value(value: object) -> str:
    """A variable's value as psql must interpolate it into the SQL text."""
    if isinstance(value, list):
        return "ARRAY[" + ", ".join("'" + str(v).replace("'", "''") + "'" for v in value) + "]::text[]" if value else "'{}'"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return str(value)


@pytest.mark.postgres
def test_every_control_runs_as_it_is_in_psql_once_relations_are_prepended(mod, pg_dsn: str, tmp_path: Path, run_cli_repo) -> None:
    """``control show --sql`` pasted into psql, with the mod's defaults as psql variables, gives
    the rows the runner gets from the same data at the same instant."""
    psql = shutil.which("psql")
    if psql is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("psql is required under CI=true (Debian's postgresql-client)")
        pytest.skip("no psql client on this machine")
    import psycopg

    from rootwatch import api
    from rootwatch.cases import drop_postgres_schema, postgres_schema_with_rows
    from rootwatch.engines.postgres_engine import PostgresEngine
    from rootwatch.snapshot.from_files import build_from_directory

    from helpers.snapshots import snapshot_rows

    snapshot = tmp_path / "example.duckdb"
    build_from_directory(Path(__file__).resolve().parents[2] / "examples" / "org", snapshot)
    rows, _ = snapshot_rows(snapshot)
    variables = api.resolve_variables(mod)
    with psycopg.connect(pg_dsn) as connection:
        schema = postgres_schema_with_rows(connection, rows)
        try:
            engine = PostgresEngine.open(pg_dsn, search_path=schema)
            try:
                for control in mod.controls.values():
                    code, sql, _ = run_cli_repo("control", "show", control.id, "--sql")
                    assert code == 0
                    command = [psql, pg_dsn, "-X", "-q", "-A", "-t", "-F", "\t", "-v", "ON_ERROR_STOP=1"]
                    command += [f"--set={name}={_psql_value(value)}" for name, value in variables.items()]
                    script = f"SET search_path = {schema};\nSET TimeZone = 'UTC';\n{sql}"
                    done = subprocess.run(command, input=script, capture_output=True, text=True, timeout=120)
                    assert done.returncode == 0, f"{control.id}: {done.stderr}"
                    from_psql = sorted(tuple(line.split("\t")[:2]) for line in done.stdout.splitlines() if line)
                    result = api.run_controls(mod, engine, [control.id], api.RunOptions(variables=variables, max_parallel=1))
                    ((_, run),) = result.control_runs()
                    assert run.error is None, run.error
                    assert from_psql == sorted((r.resource, r.status.value) for r in run.rows), control.id
            finally:
                engine.close()
        finally:
            drop_postgres_schema(connection, schema)
