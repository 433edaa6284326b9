"""``rootwatch check`` rejects unknown tables and columns with the file and line."""

from __future__ import annotations

from pathlib import Path

from rootwatch.schema import load_tables
from rootwatch.sql.lint import check_references
from rootwatch.sql.parsing import SqlSource


def problems(sql: str) -> list[str]:
    return [str(p) for p in check_references(SqlSource("c", sql, Path("controls/c.sql")), load_tables())]


def test_known_tables_and_columns_pass() -> None:
    sql = """
    with accounts as (select distinct on (account_id) account_id, partition from aws_account order by account_id)
    select a.account_id, s.account_mfa_enabled, e ->> 'ReadWriteType' as rw
    from accounts a
    join aws_iam_account_summary s on s.account_id = a.account_id
    left join aws_cloudtrail_trail t on t.account_id = a.account_id
    left join lateral jsonb_array_elements(t.event_selectors) as e on true
    where exists (select 1 from aws_cloudwatch_alarm al where al.account_id = a.account_id and al.actions_enabled)
    order by account_id
    """
    assert problems(sql) == []


def test_unknown_table_names_line_and_suggestion() -> None:
    assert problems("select 1\nfrom aws_iam_credentials_report") == [
        "controls/c.sql:2: unknown table aws_iam_credentials_report (did you mean aws_iam_credential_report?)"
    ]


def test_unknown_qualified_and_unqualified_columns() -> None:
    sql = "select r.user_nam, mfa_enabled\nfrom aws_iam_credential_report r"
    assert problems(sql) == [
        "controls/c.sql:1: table aws_iam_credential_report has no column user_nam",
        "controls/c.sql:1: no column mfa_enabled in aws_iam_credential_report",
    ]


def test_column_of_an_outer_query_in_a_subquery() -> None:
    sql = "select 1 from aws_account a\nwhere exists (select 1 from aws_iam_account_summary s where s.account_id = a.acount_id)"
    assert problems(sql) == ["controls/c.sql:2: table aws_account has no column acount_id"]
