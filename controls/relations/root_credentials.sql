-- What credentials each account's root user has, one row per account: the IAM account summary
-- decides, and where no summary was captured the credential report's root row does.
-- The report's password_enabled is true for the classic not_supported root row, so the report
-- alone says "no password" only when it carries a real false. credentials_removed: no password,
-- access keys or signing certificates, as Organizations centralized root access leaves a member
-- account. access_keys_text and signing_certificates_text say the counts as a reason does ("1 access
-- key", "2 signing certificates"); NULL when unknown.
with combined as (
  select
    a.account_id,
    a.partition,
    a.root_arn,
    s.account_id is not null as has_summary,
    r.account_id is not null as has_report,
    r.generated_time as report_generated_time,
    s.mfa_enabled as summary_mfa_enabled,
    s.access_keys as summary_access_keys,
    s.signing_certificates as summary_signing_certificates,
    r.mfa_active as report_mfa_active,
    coalesce(s.mfa_enabled, r.mfa_active) as mfa_enabled,
    coalesce(s.password_present, r.password_enabled) as password_present,
    coalesce(
      s.access_keys,
      case when r.account_id is not null then
        (case when r.has_key_1 then 1 else 0 end) + (case when r.has_key_2 then 1 else 0 end)
      end
    ) as access_keys,
    coalesce(
      s.signing_certificates,
      case when r.account_id is not null then
        (case when r.has_cert_1 then 1 else 0 end) + (case when r.has_cert_2 then 1 else 0 end)
      end
    ) as signing_certificates
  from accounts as a
  left join root_summary as s on s.account_id = a.account_id
  left join root_report as r on r.account_id = a.account_id
)

select
  c.*,
  coalesce(c.password_present = false and c.access_keys = 0 and c.signing_certificates = 0, false)
    as credentials_removed,
  case
    when c.has_summary then ''
    else coalesce(
      ' (credential report of ' || to_char(c.report_generated_time, 'YYYY-MM-DD')
      || '; no IAM account summary captured)',
      ''
    )
  end as source_note,
  c.access_keys || case when c.access_keys = 1 then ' access key' else ' access keys' end as access_keys_text,
  c.signing_certificates
  || case when c.signing_certificates = 1 then ' signing certificate' else ' signing certificates' end
    as signing_certificates_text
from combined as c
