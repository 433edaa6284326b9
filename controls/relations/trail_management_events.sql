-- Whether each trail records all read and write management events, one row per account and trail
-- ARN of cloudtrail_trails, judged from that row's event selectors:
--   * classic event selectors: IncludeManagementEvents true with ReadWriteType All, or ReadOnly and
--     WriteOnly in two selectors (CloudTrail records an event when any selector matches), and no
--     ExcludeManagementEventSources (excluded sources fail, as in AWS Config's
--     multi-region-cloudtrail-enabled rule);
--   * advanced event selectors on eventCategory = Management: one without readOnly, or readOnly
--     true and false in two; an eventSource or any other field selector restricts it.
-- records_all: all management events are recorded; recorded_by: by which selectors;
-- selectors_unknown: no selectors were captured; management_problem: what falls short, in words.
-- is_multi_region_trail, is_logging, log_group_arn: the trail's own facts, carried with the verdict
-- so that trail_coverage reads the owner's row once (joining cloudtrail_trails to this relation
-- again paired two relations made from the same row).
-- Each distinct selectors array is judged once and joined back to the trails on it: trails repeat
-- a handful of arrays (one among 20,000 trails at 10,000 accounts), and unnesting every trail's
-- selectors, grouped on its two-column key, held about 27 MB on DuckDB (10 MB judged once per array).
with classic_arrays as (
  select distinct event_selectors from cloudtrail_trails
),

classic_selectors as (
  select
    c.event_selectors,
    coalesce(s.value ->> 'IncludeManagementEvents', '') = 'true' as includes_management,
    coalesce(s.value ->> 'ReadWriteType', '(unset)') as read_write_type,
    case
      when jsonb_typeof(s.value -> 'ExcludeManagementEventSources') = 'array'
        then s.value -> 'ExcludeManagementEventSources'
      else '[]'::jsonb
    end as excluded_sources
  from classic_arrays as c, jsonb_array_elements(c.event_selectors) as s
),

classic as (
  select
    event_selectors,
    bool_or(includes_management and read_write_type in ('All', 'ReadOnly') and jsonb_array_length(excluded_sources) = 0)
      and bool_or(includes_management and read_write_type in ('All', 'WriteOnly') and jsonb_array_length(excluded_sources) = 0)
      as all_management,
    bool_or(includes_management and read_write_type = 'All' and jsonb_array_length(excluded_sources) = 0)
      as one_selector,
    bool_or(includes_management and read_write_type in ('All', 'ReadOnly'))
      and bool_or(includes_management and read_write_type in ('All', 'WriteOnly')) as read_write_all,
    bool_or(includes_management) as any_management
  from classic_selectors
  group by event_selectors
),

classic_read_write_types as (
  select event_selectors, string_agg(distinct read_write_type, ', ' order by read_write_type) as types
  from classic_selectors
  where includes_management
  group by event_selectors
),

classic_exclusions as (
  select c.event_selectors, string_agg(distinct x.value, ', ' order by x.value) as sources
  from classic_selectors as c, jsonb_array_elements_text(c.excluded_sources) as x
  where c.includes_management
  group by c.event_selectors
),

advanced_arrays as (
  select distinct advanced_event_selectors from cloudtrail_trails
),

advanced_fields as (
  select
    a.advanced_event_selectors,
    s.value as selector,
    coalesce(f.value ->> 'Field', '(unnamed)') as field,
    coalesce(f.value -> 'Equals', '[]'::jsonb) as equals
  from
    advanced_arrays as a,
    jsonb_array_elements(a.advanced_event_selectors) as s,
    jsonb_array_elements(
      case when jsonb_typeof(s.value -> 'FieldSelectors') = 'array' then s.value -> 'FieldSelectors' else '[]'::jsonb end
    ) as f
),

-- A management selector restricted only by readOnly records read events (Equals "true"), write
-- events (Equals "false") or both (no readOnly field); any other field narrows it further.
advanced_selectors as (
  select
    advanced_event_selectors,
    selector,
    bool_or(field = 'eventCategory' and equals @> '["Management"]'::jsonb) as management,
    bool_and(field in ('eventCategory', 'readOnly')) as only_read_only,
    bool_and(field <> 'readOnly' or equals @> '["true"]'::jsonb) as reads,
    bool_and(field <> 'readOnly' or equals @> '["false"]'::jsonb) as writes
  from advanced_fields
  group by advanced_event_selectors, selector
),

advanced as (
  select
    advanced_event_selectors,
    bool_or(management and only_read_only and reads) and bool_or(management and only_read_only and writes)
      as all_management,
    bool_or(management) as any_management
  from advanced_selectors
  group by advanced_event_selectors
),

advanced_restrictions as (
  select f.advanced_event_selectors, string_agg(distinct f.field, ', ' order by f.field) as fields
  from advanced_fields as f
  join advanced_selectors as s
    on s.advanced_event_selectors = f.advanced_event_selectors and s.selector = f.selector
  where s.management and f.field <> 'eventCategory'
  group by f.advanced_event_selectors
)

select
  t.account_id,
  t.arn,
  t.is_multi_region_trail,
  t.is_logging,
  t.log_group_arn,
  coalesce(c.all_management, false) or coalesce(a.all_management, false) as records_all,
  case
    when c.one_selector then 'event selector with ReadWriteType All'
    when c.all_management then 'event selectors with ReadWriteType ReadOnly and WriteOnly'
    else 'advanced event selectors'
  end as recorded_by,
  c.event_selectors is null and a.advanced_event_selectors is null as selectors_unknown,
  case
    when coalesce(c.all_management, false) or coalesce(a.all_management, false) then null
    when c.read_write_all then 'excludes management events from ' || ex.sources
    when c.any_management then
      'records only ' || rw.types || ' management events (read and write events are both required)'
    when c.event_selectors is not null then 'has event selectors that include no management events'
    when a.any_management then 'has advanced event selectors that restrict management events by ' || ar.fields
    when a.advanced_event_selectors is not null then 'has advanced event selectors that capture no management events'
  end as management_problem
from cloudtrail_trails as t
left join classic as c on c.event_selectors = t.event_selectors
left join classic_read_write_types as rw on rw.event_selectors = t.event_selectors
left join classic_exclusions as ex on ex.event_selectors = t.event_selectors
left join advanced as a on a.advanced_event_selectors = t.advanced_event_selectors
left join advanced_restrictions as ar on ar.advanced_event_selectors = t.advanced_event_selectors
