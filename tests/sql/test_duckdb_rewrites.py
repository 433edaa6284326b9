"""The tree rewrites that make Steampipe-flavoured Postgres mean the same on DuckDB.

Each case runs the Postgres text on the real PostgreSQL server and its translation on DuckDB and
compares the rows.
"""

from __future__ import annotations

import duckdb
import pytest

from helpers.sql_samples import AS_OF, DISTINCT_ON_NAMED, DISTINCT_ON_STAR, SAME_ON_BOTH, normalise

from rootwatch.errors import SqlError
from rootwatch.sql.compile import compile_sql
from rootwatch.sql.parsing import SqlSource


def _duckdb_rows(sql: str) -> list[tuple]:
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        return [tuple(normalise(v) for v in row) for row in con.execute(sql).fetchall()]


TRANSLATED = {**SAME_ON_BOTH, **DISTINCT_ON_STAR, **DISTINCT_ON_NAMED}
"""Every sample whose DuckDB translation must give Postgres's rows."""


@pytest.mark.parametrize("name", sorted(TRANSLATED))
def test_translation_means_the_same(name: str, pg_dsn: str) -> None:
    import psycopg

    source = SqlSource(name, TRANSLATED[name])
    with psycopg.connect(pg_dsn) as con:
        con.execute("SET TimeZone = 'UTC'")
        expected = [tuple(normalise(v) for v in row) for row in con.execute(compile_sql(source, "postgres", {}, AS_OF)).fetchall()]
    actual = _duckdb_rows(compile_sql(source, "duckdb", {}, AS_OF))
    assert actual == expected


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("select '{}'::jsonb ? 'a'", "no DuckDB equivalent"),
        ("select jsonb_build_object('a', 1)", "no DuckDB translation"),
        ("select format('%I', 'x')", "only %s"),
        ("select to_char(now(), 'Q')", "does not translate"),
        ("select 1 from jsonb_array_elements('[]'::jsonb) with ordinality as e", "ORDINALITY"),
    ],
)
def test_untranslatable_constructs_raise(sql: str, message: str) -> None:
    with pytest.raises(SqlError, match=message):
        compile_sql(SqlSource("t", sql), "duckdb", {}, AS_OF)
