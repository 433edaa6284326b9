-- Credential report freshness per account: when each account's report was generated and how old it
-- was at the as-of instant, oldest first (a missing report shows as NULL and sorts first).
-- Shared relation: accounts (controls/relations/).
with report as (
  select account_id, max(generated_time) as generated_time
  from aws_iam_credential_report
  group by account_id
)

select
  a.account_id,
  r.generated_time,
  cast(floor(extract(epoch from (now() - r.generated_time)) / 3600) as bigint) as age_hours,
  case
    when r.generated_time is null then 'missing'
    when now() - r.generated_time > interval '1 hour' * :credential_report_max_age_hours then 'stale'
    else 'fresh'
  end as state,
  :credential_report_max_age_hours as max_age_hours
from accounts as a
left join report as r on r.account_id = a.account_id
order by r.generated_time nulls first, a.account_id
