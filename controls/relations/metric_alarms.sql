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

-- The names in each distinct dimensions array, listed once per array rather than once per alarm:
-- alarms repeat a handful of arrays ('[]' above all), and grouping every alarm's dimensions on its
-- three-column key held 40,000 groups with their ordered lists (DuckDB, 10,000 accounts).
dimension_lists as (
  select d.dimensions, string_agg(e.value ->> 'Name', ', ' order by e.value ->> 'Name') as names
  from (select distinct dimensions from aws_cloudwatch_alarm where jsonb_typeof(dimensions) = 'array') as d,
    jsonb_array_elements(d.dimensions) as e
  group by d.dimensions
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
left join dimension_lists as d on d.dimensions = a.dimensions
