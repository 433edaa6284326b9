-- Root user has no access keys (CIS v1.2 1.12, v1.3-v4 1.4, v5 1.3, v6 2.3, v7 2.4).
-- One row per account. The verdict comes from the IAM account summary, which counts root access
-- keys whether active or not (CIS: an inactive root key still fails). The credential report
-- enriches the reason: which key, active or not, when last used. Without a summary (an auditor's
-- snapshot built from a credential report alone) the report decides, and the reason says so: it
-- can lag the summary by up to four hours, but it is the evidence the auditor holds.
-- Shared relations: accounts, root_credentials, root_access_keys (controls/relations/).
with key_texts as (
  select
    account_id,
    count(*) as keys,
    string_agg(
      'key ' || key_number || ' (' || case when active then 'active' else 'inactive' end || ', '
      || coalesce(
        'last used ' || to_char(last_used, 'YYYY-MM-DD') || ', ' || days_since_use
        || case days_since_use when 1 then ' day ago' else ' days ago' end,
        'never used'
      )
      || ')',
      '; ' order by key_number
    ) as described
  from (
    select
      k.*,
      -- Whole days since the key's last use (NULL when never used).
      cast(floor(extract(epoch from (now() - k.last_used)) / 86400) as bigint) as days_since_use
    from root_access_keys as k
    where k.present
  ) as present_keys
  group by account_id
)

select
  c.root_arn as resource,
  case
    when not c.has_summary and not c.has_report then 'error'
    when not c.has_summary and k.account_id is not null then 'alarm'
    when not c.has_summary then 'ok'
    when c.summary_access_keys > 0 then 'alarm'
    else 'ok'
  end as status,
  case
    when not c.has_summary and not c.has_report then
      'No IAM account summary and no credential report for account ' || c.account_id
      || '; cannot tell whether root access keys exist (capture aws iam get-account-summary).'
    when not c.has_summary and k.account_id is not null then
      'Root user has ' || c.access_keys_text || ': ' || k.described
      || ' (credential report; no IAM account summary captured).'
    when not c.has_summary then
      'Root user has no access keys (credential report; no IAM account summary captured).'
    when c.summary_access_keys > 0 and not c.has_report then
      'Root user has ' || c.access_keys_text || ' (account summary); '
      || 'no credential report to say which (run aws iam generate-credential-report).'
    when c.summary_access_keys > 0 and k.account_id is null then
      'Root user has ' || c.access_keys_text || ' (account summary), '
      || 'not yet in the credential report of ' || c.account_id || '.'
    when c.summary_access_keys > 0 then
      'Root user has ' || c.access_keys_text || ': ' || k.described || '.'
    else 'Root user has no access keys.'
  end as reason,
  c.account_id
from root_credentials as c
left join key_texts as k on k.account_id = c.account_id
order by c.account_id
