-- Metric-filter patterns judged against the CIS root-usage pattern, one row per distinct pattern of
-- aws_cloudwatch_log_metric_filter (pattern: the filter's pattern, '' when it has none). A pattern
-- is valid when it is exactly the three CIS clauses, in any order:
--   $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent"
-- The pattern is split on && after removing braces and parentheses (they only group clauses here),
-- and each clause is compared without quotes and without spaces around = and != (a space inside
-- a value changes the value). || (OR) fails; an extra clause narrows what is counted and fails,
-- unless it only excludes Organizations centralized-root sessions and the variable
-- :root_usage_filter_extra_clauses lists it (recognised forms:
-- $.userIdentity.sessionContext.assumedRoot NOT EXISTS, and != "true").
-- problem: what keeps a pattern from being valid, in words ('' when nothing).
-- Judged once per pattern, not once per filter: filters repeat a handful of patterns, and the
-- clauses of every filter, grouped and joined back on the filter's four-column key, held about
-- 75 MB for 30,000 filters (DuckDB, 10,000 accounts).
with patterns as (
  select distinct
    coalesce(filter_pattern, '') as pattern,
    regexp_replace(coalesce(filter_pattern, ''), '[(){}]', '', 'g') as ungrouped
  from aws_cloudwatch_log_metric_filter
),

-- Every && clause of every pattern, and every clause the variable accepts (no pattern), made
-- comparable the same way: runs of whitespace become one space, spaces around = and != and quotes
-- around values go; whitespace inside a value stays, so "Ro ot" is not Root.
raw_clauses as (
  select p.pattern, r.raw_clause
  from patterns as p, unnest(string_to_array(p.ungrouped, '&&')) as r (raw_clause)
  union all
  select null as pattern, v.raw_clause
  from unnest(cast(:root_usage_filter_extra_clauses as text[])) as v (raw_clause)
),

clauses as (
  select
    pattern,
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
  where pattern is null
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
  where c.pattern is not null
),

clause_checks as (
  select
    c.pattern,
    bool_or(c.clause = '$.userIdentity.type=Root') as has_root_type,
    bool_or(c.clause = '$.userIdentity.invokedBy NOT EXISTS') as has_invoked_by,
    bool_or(c.clause = '$.eventType!=AwsServiceEvent') as has_event_type,
    count(c.extra_clause) as extra_count,
    bool_or(c.refused_listing) as refused_listing
  from classified_clauses as c
  group by c.pattern
),

-- The extra and the accepted clauses of each pattern, each listed once in order.
extra_lists as (
  select pattern, string_agg(extra_clause, ', ' order by extra_clause) as extras
  from (select distinct pattern, extra_clause from classified_clauses) as c
  where extra_clause is not null
  group by pattern
),

accepted_lists as (
  select pattern, string_agg(accepted_clause, ', ' order by accepted_clause) as accepted_extras
  from (select distinct pattern, accepted_clause from classified_clauses) as c
  where accepted_clause is not null
  group by pattern
),

pattern_checks as (
  select
    p.pattern,
    strpos(p.ungrouped, '||') > 0 as has_or,
    coalesce(c.has_root_type, false) as has_root_type,
    coalesce(c.has_invoked_by, false) as has_invoked_by,
    coalesce(c.has_event_type, false) as has_event_type,
    coalesce(c.extra_count, 0) as extra_count,
    x.extras,
    l.accepted_extras,
    coalesce(c.refused_listing, false) as refused_listing
  from patterns as p
  left join clause_checks as c on c.pattern = p.pattern
  left join extra_lists as x on x.pattern = p.pattern
  left join accepted_lists as l on l.pattern = p.pattern
)

select
  c.pattern,
  c.has_or,
  c.extra_count,
  c.accepted_extras,
  (case when c.has_root_type then 1 else 0 end) + (case when c.has_invoked_by then 1 else 0 end)
    + (case when c.has_event_type then 1 else 0 end) as required_present,
  c.has_root_type and c.has_invoked_by and c.has_event_type and not c.has_or and c.extra_count = 0 as valid,
  concat_ws(
    '; ',
    case
      when not (c.has_root_type and c.has_invoked_by and c.has_event_type) then
        'missing clause ' || concat_ws(
          ', ',
          case when not c.has_root_type then '$.userIdentity.type = Root' end,
          case when not c.has_invoked_by then '$.userIdentity.invokedBy NOT EXISTS' end,
          case when not c.has_event_type then '$.eventType != AwsServiceEvent' end
        )
    end,
    case when c.has_or then 'joins clauses with || (OR)' end,
    case when not c.has_or and c.extra_count > 0 then 'extra clause ' || c.extras || ' narrows it' end,
    case
      when c.refused_listing then
        'root_usage_filter_extra_clauses accepts only a clause that excludes centralized-root sessions'
        || ' ($.userIdentity.sessionContext.assumedRoot NOT EXISTS, or != "true")'
    end
  ) as problem
from pattern_checks as c
