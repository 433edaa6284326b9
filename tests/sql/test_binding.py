"""Variables are bound in the syntax tree as typed literals: values are data, never SQL."""

from __future__ import annotations

from datetime import datetime, timezone

import duckdb
import pytest

from rootwatch.errors import SqlError, VariableError
from rootwatch.mod.model import Variable
from rootwatch.mod.variables import coerce_value, resolve_variables
from rootwatch.sql.compile import compile_sql
from rootwatch.sql.parsing import SqlSource, placeholders

AS_OF = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)


def compiled(sql: str, values: dict, dialect: str = "duckdb") -> str:
    return compile_sql(SqlSource("t", sql), dialect, values, AS_OF)


def run_duckdb(sql: str) -> list[tuple]:
    with duckdb.connect() as con:
        return con.execute(sql).fetchall()


def test_placeholders_are_found_by_name() -> None:
    source = SqlSource("t", "select 1 where :a > 0 and :b_2 = 'x' and ':not_me' = ''")
    assert placeholders(source) == frozenset({"a", "b_2"})


@pytest.mark.parametrize(
    "value",
    ["' or 1=1 --", "30; drop table x", "x'); select 1; --", "\\'; --", "$$ $1 %s %(a)s :other"],
)
def test_string_values_are_inert(value: str) -> None:
    sql = compiled("select :v as v", {"v": value})
    assert run_duckdb(sql) == [(value,)]


def test_string_values_are_inert_on_postgres(pg_dsn: str) -> None:
    import psycopg

    value = "' or 1=1 --; drop table x"
    sql = compiled("select :v as v", {"v": value}, "postgres")
    with psycopg.connect(pg_dsn) as con:
        assert con.execute(sql).fetchall() == [(value,)]


def test_numbers_booleans_and_lists_become_typed_literals() -> None:
    sql = compiled(
        "select :n + 1 as n, :f as f, :flag as flag, 'b' in (:names) as listed, :neg as neg",
        {"n": 30, "f": 2.5, "flag": True, "names": ["a", "b"], "neg": -4},
    )
    assert run_duckdb(sql) == [(31, 2.5, True, True, -4)]


def test_missing_variable_is_an_error_before_anything_runs() -> None:
    with pytest.raises(VariableError, match=":missing"):
        compiled("select :missing", {})


def test_unnamed_parameter_is_rejected() -> None:
    with pytest.raises(SqlError, match="unnamed parameter"):
        compiled("select ?", {})
    with pytest.raises(SqlError, match=r"positional parameter \$1; write parameters as :name"):
        compiled("select $1", {})


def test_injection_through_a_number_variable_is_a_type_error() -> None:
    days = Variable("root_recent_days", "integer", "window", default=30, minimum=1)
    with pytest.raises(VariableError, match="expects an integer, got '30; drop table x'"):
        coerce_value(days, "30; drop table x", from_text=True)
    assert coerce_value(days, "7", from_text=True) == 7
    with pytest.raises(VariableError, match="at least 1"):
        coerce_value(days, "0", from_text=True)


def test_resolution_order_default_env_file_then_command_line(tmp_path) -> None:
    declared = {
        "days": Variable("days", "integer", "d", default=30),
        "names": Variable("names", "list(string)", "n", default=["a"]),
    }
    var_file = tmp_path / "vars.yaml"
    var_file.write_text("days: 10\nnames: [x, y]\n")
    values = resolve_variables(
        declared,
        assignments=["days=5"],
        var_files=[var_file],
        environ={"ROOTWATCH_VAR_days": "20"},
    )
    assert values == {"days": 5, "names": ["x", "y"]}
    assert resolve_variables(declared, environ={"ROOTWATCH_VAR_days": "20"})["days"] == 20


def test_var_file_problems_name_file_and_line(tmp_path) -> None:
    from rootwatch.errors import InputError

    declared = {"days": Variable("days", "integer", "d", default=30)}
    bad = tmp_path / "vars.yaml"
    bad.write_text("# comment\ndays: soon\n")
    with pytest.raises(InputError, match=r"vars.yaml:2: variable days expects an integer"):
        resolve_variables(declared, var_files=[bad], environ={})
    unknown = tmp_path / "more.vars"
    unknown.write_text("\ndayz = 3\n")
    with pytest.raises(InputError, match=r"more.vars:2: unknown variable 'dayz'"):
        resolve_variables(declared, var_files=[unknown], environ={})


@pytest.mark.parametrize("value", [float("inf"), float("-inf"), float("nan")])
def test_a_non_finite_number_is_refused_not_written_as_a_column_name(value: float) -> None:
    from rootwatch.sql.binding import literal

    with pytest.raises(VariableError, match="must be finite"):
        literal(value)


def test_a_number_variable_that_overflows_is_a_type_error() -> None:
    variable = Variable(name="ratio", type="number", default=0.5, description="a ratio")
    with pytest.raises(VariableError, match="ratio"):
        coerce_value(variable, "1e400", from_text=True)
