"""Tree rewrites that make Steampipe-flavoured Postgres run the same on Spark SQL.

sqlglot writes most of Postgres as Spark SQL (``DISTINCT ON`` as ``row_number()``, ``string_agg`` as
``listagg``, ``unnest`` as ``LATERAL VIEW explode``); these rewrites cover what it passes through
unchanged or translates with another meaning. Anything not covered raises SqlError naming Spark,
so that ``rootwatch check`` reports it and a control never silently changes meaning.

JSON on Spark: a jsonb column is a STRING holding JSON text (the Parquet export writes it so), and
every jsonb-valued expression stays JSON text. ``->`` goes through Spark 4's VARIANT
(``parse_json``/``variant_get``/``to_json``), which keeps a string value quoted as jsonb does;
``->>`` is ``get_json_object``, which unquotes it as Postgres does.

Each rewrite is tested against PostgreSQL in ``tests/sql/test_spark_rewrites.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlglot import exp

from rootwatch.errors import SqlError
from rootwatch.sql.division import integer_division
from rootwatch.sql.duckdb_rewrites import is_element_call, qualify_bare_alias

# Postgres element functions: whether each yields jsonb values (True) or text (False).
_ELEMENTS_AS_JSON = {
    "jsonb_array_elements": True,
    "json_array_elements": True,
    "jsonb_array_elements_text": False,
    "json_array_elements_text": False,
}


def _call(name: str, *args: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this=name, expressions=list(args))


def _string(text: str) -> exp.Literal:
    return exp.Literal.string(text)


def _variant(json_text: exp.Expression) -> exp.Expression:
    return _call("parse_json", json_text)


def _variant_array(json_text: exp.Expression) -> exp.Expression:
    """The JSON array ``json_text`` as ARRAY<VARIANT> (a non-array fails, as in Postgres)."""
    return exp.Cast(this=_variant(json_text), to=exp.DataType.build("ARRAY<VARIANT>", dialect="spark"))


def _element_texts(json_text: exp.Expression, as_json: bool) -> exp.Expression:
    """ARRAY<STRING> of the array's elements: JSON text each, or (``as_json`` false) Postgres's
    ``_text`` form: strings unquoted, JSON null as NULL, anything else its JSON text."""
    element = exp.to_identifier("element")
    body: exp.Expression = _call("to_json", exp.column(element))
    if not as_json:
        kind = _call("schema_of_variant", exp.column(element))
        body = (
            exp.Case()
            .when(exp.EQ(this=kind, expression=_string("STRING")), _call("variant_get", exp.column(element), _string("$"), _string("string")))
            .when(exp.EQ(this=kind.copy(), expression=_string("VOID")), exp.Null())
            .else_(body)
        )
    lambda_ = exp.Lambda(this=body, expressions=[element])
    return _call("transform", _variant_array(json_text), lambda_)


_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _key_step(key: str) -> str:
    """One key of a JSON path: ``.key``, or ``['a key']`` for any other name."""
    if _PLAIN_KEY.fullmatch(key):
        return f".{key}"
    return "['" + key.replace("\\", "\\\\").replace("'", "\\'") + "']"


def _json_path(path: exp.JSONPath) -> str:
    """A JSONPath of keys and subscripts: ``$.key[0]``, other keys as ``$['a key']``."""
    parts = ["$"]
    for part in path.expressions:
        if isinstance(part, exp.JSONPathRoot):
            continue
        if isinstance(part, exp.JSONPathKey) and isinstance(part.this, str):
            parts.append(_key_step(part.this))
        elif isinstance(part, exp.JSONPathSubscript) and isinstance(part.this, int) and part.this >= 0:
            parts.append(f"[{part.this}]")
        else:
            raise SqlError(f"the JSON path {path.sql(dialect='postgres')} has no Spark translation")
    return "".join(parts)


def json_operators(tree: exp.Expression) -> exp.Expression:
    """``x -> 'k'`` -> JSON text of the value (through VARIANT); ``x ->> 'k'`` -> get_json_object."""
    for node in list(tree.find_all(exp.JSONExtract, exp.JSONExtractScalar)):
        path = node.expression
        if not isinstance(path, exp.JSONPath):
            raise SqlError("a JSON operator with a computed key has no Spark translation", hint="use a literal key")
        text = _json_path(path)
        if isinstance(node, exp.JSONExtractScalar):
            replacement = _call("get_json_object", node.this.copy(), _string(text))
        else:
            replacement = _call("to_json", _call("variant_get", _variant(node.this.copy()), _string(text), _string("variant")))
        node.replace(replacement)
    return tree


def json_casts(tree: exp.Expression) -> exp.Expression:
    """``'[]'::jsonb`` -> the JSON text itself; a cast of anything else to json/jsonb -> STRING."""
    json_types = (exp.DataType.Type.JSON, exp.DataType.Type.JSONB)
    for cast in list(tree.find_all(exp.Cast)):
        if not cast.to.is_type(*json_types):
            continue
        if isinstance(cast.this, exp.Literal) and cast.this.is_string:
            cast.replace(cast.this.copy())
        else:
            cast.set("to", exp.DataType.build("text"))
    return tree


_JSON_TYPE_NAMES = {
    "OBJECT": "object",
    "ARRAY": "array",
    "STRING": "string",
    "BOOLEAN": "boolean",
    "VOID": "null",
    "BIGINT": "number",
    "DECIMAL": "number",
    "DOUBLE": "number",
}


def json_typeof(tree: exp.Expression) -> exp.Expression:
    """``jsonb_typeof(x)`` -> Postgres's type names from the leading word of ``schema_of_variant``
    (``OBJECT<...>``, ``DECIMAL(2,1)``, ``VOID`` for JSON null); NULL for NULL."""
    for function in list(tree.find_all(exp.Anonymous)):
        if function.name.lower() not in {"jsonb_typeof", "json_typeof"}:
            continue
        schema = _call("schema_of_variant", _variant(function.expressions[0].copy()))
        case = exp.Case(this=_call("regexp_extract", schema, _string("^[A-Z]+"), exp.Literal.number(0)))
        for spark_type, name in _JSON_TYPE_NAMES.items():
            case = case.when(_string(spark_type), _string(name))
        function.replace(case)
    return tree


def json_array_length(tree: exp.Expression) -> exp.Expression:
    """``jsonb_array_length(x)`` -> the size of x as ARRAY<VARIANT> (a non-array fails, as in Postgres)."""
    for function in list(tree.find_all(exp.Anonymous)):
        if function.name.lower() in {"jsonb_array_length", "json_array_length"}:
            function.replace(_call("size", _variant_array(function.expressions[0].copy())))
    return tree


def jsonb_contains(tree: exp.Expression) -> exp.Expression:
    """jsonb ``a @> '<literal JSON>'`` -> Postgres's containment, spelled out for the literal: an
    array contains each element of the literal array somewhere among its own, an object each key
    with a containing value, a scalar an equal one. Any other right side raises."""
    import json

    for node in list(tree.find_all(exp.ArrayContainsAll)):
        right = node.expression
        if isinstance(right, exp.Array) or (isinstance(right, exp.Cast) and right.to.is_type(exp.DataType.Type.ARRAY)):
            # A real array containment: nothing of the right is missing from the left.
            missing = _call("array_except", right.copy(), node.this.copy())
            node.replace(exp.EQ(this=_call("size", missing), expression=exp.Literal.number(0)))
            continue
        if isinstance(right, exp.Cast) and right.to.is_type(exp.DataType.Type.JSON, exp.DataType.Type.JSONB):
            right = right.this
        try:
            wanted = json.loads(right.this) if isinstance(right, exp.Literal) and right.is_string else _NOT_JSON
        except ValueError:
            wanted = _NOT_JSON
        if wanted is _NOT_JSON:
            raise SqlError(
                "jsonb @> has a Spark translation only for a literal JSON value on the right",
                hint="""for example x @> '["Management"]'::jsonb""",
            )
        node.replace(exp.Paren(this=_contains(_variant(node.this.copy()), wanted, depth=0)))
    return tree


_NOT_JSON = object()


def _kind_is(variant: exp.Expression, kind: str) -> exp.Expression:
    return _call("startswith", _call("schema_of_variant", variant), _string(kind))


def _contains(variant: exp.Expression, wanted: object, *, depth: int) -> exp.Expression:
    """Whether the VARIANT ``variant`` contains the JSON value ``wanted`` (jsonb ``@>``)."""
    import json

    if isinstance(wanted, dict):
        checks = [_kind_is(variant.copy(), "OBJECT")]
        for key, value in wanted.items():
            path = "$" + _key_step(key)
            member = _call("variant_get", variant.copy(), _string(path), _string("variant"))
            checks.append(_call("coalesce", _contains(member, value, depth=depth + 1), exp.false()))
        return exp.and_(*checks)
    if isinstance(wanted, list):
        checks = [_kind_is(variant.copy(), "ARRAY")]
        name = exp.to_identifier(f"element_{depth}")
        # NULL for a non-array: Spark need not stop at the kind check before reading the elements.
        elements = _call("try_variant_get", variant.copy(), _string("$"), _string("array<variant>"))
        for item in wanted:
            test = _contains(exp.column(name), item, depth=depth + 1)
            checks.append(_call("exists", elements.copy(), exp.Lambda(this=test, expressions=[name])))
        return exp.and_(*checks)
    return exp.EQ(this=_call("to_json", variant), expression=_string(json.dumps(wanted, separators=(",", ":"), ensure_ascii=False)))


def element_functions_in_from(tree: exp.Expression) -> exp.Expression:
    """``FROM t, jsonb_array_elements(t.x) AS e`` -> ``FROM t LATERAL VIEW explode(...) e AS value``.

    A bare reference to the alias becomes ``e.value`` (or the column the alias names); a ``LEFT
    JOIN LATERAL ... ON true`` becomes ``LATERAL VIEW OUTER``. Spark applies lateral views after
    the FROM list, so an element function must come after every table it is joined with.
    """
    for select in list(tree.find_all(exp.Select)):
        joins = list(select.args.get("joins") or [])
        if not any(_element_join(join) is not None for join in joins):
            continue
        kept: list[exp.Join] = []
        laterals = list(select.args.get("laterals") or [])
        seen_element = False
        for join in joins:
            source = _element_join(join)
            if source is None:
                if seen_element:
                    raise SqlError("a table joined after an element function has no Spark translation", hint="join the tables first, then the element function")
                kept.append(join)
                continue
            seen_element = True
            outer = join.side == "LEFT"
            on = join.args.get("on")
            if (join.side and not outer) or (on is not None and not (isinstance(on, exp.Boolean) and on.this)):
                raise SqlError(f"{source.this.name}() in a {join.side or 'join'} with a condition has no Spark translation")
            laterals.append(_lateral_view(select, source, outer=outer))
        select.set("joins", kept or None)
        select.set("laterals", laterals)
    for source in tree.find_all(exp.Table, exp.Lateral):
        if is_element_call(source.this):
            raise SqlError(f"{source.this.name}() as the first item of FROM has no Spark translation", hint="select from a table and add the element function after it")
    return tree


def _element_join(join: exp.Join) -> exp.Table | exp.Lateral | None:
    source = join.this
    if isinstance(source, (exp.Table, exp.Lateral)) and is_element_call(source.this):
        return source
    return None


def _lateral_view(select: exp.Select, source: exp.Table | exp.Lateral, *, outer: bool) -> exp.Lateral:
    function = source.this
    if source.args.get("ordinality"):
        raise SqlError(f"{function.name}() WITH ORDINALITY has no Spark translation")
    if len(function.expressions) != 1:
        raise SqlError(f"{function.name}() takes one argument, got {len(function.expressions)}")
    alias = source.args.get("alias")
    alias_name = alias.name if alias is not None and alias.name else function.name.lower()
    given = alias.columns if alias is not None else []
    column_name = given[0].name if given else "value"
    if not given:
        qualify_bare_alias(select, alias_name, column_name)
    explode = exp.Explode(this=_element_texts(function.expressions[0].copy(), _ELEMENTS_AS_JSON[function.name.lower()]))
    return exp.Lateral(
        this=explode,
        view=True,
        outer=outer,
        alias=exp.TableAlias(this=exp.to_identifier(alias_name), columns=[exp.to_identifier(column_name)]),
    )


def element_functions_in_select(tree: exp.Expression) -> exp.Expression:
    """``SELECT jsonb_array_elements(x)`` (set-returning in the projection) -> ``explode(...)``."""
    for function in list(tree.find_all(exp.Anonymous)):
        if is_element_call(function):
            as_json = _ELEMENTS_AS_JSON[function.name.lower()]
            function.replace(exp.Explode(this=_element_texts(function.expressions[0].copy(), as_json)))
    return tree


def string_to_array(tree: exp.Expression) -> exp.Expression:
    """``string_to_array(s, 'lit')`` -> ``split`` on the quoted delimiter; '' gives an empty array
    (as in Postgres; Spark's split gives one empty element)."""
    for node in list(tree.find_all(exp.StringToArray)):
        delimiter = node.expression
        if not (isinstance(delimiter, exp.Literal) and delimiter.is_string and delimiter.this) or node.args.get("null"):
            raise SqlError("string_to_array() on Spark needs a literal, non-empty delimiter and no null string")
        text = node.this.copy()
        split = _call("split", text, _string(re.escape(delimiter.this)), exp.Literal.number(-1))
        empty = exp.Cast(this=exp.Array(expressions=[]), to=exp.DataType.build("ARRAY<STRING>", dialect="spark"))
        node.replace(exp.If(this=exp.EQ(this=text.copy(), expression=_string("")), true=empty, false=split))
    return tree


def any_of_array(tree: exp.Expression) -> exp.Expression:
    """``v = ANY(array)`` -> ``array_contains`` (false for an empty array, as in Postgres)."""
    for node in list(tree.find_all(exp.Any)):
        parent = node.parent
        if not isinstance(parent, exp.EQ) or parent.expression is not node:
            raise SqlError("ANY() on Spark is supported only as value = ANY(array)")
        array = node.this.copy()
        contains = _call("array_contains", array, parent.this.copy())
        empty = exp.EQ(this=_call("size", array.copy()), expression=exp.Literal.number(0))
        parent.replace(exp.Paren(this=exp.If(this=empty, true=exp.false(), false=contains)))
    return tree


_BACKREFERENCE = re.compile(r"\\(\d|&|\\)|\$")


def _java_replacement(text: str) -> str:
    """A Postgres regexp_replace replacement (``\\1``, ``\\&``) in Java's form (``$1``, ``$0``)."""

    def swap(match: re.Match[str]) -> str:
        token = match.group(0)
        if token == "$":
            return "\\$"
        ref = match.group(1)
        return "$0" if ref == "&" else ("\\\\" if ref == "\\" else f"${ref}")

    return _BACKREFERENCE.sub(swap, text)


def regexp_replace(tree: exp.Expression) -> exp.Expression:
    """Postgres ``regexp_replace(s, p, r, 'g')`` -> Spark's (which always replaces every match),
    with the replacement's back-references in Java's form and flag ``i`` as ``(?i)``."""
    for node in list(tree.find_all(exp.RegexpReplace)):
        modifiers = node.args.get("modifiers")
        flags = modifiers.this if isinstance(modifiers, exp.Literal) else ""
        if modifiers is not None and not isinstance(modifiers, exp.Literal) or set(flags) - {"g", "i"}:
            raise SqlError(f"regexp_replace() flags {flags!r} have no Spark translation", hint="use 'g' and 'i' only")
        if "g" not in flags:
            raise SqlError(
                "regexp_replace() without the 'g' flag (first match only) has no Spark translation",
                hint="add the 'g' flag if every match may be replaced",
            )
        pattern, replacement = node.expression, node.args.get("replacement")
        for part, what in ((pattern, "pattern"), (replacement, "replacement")):
            if not (isinstance(part, exp.Literal) and part.is_string):
                raise SqlError(f"regexp_replace() on Spark needs a literal {what}")
        regex = ("(?i)" if "i" in flags else "") + pattern.this
        node.set("expression", _string(regex))
        node.set("replacement", _string(_java_replacement(replacement.this)))
        node.set("modifiers", None)
        node.set("single_replace", None)
    return tree


def epoch_of_interval(tree: exp.Expression) -> exp.Expression:
    """``extract(epoch from (a - b))`` of two timestamps -> seconds between them, exact to the
    microsecond (Spark has no epoch field); ``extract(epoch from ts)`` -> seconds since 1970."""
    for node in list(tree.find_all(exp.Extract)):
        if node.name.upper() != "EPOCH":
            continue
        value = node.expression
        while isinstance(value, exp.Paren):
            value = value.this
        if isinstance(value, exp.Sub) and not value.find(exp.Interval):
            micros = exp.Sub(this=_call("unix_micros", value.this.copy()), expression=_call("unix_micros", value.expression.copy()))
        elif isinstance(value, (exp.Sub, exp.Interval, exp.Add)):
            raise SqlError("extract(epoch from <interval>) on Spark is supported only for the difference of two timestamps")
        else:
            micros = _call("unix_micros", value.copy())
        seconds = exp.Div(this=exp.Paren(this=micros), expression=exp.Literal.number("1000000.0"))
        node.replace(exp.Paren(this=seconds))
    return tree


def format_function(tree: exp.Expression) -> exp.Expression:
    """Postgres ``format('%s ...', ...)`` -> ``format_string`` with every argument as text."""
    for node in list(tree.find_all(exp.Format)):
        template = node.this
        if not (isinstance(template, exp.Literal) and template.is_string):
            raise SqlError("format() needs a literal format string to run on Spark")
        if "%" in template.this.replace("%%", "").replace("%s", ""):
            raise SqlError("format() on Spark supports only %s and %%", hint="build the text with || instead")
        arguments = [exp.Cast(this=e.copy(), to=exp.DataType.build("text")) for e in node.expressions]
        node.replace(_call("format_string", template.copy(), *arguments))
    return tree


def to_char(tree: exp.Expression) -> exp.Expression:
    """Postgres ``to_char(ts, 'YYYY-MM-DD')`` -> Spark ``date_format`` pieces."""
    from rootwatch.sql.to_char import DATE_FORMAT, replace_to_char

    return replace_to_char(tree, "Spark", DATE_FORMAT)


def distinct_string_agg(tree: exp.Expression) -> exp.Expression:
    """``string_agg(DISTINCT x, sep ORDER BY x)`` -> the sorted set of x joined by sep (NULL when
    there is none). Spark 4's ``listagg(DISTINCT ...) WITHIN GROUP`` fails at run time with a
    ClassCastException once the group has rows; the set form means the same."""
    for node in list(tree.find_all(exp.GroupConcat)):
        order = node.this
        if isinstance(order, exp.Distinct):
            values, keys = order.expressions, None  # no order asked for: the sorted one will do
        elif isinstance(order, exp.Order) and isinstance(order.this, exp.Distinct):
            values, keys = order.this.expressions, order.expressions
        else:
            continue
        if len(values) != 1 or keys is not None and (len(keys) != 1 or keys[0].this != values[0] or keys[0].args.get("desc")):
            raise SqlError("string_agg(DISTINCT x ...) on Spark needs ORDER BY x (ascending) or no order")
        members = _call("collect_set", values[0].copy())
        joined = _call("array_join", _call("array_sort", members.copy()), node.args.get("separator").copy())
        empty = exp.EQ(this=_call("size", members), expression=exp.Literal.number(0))
        node.replace(exp.If(this=empty, true=exp.Null(), false=joined))
    return tree


def distinct_on(tree: exp.Expression) -> exp.Expression:
    """The outermost ``SELECT DISTINCT ON (k) a, b ... ORDER BY o`` -> the first row of each k by
    ``row_number()``, in the order ``o`` asks for. sqlglot's own rewrite, which the generator
    applies to the others (CTEs, subqueries: their order does not reach the result), drops the
    ORDER BY, and a query's rows would come out in no particular order."""
    if isinstance(tree, exp.Select):
        select = tree
        distinct = select.args.get("distinct")
        order = select.args.get("order")
        if distinct is None or distinct.args.get("on") is None or order is None:
            return tree
        names = [projection.alias_or_name for projection in select.expressions]
        if any(isinstance(p, exp.Star) or (isinstance(p, exp.Column) and isinstance(p.this, exp.Star)) for p in select.expressions) or not all(names):
            raise SqlError("DISTINCT ON with ORDER BY on Spark needs named columns, not *")
        keys = [key.copy() for key in distinct.args["on"].expressions]
        window = exp.Window(
            this=exp.RowNumber(),
            partition_by=keys,
            order=exp.Order(expressions=[item.copy() for item in order.expressions]),
        )
        inner = select.copy()
        inner.set("distinct", None)
        inner.set("order", None)
        outer_order = []
        for index, item in enumerate(order.expressions):
            hidden = f"_order_{index}"
            inner.append("expressions", exp.alias_(item.this.copy(), hidden))
            ordered = item.copy()
            ordered.set("this", exp.column(hidden))
            outer_order.append(ordered)
        inner.append("expressions", exp.alias_(window, "_row_number"))
        outer = (
            exp.select(*[exp.column(name, quoted=True) for name in names])
            .from_(exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier("_distinct_on"))))
            .where(exp.EQ(this=exp.column("_row_number"), expression=exp.Literal.number(1)))
        )
        outer.set("order", exp.Order(expressions=outer_order))
        for key in ("limit", "offset", "with"):
            if select.args.get(key) is not None:
                outer.set(key, select.args[key].copy())
                inner.set(key, None)
        outer.comments = select.comments
        return outer
    return tree


def unique_cte_names(tree: exp.Expression) -> exp.Expression:
    """Nested CTEs renamed apart (``best`` -> ``best_2``): sqlglot moves every CTE to the top-level
    WITH for Spark, where two relations that each name a CTE ``best`` would clash."""
    seen: set[str] = set()
    for with_ in list(tree.find_all(exp.With)):
        owner = with_.parent
        for cte in with_.expressions:
            name = cte.alias_or_name
            if name not in seen:
                seen.add(name)
                continue
            number = 2
            while f"{name}_{number}" in seen:
                number += 1
            new = f"{name}_{number}"
            seen.add(new)
            for table in owner.find_all(exp.Table):
                if not table.args.get("db") and table.name == name and isinstance(table.this, exp.Identifier):
                    if table.alias is None or not table.alias:
                        table.set("alias", exp.TableAlias(this=exp.to_identifier(name)))
                    table.set("this", exp.to_identifier(new))
            cte.set("alias", exp.TableAlias(this=exp.to_identifier(new)))
    return tree


def cte_materialization_hints(tree: exp.Expression) -> exp.Expression:
    """``WITH x AS [NOT] MATERIALIZED (...)`` -> ``WITH x AS (...)``: Spark has no such hint and
    plans each CTE its own way. The hint tells DuckDB and Postgres whether to keep a CTE's rows or
    inline it where it is read; the rows are the same either way."""
    for cte in tree.find_all(exp.CTE):
        cte.set("materialized", None)
    return tree


def unsupported(tree: exp.Expression) -> exp.Expression:
    """Constructs with no faithful Spark form raise instead of changing meaning."""
    for kind, text in (
        (exp.JSONBContainsTopKey, "the jsonb operator ?"),
        (exp.JSONBContainsAnyTopKeys, "the jsonb operator ?|"),
        (exp.JSONBContainsAllTopKeys, "the jsonb operator ?&"),
    ):
        if tree.find(kind):
            raise SqlError(f"{text} has no Spark translation", hint="test a key with (x -> 'key') IS NOT NULL instead")
    return tree


# Order: integer division first, on the tree as Postgres reads it (as for DuckDB); element
# functions in FROM before those in select lists; JSON operators before the JSON functions whose
# arguments they are; casts last, once no rewrite looks for a jsonb type any more.
REWRITES: tuple[Callable[[exp.Expression], exp.Expression], ...] = (
    integer_division,
    unsupported,
    distinct_on,
    element_functions_in_from,
    element_functions_in_select,
    json_operators,
    json_typeof,
    json_array_length,
    jsonb_contains,
    string_to_array,
    any_of_array,
    regexp_replace,
    epoch_of_interval,
    format_function,
    to_char,
    distinct_string_agg,
    json_casts,
    unique_cte_names,
    cte_materialization_hints,
)


def rewrite_for_spark(tree: exp.Expression) -> exp.Expression:
    """Apply every rewrite (in place, but use the returned root)."""
    for rewrite in REWRITES:
        tree = rewrite(tree)
    return tree
