-- Root user has hardware MFA (CIS v1.2 1.14; v1.3 to v4 1.6; v5 1.5; v6 2.5; v7 2.6).
-- One row per account. Hardware TOTP tokens and FIDO security keys are not listed anywhere a
-- snapshot can read, so "hardware MFA" is: MFA enabled (account summary, else credential report)
-- AND no virtual MFA device assigned to the root user. A device is the root user's only when its
-- assigned user ARN is exactly arn:<partition>:iam::<account_id>:root; a device on an IAM user named
-- "root-admin" or "rootops" is not (peers that match the substring "root" get this wrong). Root may
-- hold up to 8 devices; they are aggregated so each account stays one row, and the reason names the
-- virtual ones. Not applicable (skip): GovCloud (partition aws-us-gov), whose root user has no
-- console access, and root credentials removed with no MFA left (nothing to protect). When MFA is
-- on, its device is graded even without a password: a password reset by email is then guarded only
-- by that device.
with accounts as (
  select distinct on (account_id) account_id, partition
  from aws_account
  order by account_id, partition
),
summary as (
  select distinct on (account_id)
    account_id, account_mfa_enabled, account_password_present,
    account_access_keys_present, account_signing_certificates_present
  from aws_iam_account_summary
  order by account_id, account_mfa_enabled
),
root_report as (
  select distinct on (account_id)
    account_id, mfa_active, password_enabled,
    -- A key or certificate exists when it is active or has a rotation date (N/A otherwise).
    case when access_key_1_active or access_key_1_last_rotated is not null then 1 else 0 end
    + case when access_key_2_active or access_key_2_last_rotated is not null then 1 else 0 end
      as access_keys,
    case when cert_1_active or cert_1_last_rotated is not null then 1 else 0 end
    + case when cert_2_active or cert_2_last_rotated is not null then 1 else 0 end
      as signing_certificates
  from aws_iam_credential_report
  where user_name = '<root_account>'
  order by account_id, generated_time desc
),
root_virtual_devices as (
  -- distinct: an aggregator connection can list the same device twice.
  select
    a.account_id,
    count(distinct d.serial_number) as device_count,
    string_agg(distinct d.serial_number, ', ' order by d.serial_number) as serials
  from accounts as a
  join aws_iam_virtual_mfa_device as d
    on d.account_id = a.account_id
    and d."user" ->> 'Arn' = 'arn:' || a.partition || ':iam::' || a.account_id || ':root'
  group by a.account_id
),
root_state as (
  select
    a.account_id,
    a.partition,
    coalesce(s.account_mfa_enabled, r.mfa_active) as mfa_enabled,
    coalesce(
      coalesce(s.account_password_present, r.password_enabled) = false
      and coalesce(s.account_access_keys_present, r.access_keys) = 0
      and coalesce(s.account_signing_certificates_present, r.signing_certificates) = 0,
      false
    ) as credentials_removed,
    coalesce(v.device_count, 0) as virtual_devices,
    v.serials
  from accounts as a
  left join summary as s on s.account_id = a.account_id
  left join root_report as r on r.account_id = a.account_id
  left join root_virtual_devices as v on v.account_id = a.account_id
)
select
  'arn:' || st.partition || ':iam::' || st.account_id || ':root' as resource,
  case
    when st.partition = 'aws-us-gov' then 'skip'
    when st.mfa_enabled is null then 'error'
    when not st.mfa_enabled and st.credentials_removed then 'skip'
    when not st.mfa_enabled then 'alarm'
    when st.virtual_devices > 0 then 'alarm'
    else 'ok'
  end as status,
  case
    when st.partition = 'aws-us-gov' then
      'Not applicable: the root user of an AWS GovCloud (US) account (partition aws-us-gov) has no'
      || ' console access, so root MFA does not apply.'
    when st.mfa_enabled is null then
      'No IAM account summary or credential report for account ' || st.account_id
      || '; cannot tell whether root MFA is enabled (capture aws iam get-account-summary).'
    when not st.mfa_enabled and st.credentials_removed then
      'Not applicable: the root user has no password, access keys or signing certificates (root'
      || ' credentials removed, as Organizations centralized root access does) and no MFA, so no'
      || ' MFA device is needed.'
    when not st.mfa_enabled then
      'Root user has no MFA at all; assign a hardware MFA device (a TOTP token or a FIDO security'
      || ' key) to the root user.'
    when st.virtual_devices = 1 then
      'Root MFA uses a virtual MFA device: ' || st.serials || '. Hardware MFA means no virtual'
      || ' device on the root user: assign a hardware TOTP token or FIDO security key, then'
      || ' deactivate and delete this virtual device.'
    when st.virtual_devices > 1 then
      'Root MFA uses ' || st.virtual_devices || ' virtual MFA devices: ' || st.serials
      || '. Hardware MFA means no virtual device on the root user: assign a hardware TOTP token or'
      || ' FIDO security key, then deactivate and delete these virtual devices.'
    else
      'Root MFA is enabled and no virtual MFA device is assigned to the root user, so its MFA is'
      || ' a hardware TOTP token or FIDO security key.'
  end as reason,
  st.account_id
from root_state as st
order by st.account_id
