-- CloudTrail is enabled in all regions (CIS v1.2 2.1, v1.3-v5 3.1, v6-v7 4.1).
-- One row per account: ok when a trail is multi-region, logging, and records read and write
-- management events, by classic event selectors (IncludeManagementEvents true, ReadWriteType All,
-- or ReadOnly and WriteOnly in two selectors, no ExcludeManagementEventSources) or by advanced event
-- selectors on eventCategory = Management (one without readOnly, or readOnly true and false in two;
-- an eventSource or any other field selector restricts it).
-- Excluded event sources fail, as in AWS Config's multi-region-cloudtrail-enabled rule.
-- An organization trail seen from a member account has no status or selectors there; it is graded
-- from the owning account's row when the snapshot holds it, and is `info` otherwise.
with accounts as (
  select distinct on (account_id) account_id, partition
  from aws_account
  order by account_id, partition
),
-- A multi-region trail is listed once per region (shadow copies): one row per account and ARN,
-- preferring the copy read in the home region, then one with a logging status.
trails as (
  select distinct on (account_id, arn)
    account_id,
    arn,
    -- The trail ARN carries the home region and the name when a capture lacks them.
    coalesce(name, split_part(arn, '/', 2)) as name,
    coalesce(home_region, split_part(arn, ':', 4)) as home_region,
    split_part(arn, ':', 5) as owner_account_id,
    coalesce(is_organization_trail, false) as is_organization_trail,
    coalesce(is_multi_region_trail, false) as is_multi_region_trail,
    is_logging,
    case when jsonb_typeof(event_selectors) = 'array' then event_selectors else '[]'::jsonb end
      as event_selectors,
    case when jsonb_typeof(advanced_event_selectors) = 'array' then advanced_event_selectors else '[]'::jsonb end
      as advanced_event_selectors
  from aws_cloudtrail_trail
  where arn is not null
  order by
    account_id,
    arn,
    case when region = coalesce(home_region, split_part(arn, ':', 4)) then 0 else 1 end,
    case when is_logging is null then 1 else 0 end,
    region
),
classic_selectors as (
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
  from trails as t, jsonb_array_elements(t.event_selectors) as s
),
-- CloudTrail records an event when any selector matches, so read and write events may come from
-- one selector (ReadWriteType All) or from two (ReadOnly and WriteOnly).
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
    trails as t,
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
),
-- What each trail records, from the row of the account that owns it.
evaluated as (
  select
    t.account_id,
    t.arn,
    coalesce(c.all_management, false) or coalesce(a.all_management, false) as records_all,
    case
      when c.one_selector then 'event selector with ReadWriteType All'
      when c.all_management then 'event selectors with ReadWriteType ReadOnly and WriteOnly'
      else 'advanced event selectors'
    end
      as recorded_by,
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
  from trails as t
  left join classic as c on c.account_id = t.account_id and c.arn = t.arn
  left join classic_read_write_types as rw on rw.account_id = t.account_id and rw.arn = t.arn
  left join classic_exclusions as ex on ex.account_id = t.account_id and ex.arn = t.arn
  left join advanced as a on a.account_id = t.account_id and a.arn = t.arn
  left join advanced_restrictions as ar on ar.account_id = t.account_id and ar.arn = t.arn
),
-- Every trail an account sees, joined to the owner's row (the same row for the account's own trails).
seen as (
  select
    t.account_id,
    t.arn,
    t.name,
    t.home_region,
    t.owner_account_id,
    t.is_organization_trail,
    o.arn is not null as resolved,
    o.is_multi_region_trail,
    o.is_logging,
    e.records_all,
    e.recorded_by,
    e.selectors_unknown,
    e.management_problem,
    case
      when t.owner_account_id <> t.account_id then
        'Organization trail ' || t.name || ' of account ' || t.owner_account_id
        || ' (home region ' || t.home_region || ')'
      when t.is_organization_trail then 'Organization trail ' || t.name || ' (home region ' || t.home_region || ')'
      else 'Trail ' || t.name || ' (home region ' || t.home_region || ')'
    end as label
  from trails as t
  left join trails as o on o.account_id = t.owner_account_id and o.arn = t.arn
  left join evaluated as e on e.account_id = o.account_id and e.arn = o.arn
),
graded as (
  select
    s.*,
    s.resolved and s.is_multi_region_trail and coalesce(s.is_logging, false) and s.records_all as compliant,
    concat_ws(
      '; ',
      case when not s.is_multi_region_trail then 'is single-region' end,
      case
        when s.is_logging = false then 'is not logging'
        when s.is_logging is null then
          'has no captured logging status (aws cloudtrail get-trail-status --name ' || s.name || ')'
      end,
      s.management_problem,
      case
        when s.selectors_unknown then
          'has no captured event selectors (aws cloudtrail get-event-selectors --trail-name ' || s.name || ')'
      end
    ) as shortfalls,
    -- Nothing is known to be wrong, but a fact needed for the verdict was not captured.
    s.resolved and s.is_multi_region_trail and s.is_logging is not false and s.management_problem is null
      and (s.is_logging is null or s.selectors_unknown) as undecided
  from seen as s
),
best as (
  select distinct on (account_id)
    g.*,
    count(*) over (partition by account_id) as trail_count
  from graded as g
  order by
    account_id,
    case when compliant then 1 when not resolved then 2 when undecided then 3 else 4 end,
    case when is_multi_region_trail then 0 else 1 end,
    case when is_logging then 0 else 1 end,
    case when records_all then 0 else 1 end,
    case when owner_account_id = account_id then 0 else 1 end,
    arn
)
select
  'arn:' || a.partition || ':iam::' || a.account_id || ':root' as resource,
  case
    when b.account_id is null then 'alarm'
    when b.compliant then 'ok'
    when not b.resolved then 'info'
    when b.undecided then 'error'
    else 'alarm'
  end as status,
  case
    when b.account_id is null then
      'No CloudTrail trail in account ' || a.account_id || ' (no aws_cloudtrail_trail rows); '
      || 'nothing records root activity in any region.'
    when b.compliant then
      b.label || ' is multi-region, logging and records all read and write management events ('
      || b.recorded_by || ')'
      || case when b.owner_account_id <> b.account_id then '; graded from account ' || b.owner_account_id || '''s row' else '' end
      || '.'
    when not b.resolved then
      'Covered by organization trail ' || b.name || ' (home region ' || b.home_region || ') owned by account '
      || b.owner_account_id || ', whose logging status and event selectors are visible only there; '
      || 'add account ' || b.owner_account_id || ' (its CloudTrail trails) to the snapshot to grade it.'
    when b.undecided then
      b.label || ' ' || b.shortfalls || '; cannot tell whether account ' || a.account_id
      || ' records all management events in all regions.'
    else
      b.label || ' ' || b.shortfalls || '; no trail of account ' || a.account_id
      || ' is multi-region, logging and recording all read and write management events ('
      || b.trail_count || case when b.trail_count = 1 then ' trail' else ' trails' end || ' checked).'
  end as reason,
  a.account_id,
  b.home_region as region
from accounts as a
left join best as b on b.account_id = a.account_id
order by a.account_id
