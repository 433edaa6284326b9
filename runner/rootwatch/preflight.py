"""Checks a live endpoint passes before any control runs, so a misconfiguration is one message.

A search path that reads no Steampipe AWS connection (``--database`` without ``--search-path`` on
an endpoint whose tables live in a connection's schema, or a typo) would otherwise make every
control fail alike with "relation aws_account does not exist". Stopping with exit 3 and the schemas
that do hold the tables (as ``snapshot from-steampipe`` does) says what to pass.
"""

from __future__ import annotations

from rootwatch.engines.base import Engine
from rootwatch.engines.steampipe_schemas import ACCOUNT_TABLE, schemas_hint
from rootwatch.errors import UsageError


def require_account_table(engine: Engine) -> None:
    """UsageError unless ``engine`` reads an ``aws_account`` table (every control grades one row per
    account in it); the hint names the schemas of the endpoint that have one."""
    if ACCOUNT_TABLE in engine.available_tables():
        return
    if engine.kind == "duckdb":
        raise UsageError(
            f"{engine.description} is not a rootwatch snapshot: it has no {ACCOUNT_TABLE} table, so no control can grade anything",
            hint="build one with 'rootwatch snapshot from-files DIR -o FILE' (or from-aws, from-steampipe)",
        )
    holders_of = getattr(engine, "schemas_holding", None)
    holders = holders_of(ACCOUNT_TABLE) if callable(holders_of) else []
    raise UsageError(
        f"{engine.description} has no {ACCOUNT_TABLE} table on its search path, so no control can grade anything",
        hint=schemas_hint(holders, "--search-path"),
    )
