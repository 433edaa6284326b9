"""Parsing control and query SQL once, with errors that name the file and line."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from rootwatch.errors import Problem, SqlError


@dataclass(frozen=True)
class SqlSource:
    """The text of a control or query and where it came from (for error messages)."""

    name: str
    text: str
    path: Path | None = None
    relations: tuple[SqlSource, ...] = field(default=(), repr=False)
    """The mod's shared relations (``controls/relations/``), which the SQL may read by name; see
    :mod:`rootwatch.sql.relations`."""

    def where(self) -> str:
        return str(self.path) if self.path else self.name


@lru_cache(maxsize=512)
def _parse_text(text: str):  # noqa: ANN202 - returns sqlglot Expression (lazy import)
    import sqlglot

    from rootwatch.sql.dialect import READ_DIALECT

    # sqlglot logs a warning for a statement it keeps as a Command (DO, EXPLAIN); the SELECT check
    # below reports it, once, in rootwatch's words.
    with _quiet_sqlglot():
        statements = [s for s in sqlglot.parse(text, read=READ_DIALECT) if s is not None]
    return statements


@contextmanager
def _quiet_sqlglot() -> Iterator[None]:
    logger = logging.getLogger("sqlglot")
    previous = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(previous)


def parse(source: SqlSource):  # noqa: ANN201
    """The syntax tree of ``source``: exactly one SELECT (or WITH ... SELECT) statement.

    Trees are cached by text; callers must ``copy()`` before changing one.
    """
    from sqlglot import exp
    from sqlglot.errors import ParseError, TokenError

    try:
        statements = _parse_text(source.text)
    except ParseError as exc:
        first = exc.errors[0] if exc.errors else {}
        line = first.get("line")
        message = first.get("description") or str(exc).splitlines()[0]
        raise SqlError(Problem(source.path, line, f"cannot parse SQL: {message}")) from None
    except TokenError as exc:
        raise SqlError(Problem(source.path, None, f"cannot parse SQL: {exc}")) from None
    if len(statements) != 1:
        raise SqlError(
            Problem(source.path, None, f"expected one SQL statement, found {len(statements)}"),
            hint="a control or query file holds a single SELECT",
        )
    tree = statements[0]
    if not isinstance(tree, exp.Query):
        # sqlglot keeps statements it does not model (DO, EXPLAIN, CALL) as a Command named by its keyword.
        kind = str(tree.this).upper() if isinstance(tree, exp.Command) else type(tree).__name__.upper()
        raise SqlError(
            Problem(source.path, None, f"expected a SELECT statement, found {kind}"),
            hint="controls and queries only read; they never change data",
        )
    return tree


def parse_expanded(source: SqlSource):  # noqa: ANN201
    """The syntax tree of ``source`` with the shared relations it reads prepended as CTEs.

    Each file is parsed on its own first, so a syntax error names its own file and line. Trees are
    cached by text; callers must ``copy()`` before changing one.
    """
    from rootwatch.sql.relations import expanded_text

    text = expanded_text(source)
    if text is source.text:
        return parse(source)
    return parse(SqlSource(source.name, text, source.path))


def placeholder_names(tree) -> frozenset[str]:  # noqa: ANN001 - sqlglot Expression
    """Names of the ``:name`` parameters in ``tree``."""
    from sqlglot import exp

    from rootwatch.sql.binding import parameter_name

    names = (parameter_name(p) for p in tree.find_all(exp.Placeholder))
    return frozenset(name for name in names if name)


def table_names(tree) -> frozenset[str]:  # noqa: ANN001 - sqlglot Expression
    """Names of the database tables ``tree`` reads (common table expressions and table functions
    such as ``jsonb_array_elements(...)`` left out)."""
    from sqlglot import exp

    cte_names = {cte.alias_or_name for cte in tree.find_all(exp.CTE)}
    return frozenset(
        table.name
        for table in tree.find_all(exp.Table)
        if isinstance(table.this, exp.Identifier) and table.name not in cte_names
    )


def placeholders(source: SqlSource) -> frozenset[str]:
    """Names of the ``:name`` parameters the SQL uses, through the relations it reads (kept on disk
    with the compiled SQL: it is on every run's path; see :mod:`rootwatch.sql.compile_cache`)."""
    from rootwatch.sql.compile_cache import source_facts

    return source_facts(source).placeholders


def own_placeholders(source: SqlSource) -> frozenset[str]:
    """Names of the ``:name`` parameters written in ``source``'s own text (not its relations')."""
    return placeholder_names(parse(source))


def tables_read(source: SqlSource) -> frozenset[str]:
    """Names of the database tables the SQL reads, through the relations it reads (common table
    expressions and table functions such as ``jsonb_array_elements(...)`` left out; kept on disk
    like :func:`placeholders`)."""
    from rootwatch.sql.compile_cache import source_facts

    return source_facts(source).tables
