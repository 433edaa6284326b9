"""Other people's SQL cannot change anything: functions outside the allow-list, writing statements
and schema-qualified calls are refused (exit 3, naming the function) before the SQL runs, on every
engine; on a real superuser Postgres connection each attack is refused and leaves no trace."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

from rootwatch.errors import SqlError
from rootwatch.sql.parsing import SqlSource, parse, parse_expanded
from rootwatch.sql.side_effects import PURE_EXPRESSIONS, PURE_FUNCTIONS, require_side_effect_free

ATTACKS = {
    "select lo_from_bytea(0, 'x'::bytea)": "lo_from_bytea",
    "select lo_put(1, 0, 'x'::bytea)": "lo_put",
    "select lo_export(1, '/tmp/x')": "lo_export",
    "select lo_import('/etc/hostname')": "lo_import",
    "select lo_creat(-1)": "lo_creat",
    "select lo_unlink(1)": "lo_unlink",
    "select pg_reload_conf()": "pg_reload_conf",
    "select pg_terminate_backend(1)": "pg_terminate_backend",
    "select pg_cancel_backend(1)": "pg_cancel_backend",
    "select pg_advisory_lock(1)": "pg_advisory_lock",
    "select pg_try_advisory_lock(1)": "pg_try_advisory_lock",
    "select pg_notify('c', 'x')": "pg_notify",
    "select pg_read_file('postgresql.conf')": "pg_read_file",
    "select * from pg_ls_dir('.')": "pg_ls_dir",
    "select set_config('work_mem', '1GB', false)": "set_config",
    "select * from dblink('host=x', 'select 1') as t(a int)": "dblink",
    "select nextval('s')": "nextval",
    "select setval('s', 1)": "setval",
    "select txid_current()": "txid_current",
    "select pg_catalog.lo_export(1, '/tmp/x')": "lo_export",
    "select * from pg_catalog.pg_ls_dir('.')": "pg_ls_dir",
    "select public.lower('a')": "public.lower",
    "select 1 from aws_account where pg_notify('c', 'x') is null": "pg_notify",
    "select count(*) filter (where pg_advisory_lock(1) is null) from aws_account": "pg_advisory_lock",
    "select (select lo_creat(-1))": "lo_creat",
    "select 1 union all select lo_creat(-1)": "lo_creat",
    "select read_csv('/etc/passwd')": "read_csv",
    "with gone as (delete from aws_account returning *) select * from gone": "DELETE",
    "with new as (insert into aws_account (account_id) values ('1') returning *) select * from new": "INSERT",
    "with changed as (update aws_account set region = 'x' returning *) select * from changed": "UPDATE",
    "select * into copied from aws_account": "SELECT ... INTO",
    "select * from aws_account for update": "FOR UPDATE",
    "copy aws_account to '/tmp/x'": "COPY",
    "do $$ begin perform pg_notify('c', 'x'); end $$": "DO",
    "create table t (a int)": "CREATE",
    "drop table aws_account": "DROP",
    "select 1; select pg_notify('c', 'x')": "one SQL statement",
}


@pytest.mark.parametrize("sql", list(ATTACKS))
def test_the_attack_is_refused_with_its_name(sql: str) -> None:
    with pytest.raises(SqlError) as raised:
        require_side_effect_free(parse(SqlSource("q", sql)), where="q")
    assert ATTACKS[sql] in raised.value.message


def test_every_function_the_mod_uses_is_allowed(mod) -> None:
    sources = [
        *(c.source for c in mod.controls.values()),
        *(q.source for q in mod.queries.values()),
        *mod.relations.values(),
    ]
    assert len(sources) > 20
    for source in sources:
        require_side_effect_free(parse_expanded(source), where=source.where())


def test_the_lists_name_real_pure_calls() -> None:
    """Every class on the list is a sqlglot function class, and every Postgres name on the list parses
    to a call the check allows (so the two lists cannot drift apart)."""
    import sqlglot
    from sqlglot import exp

    for name in PURE_EXPRESSIONS:
        assert issubclass(getattr(exp, name), exp.Func), name
    for name in sorted(PURE_FUNCTIONS):
        for arity in (1, 2, 3, 0, 4):
            try:
                tree = sqlglot.parse_one(f"select {name}({', '.join(['1'] * arity)})", read="postgres")
            except sqlglot.errors.ParseError:
                continue
            require_side_effect_free(tree, where=name)
            break


def test_a_relation_that_calls_a_forbidden_function_is_refused_in_a_query(run_cli, cli_mod: Path, cli_snapshot: Path) -> None:
    (cli_mod / "controls" / "relations").mkdir(exist_ok=True)
    (cli_mod / "controls" / "relations" / "noisy.sql").write_text("select account_id, pg_notify('c', account_id) as n from aws_account\n")
    code, out, err = run_cli("query", "run", "select * from noisy", "--mod-location", str(cli_mod), "--snapshot", str(cli_snapshot))
    assert (code, out) == (3, "")
    assert "pg_notify()" in err and "Traceback" not in err


def test_a_control_that_calls_a_forbidden_function_stops_the_run_before_it_starts(run_cli, cli_mod: Path, tmp_path: Path) -> None:
    (cli_mod / "controls" / "labelled.sql").write_text(
        "select 'r' as resource, 'ok' as status, pg_read_file('/etc/hostname') as reason"
    )
    # The snapshot does not exist: the refusal comes before any data source is opened.
    code, out, err = run_cli("benchmark", "run", "demo", "--mod-location", str(cli_mod), "--snapshot", str(tmp_path / "none.duckdb"))
    assert (code, out) == (3, "")
    assert "control labelled" in err and "pg_read_file()" in err


def test_check_reports_the_forbidden_function(run_cli, cli_mod: Path) -> None:
    (cli_mod / "controls" / "labelled.sql").write_text("select 'r' as resource, 'ok' as status, 'x' as reason, nextval('s') as n")
    code, out, err = run_cli("check", "--mod-location", str(cli_mod))
    assert code == 3
    assert "labelled.sql" in out and "nextval()" in out


# --- a real superuser connection: refused, and nothing happened -----------------------------------

LIVE_ATTACKS = [
    "select lo_from_bytea(0, 'rootwatch'::bytea)",
    "select lo_creat(-1)",
    "select lo_export(lo_from_bytea(0, 'x'::bytea), '{file}')",
    "select pg_reload_conf()",
    "select pg_terminate_backend({victim})",
    "select pg_advisory_lock(4242)",
    "select pg_notify('rootwatch_probe', 'x')",
    "select pg_read_file('postgresql.conf')",
    "select * from pg_ls_dir('.')",
    "select set_config('application_name', 'changed', false)",
    "select nextval('rootwatch_probe_seq')",
    "with gone as (delete from probe returning *) select * from gone",
    "select * into probe_copy from probe",
]


@pytest.fixture()
def superuser_db(pg_dsn: str):
    import psycopg

    with psycopg.connect(pg_dsn, autocommit=True) as con:
        if not con.execute("select rolsuper from pg_roles where rolname = current_user").fetchone()[0]:
            pytest.skip("the test server's user is not a superuser: the attacks would fail for want of rights")
        con.execute("create table if not exists probe (a int)")
        con.execute("insert into probe values (1)")
        con.execute("create sequence if not exists rootwatch_probe_seq")
    yield pg_dsn
    with psycopg.connect(pg_dsn, autocommit=True) as con:
        con.execute("drop table if exists probe, probe_copy")
        con.execute("drop sequence if exists rootwatch_probe_seq")


@pytest.mark.postgres
def test_each_attack_is_refused_on_a_superuser_connection_and_has_no_effect(run_cli, superuser_db: str, cli_mod: Path, tmp_path: Path) -> None:
    import psycopg

    target = Path("/tmp") / f"rootwatch-probe-{uuid.uuid4().hex}"
    with psycopg.connect(superuser_db, autocommit=True) as watcher, psycopg.connect(superuser_db) as victim:
        watcher.execute("listen rootwatch_probe")
        large_objects = watcher.execute("select count(*) from pg_largeobject_metadata").fetchone()[0]
        victim_pid = victim.info.backend_pid
        for template in LIVE_ATTACKS:
            sql = template.format(file=target, victim=victim_pid)
            code, out, err = run_cli("query", "run", sql, "--mod-location", str(cli_mod), "--database", superuser_db)
            assert (code, out) == (3, ""), (sql, err)
            assert "not allowed" in err, (sql, err)
        watcher.execute("select 1")  # notifications arrive with the next round trip
        assert list(watcher.notifies(timeout=0.5, stop_after=1)) == []
        assert watcher.execute("select count(*) from pg_largeobject_metadata").fetchone()[0] == large_objects
        assert watcher.execute("select count(*) from pg_locks where locktype = 'advisory'").fetchone()[0] == 0
        assert watcher.execute("select last_value, is_called from rootwatch_probe_seq").fetchone() == (1, False)
        assert watcher.execute("select count(*) from probe").fetchone()[0] == 1
        assert watcher.execute("select to_regclass('probe_copy')").fetchone()[0] is None
        assert victim.execute("select 1").fetchone() == (1,)  # not terminated
    assert not target.exists()
    assert os.environ.get("ROOTWATCH_DATABASE") is None
