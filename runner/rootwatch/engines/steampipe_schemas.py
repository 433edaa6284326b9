"""Which schemas of a Steampipe endpoint hold the mod's tables, to say what to pass when the
search path (or the connections named) reads none of them.

A Steampipe service exposes each AWS connection as a schema and an aggregator (``aws_all``) as one
more; a search path that names neither (the ``public`` default of a plain database, or a typo)
would otherwise give one "relation aws_account does not exist" per control. ``snapshot
from-steampipe`` and the run commands both stop with one message naming the schemas that do hold
the tables, through :func:`schemas_hint`.
"""

from __future__ import annotations

from typing import Any

ACCOUNT_TABLE = "aws_account"
"""The table that names a source's accounts: every control grades one row per account in it."""

SCHEMAS_LISTED = 10
"""At most this many schemas holding the mod's tables are suggested."""


def schemas_holding(cursor: Any, table: str = ACCOUNT_TABLE) -> list[str]:
    """Every schema of the database with a relation named ``table``, sorted."""
    cursor.execute(
        "SELECT DISTINCT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relname = %s ORDER BY 1",
        (table,),
    )
    return [name for (name,) in cursor.fetchall()]


def schemas_hint(holders: list[str], option: str) -> str:
    """What to pass as ``option`` (``--search-path``, ``--connection``), naming the schemas that
    hold the mod's tables; or, when none does, that the endpoint is no Steampipe AWS service."""
    if not holders:
        return (
            f"no schema of this database has an {ACCOUNT_TABLE} table: point --database at a Steampipe "
            "service with the AWS plugin and at least one AWS connection"
        )
    example = "aws_all" if "aws_all" in holders else holders[0]
    listed = ", ".join(holders[:SCHEMAS_LISTED]) + (", ..." if len(holders) > SCHEMAS_LISTED else "")
    return (
        f"name the Steampipe aggregator or connection(s) to read, e.g. {option} {example}; "
        f"schemas here with the mod's tables: {listed}"
    )
