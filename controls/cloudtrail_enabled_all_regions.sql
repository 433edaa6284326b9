-- CloudTrail is enabled in all regions (CIS v1.2 2.1, v1.3-v5 3.1, v6-v7 4.1).
-- One row per account: ok when a trail is multi-region, logging, and records read and write
-- management events, by classic event selectors (IncludeManagementEvents true, ReadWriteType All,
-- or ReadOnly and WriteOnly in two selectors, no ExcludeManagementEventSources) or by advanced event
-- selectors on eventCategory = Management (one without readOnly, or readOnly true and false in two;
-- an eventSource or any other field selector restricts it).
-- Excluded event sources fail, as in AWS Config's multi-region-cloudtrail-enabled rule.
-- An organization trail seen from a member account has no status or selectors there; it is graded
-- from the owning account's row when the snapshot holds it, and is `info` otherwise.
-- Shared relations: accounts, trail_coverage (and cloudtrail_trails, trail_management_events,
-- which it reads; controls/relations/).
with best as (
  -- The trail that comes closest, per account.
  select distinct on (account_id)
    t.*,
    upper(substr(t.label, 1, 1)) || substr(t.label, 2) as capitalised_label,
    count(*) over (partition by account_id) as trail_count
  from trail_coverage as t
  order by
    account_id,
    compliant desc,  -- a compliant trail settles it (ok);
    resolved,  -- else an organization trail graded only in its owner's account (info);
    undecided desc,  -- else one that lacks only facts nobody captured (error).
    case when is_multi_region_trail then 0 else 1 end,
    case when is_logging then 0 else 1 end,
    case when records_all then 0 else 1 end,
    case when owner_account_id = account_id then 0 else 1 end,
    arn
)

select
  a.root_arn as resource,
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
      b.capitalised_label || ' is multi-region, logging and records all read and write management events ('
      || b.recorded_by || ')'
      || case when b.owner_account_id <> b.account_id then '; graded from account ' || b.owner_account_id || '''s row' else '' end
      || '.'
    when not b.resolved then
      'Covered by organization trail ' || b.name || ' (home region ' || b.home_region || ') owned by account '
      || b.owner_account_id || ', whose logging status and event selectors are visible only there; '
      || 'add account ' || b.owner_account_id || ' (its CloudTrail trails) to the snapshot to grade it.'
    when b.undecided then
      b.capitalised_label || ' ' || b.shortfalls || '; cannot tell whether account ' || a.account_id
      || ' records all management events in all regions.'
    else
      b.capitalised_label || ' ' || b.shortfalls || '; no trail of account ' || a.account_id
      || ' is multi-region, logging and recording all read and write management events ('
      || b.trail_count || case when b.trail_count = 1 then ' trail' else ' trails' end || ' checked).'
  end as reason,
  a.account_id,
  b.home_region as region
from accounts as a
left join best as b on b.account_id = a.account_id
order by a.account_id
