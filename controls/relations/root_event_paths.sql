-- How far EventBridge takes root activity in each region of an account where a rule on its default
-- bus asks for it (root_event_rules' selects_root): one row per account and such region, the
-- combination of rule and target (root_event_routes) that got furthest toward a person, with:
--   depth: 2 the rule's pattern keeps root activity out (pattern_problem), 3 the rule is not
--          enabled, 4 its targets were not captured, 5 it has none, 6 its target is no event bus,
--          SNS topic, SQS queue or Lambda function, 7 an SNS topic without a confirmed subscription,
--          8 an event bus (the hub of a hub-and-spoke monitor) where no rule passes root activity
--          on to a target that delivers, 9 it delivers
--   the rule's and target's columns (root_event_routes'), and the hub's: hub_rule and its target
--   (hub_target_kind, hub_target_arn, hub_topic_seen, hub_confirmed); hub_in_data (the hub's
--   account is in the data) and hub_rules_seen (the data holds rules of that account in that
--   region): without either, the hub was not checked, and a reason says so
-- Ties go to a rule that receives read-only calls, then to a target that was checked, then by rule
-- name and target ARN.
-- Read by root_activity_alerted alone, and none of the CIS chain: a run that keeps rows computes it
-- beside the chain (rootwatch.computed_once), not after it inside the control. At 10,000 accounts
-- (87,500 regions with a rule, DuckDB) it was a third of the control's time.

with hub_buses as (
  -- The event buses rules forward to (the hubs of hub-and-spoke monitors): a few, however many
  -- buses and rules the data holds.
  select distinct target_account_id as account_id, target_region as region, target_bus as event_bus_name
  from root_event_routes
  where kind = 'event bus'
),

-- Per hub, the first rule that passes root activity to a target that delivers by itself.
hub_candidates as (
  select
    r.account_id,
    r.region,
    r.event_bus_name,
    r.rule_name,
    r.kind,
    r.target_arn,
    r.topic_seen,
    r.confirmed,
    case when r.kind = 'SNS topic' and not r.topic_seen then 1 else 0 end as unverified
  from hub_buses as b
  inner join root_event_routes as r
    on b.account_id = r.account_id and b.region = r.region and b.event_bus_name = r.event_bus_name
  where r.enabled and r.pattern_problem is null and r.delivers
),

hub_rules as (
  select distinct on (c.account_id, c.region, c.event_bus_name) c.*
  from hub_candidates as c
  order by c.account_id, c.region, c.event_bus_name, c.unverified, c.rule_name, c.target_arn
),

-- Each hub with what the data says of it: its account is in the data (else it was not checked),
-- the data holds rules of that account in that region (else neither), and its first rule. One row
-- per hub, joined once to the combinations below: joined there one by one, the account and region
-- lists were hash tables of every account and every region with rules (87,500 at 10,000 accounts),
-- and a misjudged size made DuckDB hold the wide combinations instead.
hubs as (
  select
    b.account_id,
    b.region,
    b.event_bus_name,
    a.account_id is not null as in_data,
    exists(
      select 1 from aws_eventbridge_rule as r where r.account_id = b.account_id and r.region = b.region
    ) as rules_seen,
    h.rule_name,
    h.kind,
    h.target_arn,
    h.topic_seen,
    h.confirmed
  from hub_buses as b
  left join accounts as a on b.account_id = a.account_id
  left join hub_rules as h
    on b.account_id = h.account_id and b.region = h.region and b.event_bus_name = h.event_bus_name
),

-- Every combination of a rule for root activity on an account's default bus and its target, in
-- each region with such a rule, and how far it gets there (depth). Not joined to the regions where
-- a trail logs: the pick below is the same in any region, and root_activity_alerted keeps the
-- regions it requires. (Joined to them, DuckDB held a hash table of either side, 170,000 required
-- regions or 87,500 rules at 10,000 accounts: 35 MB.) It carries the columns a reason's words are
-- made of, not the words: the control words them after the pick, for the regions a reason names.
-- (Worded before it instead, the ranking held one text per combination in place of those columns,
-- in as much memory on DuckDB.)
combos as (
  select
    r.account_id,
    r.region,
    r.rule_name,
    r.state,
    r.sees_read_only,
    r.pattern_problem,
    r.kind,
    r.target_arn,
    r.confirmed,
    r.pending,
    r.topic_seen,
    r.target_account_id,
    r.target_region,
    r.target_bus,
    h.rule_name as hub_rule,
    h.kind as hub_target_kind,
    h.target_arn as hub_target_arn,
    h.topic_seen as hub_topic_seen,
    h.confirmed as hub_confirmed,
    coalesce(h.in_data, false) as hub_in_data,
    coalesce(h.rules_seen, false) as hub_rules_seen,
    case
      when r.pattern_problem is not null then 2
      when not r.enabled then 3
      when not r.targets_captured then 4
      when r.target_arn is null then 5
      when r.kind is null then 6
      when r.kind = 'SNS topic' and not r.delivers then 7
      when r.kind = 'event bus' and h.in_data and h.rules_seen and h.rule_name is null then 8
      else 9
    end as depth
  from root_event_routes as r
  left join hubs as h
    on
      r.kind = 'event bus' and r.target_account_id = h.account_id and r.target_region = h.region
      and r.target_bus = h.event_bus_name
  where r.event_bus_name = 'default' and r.selects_root
),

-- The combination that got furthest in each region with a rule. A CTE, not the statement itself:
-- its rows need no order (a run that keeps them sorted them for nothing on DuckDB).
rule_best as (
  select distinct on (c.account_id, c.region) c.*
  from combos as c
  order by
    c.account_id,
    c.region,
    c.depth desc,
    case when c.sees_read_only then 0 else 1 end,
    case
      when c.kind = 'event bus' and not (c.hub_in_data and c.hub_rules_seen) then 1
      when c.kind = 'SNS topic' and not c.topic_seen then 1
      else 0
    end,
    coalesce(c.rule_name, ''),
    coalesce(c.target_arn, '')
)

select * from rule_best
