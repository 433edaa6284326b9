"""One deterministic run result that every output format is rendered from.

Built by hand from Benchmark / ControlNode / ControlRun objects with fixed times, so the golden
files in tests/golden/output/ change only when a format does. It has two benchmarks (one CIS-shaped
with a nested section), a control run on its own, every status, a control that could not run, an
error row, a control that returned no rows, dimensions (account_id, region), tags, a benchmark item
the mod does not assess, markup in a reason and a tag (``<script>alert(1)</script>``) and a reason
with a comma, a double quote and a newline, and one account with a display name (the other without).

scripts/regen-output-golden imports this module to rewrite the golden files.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from rootwatch.mod.model import Benchmark, Control, ControlDocs, ControlNode
from rootwatch.results import ROOT_GROUP_ID, ControlRun, GroupRun, ResultRow, RunContext, RunResult
from rootwatch.snapshot.metadata import AccountInfo, SnapshotInfo
from rootwatch.status import Status

REPO = Path(__file__).resolve().parents[2]
GOLDEN_DIR = REPO / "tests" / "golden" / "output"
GOLDEN_FILES = {
    "text": "text.txt",
    "brief": "brief.txt",
    "csv": "csv.csv",
    "json": "json.json",
    "md": "md.md",
    "junit": "junit.xml",
    "nunit3": "nunit3.xml",
    "asff": "asff.json",
    "ocsf": "ocsf.json",
}
"""Format name -> golden file name under tests/golden/output/."""

UTC = timezone.utc
AS_OF = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
STARTED = datetime(2026, 11, 25, 12, 0, 5, tzinfo=UTC)
ENDED = datetime(2026, 11, 25, 12, 0, 7, 250000, tzinfo=UTC)
ACCOUNTS = ("111111111111", "222222222222")
SCRIPT = "<script>alert(1)</script>"
AWKWARD_REASON = 'Root user has 1 access key(s): key 1 (active, "last used" 2026-11-20,\n5 days ago).'


def _control(cid: str, title: str, severity: str, tags: dict[str, str], remediation: str = "") -> Control:
    return Control(
        id=cid,
        title=title,
        description=f"{title} \u2014 checked for every account.",
        severity=severity,
        tags=tags,
        docs=ControlDocs(rationale="Because the root user can do anything.", remediation=remediation),
        sql_path=Path(f"controls/{cid}.sql"),
        meta_path=Path(f"controls/{cid}.yaml"),
        sql="select 1",
    )


def _node(control: Control, extra_tags: dict[str, str] | None = None, node_id: str | None = None, title: str | None = None) -> ControlNode:
    return ControlNode(
        id=node_id or control.id,
        title=title or control.title,
        description=control.description,
        tags={**control.tags, **(extra_tags or {})},
        control=control,
    )


def _account(account_id: str) -> tuple[tuple[str, str | None], ...]:
    return (("account_id", account_id),)


def build_sample_result() -> RunResult:
    """The fixture run: the same value every call."""
    keys = _control(
        "root_no_access_keys",
        "Root user has no access keys",
        "critical",
        {"service": "AWS/IAM"},
        remediation="Delete the root access keys:\n  aws iam delete-access-key --access-key-id AKIA...",
    )
    mfa = _control("root_mfa_enabled", "Root user has MFA", "high", {"service": "AWS/IAM", "note": SCRIPT})
    trail = _control("cloudtrail_enabled_all_regions", "CloudTrail records every region", "medium", {"service": "AWS/CloudTrail"})
    report = _control("credential_report_fresh", "Credential report is fresh", "low", {"service": "AWS/IAM"})
    certs = _control("root_no_signing_certificates", "Root user has no signing certificates", "medium", {"service": "AWS/IAM"})

    key_rows = (
        ResultRow("arn:aws:iam::111111111111:root", Status.OK, "Root user has no access keys.", _account("111111111111")),
        ResultRow("arn:aws:iam::222222222222:root", Status.ALARM, AWKWARD_REASON, _account("222222222222")),
    )
    mfa_rows = (
        ResultRow("arn:aws:iam::111111111111:root", Status.ALARM, f"Root user has no MFA device {SCRIPT}.", _account("111111111111")),
        ResultRow("arn:aws:iam::222222222222:root", Status.INFO, "Root user has no password; MFA is moot.", _account("222222222222")),
    )
    trail_rows = (
        ResultRow(
            "arn:aws:iam::111111111111:root",
            Status.OK,
            "Trail org-trail records management events in every region.",
            (("account_id", "111111111111"), ("region", "eu-west-1")),
        ),
        ResultRow(
            "arn:aws:iam::222222222222:root",
            Status.SKIP,
            "No trail data for account 222222222222 (region not captured).",
            (("account_id", "222222222222"), ("region", None)),
        ),
        ResultRow(
            "arn:aws-us-gov:iam::333333333333:root",
            Status.ERROR,
            "No IAM account summary for account 333333333333; cannot tell.",
            (("account_id", "333333333333"), ("region", "us-gov-west-1")),
        ),
    )

    cis_tags = {"cis": "true", "cis_version": "v7.0.0", "cis_section_id": "2"}
    cis_keys = _node(
        keys,
        {**cis_tags, "cis_item_id": "2.4", "cis_level": "1", "cis_type": "automated"},
        node_id="cis_v700_2_4",
        title="2.4 Ensure no 'root' user account access key exists",
    )
    cis_mfa = _node(
        mfa,
        {**cis_tags, "cis_item_id": "2.5", "cis_level": "1", "cis_type": "automated"},
        node_id="cis_v700_2_5",
        title="2.5 Ensure MFA is enabled for the 'root' user account",
    )
    not_assessed = ControlNode(
        "cis_v700_2_1",
        "2.1 Maintain current contact details",
        "",
        {**cis_tags, "cis_item_id": "2.1", "cis_level": "1", "cis_type": "manual"},
        None,
    )
    section = Benchmark("cis_v700_2", "2 Identity and Access Management", "", cis_tags, (not_assessed, cis_keys, cis_mfa), "v7.0.0")
    cis = Benchmark("cis_v700", "CIS AWS Foundations Benchmark v7.0.0", "CIS v7.0.0, root-user items.", {"cis": "true", "cis_version": "v7.0.0"}, (section,), "v7.0.0")
    root_nodes = (_node(keys), _node(mfa), _node(trail), _node(report))
    root_bench = Benchmark("root", "Root user", "Every rootwatch control.", {"service": "AWS/IAM"}, root_nodes)

    def root_group() -> GroupRun:
        runs = (
            ControlRun(root_nodes[0], key_rows, None, 0.25),
            ControlRun(root_nodes[1], mfa_rows, None, 0.125),
            ControlRun(root_nodes[2], trail_rows, None, 0.5),
            ControlRun(
                root_nodes[3],
                (),
                'control credential_report_fresh failed: Catalog Error: Table "aws_iam_credential_report" does not exist',
                0.0625,
            ),
        )
        return GroupRun(root_bench.id, root_bench.title, root_bench.description, root_bench.tags, runs, root_bench)

    def cis_group() -> GroupRun:
        not_assessed_run = ControlRun(
            not_assessed,
            (ResultRow("cis_v700_2_1", Status.SKIP, "not assessed by this mod (CIS 2.1 is outside rootwatch's root-user scope)"),),
        )
        section_run = GroupRun(
            section.id,
            section.title,
            section.description,
            section.tags,
            (not_assessed_run, ControlRun(cis_keys, key_rows, None, 0.25), ControlRun(cis_mfa, mfa_rows, None, 0.125)),
            section,
        )
        return GroupRun(cis.id, cis.title, cis.description, cis.tags, (section_run,), cis)

    standalone = ControlRun(_node(certs), (), None, 0.03125)  # ran, returned no rows
    root = GroupRun(ROOT_GROUP_ID, "rootwatch", "", {}, (root_group(), cis_group(), standalone))
    snapshot = SnapshotInfo(
        captured_at=AS_OF,
        source="files",
        tool_version="0.1.0",
        created_at=AS_OF,
        source_detail="examples/org",
        accounts=(AccountInfo("111111111111", ("eu-west-1", "us-east-1")), AccountInfo("222222222222", ("us-east-1",))),
    )
    context = RunContext(
        as_of=AS_OF,
        engine_kind="duckdb",
        engine_description="snapshot org.duckdb",
        started_at=STARTED,
        ended_at=ENDED,
        variables={"root_recent_days": 30},
        snapshot=snapshot,
        tool_version="0.1.0",
        account_names={"111111111111": "prod-payments"},  # 222222222222 has none: shown by id alone
    )
    return RunResult(root, context)


@contextlib.contextmanager
def golden_environment() -> Iterator[None]:
    """Environment every golden rendering uses: no colour, no findings-region override."""
    from rootwatch.output.finding_scope import REGION_ENV

    saved = {name: os.environ.get(name) for name in ("NO_COLOR", REGION_ENV)}
    os.environ["NO_COLOR"] = "1"
    os.environ.pop(REGION_ENV, None)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def render_format(name: str, result: RunResult) -> str:
    """``result`` in format ``name``, rendered in the golden environment."""
    from rootwatch.output import format_named

    with golden_environment():
        text = format_named(name).renderer()(result)
    assert isinstance(text, str)
    return text


@pytest.fixture
def sample_result() -> RunResult:
    return build_sample_result()


@pytest.fixture
def render():
    """``render(format_name, result) -> str`` in the golden environment."""
    return render_format


@pytest.fixture
def golden_text():
    """``golden_text(format_name) -> str``: the golden file's content."""
    return lambda name: (GOLDEN_DIR / GOLDEN_FILES[name]).read_text(encoding="utf-8")


@pytest.fixture
def golden_names() -> list[str]:
    return list(GOLDEN_FILES)


@pytest.fixture
def build_sample():
    """The fixture builder itself, for tests that need two independent builds."""
    return build_sample_result
