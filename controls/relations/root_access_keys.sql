-- The root user's two access-key slots, one row per account and slot (key_number 1 and 2), so
-- that a key is described once, whichever slot it is in. present: the slot holds a key.
select
  account_id,
  1 as key_number,
  has_key_1 as present,
  access_key_1_active as active,
  access_key_1_last_rotated as last_rotated,
  access_key_1_last_used_date as last_used,
  access_key_1_last_used_region as last_used_region,
  access_key_1_last_used_service as last_used_service
from root_report
union all
select
  account_id,
  2 as key_number,
  has_key_2 as present,
  access_key_2_active as active,
  access_key_2_last_rotated as last_rotated,
  access_key_2_last_used_date as last_used,
  access_key_2_last_used_region as last_used_region,
  access_key_2_last_used_service as last_used_service
from root_report
