"""Refusing SQL that could change anything: an allow-list of functions known to be free of side effects.

Controls, queries and ``query run`` SQL are other people's SQL run on someone's endpoint, often as a
powerful user. A read-only transaction does not stop a Postgres superuser calling ``lo_export``
(writes a file on the server), ``pg_terminate_backend``, ``pg_notify``, ``pg_advisory_lock``,
``set_config`` or ``dblink``. So every function call in the parsed tree must be on a list of
functions known to only compute a value from their arguments (or read the clock), and the tree may
hold no statement that writes (a data-modifying CTE, ``SELECT ... INTO``, ``FOR UPDATE``).

The check runs on the sqlglot tree read in the Postgres dialect, before any engine-specific rewrite,
so it is the same on every engine. The endpoint user should be read-only all the same (README): a
view on the endpoint can call anything.
"""

from __future__ import annotations

from typing import Any

from rootwatch.errors import SqlError

PURE_FUNCTIONS: frozenset[str] = frozenset(
    """
    abs cbrt ceil ceiling degrees div exp factorial floor gcd lcm ln log log10 mod pi power pow
    radians round scale sign sqrt trunc width_bucket random acos asin atan atan2 cos cot sin tan
    greatest least
    ascii bit_length btrim char_length character_length chr concat concat_ws format initcap left
    length lower lpad ltrim md5 octet_length overlay position quote_ident quote_literal
    quote_nullable regexp_count regexp_instr regexp_like regexp_match regexp_matches regexp_replace
    regexp_split_to_array regexp_split_to_table regexp_substr repeat replace reverse right rpad
    rtrim split_part starts_with string_to_array string_to_table strpos substr substring translate
    trim upper encode decode sha224 sha256 sha384 sha512 normalize
    age clock_timestamp current_date current_time current_timestamp date_bin date_part date_trunc
    extract isfinite justify_days justify_hours justify_interval localtime localtimestamp make_date
    make_interval make_time make_timestamp make_timestamptz now statement_timestamp
    transaction_timestamp to_timestamp to_date to_char to_number timezone
    to_json to_jsonb array_to_json row_to_json json_build_array jsonb_build_array json_build_object
    jsonb_build_object json_object jsonb_object json_agg jsonb_agg json_object_agg jsonb_object_agg
    json_array_elements jsonb_array_elements json_array_elements_text jsonb_array_elements_text
    json_array_length jsonb_array_length json_each jsonb_each json_each_text jsonb_each_text
    json_extract_path jsonb_extract_path json_extract_path_text jsonb_extract_path_text
    json_object_keys jsonb_object_keys json_typeof jsonb_typeof json_strip_nulls jsonb_strip_nulls
    jsonb_set jsonb_insert jsonb_pretty jsonb_path_exists jsonb_path_match jsonb_path_query
    jsonb_path_query_array jsonb_path_query_first json_to_record jsonb_to_record json_to_recordset
    jsonb_to_recordset
    array_append array_cat array_dims array_length array_lower array_upper array_ndims
    array_position array_positions array_prepend array_remove array_replace array_to_string
    cardinality unnest array_agg trim_array
    avg bit_and bit_or bool_and bool_or count every max min sum string_agg stddev stddev_pop
    stddev_samp variance var_pop var_samp mode percentile_cont percentile_disc corr covar_pop
    covar_samp
    row_number rank dense_rank percent_rank cume_dist ntile lag lead first_value last_value nth_value
    coalesce nullif num_nulls num_nonnulls generate_series generate_subscripts
    host masklen netmask network family
    current_database current_schema current_schemas current_user session_user pg_typeof
    pg_sleep
    """.split()
)
"""Postgres functions (lower case) that only compute a value: no write, no lock, no message, no
setting, no file or network access. ``pg_sleep`` only waits (the statement timeout bounds it). A call sqlglot does not model keeps its name and is checked
against this list; the test suite checks that each name here parses to an allowed node."""

PURE_EXPRESSIONS: frozenset[str] = frozenset(
    """
    Abs Cbrt Ceil Degrees Exp Factorial Floor Ln Log Pi Pow Radians Round Sign Sqrt Trunc
    WidthBucket Rand Acos Asin Atan Atan2 Cos Cot Sin Tan Greatest Least
    Ascii BitLength Trim Length Chr Concat ConcatWs Format Initcap Left Lower Pad MD5 Overlay
    StrPosition RegexpCount RegexpInstr RegexpLike RegexpReplace RegexpSubstr Repeat Replace
    Reverse Right SplitPart StartsWith StringToArray Substring Translate Upper Encode Decode
    SHA2Digest Normalize
    CurrentDate CurrentTime CurrentTimestamp DateBin Extract TimestampTrunc JustifyDays
    JustifyHours JustifyInterval Localtime Localtimestamp MakeInterval TimeFromParts
    TimestampFromParts UnixToTime StrToDate TimeToStr ToNumber
    JSONObject JSONArrayAgg JSONObjectAgg JSONBObjectAgg JSONExtract JSONExtractScalar
    JSONBExtract JSONBExtractScalar JSONBContains JSONStripNulls JSONBContainsTopKey
    JSONBContainsAnyTopKeys JSONBContainsAllTopKeys JSONBDeleteAtPath JSONBPathExists MatchAgainst
    ArrayAppend ArrayConcat ArraySize ArrayPosition ArrayPrepend ArrayRemove ArrayToString
    ArrayContains ArrayContainsAll ArrayContainedBy ArrayOverlaps Explode Unnest ArrayAgg
    Array ToArray
    Avg BitwiseAndAgg BitwiseOrAgg LogicalAnd LogicalOr Count Max Min Sum GroupConcat Stddev
    StddevPop StddevSamp Variance VariancePop Mode PercentileCont PercentileDisc Corr CovarPop
    CovarSamp
    RowNumber Rank DenseRank PercentRank CumeDist Ntile Lag Lead FirstValue LastValue NthValue
    Coalesce Nullif ExplodingGenerateSeries GenerateSeries Host
    CurrentDatabase CurrentSchema CurrentSchemas CurrentUser SessionUser
    And Or Xor Case If Cast TryCast Exists Collate RegexpILike
    """.split()
)
"""sqlglot expression classes that are function calls (or operators sqlglot models as functions)
free of side effects. A call sqlglot does not model (``Anonymous``) is checked by name against
:data:`PURE_FUNCTIONS`."""

_STATEMENTS = (
    "DML DDL Command Copy Into Lock Set Transaction Commit Rollback Use Pragma Create Drop Alter "
    "Merge Insert Update Delete TruncateTable Grant Revoke Comment Analyze Refresh Cache Uncache "
    "LoadData Kill Execute Declare Attach Detach Install Export Put Get AlterSession"
).split()
"""sqlglot classes of statements and clauses that write, lock or change the session (wherever in
the tree: a data-modifying CTE, ``SELECT ... INTO``, ``FOR UPDATE``)."""

_CATALOG_SCHEMA = "pg_catalog"

_HINT = (
    "rootwatch runs only functions known to be free of side effects (rootwatch.sql.side_effects); "
    "connect as a read-only user all the same"
)


def _statement_classes() -> tuple[type, ...]:
    from sqlglot import exp

    return tuple(getattr(exp, name) for name in _STATEMENTS if isinstance(getattr(exp, name, None), type))


def _schema_of(call: Any) -> str | None:
    """The schema a call is qualified with (``public.lower(x)``, ``FROM pg_catalog.f()``), if any."""
    from sqlglot import exp

    parent = call.parent
    if isinstance(parent, exp.Dot) and parent.expression is call:
        return parent.this.sql().strip('"').lower()
    if isinstance(parent, exp.Table) and parent.this is call and parent.args.get("db"):
        return parent.db.lower()
    return None


def function_name(call: Any) -> str:
    """The name a reader would recognise for a sqlglot function node (``lo_export``, ``COUNT``)."""
    from sqlglot import exp

    if isinstance(call, (exp.Anonymous, exp.AnonymousAggFunc)):
        return call.name
    return call.sql_name().lower()


def require_side_effect_free(tree: Any, *, where: str) -> None:
    """Raise SqlError naming the first statement or function in ``tree`` not known to be free of
    side effects (``where`` names the control, query or file)."""
    from sqlglot import exp

    statements = _statement_classes()
    for node in tree.walk():
        if isinstance(node, statements):
            kind = type(node).__name__.upper()
            what = {"INTO": "SELECT ... INTO", "LOCK": "FOR UPDATE/SHARE"}.get(kind, kind)
            raise SqlError(f"{where}: {what} is not allowed: controls and queries only read", hint=_HINT)
        if not isinstance(node, exp.Func):
            continue
        name = function_name(node)
        schema = _schema_of(node)
        if schema is not None and schema != _CATALOG_SCHEMA:
            raise SqlError(
                f"{where}: function {schema}.{name}() is not allowed: only built-in functions (pg_catalog) are",
                hint=_HINT,
            )
        if isinstance(node, (exp.Anonymous, exp.AnonymousAggFunc)):
            allowed = name.lower() in PURE_FUNCTIONS
        else:
            allowed = type(node).__name__ in PURE_EXPRESSIONS
        if not allowed:
            raise SqlError(
                f"{where}: function {name}() is not allowed: it is not on rootwatch's list of functions "
                "free of side effects",
                hint=_HINT,
            )
