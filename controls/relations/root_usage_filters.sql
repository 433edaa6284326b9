-- CloudWatch Logs metric filters judged against the CIS root-usage pattern, one row per account,
-- region, log group and filter name: each with the verdict on its pattern (relation
-- root_usage_patterns: valid, problem, ...).
-- dimension_names: the dimensions the filter's metric is published with (sorted, comma-separated;
-- '' when none); NULL when they were not captured (Steampipe has no column for them).
with filters as (
  select distinct on (account_id, region, log_group_name, name)
    account_id,
    region,
    log_group_name,
    name,
    filter_pattern,
    metric_transformation_name as metric_name,
    metric_transformation_namespace as metric_namespace,
    case
      when jsonb_typeof(metric_transformation_dimensions) = 'array' then metric_transformation_dimensions
    end as dimensions
  from aws_cloudwatch_log_metric_filter
  order by account_id, region, log_group_name, name
),

-- Each distinct dimensions array is listed once, not once per filter.
dimension_lists as (
  select d.dimensions, string_agg(e.value, ', ' order by e.value) as names
  from (
    select distinct metric_transformation_dimensions as dimensions
    from aws_cloudwatch_log_metric_filter
    where jsonb_typeof(metric_transformation_dimensions) = 'array'
  ) as d,
    jsonb_array_elements_text(d.dimensions) as e
  group by d.dimensions
)

select
  f.account_id,
  f.region,
  f.log_group_name,
  f.name,
  f.filter_pattern,
  f.metric_name,
  f.metric_namespace,
  case when f.dimensions is not null then coalesce(d.names, '') end as dimension_names,
  v.has_or,
  v.extra_count,
  v.accepted_extras,
  v.required_present,
  v.valid,
  v.problem
from filters as f
inner join root_usage_patterns as v on v.pattern = coalesce(f.filter_pattern, '')
left join dimension_lists as d on d.dimensions = f.dimensions
