-- Root user has no X.509 signing certificates (rootwatch's own control, in the root benchmark only:
-- no CIS version has an item for them, but they are long-term root credentials like access keys).
-- One row per account. The IAM account summary decides (AccountSigningCertificatesPresent, which
-- counts inactive certificates too: an inactive one can be reactivated); without a summary the
-- credential report does. The report names each certificate, whether it is active and when it was
-- last rotated.
with accounts as (
  select distinct on (account_id) account_id, partition
  from aws_account
  order by account_id, partition
),
summary as (
  select distinct on (account_id) account_id, account_signing_certificates_present
  from aws_iam_account_summary
  order by account_id, account_signing_certificates_present desc
),
root_report as (
  select distinct on (account_id)
    account_id, generated_time,
    cert_1_active, cert_1_last_rotated, cert_2_active, cert_2_last_rotated
  from aws_iam_credential_report
  where user_name = '<root_account>'
  order by account_id, generated_time desc
),
cert_text as (
  -- A certificate exists when it is active or has a rotation date (the report says N/A otherwise).
  select
    account_id,
    generated_time,
    case when cert_1_active or cert_1_last_rotated is not null then
      'cert 1 (' || case when cert_1_active then 'active' else 'inactive' end
      || coalesce(', last rotated ' || to_char(cert_1_last_rotated, 'YYYY-MM-DD'), '') || ')'
    end as cert_1,
    case when cert_2_active or cert_2_last_rotated is not null then
      'cert 2 (' || case when cert_2_active then 'active' else 'inactive' end
      || coalesce(', last rotated ' || to_char(cert_2_last_rotated, 'YYYY-MM-DD'), '') || ')'
    end as cert_2
  from root_report
),
judged as (
  select
    a.account_id,
    a.partition,
    s.account_id is not null as has_summary,
    c.account_id is not null as has_report,
    c.generated_time,
    c.cert_1,
    c.cert_2,
    coalesce(
      s.account_signing_certificates_present,
      case when c.account_id is not null then
        case when c.cert_1 is null then 0 else 1 end + case when c.cert_2 is null then 0 else 1 end
      end
    ) as certificates
  from accounts as a
  left join summary as s on s.account_id = a.account_id
  left join cert_text as c on c.account_id = a.account_id
)
select
  'arn:' || j.partition || ':iam::' || j.account_id || ':root' as resource,
  case
    when j.certificates is null then 'error'
    when j.certificates > 0 then 'alarm'
    else 'ok'
  end as status,
  case
    when j.certificates is null then
      'No IAM account summary or credential report for account ' || j.account_id
      || '; cannot tell whether the root user has signing certificates (capture aws iam'
      || ' get-account-summary).'
    when j.certificates > 0 and not j.has_report then
      'Root user has ' || j.certificates || case when j.certificates = 1 then ' signing certificate' else ' signing certificates' end
      || ' (account summary); no'
      || ' credential report to say which (run aws iam generate-credential-report); delete '
      || case when j.certificates = 1 then 'it.' else 'them.' end
    when j.certificates > 0 and coalesce(j.cert_1, j.cert_2) is null then
      'Root user has ' || j.certificates || case when j.certificates = 1 then ' signing certificate' else ' signing certificates' end
      || ' (account summary), not yet in'
      || ' the credential report generated ' || to_char(j.generated_time, 'YYYY-MM-DD HH24:MI')
      || ' UTC; delete ' || case when j.certificates = 1 then 'it.' else 'them.' end
    when j.certificates > 0 then
      'Root user has ' || j.certificates || case when j.certificates = 1 then ' signing certificate' else ' signing certificates' end
      || ': '
      || concat_ws('; ', j.cert_1, j.cert_2) || '; delete ' || case when j.certificates = 1 then 'it.' else 'them.' end
    when not j.has_summary then
      'Root user has no signing certificates (credential report of '
      || to_char(j.generated_time, 'YYYY-MM-DD') || '; no IAM account summary captured).'
    else 'Root user has no signing certificates.'
  end as reason,
  j.account_id
from judged as j
order by j.account_id
