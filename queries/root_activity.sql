-- Root activity in CloudTrail, newest first: every event the root user made, as the CIS
-- root-usage metric filter counts it (userIdentity.type Root, no invokedBy, eventType not
-- AwsServiceEvent). One row per event (an event delivered by two trails counts once), with how
-- root got in: its console password (and whether MFA was used), a long-term root access key
-- (AKIA...), a temporary session key (ASIA...), or a centralized root session (sts:AssumeRoot).
-- Four variables (all off by default) drop events organisations commonly choose not to alert on:
-- centralized root sessions (sts:AssumeRoot), failed calls and sign-ins, read-only calls, and
-- event names on an allow list. `rootwatch events` runs this very query on each batch of
-- incoming events, so what the query lists and what the event path alerts on stay one definition.
-- On a live Steampipe endpoint aws_cloudtrail_trail_event needs a log_group_name qualifier; this
-- query is meant for snapshots, whose rows come from CloudTrail log files.
select distinct on (e.event_time, e.account_id, e.event_id)
  e.event_time,
  e.account_id,
  e.region,
  e.event_source,
  e.event_name,
  e.source_ip_address,
  case when e.event_name = 'ConsoleLogin' then e.additional_event_data ->> 'MFAUsed' end as mfa_used,
  e.access_key_id,
  case
    when e.event_name = 'ConsoleLogin' then 'password'
    when e.user_identity -> 'sessionContext' ->> 'assumedRoot' = 'true' then 'centralized root session'
    when e.access_key_id like 'AKIA%' then 'root access key'
    when e.access_key_id like 'ASIA%' then 'temporary session'
  end as credential,
  case
    when e.error_code is not null or e.response_elements ->> 'ConsoleLogin' = 'Failure' then 'failed'
    else 'succeeded'
  end as outcome,
  e.error_code,
  e.error_message,
  e.event_id
from aws_cloudtrail_trail_event as e
where e.user_type = 'Root'
  and e.user_identity ->> 'invokedBy' is null
  and coalesce(e.event_type, '') <> 'AwsServiceEvent'
  -- The optional exclusions; coalesce keeps a missing field from turning a clause unknown.
  and not (:root_activity_exclude_assumed_root
           and coalesce(e.user_identity -> 'sessionContext' ->> 'assumedRoot', '') = 'true')
  and not (:root_activity_exclude_failed
           and (e.error_code is not null or coalesce(e.response_elements ->> 'ConsoleLogin', '') = 'Failure'))
  and not (:root_activity_exclude_read_only and coalesce(e.read_only, false))
  and not (coalesce(e.event_name, '') = any(cast(:root_activity_ignored_events as text[])))
order by e.event_time desc, e.account_id, e.event_id
