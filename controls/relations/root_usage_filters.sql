-- CloudWatch Logs metric filters judged against the CIS root-usage pattern, one row per account,
-- region, log group and filter name. A filter is valid when its pattern is exactly the three CIS
-- clauses, in any order:
--   $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent"
-- The pattern is split on && after removing braces and parentheses (they only group clauses here),
-- and each clause is compared without quotes and without spaces around = and != (a space inside
-- a value changes the value). || (OR) fails; an extra clause narrows what is counted and fails,
-- unless it only excludes Organizations centralized-root sessions and the variable
-- :root_usage_filter_extra_clauses lists it (recognised forms:
-- $.userIdentity.sessionContext.assumedRoot NOT EXISTS, and != "true").
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
    end as dimensions,
    regexp_replace(coalesce(filter_pattern, ''), '[(){}]', '', 'g') as ungrouped
  from aws_cloudwatch_log_metric_filter
  order by account_id, region, log_group_name, name
),

filter_dimensions as (
  select f.account_id, f.region, f.log_group_name, f.name, string_agg(d.value, ', ' order by d.value) as names
  from filters as f, jsonb_array_elements_text(f.dimensions) as d
  group by f.account_id, f.region, f.log_group_name, f.name
),

-- Every && clause of every filter, and every clause the variable accepts (no filter), made
-- comparable the same way: runs of whitespace become one space, spaces around = and != and quotes
-- around values go; whitespace inside a value stays, so "Ro ot" is not Root.
raw_clauses as (
  select f.account_id, f.region, f.log_group_name, f.name, r.raw_clause
  from filters as f, unnest(string_to_array(f.ungrouped, '&&')) as r (raw_clause)
  union all
  select null as account_id, null as region, null as log_group_name, null as name, v.raw_clause
  from unnest(cast(:root_usage_filter_extra_clauses as text[])) as v (raw_clause)
),

clauses as (
  select
    account_id,
    region,
    log_group_name,
    name,
    regexp_replace(
      regexp_replace(trim(regexp_replace(raw_clause, '\s+', ' ', 'g')), ' ?(!=|=) ?', '\1', 'g'),
      '["'']', '', 'g'
    ) as clause
  from raw_clauses
),

-- The clauses the variable lists, and whether each only excludes centralized-root sessions.
listed_clauses as (
  select distinct
    clause,
    clause in ('$.userIdentity.sessionContext.assumedRoot NOT EXISTS', '$.userIdentity.sessionContext.assumedRoot!=true')
      as accepted
  from clauses
  where name is null
),

classified_clauses as (
  select
    c.*,
    case
      when c.clause in ('$.userIdentity.type=Root', '$.userIdentity.invokedBy NOT EXISTS', '$.eventType!=AwsServiceEvent', '')
        then null
      when l.accepted then null
      else c.clause
    end as extra_clause,
    case when l.accepted then c.clause end as accepted_clause,
    coalesce(not l.accepted, false) as refused_listing
  from clauses as c
  left join listed_clauses as l on l.clause = c.clause
  where c.name is not null
),

-- Aggregated per filter on the clauses' own key, then joined to the filters: grouping the join by
-- every column of the filter held each group's pattern, JSON and ordered aggregates at once
-- (DuckDB, 10,000 accounts: about 90 MB for 30,000 filters).
clause_checks as (
  select
    c.account_id,
    c.region,
    c.log_group_name,
    c.name,
    bool_or(c.clause = '$.userIdentity.type=Root') as has_root_type,
    bool_or(c.clause = '$.userIdentity.invokedBy NOT EXISTS') as has_invoked_by,
    bool_or(c.clause = '$.eventType!=AwsServiceEvent') as has_event_type,
    count(c.extra_clause) as extra_count,
    bool_or(c.refused_listing) as refused_listing
  from classified_clauses as c
  group by c.account_id, c.region, c.log_group_name, c.name
),

-- The extra and the accepted clauses of each filter, each listed once in order: made distinct
-- first, so that the ordered lists are built only for filters that have such clauses.
extra_lists as (
  select account_id, region, log_group_name, name, string_agg(extra_clause, ', ' order by extra_clause) as extras
  from (select distinct account_id, region, log_group_name, name, extra_clause from classified_clauses) as c
  where extra_clause is not null
  group by account_id, region, log_group_name, name
),

accepted_lists as (
  select
    account_id, region, log_group_name, name, string_agg(accepted_clause, ', ' order by accepted_clause) as accepted_extras
  from (select distinct account_id, region, log_group_name, name, accepted_clause from classified_clauses) as c
  where accepted_clause is not null
  group by account_id, region, log_group_name, name
),

filter_checks as (
  select
    f.account_id,
    f.region,
    f.log_group_name,
    f.name,
    f.filter_pattern,
    f.metric_name,
    f.metric_namespace,
    f.dimensions,
    strpos(f.ungrouped, '||') > 0 as has_or,
    coalesce(c.has_root_type, false) as has_root_type,
    coalesce(c.has_invoked_by, false) as has_invoked_by,
    coalesce(c.has_event_type, false) as has_event_type,
    coalesce(c.extra_count, 0) as extra_count,
    x.extras,
    l.accepted_extras,
    coalesce(c.refused_listing, false) as refused_listing
  from filters as f
  left join clause_checks as c
    on c.account_id = f.account_id and c.region = f.region and c.log_group_name = f.log_group_name and c.name = f.name
  left join extra_lists as x
    on x.account_id = f.account_id and x.region = f.region and x.log_group_name = f.log_group_name and x.name = f.name
  left join accepted_lists as l
    on l.account_id = f.account_id and l.region = f.region and l.log_group_name = f.log_group_name and l.name = f.name
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
  f.has_or,
  f.extra_count,
  f.accepted_extras,
  (case when f.has_root_type then 1 else 0 end) + (case when f.has_invoked_by then 1 else 0 end)
    + (case when f.has_event_type then 1 else 0 end) as required_present,
  f.has_root_type and f.has_invoked_by and f.has_event_type and not f.has_or and f.extra_count = 0 as valid,
  concat_ws(
    '; ',
    case
      when not (f.has_root_type and f.has_invoked_by and f.has_event_type) then
        'missing clause ' || concat_ws(
          ', ',
          case when not f.has_root_type then '$.userIdentity.type = Root' end,
          case when not f.has_invoked_by then '$.userIdentity.invokedBy NOT EXISTS' end,
          case when not f.has_event_type then '$.eventType != AwsServiceEvent' end
        )
    end,
    case when f.has_or then 'joins clauses with || (OR)' end,
    case when not f.has_or and f.extra_count > 0 then 'extra clause ' || f.extras || ' narrows it' end,
    case
      when f.refused_listing then
        'root_usage_filter_extra_clauses accepts only a clause that excludes centralized-root sessions'
        || ' ($.userIdentity.sessionContext.assumedRoot NOT EXISTS, or != "true")'
    end
  ) as problem
from filter_checks as f
left join filter_dimensions as d
  on d.account_id = f.account_id and d.region = f.region and d.log_group_name = f.log_group_name and d.name = f.name
