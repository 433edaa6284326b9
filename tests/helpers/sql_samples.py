"""Postgres snippets whose translations must mean the same on every engine, and how rows of
different engines are compared (the rewrite tests of DuckDB and Spark share them)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

AS_OF = datetime(2026, 3, 5, 14, 7, 9, 123456, tzinfo=timezone.utc)

SELECTORS = """'[{"ReadWriteType": "All", "IncludeManagementEvents": true},
                 {"ReadWriteType": "WriteOnly", "IncludeManagementEvents": false}]'"""

SAME_ON_BOTH = {
    "elements_bare_alias": f"select e ->> 'ReadWriteType' as rw from (select {SELECTORS}::jsonb as s) t, "
    "jsonb_array_elements(t.s) as e order by 1",
    "elements_value_column": f"select e.value ->> 'ReadWriteType' as rw from (select {SELECTORS}::jsonb as s) t, "
    "jsonb_array_elements(t.s) as e order by 1",
    "elements_column_alias": f"select sel ->> 'ReadWriteType' as rw from (select {SELECTORS}::jsonb as s) t, "
    "jsonb_array_elements(t.s) as e(sel) order by 1",
    "elements_text": """select v from (select '["a", "b", 3]'::jsonb as s) t, jsonb_array_elements_text(t.s) as v order by 1""",
    "elements_left_join_lateral_null": "select t.id, e.value ->> 'x' as x from (select 1 as id, null::jsonb as s) t "
    "left join lateral jsonb_array_elements(t.s) as e on true",
    "elements_in_select_list": """select jsonb_array_elements_text('["x", "y"]'::jsonb) as v order by 1""",
    "elements_filter_bool": f"select count(*) as n from (select {SELECTORS}::jsonb as s) t, jsonb_array_elements(t.s) e "
    "where (e ->> 'IncludeManagementEvents')::boolean",
    "array_length": """select jsonb_array_length('[1, 2, 3]'::jsonb) as n, jsonb_array_length(null::jsonb) as m""",
    "contains": f"""select {SELECTORS}::jsonb @> '[{{"ReadWriteType": "All"}}]'::jsonb as yes,
                    {SELECTORS}::jsonb @> '[{{"ReadWriteType": "ReadOnly"}}]'::jsonb as no""",
    "contains_array_literal": "select array['a', 'b'] @> array['a'] as yes",
    "typeof": """select jsonb_typeof('[1]'::jsonb) as a, jsonb_typeof('{"a": 1}'::jsonb) as o,
                 jsonb_typeof('"s"'::jsonb) as s, jsonb_typeof('1'::jsonb) as n, jsonb_typeof('true'::jsonb) as b,
                 jsonb_typeof('null'::jsonb) as z""",
    "format": "select format('%s days (window: %s)', 3, 30) as f",
    "to_char_iso_date": "select to_char(now(), 'YYYY-MM-DD') as d",
    "to_char_month_names": "select to_char(now(), 'DD Mon YYYY HH24:MI') as a, to_char(now(), 'FMMonth FMDD, YYYY') as b, "
    "to_char(now(), 'Month') as c, to_char(now(), 'MONTH DAY Dy dy mon') as d",
    "to_char_time_parts": """select to_char(now(), 'HH12:MI AM') as a, to_char(now(), 'YYYY-MM-DD"T"HH24:MI:SS.US') as b,
                             to_char(now(), 'HH:MI:SS.MS pm') as c, to_char(now(), 'FMDD.FMMM.YY') as d""",
    "greatest_ignores_nulls": "select greatest(null::timestamptz, now(), null) = now() as g",
    "arrow_paths": """select '{"a": {"b": [10, 20]}}'::jsonb -> 'a' -> 'b' ->> 1 as v""",
    "distinct_on": "select distinct on (k) k, v from (values (1, 'b'), (1, 'a'), (2, 'c')) as t(k, v) order by k, v desc",
    "regex_normalise": """select regexp_replace('{ ($.a = "Root") && $.b NOT EXISTS }', '[\\s"''(){}]', '', 'g') as n""",
}


DISTINCT_ON_STAR = {
    "distinct_on_star": """with t(k, v, w) as (values (1, 'b', 2), (1, 'a', 1), (2, 'c', 3), (3, null, 0), (3, 'd', null))
                           select distinct on (t.k) t.*, coalesce(t.v, '-') || '!' as shout from t
                           order by t.k desc, t.w nulls first, t.v""",
    "distinct_on_star_nested": """with t(k, j, v) as (values (1, 1, 'b'), (1, 1, 'a'), (1, 2, 'c'), (2, 1, 'd'))
                                  select distinct on (k) * from (select distinct on (k, j) * from t order by k, j, v) as s
                                  order by k, j desc limit 5""",
}
"""DISTINCT ON over a star, which DuckDB runs as the first rows by ``row_number()``
(``duckdb_rewrites.distinct_on_first_rows``, as every DISTINCT ON); Spark's rewrite needs named columns."""

DISTINCT_ON_NAMED = {
    "distinct_on_ordered_by_alias": """with t(k, v, w) as (values (1, 'b', 2), (1, 'a', 1), (2, 'c', 3), (2, null, 4))
                                       select distinct on (k) k, coalesce(v, '-') || '!' as shout, w * 2 as twice
                                       from t order by k, twice desc""",
    "distinct_on_over_groups": """with t(k, j) as (values (1, 'x'), (1, 'x'), (1, 'y'), (2, 'z'))
                                  select distinct on (k) k, j, count(*) as n from t group by k, j
                                  order by k, count(*) desc, j""",
}
"""DISTINCT ON over named columns, rewritten the same way: an ORDER BY naming an output alias, and
one over the groups of a GROUP BY."""

def normalise(value: object) -> object:
    """A value comparable across engines: JSON (text or decoded) as sorted JSON text."""
    if isinstance(value, str):
        try:
            parsed = json.loads(value)
        except ValueError:
            return value
        return json.dumps(parsed, sort_keys=True) if isinstance(parsed, (dict, list)) else value
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True)
    return value
