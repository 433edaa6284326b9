-- Root console access is protected: MFA is enabled OR the root user has no password (CIS v1.5 1.5,
-- v5 1.4, v6 2.4, v7 2.5, whose audit passes on AccountMFAEnabled = 1 or AccountPasswordPresent = 0).
-- One row per account. The IAM account summary decides; without it the credential report's
-- mfa_active and password_enabled do. Root credentials removed altogether (as Organizations
-- centralized root access leaves a member account) pass, saying so. GovCloud (partition aws-us-gov)
-- is not applicable (skip): its root user has no console access.
-- Shared relations: accounts, root_credentials (controls/relations/).
with judged as (
  select
    c.*,
    coalesce(c.access_keys = 0 and c.signing_certificates = 0, false) as no_other_credentials,
    concat_ws(' and ',
      case when c.access_keys > 0 then c.access_keys_text || ' (see root_no_access_keys)' end,
      case when c.signing_certificates > 0 then c.signing_certificates_text || ' (see root_no_signing_certificates)' end
    ) as other_credentials_text
  from root_credentials as c
)

select
  j.root_arn as resource,
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
