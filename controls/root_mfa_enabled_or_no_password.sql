-- Root console access is protected: MFA is enabled OR the root user has no password (CIS v1.5 1.5,
-- v5 1.4, v6 2.4, v7 2.5, whose audit passes on AccountMFAEnabled = 1 or AccountPasswordPresent = 0).
-- One row per account. The IAM account summary decides; without it the credential report's
-- mfa_active and password_enabled do. Root credentials removed altogether (as Organizations
-- centralized root access leaves a member account) pass, saying so. GovCloud (partition aws-us-gov)
-- is not applicable (skip): its root user has no console access.
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
    account_id, generated_time, mfa_active, password_enabled,
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
root_state as (
  -- The summary first, the report where the summary is missing. The report's password_enabled is
  -- true for the classic not_supported root row: a report alone says "no password" only when it
  -- carries a real false.
  select
    a.account_id,
    a.partition,
    s.account_id is not null as has_summary,
    coalesce(s.account_mfa_enabled, r.mfa_active) as mfa_enabled,
    coalesce(s.account_password_present, r.password_enabled) as password_present,
    coalesce(s.account_access_keys_present, r.access_keys) as access_keys,
    coalesce(s.account_signing_certificates_present, r.signing_certificates) as signing_certificates,
    ' (credential report of ' || to_char(r.generated_time, 'YYYY-MM-DD')
    || '; no IAM account summary captured)' as report_only_note
  from accounts as a
  left join summary as s on s.account_id = a.account_id
  left join root_report as r on r.account_id = a.account_id
),
judged as (
  select
    st.*,
    case when st.has_summary then '' else coalesce(st.report_only_note, '') end as source_note,
    coalesce(st.access_keys = 0 and st.signing_certificates = 0, false) as no_other_credentials,
    concat_ws(' and ',
      case when st.access_keys > 0
        then st.access_keys || case when st.access_keys = 1 then ' access key' else ' access keys' end || ' (see root_no_access_keys)' end,
      case when st.signing_certificates > 0 then
        st.signing_certificates || case when st.signing_certificates = 1 then ' signing certificate' else ' signing certificates' end
        || ' (see root_no_signing_certificates)' end
    ) as other_credentials_text
  from root_state as st
)
select
  'arn:' || j.partition || ':iam::' || j.account_id || ':root' as resource,
  case
    when j.partition = 'aws-us-gov' then 'skip'
    when j.mfa_enabled is null then 'error'
    when j.mfa_enabled then 'ok'
    when j.password_present = false then 'ok'
    when j.password_present is null then 'error'
    else 'alarm'
  end as status,
  case
    when j.partition = 'aws-us-gov' then
      'Not applicable: the root user of an AWS GovCloud (US) account (partition aws-us-gov) has no'
      || ' console access, so root MFA does not apply.'
    when j.mfa_enabled is null then
      'No IAM account summary or credential report for account ' || j.account_id
      || '; cannot tell whether root MFA is enabled (capture aws iam get-account-summary).'
    when j.mfa_enabled then 'Root MFA is enabled' || j.source_note || '.'
    when j.password_present = false and j.no_other_credentials then
      'Root credentials removed: the root user has no password, access keys or signing certificates'
      || j.source_note || ', so there is no root sign-in to protect with MFA.'
    when j.password_present = false then
      'Root user has no console password' || j.source_note
      || ', so there is no console sign-in to protect with MFA (MFA is not enabled).'
      || case when j.other_credentials_text <> '' then ' It still has ' || j.other_credentials_text || '.'
         else '' end
    when j.password_present is null then
      'Root MFA is not enabled, and neither the account summary nor the credential report of account '
      || j.account_id || ' says whether the root user has a console password (capture aws iam'
      || ' get-account-summary).'
    when j.has_summary then
      'Root MFA is not enabled and the root user has a console password'
      || '; assign an MFA device to the root user, or remove its password.'
    else
      -- Steampipe reads the report's not_supported root password as true: not proof of a password.
      'Root MFA is not enabled and the credential report cannot rule out a root console password'
      || j.source_note || '; assign an MFA device to the root user, or remove its password.'
  end as reason,
  j.account_id
from judged as j
order by j.account_id
