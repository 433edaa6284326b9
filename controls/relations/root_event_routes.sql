-- Where EventBridge rules send what they match: one row per rule of root_event_rules and distinct
-- target ARN; a rule with no target (targets not captured, or none) has one row, its target columns
-- NULL. The rule's columns are root_event_rules' (rule_arn and rule_name are its arn and name).
--   kind:       'event bus', 'SNS topic', 'SQS queue', 'Lambda function', NULL for anything else
--   target_account_id, target_region: from the target's ARN; target_bus: an event bus's name
--   confirmed, pending: an SNS topic's subscriptions (sns_topics), 0 when it has none
--   topic_seen: the topic's account is in the data, so "no confirmed subscription" is a fact about
--               it and not a gap in the snapshot
--   delivers:   the target reaches a person by itself: a queue, a function, or a topic with a
--               confirmed subscription (or one whose account is not in the data); an event bus
--               delivers through the rules of the bus it forwards to
-- A rule and its targets come from one row of aws_eventbridge_rule, so they are not joined on the
-- rule: each distinct list of targets (rules deployed together share one) is taken apart and
-- described once, and joined to its rules by the list itself. At 10,000 accounts (87,501 rules,
-- 5,002 lists, DuckDB) the rules and targets as two relations joined on the rule ARN held about
-- 100 MB of hash tables and kept rows; this holds a table of the distinct lists.
-- A list naming one ARN twice (two targets with their own inputs) gives one row for it.
with listed as (
  select distinct l.targets, x.value ->> 'Arn' as target_arn
  from
    (select distinct targets from aws_eventbridge_rule where targets is not null) as l,
    jsonb_array_elements(l.targets) as x
),

kinds as (
  select
    l.*,
    split_part(l.target_arn, ':', 4) as target_region,
    split_part(l.target_arn, ':', 5) as target_account_id,
    case
      when split_part(l.target_arn, ':', 3) = 'events' and split_part(l.target_arn, ':', 6) like 'event-bus/%'
        then 'event bus'
      when split_part(l.target_arn, ':', 3) = 'sns' then 'SNS topic'
      when split_part(l.target_arn, ':', 3) = 'sqs' then 'SQS queue'
      when split_part(l.target_arn, ':', 3) = 'lambda' then 'Lambda function'
    end as kind
  from listed as l
),

described as (
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
)

select
  r.account_id,
  r.region,
  r.arn as rule_arn,
  r.name as rule_name,
  r.event_bus_name,
  r.state,
  r.selects_root,
  r.enabled,
  r.sees_read_only,
  r.targets_captured,
  r.pattern_problem,
  t.target_arn,
  t.target_region,
  t.target_account_id,
  t.kind,
  t.target_bus,
  t.confirmed,
  t.pending,
  t.topic_seen,
  t.delivers
from root_event_rules as r
left join described as t on r.targets = t.targets
