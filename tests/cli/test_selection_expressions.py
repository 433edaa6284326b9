"""The ``--where`` language and ``--status`` parsing, on hand-made control nodes (no database)."""

from __future__ import annotations

from pathlib import Path

import pytest

from rootwatch.errors import UsageError
from rootwatch.mod.model import Control, ControlDocs, ControlNode
from rootwatch.selection import parse_statuses, parse_where, where_predicate
from rootwatch.status import Status


def _node(node_id: str, severity: str | None, tags: dict[str, str], title: str = "A title") -> ControlNode:
    control = None
    if severity is not None:
        control = Control(
            id="root_no_access_keys",
            title=title,
            description="Checks the root user's access keys.",
            severity=severity,
            tags={},
            docs=ControlDocs("r", "m"),
            sql_path=Path("c.sql"),
            meta_path=Path("c.yaml"),
            sql="select 1",
        )
    return ControlNode(node_id, title, "Checks the root user's access keys.", tags, control)


KEYS = _node("cis_v700_2_4", "critical", {"cis_level": "1", "cis_item_id": "2.4", "service": "AWS/IAM"}, "2.4 Ensure no root key")
MFA = _node("cis_v700_2_5", "high", {"cis_level": "1", "cis_item_id": "2.5", "service": "AWS/IAM"})
TRAIL = _node("cis_v700_4_1", "medium", {"cis_level": "2", "service": "AWS/CloudTrail"})
MANUAL = _node("cis_v700_2_1", None, {"cis_level": "1", "cis_type": "manual"})
NODES = (KEYS, MFA, TRAIL, MANUAL)


def _selected(expression: str) -> list[str]:
    where = parse_where(expression)
    return [node.id for node in NODES if where.matches(node)]


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("severity = 'critical'", ["cis_v700_2_4"]),
        ("tags.cis_level = '1'", ["cis_v700_2_4", "cis_v700_2_5", "cis_v700_2_1"]),
        ("tags.cis_level = 1", ["cis_v700_2_4", "cis_v700_2_5", "cis_v700_2_1"]),  # tags are text; numbers compare
        ("control_id like 'cis_v700_2%'", ["cis_v700_2_4", "cis_v700_2_5", "cis_v700_2_1"]),
        ("control_id like 'cis_v700_2_'", []),  # '_' is one character, as in SQL
        ("control_id like 'CIS%'", []),  # like is case-sensitive
        ("control_id ilike 'CIS_V700_4%'", ["cis_v700_4_1"]),
        ("control_id not like '%_2_%'", ["cis_v700_4_1"]),
        ("severity >= 'high'", ["cis_v700_2_4", "cis_v700_2_5"]),  # by rank, not alphabet
        ("severity < 'high'", ["cis_v700_4_1"]),
        ("severity between 'medium' and 'high'", ["cis_v700_2_5", "cis_v700_4_1"]),
        ("severity in ('critical', 'medium')", ["cis_v700_2_4", "cis_v700_4_1"]),
        ("severity not in ('critical', 'medium')", ["cis_v700_2_5"]),  # NULL severity is unknown: not selected
        ("severity is null", ["cis_v700_2_1"]),
        ("control is not null and tags.cis_type is null", ["cis_v700_2_4", "cis_v700_2_5", "cis_v700_4_1"]),
        ("not (tags.service = 'AWS/IAM')", ["cis_v700_4_1"]),  # the manual item has no service tag: unknown
        ("tags.service = 'AWS/IAM' or tags.cis_type = 'manual'", ["cis_v700_2_4", "cis_v700_2_5", "cis_v700_2_1"]),
        ("(severity = 'high' or severity = 'critical') and tags.cis_item_id <> '2.5'", ["cis_v700_2_4"]),
        ("title like '%root key'", ["cis_v700_2_4"]),
        ("description like '%root user''s%'", ["cis_v700_2_4", "cis_v700_2_5", "cis_v700_4_1", "cis_v700_2_1"]),
        ("\"tags\".\"cis_level\" = '2'", ["cis_v700_4_1"]),
        ("CONTROL_ID = 'cis_v700_2_5'", ["cis_v700_2_5"]),
        ("true", ["cis_v700_2_4", "cis_v700_2_5", "cis_v700_4_1", "cis_v700_2_1"]),
        ("tags.nonexistent = 'x' or true", ["cis_v700_2_4", "cis_v700_2_5", "cis_v700_4_1", "cis_v700_2_1"]),
    ],
)
def test_expressions_select_the_expected_nodes(expression: str, expected: list[str]) -> None:
    assert _selected(expression) == expected


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("sevrity = 'high'", "--where \"sevrity = 'high'\": unknown field 'sevrity'"),
        ("cis_level = '1'", "--where \"cis_level = '1'\": unknown field 'cis_level'"),
        ('severity = "high"', "--where 'severity = \"high\"': unknown field 'high'"),
        ("lower(title) = 'x'", "--where \"lower(title) = 'x'\": 'LOWER(title)' is not supported (use and/or/not, =, <>, <, >, like, ilike, in, between, is null)"),
        ("severity = 'high'; drop table x", "--where \"severity = 'high'; drop table x\" must be one expression (no ';')"),
        ("(select 1) = 1", "--where '(select 1) = 1': '(SELECT 1)' is not supported (use and/or/not, =, <>, <, >, like, ilike, in, between, is null)"),
        ("severity", "--where 'severity' is a value, not a condition"),
        ("   ", "--where is empty"),
    ],
)
def test_bad_expressions_are_usage_errors_naming_the_problem(expression: str, message: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_where(expression)
    assert caught.value.message == message


def test_unknown_field_hints() -> None:
    with pytest.raises(UsageError) as caught:
        parse_where("sevrity = 'high'")
    assert caught.value.hint == "did you mean 'severity'?"
    with pytest.raises(UsageError) as caught:
        parse_where("cis_level = '1'")
    assert caught.value.hint.startswith("a tag is tags.cis_level, and text needs single quotes ('cis_level')")


def test_a_syntax_error_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as caught:
        parse_where("severity = 'high' and")
    assert caught.value.message.startswith("--where \"severity = 'high' and\" is not a valid expression:")


def test_several_where_options_must_all_hold() -> None:
    predicate = where_predicate(["tags.cis_level = '1'", "severity is not null"])
    assert predicate is not None
    assert [n.id for n in NODES if predicate(n)] == ["cis_v700_2_4", "cis_v700_2_5"]
    assert where_predicate([]) is None


def test_statuses_parse_from_commas_and_repeats() -> None:
    assert parse_statuses(["alarm,error"]) == {Status.ALARM, Status.ERROR}
    assert parse_statuses(["alarm", " SKIP "]) == {Status.ALARM, Status.SKIP}
    assert parse_statuses([]) is None


def test_unknown_status_is_a_usage_error_with_a_suggestion() -> None:
    with pytest.raises(UsageError) as caught:
        parse_statuses(["alarm,eror"])
    assert caught.value.message == "--status 'alarm,eror': unknown status 'eror'"
    assert caught.value.hint == "did you mean 'error'?"
    with pytest.raises(UsageError) as caught:
        parse_statuses([","])
    assert caught.value.message == "--status names no status"
