"""Deterministic run results for the CIS table and HTML report tests (and scripts/regen-cis-golden).

Built from the mod's own objects (Control, ControlNode, Benchmark) shaped the way the loader shapes
CIS benchmarks (item ids ``<bench>_<n_n>``, titles prefixed with the number, cis_* tags), graded
into ControlRun/GroupRun without an engine. Fixed times, three accounts, every status, items
assessed and not assessed, a control run error, a control that returns no rows, an evidence
prerequisite group, and, on request, hostile text in every field a report displays.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Union

from rootwatch.execution import _not_assessed  # the runner's own "not assessed" row, kept in step
from rootwatch.mod.model import Benchmark, Control, ControlDocs, ControlNode
from rootwatch.results import ROOT_GROUP_ID, ControlRun, GroupRun, ResultRow, RunContext, RunResult
from rootwatch.snapshot.metadata import SnapshotInfo
from rootwatch.status import Status

AS_OF = datetime(2026, 3, 1, 12, 0, tzinfo=timezone.utc)
CAPTURED_AT = datetime(2026, 3, 1, 6, 30, tzinfo=timezone.utc)
STARTED_AT = datetime(2026, 3, 2, 9, 15, tzinfo=timezone.utc)
ENDED_AT = datetime(2026, 3, 2, 9, 15, 3, tzinfo=timezone.utc)
SOURCE = "snapshot examples/org.duckdb"

A1, A2, A3 = "111111111111", "222222222222", "333333333333"
ACCOUNTS = (A1, A2, A3)

# Hostile text: each, if a report let it run, leaves a marker (document.title starting "XSS", a
# data-xss attribute on <body>, or an element whose id starts "xss").
PAYLOADS = (
    '<script>document.title="XSS-script"</script>',
    '"><img src=x id="xss-img" onerror="document.body.setAttribute(\'data-xss\',\'img\')">',
    "</script><script>document.title='XSS-json'</script><!--",
    "<svg onload=\"document.body.setAttribute('data-xss','svg')\"><b id=\"xss-b\">bold</b></svg>",
    "' onmouseover='document.title=\"XSS-attr\"' x='&amp;lt; \u2028",
)

Outcome = tuple[tuple[ResultRow, ...], Union[str, None]]


def make_control(control_id: str, title: str, remediation: str | None = None, severity: str = "high") -> Control:
    return Control(
        id=control_id,
        title=title,
        description=f"{title} (fixture control).",
        severity=severity,
        tags={"service": "AWS/IAM"},
        docs=ControlDocs(
            rationale=f"Why {control_id} matters.",
            remediation=remediation or f"Fix {control_id}:\n  aws iam do-something --for {control_id}\nthen run it again.",
        ),
        sql_path=Path(f"controls/{control_id}.sql"),
        meta_path=Path(f"controls/{control_id}.yaml"),
        sql="select 1",
    )


def row(account: str, status: Status, reason: str, region: str | None = None, resource: str | None = None) -> ResultRow:
    dimensions: tuple[tuple[str, str | None], ...] = (("account_id", account),)
    if region is not None:
        dimensions += (("region", region),)
    return ResultRow(resource or f"arn:aws:iam::{account}:root", status, reason, dimensions)


def cis_item(root: str, cis: Mapping[str, str], number: str, title: str, level: str, kind: str, control: Control | None = None, **tags: str) -> ControlNode:
    """A CIS item node as the loader builds it from ``{item, title, level, type, control}``."""
    item_tags = {**(control.tags if control else {}), **cis, "cis_item_id": number, "cis_level": level, "cis_type": kind, **tags}
    return ControlNode(
        id=f"{root}_{number.replace('.', '_')}",
        title=f"{number} {title}",
        description=control.description if control else "",
        tags=item_tags,
        control=control,
    )


def section(root: str, cis: Mapping[str, str], number: str, title: str, children: Sequence[Benchmark | ControlNode]) -> Benchmark:
    return Benchmark(
        id=f"{root}_{number.replace('.', '_')}",
        title=f"{number} {title}",
        description="",
        tags={**cis, "cis_section_id": number},
        children=tuple(children),
        cis_version=cis["cis_version"],
    )


def prerequisites(root: str, cis: Mapping[str, str], control: Control) -> Benchmark:
    node = ControlNode(control.id, control.title, control.description, {**control.tags, **cis}, control)
    return Benchmark(
        id=f"{root}_prerequisites",
        title="Evidence prerequisites (rootwatch, not a CIS section)",
        description="Whether the evidence the CIS items are graded on exists and is fresh.",
        tags=dict(cis),
        children=(node,),
        cis_version=cis["cis_version"],
    )


class Fixture:
    """Controls, benchmarks and outcomes; ``payload=True`` puts hostile text in every displayed field."""

    def __init__(self, payload: bool = False) -> None:
        self.payload = payload
        p = (lambda i, where: f"{PAYLOADS[i % len(PAYLOADS)]} ({where})") if payload else None
        self.p = p
        self.controls = {
            c.id: c
            for c in (
                make_control("credential_report_fresh", "Credential report exists and is fresh", severity="medium"),
                make_control("organizations_centralized_root_access", "Centralized root access is enabled"),
                make_control(
                    "root_no_access_keys",
                    "Root user has no access keys",
                    p(4, "remediation") if p else None,
                    severity="critical",
                ),
                make_control("root_mfa_enabled", "Root user has MFA"),
                make_control("root_mfa_enabled_or_no_password", "Root user has MFA or no password"),
                make_control("root_hardware_mfa_enabled", "Root user has hardware MFA"),
                make_control("root_not_used_recently", p(0, "control title") if p else "Root user not used recently"),
                make_control("root_no_signing_certificates", "Root user has no signing certificates"),
                make_control("cloudtrail_enabled_all_regions", "CloudTrail records every region"),
                make_control("root_usage_monitored", "Root usage is monitored"),
            )
        }

    def outcomes(self) -> dict[str, Outcome]:
        p = self.p
        keys_reason = "root user has 1 access key: AKIAEXAMPLE1 active, last used 2026-02-27 (2 days ago)"
        outcomes: dict[str, Outcome] = {
            "credential_report_fresh": (
                (
                    row(A1, Status.OK, "credential report generated 2026-03-01 (5 hours old; limit: 24 hours)"),
                    row(A2, Status.OK, "credential report generated 2026-03-01 (6 hours old; limit: 24 hours)"),
                    row(A3, Status.ERROR, "no credential report: run aws iam generate-credential-report in 333333333333"),
                ),
                None,
            ),
            "organizations_centralized_root_access": (
                (
                    row(A1, Status.OK, "management account: RootCredentialsManagement and RootSessions enabled"),
                    row(A2, Status.INFO, "member account: confirm with the management account"),
                    row(A3, Status.INFO, "member account: confirm with the management account"),
                ),
                None,
            ),
            "root_no_access_keys": (
                (
                    row(A1, Status.OK, "root user has no access keys (account summary: 0)"),
                    row(A2, Status.ALARM, p(1, "reason") if p else keys_reason, resource=p(2, "resource") if p else None),
                    row(A3, Status.SKIP, "no credential report (see credential_report_fresh)"),
                )
                + ((row(p(3, "account"), Status.ALARM, "payload account has a root key"),) if p else ()),
                None,
            ),
            "root_mfa_enabled": ((row(A1, Status.OK, "MFA active"), row(A2, Status.ALARM, "MFA not active")), None),
            "root_mfa_enabled_or_no_password": (
                (
                    row(A1, Status.OK, "MFA active"),
                    row(A2, Status.OK, 'MFA active | policy "*:*" _noted_ [x](y) <b>'),
                    row(A3, Status.OK, "no root password\n(MFA not needed)"),
                ),
                None,
            ),
            "root_hardware_mfa_enabled": (
                (
                    row(A1, Status.OK, "hardware MFA (no virtual device assigned to root)"),
                    row(A2, Status.OK, "hardware MFA (no virtual device assigned to root)"),
                    row(A3, Status.SKIP, "no credential report (see credential_report_fresh)"),
                ),
                None,
            ),
            "root_not_used_recently": (
                (
                    row(A1, Status.OK, "root not used in the last 30 days (window: 30 days)"),
                    row(A2, Status.ERROR, "password_last_used 'soon' is not a timestamp"),
                    row(A3, Status.OK, "root not used in the last 30 days (window: 30 days)"),
                ),
                None,
            ),
            "root_no_signing_certificates": ((), None),
            "cloudtrail_enabled_all_regions": (
                (
                    row(A1, Status.OK, "multi-region trail main is logging", region=p(4, "region") if p else "us-east-1"),
                    row(A2, Status.OK, "multi-region trail main is logging", region="us-east-1"),
                    row(A3, Status.OK, "organization trail org-trail covers this account", region="eu-west-1"),
                ),
                None,
            ),
            "root_usage_monitored": ((), "control root_usage_monitored failed: relation \"aws_cloudwatch_log_metric_filter\" does not exist"),
        }
        return outcomes

    def cis_v700(self) -> Benchmark:
        """A CIS v7.0.0-shaped benchmark: nested sections, assessed and not assessed items."""
        root, c, p = "cis_v700", self.controls, self.p
        cis = {"cis": "true", "cis_version": "v7.0.0"}
        it = lambda *a, **k: cis_item(root, cis, *a, **k)  # noqa: E731
        extra = {"service": p(1, "tag")} if p else {}
        children = (
            prerequisites(root, cis, c["credential_report_fresh"]),
            section(root, cis, "2", "Identity and Access Management", [
                section(root, cis, "2.1", "Identity and Access Management", [
                    it("2.1.1", "Ensure centralized root access in AWS Organizations", "2", "manual", c["organizations_centralized_root_access"]),
                    it("2.1.2", "Ensure authorization guardrails for all AWS Organization accounts", "2", "manual"),
                ]),
                it("2.2", p(3, "item title") if p else "Maintain current AWS account contact details", "1", "manual"),
                it("2.3", "Ensure security contact information is registered", p(2, "level") if p else "1", "manual"),
                it("2.4", "Ensure no 'root' user account access key exists", "1", "automated", c["root_no_access_keys"], **extra),
                it("2.5", "Ensure MFA is enabled for the 'root' user account", "1", "automated", c["root_mfa_enabled_or_no_password"]),
                it("2.6", "Ensure hardware MFA is enabled for the 'root' user account", "2", "manual", c["root_hardware_mfa_enabled"]),
                it("2.7", "Eliminate use of the 'root' user for administrative and daily tasks", "1", "manual", c["root_not_used_recently"]),
                it("2.8", "Ensure no 'root' signing certificates exist (fixture item)", "1", "automated", c["root_no_signing_certificates"]),
                it("2.14", 'Ensure IAM policies that allow full "*:*" administrative privileges are not attached', "1", "automated"),
            ]),
            section(root, cis, "3", "Storage", [
                section(root, cis, "3.1", "Simple Storage Service (S3)", [
                    it("3.1.1", "Ensure S3 Bucket Policy is set to deny HTTP requests", "2", "automated"),
                    it("3.1.2", "Ensure MFA Delete is enabled on S3 buckets", "2", "manual"),
                ]),
            ]),
            section(root, cis, "4", p(0, "section title") if p else "Logging", [
                it("4.1", "Ensure CloudTrail is enabled in all regions", "1", "manual", c["cloudtrail_enabled_all_regions"]),
                it("4.2", "Ensure CloudTrail log file validation is enabled", "2", "automated"),
            ]),
            section(root, cis, "5", "Monitoring", [
                it("5.1", "Ensure unauthorized API calls are monitored", "2", "manual"),
                it("5.3", "Ensure usage of the 'root' account is monitored", "1", "manual", c["root_usage_monitored"]),
            ]),
        )
        title = p(2, "benchmark title") if p else "CIS AWS Foundations Benchmark v7.0.0"
        return Benchmark(root, title, "Every recommendation of v7.0.0.", {**cis, "type": "Benchmark"}, children, "v7.0.0")

    def cis_v120(self) -> Benchmark:
        """A small CIS v1.2.0-shaped benchmark (scored / not scored items), for multi-version runs."""
        root, c = "cis_v120", self.controls
        cis = {"cis": "true", "cis_version": "v1.2.0"}
        it = lambda *a, **k: cis_item(root, cis, *a, **k)  # noqa: E731
        children = (
            prerequisites(root, cis, c["credential_report_fresh"]),
            section(root, cis, "1", "Identity and Access Management", [
                it("1.12", "Ensure no root account access key exists", "1", "scored", c["root_no_access_keys"]),
                it("1.13", 'Ensure MFA is enabled for the "root" account', "1", "scored", c["root_mfa_enabled"]),
                it("1.15", "Ensure security questions are registered in the AWS account", "1", "not_scored"),
            ]),
        )
        return Benchmark(root, "CIS AWS Foundations Benchmark v1.2.0", "", {**cis}, children, "v1.2.0")

    def root(self) -> Benchmark:
        """A non-CIS benchmark, as mod.yaml's ``root``."""
        c = self.controls

        def group(bench_id: str, title: str, ids: Sequence[str]) -> Benchmark:
            nodes = tuple(ControlNode(i, c[i].title, c[i].description, dict(c[i].tags), c[i]) for i in ids)
            return Benchmark(bench_id, title, "", {}, nodes)

        children = (
            group("root_evidence", "Evidence", ["credential_report_fresh"]),
            group("root_credentials", "Root credentials", ["root_no_access_keys", "root_mfa_enabled", "root_not_used_recently"]),
            group("root_monitoring", "Root activity recorded and alerted on", ["cloudtrail_enabled_all_regions", "root_usage_monitored"]),
        )
        return Benchmark("root", "AWS root user", "Every rootwatch control.", {"type": "Benchmark"}, children)

    def result(self, benchmarks: Sequence[str] = ("cis_v700",), *, snapshot: bool = True) -> RunResult:
        """The graded run of the named benchmarks (``cis_v700``, ``cis_v120``, ``root``)."""
        trees = {"cis_v700": self.cis_v700, "cis_v120": self.cis_v120, "root": self.root}
        return grade(
            [trees[name]() for name in benchmarks],
            self.outcomes(),
            source=self.p(3, "source") if self.p else SOURCE,
            snapshot=snapshot,
        )


def grade(targets: Sequence[Benchmark | ControlNode], outcomes: Mapping[str, Outcome], *, source: str = SOURCE, snapshot: bool = True) -> RunResult:
    """A RunResult for ``targets`` as the runner builds it, with the given outcome per control id."""

    def build(target: Benchmark | ControlNode) -> GroupRun | ControlRun:
        if isinstance(target, ControlNode):
            if target.control is None:
                return _not_assessed(target)
            rows, error = outcomes[target.control.id]
            return ControlRun(target, rows, error, 0.25)
        children = tuple(build(child) for child in target.children)
        return GroupRun(target.id, target.title, target.description, dict(target.tags), children, target)

    info = SnapshotInfo(captured_at=CAPTURED_AT, source=source, tool_version="0.1.0", created_at=CAPTURED_AT) if snapshot else None
    context = RunContext(
        as_of=AS_OF,
        engine_kind="duckdb" if snapshot else "postgres",
        engine_description=source,
        started_at=STARTED_AT,
        ended_at=ENDED_AT,
        variables={"root_recent_days": 30},
        snapshot=info,
        tool_version="0.1.0",
    )
    return RunResult(GroupRun(ROOT_GROUP_ID, "rootwatch", "", {}, tuple(build(t) for t in targets)), context)


def sample_result(*benchmarks: str, payload: bool = False, snapshot: bool = True) -> RunResult:
    """Shorthand: ``sample_result()`` is the CIS v7.0.0 run the golden files show."""
    return Fixture(payload).result(benchmarks or ("cis_v700",), snapshot=snapshot)


# ---- a run with everything the reports draw: account names, the alerting chain, root activity ----

ACCOUNT_NAMES = {A1: "prod-payments", A2: "data-science-sandbox-with-a-rather-long-name", A3: "legacy"}
CHAIN_ROWS = (
    row(A1, Status.OK, "Root usage is monitored: trail main delivers to log group cloudtrail in us-east-1; filter "
        "root-usage counts root usage into metric CIS/RootUsage; alarm root-usage notifies topic "
        "arn:aws:sns:us-east-1:111111111111:alerts with 1 confirmed subscription.", region="us-east-1"),
    row(A2, Status.ALARM, "CLOUDWATCH_ALARMS_NOT_PRESENT: no alarm in us-east-1 on metric CIS/RootUsage of filter "
        "root-usage (log group cloudtrail in us-east-1).", region="us-east-1"),
    row(A3, Status.ALARM, "SNS_SUBSCRIPTION_NOT_PRESENT: topic arn:aws:sns:eu-west-1:333333333333:root of alarm "
        "root-usage on metric CIS/RootUsage has no confirmed subscription (1 pending confirmation).", region="eu-west-1"),
)


def activity_days() -> tuple:
    """Root activity over February 2026: console sign-ins, a key, a centralized session, failures."""
    from datetime import date

    from rootwatch.activity import ActivityDay

    return (
        ActivityDay(date(2026, 2, 3), A1, "centralized root session", 1, 0),
        ActivityDay(date(2026, 2, 14), A2, "password", 2, 1),
        ActivityDay(date(2026, 2, 20), A3, "root access key", 5, 0),
        ActivityDay(date(2026, 2, 27), A2, "password", 1, 0),
        ActivityDay(date(2026, 2, 27), A2, "root access key", 12, 3),
    )


def pictures_result(*benchmarks: str) -> RunResult:
    """``sample_result`` with account names, a broken alerting chain for two accounts and root
    activity in the snapshot: every picture the HTML report and the CIS HTML table draw."""
    from dataclasses import replace

    fixture = Fixture()
    outcomes = {**fixture.outcomes(), "root_usage_monitored": (CHAIN_ROWS, None)}
    trees = {"cis_v700": fixture.cis_v700, "cis_v120": fixture.cis_v120, "root": fixture.root}
    result = grade([trees[name]() for name in benchmarks or ("root", "cis_v700")], outcomes)
    return replace(result, context=replace(result.context, account_names=ACCOUNT_NAMES, root_activity=activity_days()))


# Golden files of the CIS text formats (scripts/regen-cis-golden rewrites them): a run of two CIS
# versions, so the files also pin how several versions are laid out.
GOLDEN_DIR = Path(__file__).resolve().parents[1] / "golden" / "output"
GOLDEN_FILES = {"cis-csv": "cis_table.csv", "cis-md": "cis_table.md"}
GOLDEN_BENCHMARKS = ("cis_v700", "cis_v120")


def golden_text(format_name: str) -> str:
    """What the golden file of ``format_name`` must hold."""
    from rootwatch.output import format_named

    rendered = format_named(format_name).renderer()(sample_result(*GOLDEN_BENCHMARKS))
    assert isinstance(rendered, str)
    return rendered


# ---- reading HTML back: a small DOM over the standard library's parser -------------------------

VOID_ELEMENTS = frozenset("area base br col embed hr img input link meta source track wbr".split())


class Element:
    """An element of a parsed HTML document: tag, attributes, children (elements and text)."""

    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Element | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Element | str] = []

    def iter(self, tag: str | None = None):
        """This element and every descendant element (document order), optionally of one tag."""
        if tag is None or self.tag == tag:
            yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter(tag)

    def find_all(self, tag: str | None = None, **attrs: str) -> list[Element]:
        return [e for e in self.iter(tag) if all(e.attrs.get(k.rstrip("_")) == v for k, v in attrs.items())]

    def find(self, tag: str | None = None, **attrs: str) -> Element | None:
        found = self.find_all(tag, **attrs)
        return found[0] if found else None

    def has_class(self, name: str) -> bool:
        return name in (self.attrs.get("class") or "").split()

    @property
    def text(self) -> str:
        """The text a reader sees: descendant text, without script and style contents or the
        tooltips of nested <title> elements."""
        if self.tag in ("script", "style"):
            return ""
        return "".join(c if isinstance(c, str) else ("" if c.tag == "title" else c.text) for c in self.children)


def parse_html(markup: str) -> Element:
    """The document element tree of ``markup`` (well-formed enough: a serialised DOM or our output)."""
    from html.parser import HTMLParser

    root = Element("#document", {}, None)

    class Builder(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.current = root

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            element = Element(tag, dict(attrs), self.current)
            self.current.children.append(element)
            if tag not in VOID_ELEMENTS:
                self.current = element

        def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.current.children.append(Element(tag, dict(attrs), self.current))

        def handle_endtag(self, tag: str) -> None:
            node: Element | None = self.current
            while node is not None and node.tag != tag:
                node = node.parent
            if node is not None and node.parent is not None:
                self.current = node.parent

        def handle_data(self, data: str) -> None:
            self.current.children.append(data)

    builder = Builder()
    builder.feed(markup)
    builder.close()
    return root
