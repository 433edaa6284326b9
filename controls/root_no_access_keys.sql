-- Root user has no access keys (CIS v1.2 1.12, v1.3-v4 1.4, v5 1.3, v6 2.3, v7 2.4).
-- One row per account. The verdict comes from the IAM account summary, which counts root access
-- keys whether active or not (CIS: an inactive root key still fails). The credential report
-- enriches the reason: which key, active or not, when last used. Without a summary (an auditor's
-- snapshot built from a credential report alone) the report decides, and the reason says so: it
-- can lag the summary by up to four hours, but it is the evidence the auditor holds.
with accounts as (
  select distinct on (account_id) account_id, partition
  from aws_account
  order by account_id, partition
),
summary as (
  select distinct on (account_id) account_id, account_access_keys_present
  from aws_iam_account_summary
  order by account_id, account_access_keys_present desc
),
root_report as (
  select distinct on (account_id)
    account_id,
    access_key_1_active, access_key_1_last_rotated, access_key_1_last_used_date,
    access_key_2_active, access_key_2_last_rotated, access_key_2_last_used_date,
    -- Whole days since each key's last use (NULL when never used).
    cast(floor(extract(epoch from (now() - access_key_1_last_used_date)) / 86400) as bigint) as key_1_days,
    cast(floor(extract(epoch from (now() - access_key_2_last_used_date)) / 86400) as bigint) as key_2_days
  from aws_iam_credential_report
  where user_name = '<root_account>'
  order by account_id, generated_time desc
),
key_text as (
  -- A key exists when it is active or has a rotation date (the report says N/A for no key).
  select
    account_id,
    case when access_key_1_active or access_key_1_last_rotated is not null then
      'key 1 (' || case when access_key_1_active then 'active' else 'inactive' end || ', '
      || coalesce(
        'last used ' || to_char(access_key_1_last_used_date, 'YYYY-MM-DD') || ', '
        || key_1_days || case key_1_days when 1 then ' day ago' else ' days ago' end,
        'never used')
      || ')'
    end as key_1,
    case when access_key_2_active or access_key_2_last_rotated is not null then
      'key 2 (' || case when access_key_2_active then 'active' else 'inactive' end || ', '
      || coalesce(
        'last used ' || to_char(access_key_2_last_used_date, 'YYYY-MM-DD') || ', '
        || key_2_days || case key_2_days when 1 then ' day ago' else ' days ago' end,
        'never used')
      || ')'
    end as key_2
  from root_report
)
select
  'arn:' || a.partition || ':iam::' || a.account_id || ':root' as resource,
  case
    when s.account_id is null and k.account_id is null then 'error'
    when s.account_id is null and coalesce(k.key_1, k.key_2) is not null then 'alarm'
    when s.account_id is null then 'ok'
    when s.account_access_keys_present > 0 then 'alarm'
    else 'ok'
  end as status,
  case
    when s.account_id is null and k.account_id is null then
      'No IAM account summary and no credential report for account ' || a.account_id
      || '; cannot tell whether root access keys exist (capture aws iam get-account-summary).'
    when s.account_id is null and coalesce(k.key_1, k.key_2) is not null then
      'Root user has '
      || case when k.key_1 is null or k.key_2 is null then '1 access key: ' else '2 access keys: ' end
      || concat_ws('; ', k.key_1, k.key_2)
      || ' (credential report; no IAM account summary captured).'
    when s.account_id is null then
      'Root user has no access keys (credential report; no IAM account summary captured).'
    when s.account_access_keys_present > 0 and k.account_id is null then
      'Root user has ' || s.account_access_keys_present || case when s.account_access_keys_present = 1 then ' access key' else ' access keys' end
      || ' (account summary); '
      || 'no credential report to say which (run aws iam generate-credential-report).'
    when s.account_access_keys_present > 0 and coalesce(k.key_1, k.key_2) is null then
      'Root user has ' || s.account_access_keys_present || case when s.account_access_keys_present = 1 then ' access key' else ' access keys' end
      || ' (account summary), '
      || 'not yet in the credential report of ' || a.account_id || '.'
    when s.account_access_keys_present > 0 then
      'Root user has ' || s.account_access_keys_present || case when s.account_access_keys_present = 1 then ' access key' else ' access keys' end
      || ': '
      || concat_ws('; ', k.key_1, k.key_2) || '.'
    else 'Root user has no access keys.'
  end as reason,
  a.account_id
from accounts as a
left join summary as s on s.account_id = a.account_id
left join key_text as k on k.account_id = a.account_id
order by a.account_id
