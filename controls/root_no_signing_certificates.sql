-- Root user has no X.509 signing certificates (rootwatch's own control, in the root benchmark only:
-- no CIS version has an item for them, but they are long-term root credentials like access keys).
-- One row per account. The IAM account summary decides (AccountSigningCertificatesPresent, which
-- counts inactive certificates too: an inactive one can be reactivated); without a summary the
-- credential report does. The report names each certificate, whether it is active and when it was
-- last rotated.
-- Shared relations: accounts, root_credentials, root_signing_certificates (controls/relations/).
with cert_texts as (
  select
    account_id,
    string_agg(
      'cert ' || cert_number || ' (' || case when active then 'active' else 'inactive' end
      || coalesce(', last rotated ' || to_char(last_rotated, 'YYYY-MM-DD'), '') || ')',
      '; ' order by cert_number
    ) as described
  from root_signing_certificates
  where present
  group by account_id
)

select
  c.root_arn as resource,
  case
    when c.signing_certificates is null then 'error'
    when c.signing_certificates > 0 then 'alarm'
    else 'ok'
  end as status,
  case
    when c.signing_certificates is null then
      'No IAM account summary or credential report for account ' || c.account_id
      || '; cannot tell whether the root user has signing certificates (capture aws iam'
      || ' get-account-summary).'
    when c.signing_certificates > 0 and not c.has_report then
      'Root user has ' || c.signing_certificates_text || ' (account summary); no'
      || ' credential report to say which (run aws iam generate-credential-report)'
    when c.signing_certificates > 0 and t.account_id is null then
      'Root user has ' || c.signing_certificates_text || ' (account summary), not yet in'
      || ' the credential report generated ' || to_char(c.report_generated_time, 'YYYY-MM-DD HH24:MI')
      || ' UTC'
    when c.signing_certificates > 0 then
      'Root user has ' || c.signing_certificates_text || ': ' || t.described
    when not c.has_summary then
      'Root user has no signing certificates (credential report of '
      || to_char(c.report_generated_time, 'YYYY-MM-DD') || '; no IAM account summary captured).'
    else 'Root user has no signing certificates.'
  end
  || case
    when c.signing_certificates = 1 then '; delete it.'
    when c.signing_certificates > 1 then '; delete them.'
    else ''
  end as reason,
  c.account_id
from root_credentials as c
left join cert_texts as t on t.account_id = c.account_id
order by c.account_id
