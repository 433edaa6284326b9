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
-- by that device. No MFA at all alarms whatever the virtual devices are, so the devices are needed
-- only to pass: an alarm stands without them (alarms_stand_without in the YAML).
-- Shared relations: accounts, root_credentials, root_virtual_mfa (controls/relations/).
select
  c.root_arn as resource,
  case
    when c.partition = 'aws-us-gov' then 'skip'
    when c.mfa_enabled is null then 'error'
    when not c.mfa_enabled and c.credentials_removed then 'skip'
    when not c.mfa_enabled then 'alarm'
    when v.devices > 0 then 'alarm'
    else 'ok'
  end as status,
  case
    when c.partition = 'aws-us-gov' then
      'Not applicable: the root user of an AWS GovCloud (US) account (partition aws-us-gov) has no'
      || ' console access, so root MFA does not apply.'
    when c.mfa_enabled is null then
      'No IAM account summary or credential report for account ' || c.account_id
      || '; cannot tell whether root MFA is enabled (capture aws iam get-account-summary).'
    when not c.mfa_enabled and c.credentials_removed then
      'Not applicable: the root user has no password, access keys or signing certificates (root'
      || ' credentials removed, as Organizations centralized root access does) and no MFA, so no'
      || ' MFA device is needed.'
    when not c.mfa_enabled then
      'Root user has no MFA at all; assign a hardware MFA device (a TOTP token or a FIDO security'
      || ' key) to the root user.'
    when v.devices = 1 then
      'Root MFA uses a virtual MFA device: ' || v.serials || '. Hardware MFA means no virtual'
      || ' device on the root user: assign a hardware TOTP token or FIDO security key, then'
      || ' deactivate and delete this virtual device.'
    when v.devices > 1 then
      'Root MFA uses ' || v.devices || ' virtual MFA devices: ' || v.serials
      || '. Hardware MFA means no virtual device on the root user: assign a hardware TOTP token or'
      || ' FIDO security key, then deactivate and delete these virtual devices.'
    else
      'Root MFA is enabled and no virtual MFA device is assigned to the root user, so its MFA is'
      || ' a hardware TOTP token or FIDO security key.'
  end as reason,
  c.account_id
from root_credentials as c
left join root_virtual_mfa as v on v.account_id = c.account_id
order by c.account_id
