"""The actions decide what is missing in Python (is this filter the CIS one, does this trail record
every management event); these tests hold those decisions to the controls' own verdicts, on the
controls' YAML-case rows with one fact varied."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from rootwatch.remediate.actions.root_usage import CIS_ROOT_PATTERN, is_cis_root_pattern
from rootwatch.remediate.actions.trail import (
    ADVANCED_MANAGEMENT_SELECTOR,
    MANAGEMENT_SELECTOR,
    records_all_management_events,
)

REPO = Path(__file__).resolve().parents[2]

PATTERNS = [
    CIS_ROOT_PATTERN,
    '{ $.eventType != "AwsServiceEvent" && $.userIdentity.invokedBy NOT EXISTS && $.userIdentity.type = "Root" }',
    "{($.userIdentity.type=Root)&&($.userIdentity.invokedBy NOT EXISTS)&&($.eventType!=AwsServiceEvent)}",
    "{ $.userIdentity.type = 'Root' &&   $.userIdentity.invokedBy NOT EXISTS && $.eventType != 'AwsServiceEvent' }",
    '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS }',
    '{ $.userIdentity.type = "RootUser" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }',
    '{ $.userIdentity.type = "Ro ot" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }',
    '{ $.userIdentity.type = "Root" || $.userIdentity.invokedBy NOT EXISTS || $.eventType != "AwsServiceEvent" }',
    '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" && $.errorCode NOT EXISTS }',
    "",
]

SELECTORS = [
    ([MANAGEMENT_SELECTOR], None),
    ([{"ReadWriteType": "ReadOnly", "IncludeManagementEvents": True}, {"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}], None),
    ([{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}], None),
    ([{"ReadWriteType": "All", "IncludeManagementEvents": False}], None),
    ([{"ReadWriteType": "All", "IncludeManagementEvents": True, "ExcludeManagementEventSources": ["kms.amazonaws.com"]}], None),
    ([{"ReadWriteType": "All", "IncludeManagementEvents": True, "ExcludeManagementEventSources": ["kms.amazonaws.com"]}, MANAGEMENT_SELECTOR], None),
    (None, [ADVANCED_MANAGEMENT_SELECTOR]),
    (None, [{"Name": "w", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}, {"Field": "readOnly", "Equals": ["false"]}]}]),
    (None, [{"Name": "w", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}, {"Field": "readOnly", "Equals": ["false"]}]},
            {"Name": "r", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}, {"Field": "readOnly", "Equals": ["true"]}]}]),
    (None, [{"Name": "s", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}, {"Field": "eventSource", "NotEquals": ["kms.amazonaws.com"]}]}]),
]  # fmt: skip


def _compliant_rows() -> dict:
    from rootwatch.cases import load_cases

    (case,) = [c for c in load_cases(REPO / "tests" / "cases" / "root_usage_monitored.yaml") if c.name == "compliant_chain"]
    return copy.deepcopy({table: [dict(row) for row in rows] for table, rows in case.given.items()})


def _status(mod, control: str, given: dict) -> str:  # noqa: ANN001 - the mod fixture
    from rootwatch import api
    from rootwatch.cases import duckdb_with_rows
    from rootwatch.engines.duckdb_engine import DuckDBEngine

    engine = DuckDBEngine.from_connection(duckdb_with_rows(given))
    try:
        result = api.run_controls(mod, engine, [control], api.RunOptions(variables=api.resolve_variables(mod)))
    finally:
        engine.close()
    ((_, run),) = list(result.control_runs())
    (row,) = run.rows
    return row.status.value


@pytest.mark.parametrize("pattern", PATTERNS)
def test_the_filter_check_agrees_with_root_usage_monitored(mod, pattern: str) -> None:  # noqa: ANN001
    given = _compliant_rows()
    given["aws_cloudwatch_log_metric_filter"][0]["filter_pattern"] = pattern
    assert is_cis_root_pattern(pattern) == (_status(mod, "root_usage_monitored", given) == "ok")


@pytest.mark.parametrize(("classic", "advanced"), SELECTORS)
def test_the_selector_check_agrees_with_cloudtrail_enabled_all_regions(mod, classic: list | None, advanced: list | None) -> None:  # noqa: ANN001
    given = _compliant_rows()
    given["aws_cloudtrail_trail"][0]["event_selectors"] = classic
    given["aws_cloudtrail_trail"][0]["advanced_event_selectors"] = advanced
    assert records_all_management_events(classic, advanced) == (_status(mod, "cloudtrail_enabled_all_regions", given) == "ok")
