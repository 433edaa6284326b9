"""The tree rewrites that make Steampipe-flavoured Postgres mean the same on Spark SQL.

Each snippet runs as Postgres text on the real PostgreSQL server and as its Spark translation on
the tests' embedded Spark, and the rows are compared: the snippets the DuckDB rewrites are held to,
and more that only Spark needs a rewrite for.
"""

from __future__ import annotations

import pytest

from helpers.sql_samples import AS_OF, SAME_ON_BOTH, normalise

from rootwatch.errors import SqlError
from rootwatch.sql.compile import compile_sql
from rootwatch.sql.parsing import SqlSource

SPARK_SAMPLES = {
    **SAME_ON_BOTH,
    "regex_back_reference": r"""select regexp_replace('a = b and c != d', ' ?(!=|=) ?', '\1', 'g') as r,
                                regexp_replace('cost $5', 'cost', '\& of', 'g') as s,
                                regexp_replace('ABC abc', 'b', 'x', 'gi') as t""",
    "string_to_array_edges": """select string_to_array('a&&b&&', '&&') as parts, string_to_array('', '&&') as empty,
                                string_to_array('a.b', '.') as dotted""",
    "equals_any": """select 'b' = any(cast(array['a', 'b'] as text[])) as yes, 'c' = any(cast(array['a'] as text[])) as no,
                     'c' = any(cast(array[]::text[] as text[])) as empty""",
    "epoch_of_difference": """select extract(epoch from (now() - timestamptz '2026-03-01 00:00:00.5+00')) as seconds,
                              floor(extract(epoch from (now() - timestamptz '2026-03-01 00:00:00+00')) / 86400) as days""",
    "arrow_keeps_json_types": """select jsonb_typeof('{"a": "x", "b": 1, "c": null}'::jsonb -> 'a') as a,
                                 jsonb_typeof('{"a": "x", "b": 1, "c": null}'::jsonb -> 'b') as b,
                                 jsonb_typeof('{"a": "x", "b": 1, "c": null}'::jsonb -> 'c') as c,
                                 '{"a": "x"}'::jsonb -> 'missing' is null as missing,
                                 '{"a b": {"c": true}}'::jsonb -> 'a b' ->> 'c' as spaced""",
    "contains_scalars": """select '["x", "y"]'::jsonb @> '["y"]'::jsonb as yes, '["x"]'::jsonb @> '["x", "z"]'::jsonb as no,
                           '{"x": 1}'::jsonb @> '["x"]'::jsonb as object, '[1, "1"]'::jsonb @> '[1]'::jsonb as number""",
    "contains_objects": """select '[{"prefix": "aws.", "n": 1}, "x"]'::jsonb @> '[{"prefix": "aws."}]'::jsonb as yes,
                           '[{"exists": true}]'::jsonb @> '[{"exists": false}]'::jsonb as no,
                           '{"a": {"b": [1, 2]}, "c": 3}'::jsonb @> '{"a": {"b": [2]}}'::jsonb as nested,
                           '[{"a": 1}]'::jsonb @> '[{"b": 1}]'::jsonb as missing_key, null::jsonb @> '[1]'::jsonb as null_left""",
    "elements_chained": """select s.value ->> 'n' as n, f.value as f
                           from (select '[{"n": "a", "fs": ["p", "q"]}, {"n": "b", "fs": []}]'::jsonb as x) as t,
                           jsonb_array_elements(t.x) as s, jsonb_array_elements_text(s.value -> 'fs') as f order by 1, 2""",
    "string_agg_distinct": """select string_agg(distinct v, ', ' order by v) as a, string_agg(distinct v, ', ') as b,
                              (select string_agg(distinct v, ', ' order by v) from (values ('x')) as e(v) where false) as c
                              from (values ('b'), ('a'), ('b'), (null)) as t(v)""",
    "distinct_on_keeps_order": """with t(k, v, w) as (values (1, 'b', 2), (1, 'a', 1), (2, 'c', 3), (3, null, 0))
                                  select distinct on (k) k, v from t order by k desc, w""",
    "cte_materialization_hints": """with a as not materialized (select 1 as x), b as materialized (select 2 as y)
                                   select a.x, b.y, c.x as z from a, b, a as c""",
    "to_char_literal_letters": """select to_char(now(), 'YYYY "week of" Mon') as a, to_char(now(), 'HH24"h"MI') as b""",
}


def _spark_rows(spark, sql: str) -> list[tuple]:
    return [tuple(normalise(v) for v in row) for row in spark.sql(sql).collect()]


def _postgres_rows(pg_dsn: str, source: SqlSource) -> list[tuple]:
    import psycopg

    with psycopg.connect(pg_dsn) as con:
        con.execute("SET TimeZone = 'UTC'")
        return [tuple(normalise(v) for v in row) for row in con.execute(compile_sql(source, "postgres", {}, AS_OF)).fetchall()]


@pytest.mark.spark
@pytest.mark.parametrize("name", sorted(SPARK_SAMPLES))
def test_translation_means_the_same(name: str, pg_dsn: str, spark) -> None:
    source = SqlSource(name, SPARK_SAMPLES[name])
    expected = _postgres_rows(pg_dsn, source)
    actual = _spark_rows(spark, compile_sql(source, "spark", {}, AS_OF))
    assert actual == expected




@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("select '{}'::jsonb ? 'a'", "no Spark translation"),
        ("select jsonb_build_object('a', 1)", "no Spark translation"),
        ("select regexp_replace('aa', 'a', 'b')", "without the 'g' flag"),
        ("select x @> y from (select '[]'::jsonb as x, '[]'::jsonb as y) as t", "literal JSON value"),
        ("select to_char(now(), 'Q')", "does not translate"),
        ("select 1 from t, jsonb_array_elements('[]'::jsonb) with ordinality as e", "ORDINALITY"),
        ("select extract(epoch from interval '1 day')", "difference of two timestamps"),
    ],
)
def test_untranslatable_constructs_raise(sql: str, message: str) -> None:
    with pytest.raises(SqlError, match=message):
        compile_sql(SqlSource("t", sql), "spark", {}, AS_OF)


@pytest.mark.spark
def test_function_list_matches_spark(spark) -> None:
    from rootwatch.sql.strict import spark_function_names

    live = {row[0].lower() for row in spark.sql("SHOW SYSTEM FUNCTIONS").collect()}
    assert spark_function_names() <= live, "spark_functions.txt names functions this Spark lacks"
