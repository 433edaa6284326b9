-- The IAM credential report exists and is fresh (rootwatch evidence prerequisite, not a CIS item).
-- One row per account. This is the one control that reports a missing credential report as an
-- error: the other controls that need the report skip that account and point here, so an auditor
-- sees one error per account instead of one per control. Freshness is the age of the report's
-- generated_time at the as-of instant, against :credential_report_max_age_hours (inclusive: a report
-- exactly that old is still fresh).
-- Shared relation: accounts (controls/relations/).
with report as (
  -- Every row of one report carries the same generated_time; an aggregator connection can list the
  -- same report twice, and the newest capture wins.
  select
    account_id,
    max(case when user_name = '<root_account>' then 1 else 0 end) as has_root_row,
    max(case when user_name = '<root_account>' then generated_time end) as generated_time,
    max(generated_time) as any_generated_time
  from aws_iam_credential_report
  group by account_id
),

aged as (
  select
    r.account_id,
    r.has_root_row,
    r.generated_time,
    r.any_generated_time,
    extract(epoch from (now() - r.generated_time)) as age_seconds
  from report as r
),

described as (
  select
    g.*,
    to_char(g.generated_time, 'YYYY-MM-DD HH24:MI') || ' UTC' as generated_text,
    -- As a person says it: minutes under an hour, hours and minutes under two days, then days
    -- (with hours under a week).
    case
      when g.age_seconds < 3600 then cast(floor(g.age_seconds / 60) as bigint) || ' min'
      when g.age_seconds < 172800 then
        cast(floor(g.age_seconds / 3600) as bigint) || ' h'
        || case
          when floor(g.age_seconds / 60) > 60 * floor(g.age_seconds / 3600)
            then ' ' || cast(floor(g.age_seconds / 60) - 60 * floor(g.age_seconds / 3600) as bigint) || ' min'
          else ''
        end
      else
        cast(floor(g.age_seconds / 86400) as bigint) || ' days'
        || case
          when g.age_seconds < 604800 and floor(g.age_seconds / 3600) > 24 * floor(g.age_seconds / 86400)
            then ' ' || cast(floor(g.age_seconds / 3600) - 24 * floor(g.age_seconds / 86400) as bigint) || ' h'
          else ''
        end
    end as age_text
  from aged as g
)

select
  a.root_arn as resource,
  case
    when d.account_id is null then 'error'
    when d.has_root_row = 0 then 'error'
    when d.generated_time is null then 'error'
    when d.age_seconds > cast(:credential_report_max_age_hours as bigint) * 3600 then 'alarm'
    else 'ok'
  end as status,
  case
    when d.account_id is null then
      'No credential report for account ' || a.account_id
      || '; run aws iam generate-credential-report and capture it.'
    when d.has_root_row = 0 then
      'The credential report of account ' || a.account_id
      || coalesce(' (generated ' || to_char(d.any_generated_time, 'YYYY-MM-DD HH24:MI') || ' UTC)', '')
      || ' has no root user row (<root_account>); capture the whole report again'
      || ' (aws iam get-credential-report).'
    when d.generated_time is null then
      'The credential report of account ' || a.account_id
      || ' has no generated_time, so its age is unknown; capture it again with aws iam get-credential-report.'
    when d.age_seconds > cast(:credential_report_max_age_hours as bigint) * 3600 then
      'Credential report generated ' || d.generated_text || ' is ' || d.age_text
      || ' old at the as-of instant (limit: ' || cast(:credential_report_max_age_hours as text)
      || ' hours); run aws iam generate-credential-report and capture it again.'
    when d.age_seconds < 0 then
      'Credential report generated ' || d.generated_text || ', after the as-of instant '
      || to_char(now(), 'YYYY-MM-DD HH24:MI') || ' UTC (limit: '
      || cast(:credential_report_max_age_hours as text) || ' hours).'
    else
      'Credential report generated ' || d.generated_text || ' is ' || d.age_text
      || ' old at the as-of instant (limit: ' || cast(:credential_report_max_age_hours as text)
      || ' hours).'
  end as reason,
  a.account_id
from accounts as a
left join described as d on d.account_id = a.account_id
order by a.account_id
