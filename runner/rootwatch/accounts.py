"""Display names of accounts: the Organizations account name, else the first IAM account alias.

People triage by name ("prod-payments"), not by twelve digits, so every run looks the names up once
from the evidence it already reads (``aws_organizations_account.name``, ``aws_account.account_aliases``)
and carries them in :class:`rootwatch.results.RunContext` for every format and notifier. A name is
decoration: when neither table is there, or the lookup fails, the run goes on with ids alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from rootwatch.engines.base import Engine, QueryFailed
from rootwatch.errors import SqlError
from rootwatch.sql.parsing import SqlSource

# Organizations names win over aliases: they are what the emailed reports people know lead with.
_ALIASES = SqlSource(
    "account names (aws_account)",
    "select distinct account_id, account_aliases ->> 0 as name from aws_account "
    "where jsonb_array_length(account_aliases) > 0",
)
_ORG_NAMES = SqlSource(
    "account names (aws_organizations_account)",
    "select distinct id as account_id, name from aws_organizations_account where name is not null and name <> ''",
)


def account_names(engine: Engine, as_of: datetime) -> Mapping[str, str]:
    """Account id → display name for every account the engine names; empty when it names none."""
    from rootwatch.sql.compile import compile_sql

    available = engine.available_tables()
    names: dict[str, str] = {}
    for source, table in ((_ALIASES, "aws_account"), (_ORG_NAMES, "aws_organizations_account")):
        if table not in available:
            continue
        try:
            result = engine.execute(compile_sql(source, engine.kind, {}, as_of))
        except (QueryFailed, SqlError):
            continue  # names are decoration; the controls report the evidence problems themselves
        for account_id, name in sorted(result.rows, key=lambda row: (str(row[0]), str(row[1]))):
            if account_id and name:
                names[str(account_id)] = str(name)
    return names


def display_account(account_id: str, names: Mapping[str, str]) -> str:
    """``123456789012 (prod-payments)``, or the id alone when it has no name."""
    name = names.get(account_id)
    return f"{account_id} ({name})" if name else account_id
