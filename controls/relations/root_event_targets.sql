-- The targets of EventBridge rules, one row per rule (root_event_rules) and target, for rules whose
-- targets were captured; a rule without targets has no row.
--   kind:       'event bus', 'SNS topic', 'SQS queue', 'Lambda function', NULL for anything else
--   target_account_id, target_region: from the target's ARN; target_bus: an event bus's name
--   confirmed, pending: an SNS topic's subscriptions (sns_topics), 0 when it has none
--   topic_seen: the topic's account is in the data, so "no confirmed subscription" is a fact about
--               it and not a gap in the snapshot
--   delivers:   the target reaches a person by itself: a queue, a function, or a topic with a
--               confirmed subscription (or one whose account is not in the data); an event bus
--               delivers through the rules of the bus it forwards to
-- A rule listing one ARN twice (two targets with their own inputs) has one row for it. The distinct
-- also keeps Postgres from planning the joins below inside the loop over each rule's targets: it
-- then scanned sns_topics and accounts once per rule (87,501 x 10,000 rows each at 10,000 accounts).
-- The targets are read from aws_eventbridge_rule, whose rows root_event_rules judges one for one,
-- and not through root_event_rules: a reader of both (root_activity_alerted) would otherwise keep
-- every rule's targets JSON in root_event_rules' rows for the whole statement, which DuckDB
-- materializes (30 MB of the 400 the statement needs at 10,000 accounts).
with targets as (
  select distinct
    r.account_id,
    r.region,
    coalesce(r.event_bus_name, 'default') as event_bus_name,
    r.name as rule_name,
    r.arn as rule_arn,
    x.value ->> 'Arn' as target_arn
  from aws_eventbridge_rule as r, jsonb_array_elements(r.targets) as x
),

kinds as (
  select
    t.*,
    split_part(t.target_arn, ':', 4) as target_region,
    split_part(t.target_arn, ':', 5) as target_account_id,
    case
      when split_part(t.target_arn, ':', 3) = 'events' and split_part(t.target_arn, ':', 6) like 'event-bus/%'
        then 'event bus'
      when split_part(t.target_arn, ':', 3) = 'sns' then 'SNS topic'
      when split_part(t.target_arn, ':', 3) = 'sqs' then 'SQS queue'
      when split_part(t.target_arn, ':', 3) = 'lambda' then 'Lambda function'
    end as kind
  from targets as t
)

select
  k.*,
  case when k.kind = 'event bus' then substr(split_part(k.target_arn, ':', 6), 11) end as target_bus,
  coalesce(s.confirmed, 0) as confirmed,
  coalesce(s.pending, 0) as pending,
  a.account_id is not null as topic_seen,
  k.kind in ('SQS queue', 'Lambda function')
  or k.kind = 'SNS topic' and (coalesce(s.confirmed, 0) > 0 or a.account_id is null) as delivers
from kinds as k
left join sns_topics as s on k.kind = 'SNS topic' and s.topic_arn = k.target_arn
left join accounts as a on k.kind = 'SNS topic' and a.account_id = k.target_account_id
