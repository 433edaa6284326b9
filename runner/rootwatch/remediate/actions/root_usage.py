"""``root_usage_monitored``: complete the CIS chain trail → log group → metric filter → alarm → SNS
topic → confirmed subscription, creating only the links after the last one that exists.

Existing resources are used where they already do their part (a valid filter's metric, an alarm
with an SNS action, that alarm's topic) and never modified: a resource of the name rootwatch would
create that exists but does something else stops the plan with a hint instead of being overwritten.
A trail that delivers to no CloudWatch Logs group stops the plan unless ``--create-log-group``.
"""

from __future__ import annotations

import json
import re

from rootwatch.remediate.actions.base import PlanContext, Proposal
from rootwatch.remediate.actions.trail import TrailPlan, plan_trail
from rootwatch.remediate.live import LiveReadFailed
from rootwatch.remediate.model import Call
from rootwatch.remediate.state import Alarm, MetricFilter

CIS_ROOT_PATTERN = '{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }'
_REQUIRED_CLAUSES = frozenset({"$.userIdentity.type=Root", "$.userIdentity.invokedBy NOT EXISTS", "$.eventType!=AwsServiceEvent"})
LOGS_ROLE_POLICY = "rootwatch-cloudtrail-logs"
ROLE_PROPAGATION_CODES = ("InvalidCloudWatchLogsRoleArnException", "InvalidCloudWatchLogsLogGroupArnException")


def is_cis_root_pattern(pattern: str) -> bool:
    """The pattern has exactly the three CIS clauses joined by && (any order, spacing, quotes or
    grouping; no ||, no extra clause), compared as the control compares them."""
    ungrouped = re.sub(r"[(){}]", "", pattern or "")
    if "||" in ungrouped:
        return False
    clauses = set()
    for raw in ungrouped.split("&&"):
        clause = re.sub(r" ?(!=|=) ?", r"\1", " ".join(raw.split()))
        clause = re.sub(r"[\"']", "", clause)
        if clause:
            clauses.add(clause)
    return clauses == _REQUIRED_CLAUSES


class RootUsageMonitored:
    control = "root_usage_monitored"
    summary = "create the missing links of the CIS root-usage chain: metric filter, alarm, SNS topic, e-mail subscription (--notify-email)"
    permissions = (
        "cloudtrail:UpdateTrail",
        "cloudtrail:StartLogging",
        "cloudtrail:PutEventSelectors",
        "logs:PutMetricFilter",
        "logs:DescribeLogGroups",
        "logs:CreateLogGroup",
        "iam:GetRole",
        "iam:GetRolePolicy",
        "iam:CreateRole",
        "iam:PutRolePolicy",
        "iam:PassRole",
        "cloudwatch:PutMetricAlarm",
        "sns:GetTopicAttributes",
        "sns:ListSubscriptionsByTopic",
        "sns:CreateTopic",
        "sns:Subscribe",
    )

    def plan(self, ctx: PlanContext) -> Proposal:
        trail = plan_trail(ctx)
        proposal = trail.proposal
        if trail.arn is None:
            return proposal
        try:
            group_arn, attach = self._log_group(ctx, trail)
            proposal += attach
            if group_arn is None:
                return proposal
            return proposal + self._chain(ctx, group_arn, needs=attach.calls[-1] if attach.calls else None)
        except LiveReadFailed as failure:
            return proposal + ctx.unreadable(failure)

    # ---- trail → log group ------------------------------------------------------------------

    def _log_group(self, ctx: PlanContext, trail: TrailPlan) -> tuple[str | None, Proposal]:
        if trail.log_group_arn:
            return trail.log_group_arn, Proposal()
        label = f"trail {trail.name} (home region {trail.home_region})"
        settings = ctx.settings
        if not settings.create_log_group:
            return None, ctx.stop(
                f"{label} delivers to no CloudWatch Logs group, so no metric filter can count root activity",
                hint=f"pass --create-log-group to create log group {settings.log_group_name} and role {settings.logs_role_name} for it, "
                "or send the trail to an existing group (aws cloudtrail update-trail --cloud-watch-logs-log-group-arn ... --cloud-watch-logs-role-arn ...)",
            )
        region, name, account = trail.home_region, settings.log_group_name, ctx.account_id
        group_arn = f"arn:{ctx.partition}:logs:{region}:{account}:log-group:{name}:*"
        role_arn = f"arn:{ctx.partition}:iam::{account}:role/{settings.logs_role_name}"
        calls: list[Call] = []
        create_group = create_role = put_policy = None
        if not ctx.live.log_group_exists(account, region, name):
            create_group = ctx.call(region, "logs", "CreateLogGroup", {"logGroupName": name}, f"{label} needs a log group to deliver to")
            calls.append(create_group)
        if not ctx.live.role_exists(account, ctx.global_region, settings.logs_role_name):
            trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"}, "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:SourceAccount": account}}}]}
            create_role = ctx.call(ctx.global_region, "iam", "CreateRole", {"RoleName": settings.logs_role_name, "AssumeRolePolicyDocument": json.dumps(trust), "Description": "Lets CloudTrail deliver to CloudWatch Logs (created by rootwatch remediate)"}, f"CloudTrail needs a role to write to log group {name}")
            calls.append(create_role)
        if create_role is not None or not ctx.live.role_policy_exists(account, ctx.global_region, settings.logs_role_name, LOGS_ROLE_POLICY):
            streams = f"arn:{ctx.partition}:logs:{region}:{account}:log-group:{name}:log-stream:*"
            policy = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": streams}]}
            put_policy = ctx.call(ctx.global_region, "iam", "PutRolePolicy", {"RoleName": settings.logs_role_name, "PolicyName": LOGS_ROLE_POLICY, "PolicyDocument": json.dumps(policy)}, f"role {settings.logs_role_name} may write to log group {name}", needs=(create_role,))
            calls.append(put_policy)
        attach = ctx.call(
            region,
            "cloudtrail",
            "UpdateTrail",
            {"Name": trail.arn, "CloudWatchLogsLogGroupArn": group_arn, "CloudWatchLogsRoleArn": role_arn},
            f"{label} delivers to no CloudWatch Logs group",
            needs=(trail.last_call, create_group, create_role, put_policy),
            retry_codes=ROLE_PROPAGATION_CODES,  # a new role takes a few seconds to be usable
        )
        calls.append(attach)
        return group_arn, Proposal(tuple(calls))

    # ---- log group → filter → alarm → topic → subscription ----------------------------------

    def _chain(self, ctx: PlanContext, group_arn: str, needs: Call | None) -> Proposal:
        parts = group_arn.split(":")
        account, region, group = parts[4], parts[3], parts[6]
        if account != ctx.account_id:
            return ctx.stop(f"the trail delivers to log group {group} of account {account}", hint=f"remediate account {account}, where the filter and alarm belong")
        settings = ctx.settings
        filters = [f for f in ctx.state.metric_filters(account, region, group) if is_cis_root_pattern(f.pattern)]
        alarms = ctx.state.alarms(account, region)
        calls: list[Call] = []
        metric = self._best_metric(filters, alarms)
        filter_call = None
        if metric is None:
            taken = [f for f in ctx.state.metric_filters(account, region, group) if f.name == settings.filter_name]
            if taken:
                return ctx.stop(
                    f"filter {settings.filter_name} on log group {group} has pattern {taken[0].pattern!r}, not the CIS root pattern; rootwatch does not overwrite it",
                    hint="fix that filter, or pass --filter-name to create another",
                )
            metric = (settings.metric_name, settings.metric_namespace)
            transformation = {"metricName": metric[0], "metricNamespace": metric[1], "metricValue": "1"}
            filter_call = ctx.call(region, "logs", "PutMetricFilter", {"logGroupName": group, "filterName": settings.filter_name, "filterPattern": CIS_ROOT_PATTERN, "metricTransformations": [transformation]}, f"no metric filter with the CIS root pattern on log group {group}", needs=(needs,))
            calls.append(filter_call)
        watching = [a for a in alarms if (a.metric_name, a.namespace) == metric and a.actions_enabled and a.topics]
        topics = [topic for alarm in watching for topic in alarm.topics]
        for topic in topics:
            if any(s.confirmed for s in ctx.state.subscriptions(topic)):
                return Proposal(tuple(calls))  # the chain is complete once the calls above are made
        if topics:  # an alarm notifies a topic that nobody confirmed: subscribe to it
            return Proposal(tuple(calls)) + self._subscription(ctx, region, topics[0], create=None, existing=True)
        if any(a.name == settings.alarm_name for a in alarms):
            return Proposal(tuple(calls)) + ctx.stop(
                f"alarm {settings.alarm_name} exists in {region} but does not notify an SNS topic about metric {metric[1]}/{metric[0]} with actions enabled; rootwatch does not overwrite it",
                hint="fix that alarm, or pass --alarm-name to create another",
            )
        topic_arn = f"arn:{ctx.partition}:sns:{region}:{account}:{settings.topic_name}"
        create_topic = None
        if not ctx.live.topic_exists(account, region, topic_arn):
            create_topic = ctx.call(region, "sns", "CreateTopic", {"Name": settings.topic_name}, f"the root-usage alarm needs an SNS topic in {region}")
            calls.append(create_topic)
        alarm = {
            "AlarmName": settings.alarm_name,
            "AlarmDescription": f"Root user activity counted by the CIS filter on log group {group} (created by rootwatch remediate)",
            "MetricName": metric[0],
            "Namespace": metric[1],
            "Statistic": "Sum",
            "Period": 300,
            "EvaluationPeriods": 1,
            "Threshold": 1.0,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching",
            "ActionsEnabled": True,
            "AlarmActions": [topic_arn],
        }
        why = f"no alarm in {region} notifies an SNS topic when metric {metric[1]}/{metric[0]} counts root activity"
        calls.append(ctx.call(region, "cloudwatch", "PutMetricAlarm", alarm, why, needs=(filter_call, create_topic)))
        return Proposal(tuple(calls)) + self._subscription(ctx, region, topic_arn, create=create_topic, existing=create_topic is None)

    @staticmethod
    def _best_metric(filters: list[MetricFilter], alarms: list[Alarm]) -> tuple[str, str] | None:
        """The metric of a valid filter, preferring one an alarm already watches."""
        metrics = [(f.metric_name, f.metric_namespace) for f in filters if f.metric_name and f.metric_namespace]
        watched = {(a.metric_name, a.namespace) for a in alarms if a.actions_enabled and a.topics}
        return next((m for m in metrics if m in watched), metrics[0] if metrics else None)

    def _subscription(self, ctx: PlanContext, region: str, topic_arn: str, *, create: Call | None, existing: bool) -> Proposal:
        email = ctx.settings.notify_email
        subscriptions = ctx.live.topic_subscriptions(ctx.account_id, region, topic_arn) if existing else []
        if any(s.get("SubscriptionArn", "").startswith("arn:") for s in subscriptions):
            return Proposal()
        pending = sorted({s.get("Endpoint") or "?" for s in subscriptions})
        if email and email not in pending:
            # Without ReturnSubscriptionArn the answer for an e-mail endpoint is "pending
            # confirmation", which is how the verdict tells a subscription awaiting its recipient.
            return Proposal((ctx.call(region, "sns", "Subscribe", {"TopicArn": topic_arn, "Protocol": "email", "Endpoint": email}, f"topic {topic_arn} has no confirmed subscription", needs=(create,)),))
        if pending:
            return Proposal(remarks=(ctx.remark("awaiting_confirmation", f"topic {topic_arn} has a subscription awaiting confirmation by {', '.join(pending)}", "confirm it from the e-mail AWS sent; nothing else is needed"),))
        return ctx.stop(f"topic {topic_arn} has no confirmed subscription", hint="pass --notify-email ADDRESS to subscribe someone (it must then confirm from the e-mail)")
