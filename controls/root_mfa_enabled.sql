-- Root user has MFA enabled, classic meaning (CIS v1.2 1.13; v1.3, v1.4, v2, v3, v4 1.5): MFA must be
-- on whatever credentials the root user has.
-- One row per account. The IAM account summary decides (AccountMFAEnabled); without a summary the
-- credential report's mfa_active does (the CIS v1.2 audit reads it), and when both exist but
-- disagree the reason says so. Two situations are not applicable (skip), never an alarm:
--   * root credentials removed: no password, access keys or signing certificates, as Organizations
--     centralized root access leaves a member account (Security Hub: NOT_APPLICABLE);
--   * GovCloud (partition aws-us-gov), whose root user has no console access.
-- An account whose MFA is on stays ok even without credentials: the statement "MFA is enabled" holds.
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
  -- true for the classic not_supported root row, so a report alone never claims "no password" unless
  -- it says false outright.
  select
    a.account_id,
    a.partition,
    s.account_id is not null as has_summary,
    coalesce(s.account_mfa_enabled, r.mfa_active) as mfa_enabled,
    coalesce(s.account_password_present, r.password_enabled) as password_present,
    coalesce(s.account_access_keys_present, r.access_keys) as access_keys,
    coalesce(s.account_signing_certificates_present, r.signing_certificates) as signing_certificates,
    case
      when s.account_id is not null and r.mfa_active is not null
           and r.mfa_active is distinct from s.account_mfa_enabled then
        ' The credential report generated ' || to_char(r.generated_time, 'YYYY-MM-DD HH24:MI')
        || ' UTC says mfa_active ' || case when r.mfa_active then 'true' else 'false' end
        || '; regenerate it if root MFA changed since.'
    end as report_disagrees,
    ' (credential report of ' || to_char(r.generated_time, 'YYYY-MM-DD')
    || '; no IAM account summary captured)' as report_only_note
  from accounts as a
  left join summary as s on s.account_id = a.account_id
  left join root_report as r on r.account_id = a.account_id
),
judged as (
  select
    st.*,
    coalesce(
      st.password_present = false and st.access_keys = 0 and st.signing_certificates = 0, false
    ) as credentials_removed,
    concat_ws(', ',
      -- A report alone cannot tell: Steampipe reads the root row's not_supported as true.
      case
        when st.password_present and st.has_summary then 'a console password'
        when st.password_present then 'possibly a console password (the report cannot rule one out)'
      end,
      case when st.access_keys > 0 then st.access_keys || case when st.access_keys = 1 then ' access key' else ' access keys' end end,
      case when st.signing_certificates > 0
        then st.signing_certificates || case when st.signing_certificates = 1 then ' signing certificate' else ' signing certificates' end end
    ) as credentials_text
  from root_state as st
)
select
  'arn:' || j.partition || ':iam::' || j.account_id || ':root' as resource,
  case
    when j.partition = 'aws-us-gov' then 'skip'
    when j.mfa_enabled is null then 'error'
    when j.mfa_enabled then 'ok'
    when j.credentials_removed then 'skip'
    else 'alarm'
  end as status,
  case
    when j.partition = 'aws-us-gov' then
      'Not applicable: the root user of an AWS GovCloud (US) account (partition aws-us-gov) has no'
      || ' console access, so root MFA does not apply.'
    when j.mfa_enabled is null then
      'No IAM account summary or credential report for account ' || j.account_id
      || '; cannot tell whether root MFA is enabled (capture aws iam get-account-summary).'
    when j.mfa_enabled then
      'Root MFA is enabled'
      || case when j.has_summary then '' else coalesce(j.report_only_note, '') end || '.'
      || coalesce(j.report_disagrees, '')
    when j.credentials_removed then
      'Not applicable: the root user has no password, access keys or signing certificates (root'
      || ' credentials removed, as Organizations centralized root access does), so there is no root'
      || ' sign-in for MFA to protect.'
    else
      'Root MFA is not enabled'
      || case when j.has_summary then '' else coalesce(j.report_only_note, '') end
      || case when j.credentials_text <> '' then ' and the root user has ' || j.credentials_text
         else '' end
      || '; assign an MFA device to the root user or remove its credentials.'
      || coalesce(j.report_disagrees, '')
  end as reason,
  j.account_id
from judged as j
order by j.account_id
