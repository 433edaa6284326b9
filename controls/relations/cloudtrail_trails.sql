-- CloudTrail trails, one row per account and trail ARN. A multi-region trail is listed once per
-- region (shadow copies): the copy read in the home region is kept, then one with a logging status.
-- The trail ARN carries the home region, owner and name when a capture lacks them.
-- The copy is picked from the narrow columns (picked), then read whole: picked among the whole
-- rows, every copy's selectors were held in a ranking (180,000 rows for 20,000 trails at 10,000
-- accounts, 68 MB on DuckDB). The pick is a grouping, which holds one row per trail, not a ranking
-- of every copy: the order of preference is written into one text, whose least value names the
-- copy (home region first '0', then a logging status '0', then the region's name).
with picked as (
  select
    account_id || ' ' || substr(
      min(
        case when region = coalesce(home_region, split_part(arn, ':', 4)) then '0' else '1' end
        || case when is_logging is null then '1' else '0' end
        || region
      ),
      3
    ) || ' ' || arn as copy_key
  from aws_cloudtrail_trail
  where arn is not null
  group by account_id, arn
)

-- The picked copies, found by one key (account, region and ARN hold no space): joined on the three
-- columns instead, Postgres took the copies for one row in all and looped over the trails for each
-- trail (20,000 x 20,000 in trail_coverage at 10,000 accounts). A region that lists the trail twice
-- (an account read through two connections): the copy with a logging status, as above.
select distinct on (t.account_id, t.arn)
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
where t.account_id || ' ' || t.region || ' ' || t.arn in (select p.copy_key from picked as p)
order by t.account_id, t.arn, case when t.is_logging is null then 1 else 0 end
