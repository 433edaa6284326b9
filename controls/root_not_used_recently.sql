-- Root user not used recently (CIS "eliminate use of the root user": v1.2 1.1, v1.3-v4 1.7, v5 1.6,
-- v6 2.6, v7 2.7).
-- One row per account, from the root row of the credential report. The verdict rests on the MOST
-- RECENT of the password's and both access keys' last use (Steampipe makes the report's N/A and
-- no_information sentinels NULL, which count as no use). That date alarms when it lies within
-- :root_recent_days days of the as-of instant, inclusive (a use exactly that many days ago is
-- inside), or after it. Three defects of peer tools are avoided on purpose: every credential is
-- compared the same way (Steampipe inverts the access-key test), the latest date wins rather than the
-- first one set, and the row is graded whatever password_enabled says (Prowler skips root when it is
-- not_supported). Without a report the account is skipped; credential_report_fresh reports it.
-- Shared relations: accounts, root_report, root_access_keys (controls/relations/).
with uses as (
  -- Each root credential's last recorded use. use_order breaks ties: the password first, as a
  -- console session is the use a person must explain.
  select
    account_id,
    0 as use_order,
    'password' as credential,
    password_last_used as last_used,
    '' as where_text
  from root_report
  union all
  select
    account_id,
    key_number as use_order,
    'access key ' || key_number as credential,
    last_used,
    -- Where the key was last used, as the report records it (service and region).
    coalesce(' by ' || last_used_service, '') || coalesce(' in ' || last_used_region, '') as where_text
  from root_access_keys
),

latest_use as (
  select distinct on (account_id) account_id, credential, last_used, where_text
  from uses
  where last_used is not null
  order by account_id, last_used desc, use_order
),

keys as (
  select
    account_id,
    bool_or(present) as any_key,
    string_agg(case when present then 'access key ' || key_number || ' never used' end, '; ' order by key_number)
      as unused_keys
  from root_access_keys
  group by account_id
),

measured as (
  select
    r.account_id,
    r.generated_time,
    r.password_status,
    r.password_last_used,
    -- password_status not_set is the report's N/A: there is no password (whatever password_enabled
    -- says; Steampipe maps the root row's not_supported to true).
    coalesce(r.password_enabled is false or r.password_status = 'not_set', false) as no_password,
    k.any_key,
    k.unused_keys,
    l.credential,
    l.last_used,
    l.where_text,
    extract(epoch from (now() - l.last_used)) as seconds_since,
    -- bigint: a window of more than 24,855 days would overflow a 32-bit product on Postgres.
    cast(:root_recent_days as bigint) * 86400 as window_seconds
  from root_report as r
  join keys as k on k.account_id = r.account_id
  left join latest_use as l on l.account_id = r.account_id
),

-- The other credentials also used inside the window: each needs the same follow-up.
also_inside as (
  select
    m.account_id,
    string_agg(u.credential || ' (' || to_char(u.last_used, 'YYYY-MM-DD') || ')', ', ' order by u.use_order)
      as credentials
  from measured as m
  join uses as u on u.account_id = m.account_id
  where u.credential <> m.credential and extract(epoch from (now() - u.last_used)) <= m.window_seconds
  group by m.account_id
),

described as (
  select
    m.*,
    coalesce(ai.credentials, '') as also_inside,
    case
      when m.seconds_since < 0 then
        'after the as-of instant ' || to_char(now(), 'YYYY-MM-DD HH24:MI') || ' UTC'
      when floor(m.seconds_since / 86400) = 1 then '1 day ago'
      else cast(floor(m.seconds_since / 86400) as bigint) || ' days ago'
    end as when_text,
    -- What the report says about each credential when none has a recorded use.
    concat_ws('; ',
      case
        when m.no_password then 'no password'
        when m.password_status = 'never_used' then
          'password never used (or last used before October 2014, when AWS began recording it)'
        when m.password_last_used is null then 'no recorded password use'
      end,
      m.unused_keys,
      case when not m.any_key then 'no access keys' end
    ) as unused_text,
    ' (credential report of ' || to_char(m.generated_time, 'YYYY-MM-DD') || ')' as report_note
  from measured as m
  left join also_inside as ai on ai.account_id = m.account_id
),

-- Accounts with a report at all: a report without a root row is told apart from no report.
reported_accounts as (
  select distinct account_id from aws_iam_credential_report
)

select
  a.root_arn as resource,
  case
    when d.account_id is null then 'skip'
    when d.last_used is null then 'ok'
    when d.seconds_since <= d.window_seconds then 'alarm'
    else 'ok'
  end as status,
  case
    when d.account_id is null and ra.account_id is not null then
      'The credential report of account ' || a.account_id || ' has no <root_account> row, so root'
      || ' use cannot be judged; regenerate it (aws iam generate-credential-report) and capture it whole.'
    when d.account_id is null then
      'No credential report for account ' || a.account_id
      || ', so root use cannot be judged; see control credential_report_fresh.'
    when d.last_used is null and d.no_password and not d.any_key then
      'Root user has no password and no access keys: nothing to use'
      || coalesce(d.report_note, '') || '.'
    when d.last_used is null then
      'No recorded use of root credentials: ' || d.unused_text || coalesce(d.report_note, '') || '.'
    when d.seconds_since <= d.window_seconds then
      'Root ' || d.credential || ' last used ' || to_char(d.last_used, 'YYYY-MM-DD') || ', '
      || d.when_text || d.where_text
      || ' (window: ' || cast(:root_recent_days as text) || case when :root_recent_days = 1 then ' day).' else ' days).' end
      || case when d.also_inside <> '' then ' Also used inside the window: ' || d.also_inside || '.'
         else '' end
    else
      'Root credentials not used in the last '
      || case when :root_recent_days = 1 then 'day' else cast(:root_recent_days as text) || ' days' end
      || ': most recent use is the ' || d.credential || ' on '
      || to_char(d.last_used, 'YYYY-MM-DD') || ', ' || d.when_text || coalesce(d.report_note, '')
      || '.'
  end as reason,
  a.account_id
from accounts as a
left join described as d on d.account_id = a.account_id
left join reported_accounts as ra on ra.account_id = a.account_id
order by a.account_id
