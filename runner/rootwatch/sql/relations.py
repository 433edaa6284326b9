"""Shared SQL relations: named SELECTs prepended as CTEs to whatever reads them.

A relation is a file ``controls/relations/<name>.sql`` holding one SELECT (a WITH is fine), in the
same Postgres dialect as the controls. A control, a query or another relation reads it by name as
if it were a table (``from accounts as a``). Before the SQL is bound or translated, every relation
it reads, directly or through other relations, is written in front of its own CTEs, dependencies
first, the way dbt injects ephemeral models: nothing is installed in the endpoint, and the
expanded text still runs as it is in psql (``rootwatch control show ID --sql`` prints it).

Because the expansion is textual, the expanded SQL keeps each file's comments and layout, and the
same text feeds every step: compiling, the tables a control needs as evidence, the golden DuckDB
translations. Mistakes are reported with the file and line that make them:

* a CTE named like a relation (it would silently hide the relation);
* relations that read each other in a cycle.

A relation named like a table is refused when the mod loads (``mod/loader.py``).
"""

from __future__ import annotations

from functools import lru_cache

from rootwatch.errors import Problem, SqlError
from rootwatch.sql.parsing import SqlSource, parse

RELATIONS_FOLDER = "relations"
"""Where relations live, inside the mod's ``controls/`` folder."""


def _references(source: SqlSource) -> list[tuple[str, int | None]]:
    """The relations ``source`` itself reads, in order of first use, with the line of that use.

    Refuses (SqlError naming file and line) a CTE of ``source`` named like a relation.
    """
    from sqlglot import exp

    names = {r.name for r in source.relations}
    tree = parse(source)
    for cte in tree.find_all(exp.CTE):
        if cte.alias_or_name in names:
            line = cte.args["alias"].this.meta.get("line")
            raise SqlError(
                Problem(source.path, line, f"CTE {cte.alias_or_name} has the name of the shared relation {cte.alias_or_name}"),
                hint=f"read the relation (controls/{RELATIONS_FOLDER}/{cte.alias_or_name}.sql) or rename the CTE",
            )
    found: dict[str, int | None] = {}
    for table in tree.find_all(exp.Table):
        # A schema-qualified name (public.accounts) means a table, never a relation.
        if isinstance(table.this, exp.Identifier) and not table.args.get("db") and table.name in names:
            found.setdefault(table.name, table.this.meta.get("line"))
    return list(found.items())


@lru_cache(maxsize=512)
def read_relations(source: SqlSource) -> tuple[str, ...]:
    """Names of the relations ``source`` reads itself (not through other relations), in order of
    first use."""
    return tuple(name for name, _ in _references(source))


@lru_cache(maxsize=512)
def used_relations(source: SqlSource) -> tuple[SqlSource, ...]:
    """Every relation ``source`` reads, directly or through others, each after those it reads."""
    by_name = {r.name: r for r in source.relations}
    ordered: list[SqlSource] = []
    done: set[str] = set()

    def visit(reader: SqlSource, path: tuple[str, ...]) -> None:
        for name, line in _references(reader):
            if name in path:
                cycle = " -> ".join((*path[path.index(name):], name))
                raise SqlError(
                    Problem(reader.path, line, f"relations read each other in a cycle: {cycle}"),
                    hint="a relation may read other relations, but never itself through them",
                )
            if name in done:
                continue
            relation = by_name[name]
            visit(with_relations(relation, source.relations), (*path, name))
            done.add(name)
            ordered.append(relation)

    # A relation checked on its own starts the path, so that reading itself is a cycle too.
    is_relation = any(r.name == source.name and r.path == source.path for r in source.relations)
    visit(source, (source.name,) if is_relation else ())
    return tuple(ordered)


def with_relations(relation: SqlSource, relations: tuple[SqlSource, ...]) -> SqlSource:
    """``relation`` as a source of its own that may read the other ``relations`` (to check or show it)."""
    return SqlSource(relation.name, relation.text, relation.path, relations)


@lru_cache(maxsize=512)
def expanded_text(source: SqlSource) -> str:
    """``source``'s SQL with the relations it reads prepended as CTEs (unchanged when it reads none).

    The result is one statement that runs as it is in psql (``:name`` parameters included).
    """
    used = used_relations(source)
    if not used:
        return source.text
    from sqlglot.tokens import TokenType

    tokens = _tokens(source.text)
    first = tokens[0]
    head = source.text[: first.start]  # the file's leading comments stay in front
    ctes = ",\n".join(_cte(relation) for relation in used)
    if first.token_type is not TokenType.WITH:
        return f"{head}with\n{ctes}\n{source.text[first.start:]}"
    # After WITH (and RECURSIVE): the relations first, then the file's own CTEs.
    keyword = tokens[1] if len(tokens) > 1 and tokens[1].token_type is TokenType.RECURSIVE else first
    rest = source.text[keyword.end + 1 :].lstrip()
    return f"{source.text[: keyword.end + 1]}\n{ctes},\n{rest}"


def _cte(relation: SqlSource) -> str:
    """``name as (...)`` holding the relation's text, without a closing semicolon."""
    from sqlglot.tokens import TokenType

    text = relation.text
    tokens = _tokens(text)
    if tokens[-1].token_type is TokenType.SEMICOLON:
        text = text[: tokens[-1].start]
    where = f": {relation.path.parent.name}/{relation.path.name}" if relation.path else ""
    return f"-- shared relation {relation.name}{where}\n{relation.name} as (\n{text.strip()}\n)"


def _tokens(text: str):  # noqa: ANN202 - sqlglot tokens (lazy import)
    """Tokens of text that already parsed (so there is at least one)."""
    from sqlglot.dialects.dialect import Dialect

    from rootwatch.sql.dialect import READ_DIALECT

    return Dialect.get_or_raise(READ_DIALECT).tokenize(text)
