-- CloudTrail trails, one row per account and trail ARN. A multi-region trail is listed once per
-- region (shadow copies): the copy read in the home region is kept, then one with a logging status.
-- The trail ARN carries the home region, owner and name when a capture lacks them.
-- The copy is picked on the few columns that rank it, then its row is read: ranking whole rows
-- held every shadow copy's selectors at once (DuckDB, 10,000 accounts: 180,000 rows, 60 MB).
with picked_copies as (
  select distinct on (account_id, arn)
    account_id,
    arn,
    region,
    is_logging is null as logging_unknown
  from aws_cloudtrail_trail
  where arn is not null
  order by
    account_id,
    arn,
    case when region = coalesce(home_region, split_part(arn, ':', 4)) then 0 else 1 end,
    case when is_logging is null then 1 else 0 end,
    region
),

trail_copies as (
  select
    t.account_id,
    t.arn,
    coalesce(t.name, split_part(t.arn, '/', 2)) as name,
    coalesce(t.home_region, split_part(t.arn, ':', 4)) as home_region,
    split_part(t.arn, ':', 5) as owner_account_id,
    coalesce(t.is_organization_trail, false) as is_organization_trail,
    coalesce(t.is_multi_region_trail, false) as is_multi_region_trail,
    t.is_logging,
    nullif(t.log_group_arn, '') as log_group_arn,
    case when jsonb_typeof(t.event_selectors) = 'array' then t.event_selectors else '[]'::jsonb end
      as event_selectors,
    case when jsonb_typeof(t.advanced_event_selectors) = 'array' then t.advanced_event_selectors else '[]'::jsonb end
      as advanced_event_selectors
  from aws_cloudtrail_trail as t
  inner join picked_copies as p
    on
      t.account_id = p.account_id and t.arn = p.arn and coalesce(t.region, '') = coalesce(p.region, '')
      and (t.is_logging is null) = p.logging_unknown
)

-- One row even when the data lists the picked copy twice (an aggregator connection can).
select distinct on (account_id, arn) *
from trail_copies
order by account_id, arn
