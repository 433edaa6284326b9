-- EventBridge event patterns judged as monitors of root activity, one row per distinct pattern of
-- aws_eventbridge_rule (rules without a pattern have none; root_event_rules words those itself).
-- CloudTrail puts a root console sign-in on the default bus as detail type "AWS Console Sign In via
-- CloudTrail" and a root call as "AWS API Call via CloudTrail" (source aws.<service>), with the
-- CloudTrail record as detail (detail.userIdentity.type "Root").
--   selects_root:    the pattern asks for userIdentity type Root (what makes a rule a root monitor)
--   pattern_problem: what in the pattern keeps some root activity out, in words; NULL when nothing
--                    does. A field the pattern does not name lets everything through. Accepted:
--                    detail types naming both kinds, source {"prefix": "aws."}, and the CIS
--                    exclusions of what AWS services do for root (invokedBy [{"exists": false}],
--                    eventType anything-but AwsServiceEvent). A filter on a field that narrows root
--                    activity further (eventName, errorCode, readOnly, ...) is a problem, as an
--                    extra clause is in the CIS metric filter.
-- Judged once per pattern, not once per rule: an organisation deploys one rule to every account and
-- region, so rules repeat a handful of patterns (2 among 87,501 rules at 10,000 accounts), and taking
-- every rule's pattern apart was a third of root_activity_alerted's time and 38 MB of its memory on
-- DuckDB. The pattern's parts are taken apart once, here, so that no function call holds a ->
-- (DuckDB would read it as a lambda).
with patterns as (
  select distinct event_pattern as pattern
  from aws_eventbridge_rule
  where event_pattern is not null
),

fields as (
  select
    pattern,
    (pattern -> 'detail-type') as detail_types,
    (pattern -> 'source') as sources,
    (pattern -> 'detail') as detail,
    (pattern -> 'detail' -> 'userIdentity') as identity,
    (pattern -> 'detail' -> 'userIdentity' -> 'type') as identity_types,
    (pattern -> 'detail' -> 'userIdentity' -> 'invokedBy') as invoked_by,
    (pattern -> 'detail' -> 'eventType') as event_types,
    (pattern -> 'detail' -> 'eventType' -> 0 -> 'anything-but') as event_types_but
  from patterns
),

parts as (
  select
    f.*,
    coalesce(f.identity_types @> '["Root"]'::jsonb, false) as selects_root,
    jsonb_typeof(f.event_types) as event_types_kind,
    jsonb_typeof(f.event_types_but) as event_types_but_kind,
    jsonb_typeof(f.invoked_by) as invoked_by_kind,
    case
      when (f.detail -> 'eventName') is not null then 'detail.eventName'
      when (f.detail -> 'eventSource') is not null then 'detail.eventSource'
      when (f.detail -> 'errorCode') is not null then 'detail.errorCode'
      when (f.detail -> 'errorMessage') is not null then 'detail.errorMessage'
      when (f.detail -> 'readOnly') is not null then 'detail.readOnly'
      when (f.detail -> 'managementEvent') is not null then 'detail.managementEvent'
      when (f.detail -> 'eventCategory') is not null then 'detail.eventCategory'
      when (f.detail -> 'awsRegion') is not null then 'detail.awsRegion'
      when (f.detail -> 'sourceIPAddress') is not null then 'detail.sourceIPAddress'
      when (f.detail -> 'userAgent') is not null then 'detail.userAgent'
      when (f.detail -> 'recipientAccountId') is not null then 'detail.recipientAccountId'
      when (f.detail -> 'requestParameters') is not null then 'detail.requestParameters'
      when (f.detail -> 'responseElements') is not null then 'detail.responseElements'
      when (f.detail -> 'additionalEventData') is not null then 'detail.additionalEventData'
      when (f.identity -> 'arn') is not null then 'detail.userIdentity.arn'
      when (f.identity -> 'accountId') is not null then 'detail.userIdentity.accountId'
      when (f.identity -> 'principalId') is not null then 'detail.userIdentity.principalId'
      when (f.identity -> 'accessKeyId') is not null then 'detail.userIdentity.accessKeyId'
      when (f.identity -> 'sessionContext') is not null then 'detail.userIdentity.sessionContext'
    end as narrowing_field
  from fields as f
)

select
  p.pattern,
  p.selects_root,
  case
    when p.identity_types is not null and not p.selects_root then 'matches userIdentity types other than Root'
    when p.detail_types is not null and not coalesce(p.detail_types @> '["AWS Console Sign In via CloudTrail"]'::jsonb, false)
      then 'leaves out detail type AWS Console Sign In via CloudTrail, so root console sign-ins never match'
    when p.detail_types is not null and not coalesce(p.detail_types @> '["AWS API Call via CloudTrail"]'::jsonb, false)
      then 'leaves out detail type AWS API Call via CloudTrail, so root API calls never match'
    when p.sources is not null and not coalesce(p.sources @> '[{"prefix": "aws."}]'::jsonb, false)
      then 'filters on source without {"prefix": "aws."}, so root activity in other services never matches'
    when
      p.invoked_by is not null
      and not (
        p.invoked_by_kind = 'array' and jsonb_array_length(p.invoked_by) = 1
        and coalesce(p.invoked_by @> '[{"exists": false}]'::jsonb, false)
      )
      then 'filters on detail.userIdentity.invokedBy other than [{"exists": false}]'
    when
      p.event_types is not null
      and not (
        coalesce(p.event_types @> '["AwsApiCall", "AwsConsoleSignIn"]'::jsonb, false)
        or p.event_types_kind = 'array' and jsonb_array_length(p.event_types) = 1
        and (
          p.event_types_but_kind = 'string' and p.event_types_but = '"AwsServiceEvent"'::jsonb
          or p.event_types_but_kind = 'array' and jsonb_array_length(p.event_types_but) = 1
          and coalesce(p.event_types_but @> '["AwsServiceEvent"]'::jsonb, false)
        )
      )
      then 'filters on detail.eventType other than anything-but AwsServiceEvent'
    when p.narrowing_field is not null then 'also filters on ' || p.narrowing_field
  end as pattern_problem
from parts as p
