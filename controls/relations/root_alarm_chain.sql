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
-- filter_hint, alarm_hint: the words a reason adds for a chain without a filter on its log group
-- (a valid root filter elsewhere in the log group's account), and for one without an alarm on its
-- filter's metric (an alarm on that metric name in another namespace or region, or with other
-- dimensions); NULL on the other chains, and where there is nothing to hint at.
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

-- The valid root filters, read from the table and judged by their pattern (root_usage_patterns):
-- root_usage_filters is read once, below, as DuckDB holds a CTE read twice whole (16 MB here).
valid_filters as (
  select f.account_id, f.region, f.log_group_name, f.name, f.metric_transformation_name as metric_name
  from aws_cloudwatch_log_metric_filter as f
  inner join root_usage_patterns as p on p.pattern = coalesce(f.filter_pattern, '')
  where p.valid
),

-- The alarms that can be a link, or a hint, of a chain: those on the metric of a valid root filter
-- of their account (at 10,000 accounts, 10,000 of 40,000 alarms; each join holds the ones it reads).
root_alarms as (
  select a.*
  from metric_alarms as a
  where exists (select 1 from valid_filters as v where v.account_id = a.account_id and v.metric_name = a.metric_name)
),

alarm_actions as (
  select a.account_id, a.region, a.name as alarm_name, x.value as action
  from root_alarms as a, jsonb_array_elements_text(a.alarm_actions) as x
  where a.actions_enabled
),

-- Each action with its topic's subscriptions, joined here, on the narrow action rows: joined to the
-- wide chain rows instead, Postgres hashed those on the action, NULL for every chain without one,
-- and that one key kept splitting the hash into more batches (4,096 at 10,000 accounts, ~5 s).
action_topics as (
  select ac.*, coalesce(tp.confirmed, 0) as confirmed, coalesce(tp.pending, 0) as pending
  from alarm_actions as ac
  left join sns_topics as tp on tp.topic_arn = ac.action
),

-- Each alarm with each of its actions (actions enabled), and each filter with each alarm on its
-- metric, before the trails are joined: joined link by link to the trails, every join held all the
-- chain rows built so far (DuckDB hashed the growing chain side each time, about 60 MB at 10,000
-- accounts), where these narrow links are hashed once and the trails pass through.
alarm_links as (
  select
    al.account_id,
    al.region,
    al.name as alarm_name,
    al.metric_name,
    al.namespace,
    al.actions_enabled,
    al.dimension_names as alarm_dimension_names,
    ac.action,
    ac.confirmed,
    ac.pending
  from root_alarms as al
  left join action_topics as ac
    on al.actions_enabled and ac.account_id = al.account_id and ac.region = al.region and ac.alarm_name = al.name
),

filter_links as (
  select
    f.account_id,
    f.region,
    f.log_group_name,
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
    al.alarm_name,
    al.actions_enabled,
    al.alarm_dimension_names,
    al.action,
    al.confirmed,
    al.pending
  from root_usage_filters as f
  left join alarm_links as al
    on f.valid and al.account_id = f.account_id and al.region = f.region
    and al.metric_name = f.metric_name and al.namespace = f.metric_namespace
    and (al.alarm_dimension_names = f.dimension_names or f.dimension_names is null)
),

linked as (
  select
    t.*,
    l.filter_name,
    l.filter_pattern,
    l.filter_problem,
    l.filter_valid,
    l.required_present,
    l.has_or,
    l.extra_count,
    l.accepted_extras,
    l.metric_name,
    l.metric_namespace,
    l.filter_dimension_names,
    l.alarm_name,
    l.actions_enabled,
    l.alarm_dimension_names,
    l.action,
    coalesce(l.confirmed, 0) as confirmed,
    coalesce(l.pending, 0) as pending
  from trails as t
  left join filter_links as l
    on t.carries_chain and l.account_id = t.group_account_id and l.region = t.group_region
    and l.log_group_name = t.group_name
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
),

gaps as (
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
),

-- Hints for a reason: a valid root filter on a log group the trail does not feed, and an alarm on
-- the filter's metric name in another namespace or region, or with other dimensions, each worded
-- for the chains whose reason shows it (NULL on the others). Both are joined to every chain, before
-- root_usage_verdicts picks the best one: a join after the pick would pair two relations the
-- planner believes small, and Postgres then loops over one for each row of the other.
filter_elsewhere as (
  select distinct on (account_id) account_id, name, log_group_name, region
  from valid_filters
  order by account_id, region, log_group_name, name
),

alarm_elsewhere as (
  select distinct on (account_id, metric_name) account_id, metric_name, name, namespace, region, dimension_names
  from root_alarms
  order by account_id, metric_name, region, namespace, name
)

select
  g.*,
  case when g.first_gap = 'CLOUDTRAIL_METRIC_FILTERS_NOT_PRESENT' then
    ' (filter ' || fe.name || ' has the root pattern but is on log group ' || fe.log_group_name
    || ' in ' || fe.region || ', which the trail does not feed)'
  end as filter_hint,
  case when g.first_gap = 'CLOUDWATCH_ALARMS_NOT_PRESENT' then
    ' (alarm ' || ae.name || ' watches ' || g.metric_name || ' in namespace ' || ae.namespace
    || ' in ' || ae.region
    || case
      when ae.dimension_names <> g.filter_dimension_names then
        ' with '
        || case
          when ae.dimension_names = '' then 'no dimensions'
          else 'dimensions ' || ae.dimension_names
        end
        || ', where the filter publishes '
        || case when g.filter_dimension_names = '' then 'none' else g.filter_dimension_names end
      else ''
    end
    || ')'
  end as alarm_hint
from gaps as g
left join filter_elsewhere as fe on fe.account_id = g.group_account_id
left join alarm_elsewhere as ae on ae.account_id = g.group_account_id and ae.metric_name = g.metric_name
