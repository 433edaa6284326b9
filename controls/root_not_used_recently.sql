-- Root user not used recently (CIS "eliminate use of the root user": v1.2 1.1, v1.3-v4 1.7, v5 1.6,
-- v6 2.6, v7 2.7).
-- One row per account, from the root row of the credential report. The verdict rests on the MOST
-- RECENT of the password's and both access keys' last use: greatest() ignores NULLs, which is what
-- Steampipe makes of the report's N/A and no_information sentinels. That date alarms when it lies
-- within :root_recent_days days of the as-of instant, inclusive (a use exactly that many days ago is
-- inside), or after it. Three defects of peer tools are avoided on purpose: every credential is
-- compared the same way (Steampipe inverts the access-key test), the latest date wins rather than the
-- first one set, and the row is graded whatever password_enabled says (Prowler skips root when it is
-- not_supported). Without a report the account is skipped; credential_report_fresh reports it.
with accounts as (
  select distinct on (account_id) account_id, partition
  from aws_account
  order by account_id, partition
),
root_report as (
  select distinct on (account_id)
    account_id,
    generated_time,
    password_enabled,
    password_status,
    password_last_used,
    access_key_1_active, access_key_1_last_rotated, access_key_1_last_used_date,
    access_key_1_last_used_region, access_key_1_last_used_service,
    access_key_2_active, access_key_2_last_rotated, access_key_2_last_used_date,
    access_key_2_last_used_region, access_key_2_last_used_service
  from aws_iam_credential_report
  where user_name = '<root_account>'
  order by account_id, generated_time desc
),
-- Accounts with a report at all: a report without a root row is told apart from no report.
reported_accounts as (
  select distinct account_id from aws_iam_credential_report
),
latest as (
  select
    r.*,
    greatest(r.password_last_used, r.access_key_1_last_used_date, r.access_key_2_last_used_date)
      as last_used,
    -- A key exists when it is active or has a rotation date (the report says N/A for no key).
    coalesce(r.access_key_1_active or r.access_key_1_last_rotated is not null, false) as has_key_1,
    coalesce(r.access_key_2_active or r.access_key_2_last_rotated is not null, false) as has_key_2,
    -- password_status not_set is the report's N/A: there is no password (whatever password_enabled
    -- says; Steampipe maps the root row's not_supported to true).
    coalesce(r.password_enabled is false or r.password_status = 'not_set', false) as no_password
  from root_report as r
),
measured as (
  select
    l.*,
    -- On a tie the password is named first: a console session is the use a person must explain.
    case
      when l.last_used is null then null
      when l.password_last_used = l.last_used then 'password'
      when l.access_key_1_last_used_date = l.last_used then 'access key 1'
      else 'access key 2'
    end as credential,
    extract(epoch from (now() - l.last_used)) as seconds_since,
    -- bigint: a window of more than 24,855 days would overflow a 32-bit product on Postgres.
    cast(:root_recent_days as bigint) * 86400 as window_seconds
  from latest as l
),
described as (
  select
    m.*,
    case
      when m.seconds_since < 0 then
        'after the as-of instant ' || to_char(now(), 'YYYY-MM-DD HH24:MI') || ' UTC'
      when floor(m.seconds_since / 86400) = 1 then '1 day ago'
      else cast(floor(m.seconds_since / 86400) as bigint) || ' days ago'
    end as when_text,
    -- Where an access key was last used, as the report records it (region and service).
    case m.credential
      when 'access key 1' then
        coalesce(' by ' || m.access_key_1_last_used_service, '')
        || coalesce(' in ' || m.access_key_1_last_used_region, '')
      when 'access key 2' then
        coalesce(' by ' || m.access_key_2_last_used_service, '')
        || coalesce(' in ' || m.access_key_2_last_used_region, '')
      else ''
    end as where_text,
    -- The other credentials also used inside the window: each needs the same follow-up.
    concat_ws(', ',
      case when m.credential <> 'password'
            and extract(epoch from (now() - m.password_last_used)) <= m.window_seconds
        then 'password (' || to_char(m.password_last_used, 'YYYY-MM-DD') || ')' end,
      case when m.credential <> 'access key 1'
            and extract(epoch from (now() - m.access_key_1_last_used_date)) <= m.window_seconds
        then 'access key 1 (' || to_char(m.access_key_1_last_used_date, 'YYYY-MM-DD') || ')' end,
      case when m.credential <> 'access key 2'
            and extract(epoch from (now() - m.access_key_2_last_used_date)) <= m.window_seconds
        then 'access key 2 (' || to_char(m.access_key_2_last_used_date, 'YYYY-MM-DD') || ')' end
    ) as also_inside,
    -- What the report says about each credential when none has a recorded use.
    concat_ws('; ',
      case
        when m.no_password then 'no password'
        when m.password_status = 'never_used' then
          'password never used (or last used before October 2014, when AWS began recording it)'
        when m.password_last_used is null then 'no recorded password use'
      end,
      case when m.has_key_1 then 'access key 1 never used' end,
      case when m.has_key_2 then 'access key 2 never used' end,
      case when not m.has_key_1 and not m.has_key_2 then 'no access keys' end
    ) as unused_text,
    ' (credential report of ' || to_char(m.generated_time, 'YYYY-MM-DD') || ')' as report_note
  from measured as m
)
select
  'arn:' || a.partition || ':iam::' || a.account_id || ':root' as resource,
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
    when d.last_used is null and d.no_password and not d.has_key_1 and not d.has_key_2 then
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
