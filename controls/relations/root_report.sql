-- The root user's row of each account's IAM credential report (user <root_account>), one row per
-- account that has one; the newest when an aggregator lists a report twice.
-- A slot (access key 1 and 2, signing certificate 1 and 2) holds a credential when it is active or
-- has a rotation date: the report says N/A, NULL here, for an empty slot.
select distinct on (account_id)
  account_id,
  generated_time,
  password_enabled,
  password_status,
  password_last_used,
  mfa_active,
  access_key_1_active,
  access_key_1_last_rotated,
  access_key_1_last_used_date,
  access_key_1_last_used_region,
  access_key_1_last_used_service,
  access_key_2_active,
  access_key_2_last_rotated,
  access_key_2_last_used_date,
  access_key_2_last_used_region,
  access_key_2_last_used_service,
  cert_1_active,
  cert_1_last_rotated,
  cert_2_active,
  cert_2_last_rotated,
  coalesce(access_key_1_active or access_key_1_last_rotated is not null, false) as has_key_1,
  coalesce(access_key_2_active or access_key_2_last_rotated is not null, false) as has_key_2,
  coalesce(cert_1_active or cert_1_last_rotated is not null, false) as has_cert_1,
  coalesce(cert_2_active or cert_2_last_rotated is not null, false) as has_cert_2
from aws_iam_credential_report
where user_name = '<root_account>'
order by account_id, generated_time desc
