-- CloudTrail trails, one row per account and trail ARN. A multi-region trail is listed once per
-- region (shadow copies): the copy read in the home region is kept, then one with a logging status.
-- The trail ARN carries the home region, owner and name when a capture lacks them.
select distinct on (account_id, arn)
  account_id,
  arn,
  coalesce(name, split_part(arn, '/', 2)) as name,
  coalesce(home_region, split_part(arn, ':', 4)) as home_region,
  split_part(arn, ':', 5) as owner_account_id,
  coalesce(is_organization_trail, false) as is_organization_trail,
  coalesce(is_multi_region_trail, false) as is_multi_region_trail,
  is_logging,
  nullif(log_group_arn, '') as log_group_arn,
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
