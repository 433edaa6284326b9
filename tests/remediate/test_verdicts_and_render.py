"""Verdicts per finding, exit codes, and the text and JSON of a plan, on hand-built plans (the
executor with Stubber-backed SNS and CloudWatch clients where calls are made)."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from rootwatch.exitcodes import ExitCode
from rootwatch.remediate.executor import Applied, apply_plan
from rootwatch.remediate.journal import Journal
from rootwatch.remediate.model import (
    AccountPlan,
    Call,
    CallOutcome,
    Finding,
    Plan,
    Remark,
)
from rootwatch.remediate.render import document, plan_text
from rootwatch.remediate.verify import apply_exit_code, judge, plan_exit_code
from rootwatch.status import Status
from stubs import MEMBER, StubbedClients, graded_state

USAGE = ("root_usage_monitored", MEMBER)
TRAIL = ("cloudtrail_enabled_all_regions", MEMBER)
TOPIC = f"arn:aws:sns:us-east-1:{MEMBER}:rootwatch-root-usage"
WHEN = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


def _finding(key: tuple[str, str]) -> Finding:
    return Finding(key[0], key[1], f"arn:aws:iam::{key[1]}:root", "failing", "us-east-1")


def _plan(calls: tuple[Call, ...], remarks: tuple[Remark, ...] = (), findings: tuple[tuple[str, str], ...] = (USAGE,)) -> Plan:
    account = AccountPlan(MEMBER, tuple(_finding(k) for k in findings), calls, remarks)
    return Plan((account,), tuple(k[0] for k in findings), "snapshot org.duckdb", WHEN)


def _chain_calls() -> tuple[Call, ...]:
    topic = Call(MEMBER, "us-east-1", "sns", "CreateTopic", {"Name": "rootwatch-root-usage"}, "the alarm needs a topic", (USAGE,))
    alarm = Call(MEMBER, "us-east-1", "cloudwatch", "PutMetricAlarm", {"AlarmName": "rootwatch-root-usage", "AlarmActions": [TOPIC]}, "no alarm", (USAGE,), needs=(topic.key,))
    subscribe = Call(MEMBER, "us-east-1", "sns", "Subscribe", {"TopicArn": TOPIC, "Protocol": "email", "Endpoint": "sec@example.com"},
                     "no confirmed subscription", (USAGE,), needs=(topic.key,))  # fmt: skip
    return topic, alarm, subscribe


def test_an_email_subscription_awaits_confirmation_not_fixed() -> None:
    plan = _plan(_chain_calls())
    clients = StubbedClients()
    sns = clients.stub("account", "sns")
    sns.add_response("create_topic", {"TopicArn": TOPIC}, {"Name": "rootwatch-root-usage"})
    sns.add_response("subscribe", {"SubscriptionArn": "pending confirmation"},
                     {"TopicArn": TOPIC, "Protocol": "email", "Endpoint": "sec@example.com"})  # fmt: skip
    clients.stub("account", "cloudwatch").add_response("put_metric_alarm", {}, {"AlarmName": "rootwatch-root-usage", "AlarmActions": [TOPIC]})
    applied = apply_plan(plan, clients, Journal.discard())
    clients.assert_all_used()
    assert applied.outcomes[2].result == {"SubscriptionArn": "pending confirmation"}

    fresh = graded_state({USAGE: (Status.ALARM, f"SNS_SUBSCRIPTION_NOT_PRESENT: topic {TOPIC} of alarm rootwatch-root-usage has no confirmed subscription (1 pending confirmation).")}, (MEMBER,))
    (report,) = judge(plan, applied, fresh)
    assert report.verdict == "awaiting_confirmation" and report.detail.endswith("Confirm the subscription from the e-mail AWS sent.")
    assert apply_exit_code([report], applied) is ExitCode.ALARM


def test_verdicts() -> None:
    topic, alarm, subscribe = _chain_calls()
    plan = _plan((topic, alarm, subscribe))
    failed = Applied((
        CallOutcome(topic, "applied", WHEN, result={"TopicArn": TOPIC}),
        CallOutcome(alarm, "failed", WHEN, "AccessDenied", "not authorized to perform: cloudwatch:PutMetricAlarm"),
        CallOutcome(subscribe, "applied", WHEN, result={"SubscriptionArn": "arn:aws:sns:us-east-1:222222222222:rootwatch-root-usage:1"}),
    ))  # fmt: skip
    still = graded_state({USAGE: (Status.ALARM, "CLOUDWATCH_ALARMS_NOT_PRESENT: no alarm")}, (MEMBER,))
    (report,) = judge(plan, failed, still)
    assert (report.verdict, report.errors, report.detail) == ("failed_to_apply", ("AccessDenied: not authorized to perform: cloudwatch:PutMetricAlarm",), "CLOUDWATCH_ALARMS_NOT_PRESENT: no alarm")
    assert apply_exit_code([report], failed) is ExitCode.CONTROL_ERROR

    done = Applied(tuple(CallOutcome(call, "applied", WHEN) for call in (topic, alarm, subscribe)))
    (report,) = judge(plan, done, graded_state({USAGE: (Status.OK, "Root usage is monitored: ...")}, (MEMBER,)))
    assert (report.verdict, report.detail) == ("fixed", "Root usage is monitored: ...")
    assert apply_exit_code([report], done) is ExitCode.OK
    (report,) = judge(plan, done, graded_state({USAGE: (Status.ALARM, "CLOUDTRAIL_METRIC_FILTER_NOT_VALID: ...")}, (MEMBER,)))
    assert (report.verdict, apply_exit_code([report], done)) == ("still_failing", ExitCode.ALARM)
    (report,) = judge(plan, done, graded_state({}, ()))
    assert report.verdict == "unverified" and "could not be re-read" in report.detail

    cut = Applied(done.outcomes[:1], interrupted=True)
    (report,) = judge(plan, cut, None)
    assert (report.verdict, report.detail) == ("unverified", "the run was interrupted before the re-read")
    assert apply_exit_code([report], cut) is ExitCode.INTERRUPTED


def test_remarks_decide_where_nothing_was_called() -> None:
    stop = Remark("stopped", TRAIL[0], MEMBER, "account has no CloudTrail trail of its own", "pass --trail-bucket BUCKET")
    passing = Remark("passing", USAGE[0], MEMBER, "passes on a fresh read: Root usage is monitored")
    plan = _plan((), (stop, passing), findings=(TRAIL, USAGE))
    assert plan_exit_code(plan) is ExitCode.CONTROL_ERROR
    reports = judge(plan, Applied(()), None)
    assert [(r.control, r.verdict, r.stopped) for r in reports] == [(TRAIL[0], "still_failing", True), (USAGE[0], "fixed", False)]
    assert reports[0].detail == "account has no CloudTrail trail of its own (pass --trail-bucket BUCKET)"
    assert plan_exit_code(_plan((), (passing,))) is ExitCode.OK
    assert plan_exit_code(_plan(_chain_calls())) is ExitCode.ALARM


def test_plan_text_and_json() -> None:
    topic, alarm, _ = _chain_calls()
    root = Call(MEMBER, "us-east-1", "iam", "DeleteLoginProfile", {}, "the root user has a console password", (("organizations_centralized_root_access", MEMBER),), acting_as="root")
    stop = Remark("stopped", "root_usage_monitored", MEMBER, "topic has no confirmed subscription", "pass --notify-email ADDRESS")
    plan = _plan((topic, alarm, root), (stop,))
    assert plan_text(plan, {MEMBER: "prod"}) == f"""\
rootwatch remediate: 1 failing finding(s) in 1 account(s): root_usage_monitored
  failing rows read from snapshot org.duckdb; accounts re-read from AWS at 2026-12-01T09:00:00+00:00

account {MEMBER} (prod)
  region us-east-1
      1  + sns:CreateTopic
           why:   the alarm needs a topic
           fixes: root_usage_monitored
           Name = "rootwatch-root-usage"
      2  + cloudwatch:PutMetricAlarm
           why:   no alarm
           fixes: root_usage_monitored
           after: call 1
           AlarmName = "rootwatch-root-usage"
           AlarmActions = ["{TOPIC}"]
      3  + iam:DeleteLoginProfile  as the member's root user (session opened by sts:AssumeRoot)
           why:   the root user has a console password
           fixes: organizations_centralized_root_access
  not planned
    ! root_usage_monitored: topic has no confirmed subscription
        hint: pass --notify-email ADDRESS

Plan: 3 call(s) in 1 account(s); 1 not planned, 0 already passing, 0 awaiting confirmation.
"""
    body = json.loads(document(plan))
    assert body["kind"] == "rootwatch.remediation" and body["applied"] is False
    (account,) = body["plan"]["accounts"]
    assert [(c["id"], c["action"], c["needs"], c["acting_as"]) for c in account["calls"]] == [
        ("1", "sns:CreateTopic", [], "account"), ("2", "cloudwatch:PutMetricAlarm", ["1"], "account"), ("3", "iam:DeleteLoginProfile", [], "root"),
    ]  # fmt: skip
    assert body["plan"]["summary"] == {"findings": 1, "calls": 3, "accounts_changed": 1, "stopped": 1, "passing": 0, "awaiting_confirmation": 0}


def test_ctrl_c_stops_before_the_next_call_and_keeps_what_was_done(tmp_path) -> None:  # noqa: ANN001
    plan = _plan(_chain_calls())

    class Interrupting(StubbedClients):
        def client(self, actor: str, account_id: str, service: str, region: str):  # noqa: ANN201
            if service == "cloudwatch":
                raise KeyboardInterrupt
            return super().client(actor, account_id, service, region)

    clients = Interrupting()
    clients.stub("account", "sns").add_response("create_topic", {"TopicArn": TOPIC}, {"Name": "rootwatch-root-usage"})
    journal = Journal.open(tmp_path / "log.jsonl")
    applied = apply_plan(plan, clients, journal)
    journal.close()
    assert applied.interrupted and [(o.call.operation, o.status) for o in applied.outcomes] == [("CreateTopic", "applied")]
    records = [json.loads(line) for line in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert [(r["action"], r["outcome"]) for r in records] == [("sns:CreateTopic", "applied")]
    (report,) = judge(plan, applied, None)
    assert report.verdict == "unverified" and apply_exit_code([report], applied) is ExitCode.INTERRUPTED
