-- The CIS verdict on root-usage monitoring, one row per account (the rows of the control
-- root_usage_monitored, which reads this relation; root_activity_alerted reads it too):
-- resource, status, reason, account_id, region.
-- One row per account, ok when one whole chain exists (see the relation root_alarm_chain):
--   trail: multi-region, logging, all read and write management events (as in
--          cloudtrail_enabled_all_regions), delivering to a CloudWatch Logs group
--   -> metric filter on that log group with exactly the three CIS clauses (root_usage_filters;
--      the variable root_usage_filter_extra_clauses may allow a clause that excludes centralized
--      root sessions)
--   -> alarm in that account and region on the filter's metric (name, namespace and dimensions),
--      actions enabled -> an alarm action that is an SNS topic -> a confirmed subscription.
-- Otherwise the chain that got furthest is reported with the Security Hub CloudWatch.1 code of its
-- first missing link. An organization trail seen from a member account is resolved in the owning
-- account (where its log group, filters and alarms live) when the data holds it, else `info`.
-- Where the filter's dimensions were not captured (a live Steampipe endpoint has no column for
-- them), an alarm that names no dimensions is taken to match, as CIS sets it up, and the reason
-- says so; an alarm that names dimensions cannot be judged (`error`).
-- Shared relations: accounts, root_alarm_chain (and trail_coverage, root_usage_filters,
-- root_usage_patterns, metric_alarms, sns_topics and those they read; controls/relations/).
-- Each chain with the columns its words are made of (its hints are worded by root_alarm_chain), not
-- with every column of its links: all of them are held by the ranking (a window holds every column
-- of its input).
with chains as (
  select
    c.account_id,
    c.arn,
    c.name,
    c.home_region,
    c.owner_account_id,
    c.resolved,
    c.is_multi_region_trail,
    c.is_logging,
    c.records_all,
    c.log_group_arn is not null as has_log_group,
    c.label,
    c.group_account_id,
    c.group_region,
    c.group_name,
    c.carries_chain,
    c.trail_compliant,
    c.trails_seen,
    c.trail_shortfalls,
    c.filter_name,
    c.filter_pattern,
    c.filter_problem,
    c.required_present,
    c.has_or,
    c.extra_count,
    c.accepted_extras,
    c.metric_name,
    c.metric_namespace,
    c.filter_dimension_names,
    c.alarm_name,
    c.actions_enabled,
    c.alarm_dimension_names,
    c.action,
    c.confirmed,
    c.pending,
    c.has_filter,
    c.has_valid_filter,
    c.has_alarm,
    c.has_action,
    c.action_is_topic,
    c.has_subscription,
    c.first_gap,
    c.first_gap is null as complete,
    c.first_gap is null and c.trail_compliant and not c.dimensions_undecided as monitored,
    c.filter_hint,
    c.alarm_hint
  from root_alarm_chain as c
),

ranked as (
  -- Chains in order of preference, per account; the first is the one reported.
  select
    c.*,
    row_number() over (
      partition by c.account_id
      order by
        monitored desc,  -- a complete chain on a compliant trail settles it (ok);
        resolved,  -- else an organization trail whose chain is visible only in its owner's account (info);
        complete desc,  -- else a complete chain that hinges on facts nobody captured (error);
        -- else the chain that got furthest (alarm); each link needs the one before it.
        has_subscription desc,
        action_is_topic desc,
        has_action desc,
        has_alarm desc,
        has_valid_filter desc,
        has_filter desc,
        carries_chain desc,
        case when is_multi_region_trail then 0 else 1 end,
        case when is_logging then 0 else 1 end,
        case when records_all then 0 else 1 end,
        case when has_log_group then 0 else 1 end,
        coalesce(required_present, 0) desc,
        case when has_or then 1 else 0 end,
        coalesce(extra_count, 0),
        case when owner_account_id = account_id then 0 else 1 end,
        arn,
        coalesce(filter_name, ''),
        coalesce(alarm_name, ''),
        coalesce(action, '')
    ) as preference
  from chains as c
),

best as (
  select * from ranked where preference = 1
),

described as (
  select
    b.*,
    b.group_name || ' in ' || b.group_region
      || case when b.group_account_id <> b.account_id then ' of account ' || b.group_account_id else '' end
      as group_text,
    coalesce(b.metric_namespace, '(none)') || '/' || coalesce(b.metric_name, '(none)')
      || case when b.filter_dimension_names <> '' then ' (dimensions ' || b.filter_dimension_names || ')' else '' end
      as metric_text,
    b.confirmed || case when b.confirmed = 1 then ' confirmed subscription' else ' confirmed subscriptions' end
      as subscriptions_text
  from best as b
)

select
  a.root_arn as resource,
  case
    when d.account_id is null then 'alarm'
    when d.monitored then 'ok'
    when not d.resolved then 'info'
    when d.complete then 'error'
    else 'alarm'
  end as status,
  case
    when d.account_id is null then
      'CLOUDTRAIL_MULTI_REGION_NOT_PRESENT: no CloudTrail trail in account ' || a.account_id
      || ' (no aws_cloudtrail_trail rows), so root activity reaches no CloudWatch Logs group.'
    when d.monitored then
      'Root usage is monitored: ' || d.label || ' delivers to log group ' || d.group_text
      || '; filter ' || d.filter_name || ' counts root usage into metric ' || d.metric_text
      || '; alarm ' || d.alarm_name || ' notifies topic ' || d.action || ' with ' || d.subscriptions_text || '.'
      || coalesce(
        ' The filter also excludes centralized root sessions (' || d.accepted_extras
        || '), as the variable root_usage_filter_extra_clauses allows.',
        ''
      )
      || case
        when d.filter_dimension_names is null then
          ' The dimensions of filter ' || d.filter_name || ' were not captured (Steampipe has no column for'
          || ' them); alarm ' || d.alarm_name || ' names none, as CIS sets it up, so the filter is taken to'
          || ' publish none.'
        else ''
      end
    when not d.resolved then
      'Covered by organization trail ' || d.name || ' (home region ' || d.home_region || ') owned by account '
      || d.owner_account_id || ', whose logging status, log group, metric filters and alarms are visible '
      || 'only there; add account ' || d.owner_account_id || ' to the snapshot to resolve the chain.'
    when d.complete and not d.trail_compliant then
      'Cannot tell whether root usage is monitored: ' || d.label || ' ' || d.trail_shortfalls
      || ', although the rest of its chain is complete (log group ' || d.group_text || ', filter '
      || d.filter_name || ', alarm ' || d.alarm_name || ', topic ' || d.action || ' with ' || d.subscriptions_text || ').'
    when d.complete then
      'Cannot tell whether root usage is monitored: alarm ' || d.alarm_name || ' watches metric '
      || d.metric_text || ' with dimensions ' || d.alarm_dimension_names || ', and the dimensions filter '
      || d.filter_name || ' publishes were not captured (Steampipe has no column for them), although the'
      || ' rest of its chain is complete (' || d.label || ', log group ' || d.group_text || ', topic '
      || d.action || ' with ' || d.subscriptions_text || '); build a snapshot with'
      || ' rootwatch snapshot from-aws or from-files to compare them.'
    when d.first_gap = 'CLOUDTRAIL_MULTI_REGION_NOT_PRESENT' then
      d.first_gap || ': ' || d.label || ' ' || d.trail_shortfalls || '; no trail of account '
      || a.account_id || ' is multi-region, logging, recording all read and write management events '
      || 'and delivering to CloudWatch Logs (' || d.trails_seen
      || case when d.trails_seen = 1 then ' trail' else ' trails' end || ' checked).'
    when d.first_gap = 'CLOUDTRAIL_METRIC_FILTERS_NOT_PRESENT' then
      d.first_gap || ': no metric filter on log group ' || d.group_text || ', where ' || d.label
      || ' delivers' || coalesce(d.filter_hint, '') || '.'
    when d.first_gap = 'CLOUDTRAIL_METRIC_FILTER_NOT_VALID' then
      d.first_gap || ': filter ' || d.filter_name || ' on log group ' || d.group_text || ' has pattern '
      || coalesce(nullif(d.filter_pattern, ''), '(empty)') || ' ' || d.filter_problem || '.'
    when d.first_gap = 'CLOUDWATCH_ALARMS_NOT_PRESENT' then
      d.first_gap || ': no alarm in ' || d.group_region || ' on metric ' || d.metric_text || ' of filter '
      || d.filter_name || ' (log group ' || d.group_text || ')' || coalesce(d.alarm_hint, '') || '.'
    when d.first_gap = 'CLOUDWATCH_ALARM_ACTIONS_NOT_VALID' then
      d.first_gap || ': alarm ' || d.alarm_name || ' on metric ' || d.metric_text || ' (filter '
      || d.filter_name || ', log group ' || d.group_text || ') '
      || case when not d.actions_enabled then 'has actions disabled' else 'has no alarm actions' end || '.'
    when d.first_gap = 'SNS_TOPIC_INVALID' then
      d.first_gap || ': alarm ' || d.alarm_name || ' on metric ' || d.metric_text || ' (filter '
      || d.filter_name || ', log group ' || d.group_text || ') notifies no SNS topic (action ' || d.action || ').'
    else
      d.first_gap || ': topic ' || d.action || ' of alarm ' || d.alarm_name || ' on metric ' || d.metric_text
      || ' has no confirmed subscription (' || d.pending || ' pending confirmation).'
  end as reason,
  a.account_id,
  case when d.carries_chain then d.group_region else d.home_region end as region
from accounts as a
left join described as d on d.account_id = a.account_id
