-- Root user has MFA enabled, classic meaning (CIS v1.2 1.13; v1.3, v1.4, v2, v3, v4 1.5): MFA must be
-- on whatever credentials the root user has.
-- One row per account. The IAM account summary decides (AccountMFAEnabled); without a summary the
-- credential report's mfa_active does (the CIS v1.2 audit reads it), and when both exist but
-- disagree the reason says so. Two situations are not applicable (skip), never an alarm:
--   * root credentials removed: no password, access keys or signing certificates, as Organizations
--     centralized root access leaves a member account (Security Hub: NOT_APPLICABLE);
--   * GovCloud (partition aws-us-gov), whose root user has no console access.
-- An account whose MFA is on stays ok even without credentials: the statement "MFA is enabled" holds.
-- Shared relations: accounts, root_credentials (controls/relations/).
with judged as (
  select
    c.*,
    case
      -- (A summary without AccountMFAEnabled disagrees with any report value.)
      when c.has_summary and c.report_mfa_active is not null
           and coalesce(c.report_mfa_active <> c.summary_mfa_enabled, true) then
        ' The credential report generated ' || to_char(c.report_generated_time, 'YYYY-MM-DD HH24:MI')
        || ' UTC says mfa_active ' || case when c.report_mfa_active then 'true' else 'false' end
        || '; regenerate it if root MFA changed since.'
    end as report_disagrees,
    concat_ws(', ',
      -- A report alone cannot tell: Steampipe reads the root row's not_supported as true.
      case
        when c.password_present and c.has_summary then 'a console password'
        when c.password_present then 'possibly a console password (the report cannot rule one out)'
      end,
      case when c.access_keys > 0 then c.access_keys_text end,
      case when c.signing_certificates > 0 then c.signing_certificates_text end
    ) as credentials_text
  from root_credentials as c
)

select
  j.root_arn as resource,
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
      'Root MFA is enabled' || j.source_note || '.' || coalesce(j.report_disagrees, '')
    when j.credentials_removed then
      'Not applicable: the root user has no password, access keys or signing certificates (root'
      || ' credentials removed, as Organizations centralized root access does), so there is no root'
      || ' sign-in for MFA to protect.'
    else
      'Root MFA is not enabled' || j.source_note
      || case when j.credentials_text <> '' then ' and the root user has ' || j.credentials_text
         else '' end
      || '; assign an MFA device to the root user or remove its credentials.'
      || coalesce(j.report_disagrees, '')
  end as reason,
  j.account_id
from judged as j
order by j.account_id
