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
with classic_selectors as (
  select
    t.account_id,
    t.arn,
    coalesce(s.value ->> 'IncludeManagementEvents', '') = 'true' as includes_management,
    coalesce(s.value ->> 'ReadWriteType', '(unset)') as read_write_type,
    case
      when jsonb_typeof(s.value -> 'ExcludeManagementEventSources') = 'array'
        then s.value -> 'ExcludeManagementEventSources'
      else '[]'::jsonb
    end as excluded_sources
  from cloudtrail_trails as t, jsonb_array_elements(t.event_selectors) as s
),

classic as (
  select
    account_id,
    arn,
    bool_or(includes_management and read_write_type in ('All', 'ReadOnly') and jsonb_array_length(excluded_sources) = 0)
      and bool_or(includes_management and read_write_type in ('All', 'WriteOnly') and jsonb_array_length(excluded_sources) = 0)
      as all_management,
    bool_or(includes_management and read_write_type = 'All' and jsonb_array_length(excluded_sources) = 0)
      as one_selector,
    bool_or(includes_management and read_write_type in ('All', 'ReadOnly'))
      and bool_or(includes_management and read_write_type in ('All', 'WriteOnly')) as read_write_all,
    bool_or(includes_management) as any_management
  from classic_selectors
  group by account_id, arn
),

classic_read_write_types as (
  select account_id, arn, string_agg(distinct read_write_type, ', ' order by read_write_type) as types
  from classic_selectors
  where includes_management
  group by account_id, arn
),

classic_exclusions as (
  select c.account_id, c.arn, string_agg(distinct x.value, ', ' order by x.value) as sources
  from classic_selectors as c, jsonb_array_elements_text(c.excluded_sources) as x
  where c.includes_management
  group by c.account_id, c.arn
),

advanced_fields as (
  select
    t.account_id,
    t.arn,
    s.value as selector,
    coalesce(f.value ->> 'Field', '(unnamed)') as field,
    coalesce(f.value -> 'Equals', '[]'::jsonb) as equals
  from
    cloudtrail_trails as t,
    jsonb_array_elements(t.advanced_event_selectors) as s,
    jsonb_array_elements(
      case when jsonb_typeof(s.value -> 'FieldSelectors') = 'array' then s.value -> 'FieldSelectors' else '[]'::jsonb end
    ) as f
),

-- A management selector restricted only by readOnly records read events (Equals "true"), write
-- events (Equals "false") or both (no readOnly field); any other field narrows it further.
advanced_selectors as (
  select
    account_id,
    arn,
    selector,
    bool_or(field = 'eventCategory' and equals @> '["Management"]'::jsonb) as management,
    bool_and(field in ('eventCategory', 'readOnly')) as only_read_only,
    bool_and(field <> 'readOnly' or equals @> '["true"]'::jsonb) as reads,
    bool_and(field <> 'readOnly' or equals @> '["false"]'::jsonb) as writes
  from advanced_fields
  group by account_id, arn, selector
),

advanced as (
  select
    account_id,
    arn,
    bool_or(management and only_read_only and reads) and bool_or(management and only_read_only and writes)
      as all_management,
    bool_or(management) as any_management
  from advanced_selectors
  group by account_id, arn
),

advanced_restrictions as (
  select f.account_id, f.arn, string_agg(distinct f.field, ', ' order by f.field) as fields
  from advanced_fields as f
  join advanced_selectors as s
    on s.account_id = f.account_id and s.arn = f.arn and s.selector = f.selector
  where s.management and f.field <> 'eventCategory'
  group by f.account_id, f.arn
)

select
  t.account_id,
  t.arn,
  coalesce(c.all_management, false) or coalesce(a.all_management, false) as records_all,
  case
    when c.one_selector then 'event selector with ReadWriteType All'
    when c.all_management then 'event selectors with ReadWriteType ReadOnly and WriteOnly'
    else 'advanced event selectors'
  end as recorded_by,
  c.arn is null and a.arn is null as selectors_unknown,
  case
    when coalesce(c.all_management, false) or coalesce(a.all_management, false) then null
    when c.read_write_all then 'excludes management events from ' || ex.sources
    when c.any_management then
      'records only ' || rw.types || ' management events (read and write events are both required)'
    when c.arn is not null then 'has event selectors that include no management events'
    when a.any_management then 'has advanced event selectors that restrict management events by ' || ar.fields
    when a.arn is not null then 'has advanced event selectors that capture no management events'
  end as management_problem
from cloudtrail_trails as t
left join classic as c on c.account_id = t.account_id and c.arn = t.arn
left join classic_read_write_types as rw on rw.account_id = t.account_id and rw.arn = t.arn
left join classic_exclusions as ex on ex.account_id = t.account_id and ex.arn = t.arn
left join advanced as a on a.account_id = t.account_id and a.arn = t.arn
left join advanced_restrictions as ar on ar.account_id = t.account_id and ar.arn = t.arn
