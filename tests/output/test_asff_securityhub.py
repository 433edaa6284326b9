"""The ASFF export goes through boto3's Security Hub client into moto's server on 127.0.0.1.

botocore checks every finding against the Security Hub API model before sending (required members,
types, unknown keys, minimum lengths), so a misnamed or misplaced field fails here even though
moto itself stores what it is given.
"""

from __future__ import annotations

import json

import pytest

boto3 = pytest.importorskip("boto3")

pytestmark = pytest.mark.moto


@pytest.fixture(scope="module")
def securityhub(moto_url: str) -> object:
    return boto3.client(
        "securityhub",
        endpoint_url=moto_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_findings_pass_the_api_model_and_import(securityhub, sample_result, render) -> None:
    findings = json.loads(render("asff", sample_result))
    assert 0 < len(findings) <= 100  # one BatchImportFindings call
    response = securityhub.batch_import_findings(Findings=findings)
    assert (response["FailedCount"], response["SuccessCount"]) == (0, len(findings)), response["FailedFindings"]
    stored = securityhub.get_findings(MaxResults=100)["Findings"]
    assert {f["Id"] for f in stored} >= {f["Id"] for f in findings}


def test_a_finding_the_api_model_rejects_is_caught(securityhub, sample_result, render) -> None:
    from botocore.exceptions import ParamValidationError

    finding = json.loads(render("asff", sample_result))[0]
    finding["Resources"][0]["Region "] = finding["Resources"][0].pop("Region")  # a typo in a field name
    with pytest.raises(ParamValidationError):
        securityhub.batch_import_findings(Findings=[finding])
