-- Every CloudTrail trail each account sees, judged with the facts of the row of the account that
-- owns it (the account's own row for its own trails). An organization trail seen from a member
-- account has no logging status, selectors or log group there; resolved is false when the owner's
-- row is not in the data.
--   compliant:  multi-region, logging, and recording all read and write management events
--   undecided:  nothing is known to be wrong, but a fact needed for the verdict was not captured
--   shortfalls: what keeps the trail from being compliant, in words ('' when nothing)
--   label:      how a reason names the trail ("trail x (home region y)", "organization trail ...")
-- The owner's row is read from trail_management_events, which carries the trail's own facts with
-- its verdict: joined to cloudtrail_trails and then to trail_management_events, the owner's row was
-- hashed twice (20,000 trails at 10,000 accounts: 17 MB on DuckDB, 9 with one join). Only rows of
-- an account that owns its trail can match (the owner is in the trail's ARN), so only those are
-- hashed (about 4 MB less).
with owners as (
  select *
  from trail_management_events
  where account_id = split_part(arn, ':', 5)
),

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
    o.log_group_arn,
    o.records_all,
    o.recorded_by,
    o.selectors_unknown,
    o.management_problem
  from cloudtrail_trails as t
  left join owners as o on o.account_id = t.owner_account_id and o.arn = t.arn
)

select
  s.*,
  s.resolved and s.is_multi_region_trail and coalesce(s.is_logging, false) and s.records_all as compliant,
  s.resolved and s.is_multi_region_trail and s.is_logging is not false and s.management_problem is null
    and (s.is_logging is null or s.selectors_unknown) as undecided,
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
  case
    when s.owner_account_id <> s.account_id then
      'organization trail ' || s.name || ' of account ' || s.owner_account_id
      || ' (home region ' || s.home_region || ')'
    when s.is_organization_trail then 'organization trail ' || s.name || ' (home region ' || s.home_region || ')'
    else 'trail ' || s.name || ' (home region ' || s.home_region || ')'
  end as label
from seen as s
