-- CloudWatch metric alarms, one row per account, region and alarm name, with what identifies the
-- metric each one watches: its name, namespace and dimension names (dimension_names: sorted,
-- comma-separated; '' when it names none). An alarm on a metric math expression has no metric name.
with alarms as (
  select distinct on (account_id, region, name)
    account_id,
    region,
    name,
    metric_name,
    namespace,
    coalesce(actions_enabled, false) as actions_enabled,
    case when jsonb_typeof(alarm_actions) = 'array' then alarm_actions else '[]'::jsonb end as alarm_actions,
    case when jsonb_typeof(dimensions) = 'array' then dimensions else '[]'::jsonb end as dimensions
  from aws_cloudwatch_alarm
  order by account_id, region, name
),

alarm_dimensions as (
  select
    a.account_id,
    a.region,
    a.name,
    string_agg(d.value ->> 'Name', ', ' order by d.value ->> 'Name') as names
  from alarms as a, jsonb_array_elements(a.dimensions) as d
  group by a.account_id, a.region, a.name
)

select
  a.account_id,
  a.region,
  a.name,
  a.metric_name,
  a.namespace,
  a.actions_enabled,
  a.alarm_actions,
  coalesce(d.names, '') as dimension_names
from alarms as a
left join alarm_dimensions as d on d.account_id = a.account_id and d.region = a.region and d.name = a.name
