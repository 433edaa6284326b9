-- EventBridge rules judged as monitors of root activity, one row per rule of aws_eventbridge_rule.
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
--   enabled:         state ENABLED or ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS
--   sees_read_only:  the latter; a rule in state ENABLED receives no read-only management events
--   targets_captured: ListTargetsByRule was read (targets NULL is not captured; [] is none)
-- The pattern's parts are taken apart once, here, so that no function call holds a -> (DuckDB
-- would read it as a lambda).
with rules as (
  select
    account_id,
    region,
    arn,
    name,
    coalesce(event_bus_name, 'default') as event_bus_name,
    state,
    targets,
    event_pattern as pattern,
    (event_pattern -> 'detail-type') as detail_types,
    (event_pattern -> 'source') as sources,
    (event_pattern -> 'detail') as detail,
    (event_pattern -> 'detail' -> 'userIdentity') as identity,
    (event_pattern -> 'detail' -> 'userIdentity' -> 'type') as identity_types,
    (event_pattern -> 'detail' -> 'userIdentity' -> 'invokedBy') as invoked_by,
    (event_pattern -> 'detail' -> 'eventType') as event_types,
    (event_pattern -> 'detail' -> 'eventType' -> 0 -> 'anything-but') as event_types_but
  from aws_eventbridge_rule
),

parts as (
  select
    r.*,
    coalesce(r.identity_types @> '["Root"]'::jsonb, false) as selects_root,
    jsonb_typeof(r.event_types) as event_types_kind,
    jsonb_typeof(r.event_types_but) as event_types_but_kind,
    jsonb_typeof(r.invoked_by) as invoked_by_kind,
    case
      when (r.detail -> 'eventName') is not null then 'detail.eventName'
      when (r.detail -> 'eventSource') is not null then 'detail.eventSource'
      when (r.detail -> 'errorCode') is not null then 'detail.errorCode'
      when (r.detail -> 'errorMessage') is not null then 'detail.errorMessage'
      when (r.detail -> 'readOnly') is not null then 'detail.readOnly'
      when (r.detail -> 'managementEvent') is not null then 'detail.managementEvent'
      when (r.detail -> 'eventCategory') is not null then 'detail.eventCategory'
      when (r.detail -> 'awsRegion') is not null then 'detail.awsRegion'
      when (r.detail -> 'sourceIPAddress') is not null then 'detail.sourceIPAddress'
      when (r.detail -> 'userAgent') is not null then 'detail.userAgent'
      when (r.detail -> 'recipientAccountId') is not null then 'detail.recipientAccountId'
      when (r.detail -> 'requestParameters') is not null then 'detail.requestParameters'
      when (r.detail -> 'responseElements') is not null then 'detail.responseElements'
      when (r.detail -> 'additionalEventData') is not null then 'detail.additionalEventData'
      when (r.identity -> 'arn') is not null then 'detail.userIdentity.arn'
      when (r.identity -> 'accountId') is not null then 'detail.userIdentity.accountId'
      when (r.identity -> 'principalId') is not null then 'detail.userIdentity.principalId'
      when (r.identity -> 'accessKeyId') is not null then 'detail.userIdentity.accessKeyId'
      when (r.identity -> 'sessionContext') is not null then 'detail.userIdentity.sessionContext'
    end as narrowing_field
  from rules as r
)

select
  p.account_id,
  p.region,
  p.arn,
  p.name,
  p.event_bus_name,
  p.state,
  p.targets,
  p.selects_root,
  coalesce(p.state, '') in ('ENABLED', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS') as enabled,
  coalesce(p.state, '') = 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS' as sees_read_only,
  p.targets is not null as targets_captured,
  case
    when p.pattern is null then 'has no event pattern'
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
