-- The CIS root-usage alarm chain of every trail each account sees, followed link by link as far as
-- it goes: trail -> CloudWatch Logs group -> root-usage metric filter on that group -> alarm on the
-- filter's metric (same account and region; same metric name, namespace and dimensions) with
-- actions enabled -> an alarm action that is an SNS topic -> a confirmed subscription on it.
-- One row per combination tried (a log group with two filters gives two rows). first_gap names the
-- first missing link by its Security Hub CloudWatch.1 code, NULL when the chain is complete;
-- trails_seen counts the trails the account sees.
-- An organization trail's log group lives in the account that owns the trail: the chain is
-- followed where the log group ARN points.
-- A filter whose dimensions were not captured (Steampipe has no column for them) is matched to an
-- alarm on its name and namespace; dimensions_undecided marks a complete chain whose alarm names
-- dimensions the filter may not publish.
with trails as (
  select
    t.*,
    split_part(t.log_group_arn, ':', 5) as group_account_id,
    split_part(t.log_group_arn, ':', 4) as group_region,
    split_part(t.log_group_arn, ':', 7) as group_name,
    -- A trail carries the chain unless something is known to be wrong with it: one whose logging
    -- status or selectors were not captured is followed too, so that the verdict hinges on those
    -- facts only when the rest of its chain is complete.
    t.resolved and t.is_multi_region_trail and t.is_logging is not false and t.management_problem is null
      and t.log_group_arn is not null as carries_chain,
    t.compliant and t.log_group_arn is not null as trail_compliant,
    count(*) over (partition by t.account_id) as trails_seen,
    concat_ws(
      '; ',
      nullif(t.shortfalls, ''),
      case when t.log_group_arn is null then 'delivers to no CloudWatch Logs group' end
    ) as trail_shortfalls
  from trail_coverage as t
),

alarm_actions as (
  select a.account_id, a.region, a.name as alarm_name, x.value as action
  from metric_alarms as a, jsonb_array_elements_text(a.alarm_actions) as x
),

-- Each action with its topic's subscriptions, joined here, on the narrow action rows: joined to the
-- wide chain rows instead, Postgres hashed those on the action, NULL for every chain without one,
-- and that one key kept splitting the hash into more batches (4,096 at 10,000 accounts, ~5 s).
action_topics as (
  select ac.*, coalesce(tp.confirmed, 0) as confirmed, coalesce(tp.pending, 0) as pending
  from alarm_actions as ac
  left join sns_topics as tp on tp.topic_arn = ac.action
),

linked as (
  select
    t.*,
    f.name as filter_name,
    f.filter_pattern,
    f.problem as filter_problem,
    f.valid as filter_valid,
    f.required_present,
    f.has_or,
    f.extra_count,
    f.accepted_extras,
    f.metric_name,
    f.metric_namespace,
    f.dimension_names as filter_dimension_names,
    al.name as alarm_name,
    al.actions_enabled,
    al.dimension_names as alarm_dimension_names,
    ac.action,
    coalesce(ac.confirmed, 0) as confirmed,
    coalesce(ac.pending, 0) as pending
  from trails as t
  left join root_usage_filters as f
    on t.carries_chain and f.account_id = t.group_account_id and f.region = t.group_region
    and f.log_group_name = t.group_name
  left join metric_alarms as al
    on f.valid and al.account_id = t.group_account_id and al.region = t.group_region
    and al.metric_name = f.metric_name and al.namespace = f.metric_namespace
    and (al.dimension_names = f.dimension_names or f.dimension_names is null)
  left join action_topics as ac
    on al.actions_enabled and ac.account_id = al.account_id and ac.region = al.region and ac.alarm_name = al.name
),

links as (
  select
    l.*,
    l.filter_name is not null as has_filter,
    coalesce(l.filter_valid, false) as has_valid_filter,
    l.alarm_name is not null as has_alarm,
    l.action is not null as has_action,
    split_part(coalesce(l.action, ''), ':', 3) = 'sns' as action_is_topic,
    l.confirmed > 0 as has_subscription
  from linked as l
)

select
  k.*,
  case
    when not k.carries_chain then 'CLOUDTRAIL_MULTI_REGION_NOT_PRESENT'
    when not k.has_filter then 'CLOUDTRAIL_METRIC_FILTERS_NOT_PRESENT'
    when not k.has_valid_filter then 'CLOUDTRAIL_METRIC_FILTER_NOT_VALID'
    when not k.has_alarm then 'CLOUDWATCH_ALARMS_NOT_PRESENT'
    when not k.has_action then 'CLOUDWATCH_ALARM_ACTIONS_NOT_VALID'
    when not k.action_is_topic then 'SNS_TOPIC_INVALID'
    when not k.has_subscription then 'SNS_SUBSCRIPTION_NOT_PRESENT'
  end as first_gap,
  k.has_subscription and k.filter_dimension_names is null and k.alarm_dimension_names <> '' as dimensions_undecided
from links as k
