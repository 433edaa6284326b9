-- Root activity is alerted on, one row per account: it reaches a person through the CIS chain
-- (the verdict of root_usage_monitored, relation root_usage_verdicts) or through EventBridge.
-- EventBridge carries it when, in us-east-1 (where root console sign-ins are recorded; aws
-- partition) and in every region where a trail of the account logs (or may: logging status not
-- captured), an enabled rule on the account's default bus (where CloudTrail delivers) asks for
-- root activity and lets all of it through to a target that delivers (relation root_event_paths:
-- the rule and target that get furthest in each region with such a rule): an SNS topic with a
-- confirmed subscription, an SQS queue, a Lambda function, or an event bus (the hub of a
-- hub-and-spoke monitor) with such a rule of its own. A hub whose account is not in the data, or
-- whose rules in that region are not, is not checked, and the reason says so; so is a rule in
-- state ENABLED, which receives no read-only calls.
-- Otherwise the reason names the first missing piece, us-east-1 first, then the trail regions.
-- The status: ok when either path delivers; skip when the first missing piece is a rule's targets
-- that were not captured; else the CIS verdict's own info or error, else alarm. A region whose
-- rules the snapshot did not capture is indistinguishable here from one without rules: the runner
-- grades such a verdict skip, by the region dimension (passes_stand_without in the YAML).

-- Where a trail of the account logs: a multi-region trail in every region the data lists it in,
-- another in its home region; an organization trail whose owner is not in the data where it is seen.
-- Kept whole by both planners (it has two readers): inlined in each instead (NOT MATERIALIZED),
-- DuckDB needed 20 MB less at 10,000 accounts, but Postgres then joined the few first gaps to the
-- trails before the trails to their coverage, and looped over the coverage for each (117 x 20,000).
with trail_logs_in as (
  select t.account_id, t.region, c.label
  from aws_cloudtrail_trail as t
  inner join trail_coverage as c on t.account_id = c.account_id and t.arn = c.arn
  where
    c.is_logging is not false
    and (not c.resolved or c.is_multi_region_trail or t.region = c.home_region)
),

-- The regions alone: the trail's name is looked up for the one region a reason names (first_gap).
-- Carried on each of the 170,000 required regions at 10,000 accounts, it cost 30 MB on DuckDB.
trail_regions as (
  select distinct account_id, region from trail_logs_in
),

-- us-east-1 is required of every account of the aws partition, whether a trail logs there or not:
-- the account's row and its trail's us-east-1 row, if any, are grouped, not joined. Postgres sizes
-- trail_regions at a handful of rows, and a join of it to the accounts ran as a nested loop over
-- both (1.7 billion row pairs at 10,000 accounts).
required_regions as (
  select
    account_id,
    'us-east-1' as region,
    0 as region_order,
    bool_or(from_trail) as trail_logs
  from (
    select account_id, false as from_trail from accounts where coalesce(partition, 'aws') = 'aws'
    union all
    select account_id, true as from_trail from trail_regions where region = 'us-east-1'
  ) as east
  group by account_id
  having not bool_and(from_trail)  -- the account's own row is among them: a trail alone is no required region
  union all
  select
    tr.account_id,
    tr.region,
    1 as region_order,
    true as trail_logs
  from trail_regions as tr
  inner join accounts as a on tr.account_id = a.account_id
  where tr.region <> 'us-east-1' or coalesce(a.partition, 'aws') <> 'aws'
),

-- How far each required region got (9: it delivers), narrow: all of them are aggregated per account.
-- 0 where no trail logs (us-east-1 only); else a region without a rule got to 1, one with rules as
-- far as its best combination (root_event_paths' depth, from 2), which is further. A region with
-- rules that is not required is left out. Grouped, not tested for rules one region at a time: on
-- DuckDB that test was a hash table of every required region or of every rule, whichever it
-- guessed smaller.
region_depths as (
  select
    account_id,
    region,
    min(region_order) as region_order,
    case when bool_or(required and not trail_logs) then 0 else max(depth) end as depth
  from (
    select account_id, region, region_order, 1 as depth, true as required, trail_logs from required_regions
    union all
    select account_id, region, null as region_order, depth, false as required, null as trail_logs
    from root_event_paths
  ) as d
  group by account_id, region
  having bool_or(required)
),

event_path as (
  select
    account_id,
    bool_and(depth = 9) as delivers,
    min(case when region_order = 0 then region end) as first_region
  from region_depths
  group by account_id
),

-- The words of the regions that deliver, per account: read only when the account delivers, when
-- every one of its regions is a region with a rule that delivers. Aggregated without a join to
-- event_path, which the planners cannot size. A region delivers through its rule's own target, or
-- through the target of the hub's rule when it forwards to an event bus: that target is named here,
-- from its parts, and not carried as text through the ranking of every combination (at 10,000
-- accounts on DuckDB, the two target texts held 130 MB there). Regions whose rule of one name
-- delivers the same way are named together ("rule r in us-east-1, eu-west-1 forwards to ..."): a
-- hub-and-spoke monitor is one clause, not one per region (at 10,000 accounts the reasons were
-- 1.9 KB long on average, up to 6.4 KB, and their aggregation held 90 MB on DuckDB).
delivery_texts as (
  select
    c.account_id,
    string_agg('rule ' || c.rule_name || ' in ' || c.regions || c.delivery, '; ' order by c.first_region) as delivery_text
  from (
    select
      d.account_id,
      d.rule_name,
      d.delivery,
      min(case when d.region_order = 0 then '' else d.region end) as first_region,  -- us-east-1 first
      string_agg(d.region, ', ' order by d.region_order, d.region) as regions
    from (
      select
        r.account_id,
        r.region,
        r.region_order,
        r.rule_name,
        case when r.sees_read_only then '' else
          ' (state ' || coalesce(r.state, '(none)') || ', which receives no read-only root calls; '
          || 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS does)'
        end
        || case
          when r.kind = 'event bus' then
            ' forwards to event bus ' || r.target_bus || ' of account ' || r.target_account_id || ' in '
            || r.target_region
            || case
              when not r.hub_in_data then
                ' (account ' || r.target_account_id || ' is not in the snapshot, so the hub was not checked)'
              when not r.hub_rules_seen then
                ' (the snapshot holds no EventBridge rule of account ' || r.target_account_id || ' in '
                || r.target_region || ', so the hub was not checked)'
              else ', whose rule ' || r.hub_rule || ' delivers to ' || r.reached_text
            end
          else ' delivers to ' || r.reached_text
        end as delivery
      from (
        -- How a reason names a target: "SNS topic <arn> (1 confirmed subscription)".
        select
          e.*,
          coalesce(e.reached_kind, 'target') || ' ' || e.reached_arn
          || case
            when coalesce(e.reached_kind, '') <> 'SNS topic' then ''
            when not e.reached_topic_seen then
              ' (its account is not in the snapshot, so its subscriptions were not checked)'
            when e.reached_confirmed = 1 then ' (1 confirmed subscription)'
            else ' (' || e.reached_confirmed || ' confirmed subscriptions)'
          end as reached_text
        from (
          select
            b.*,
            d.region_order,
            case when b.kind = 'event bus' then b.hub_target_kind else b.kind end as reached_kind,
            case when b.kind = 'event bus' then b.hub_target_arn else b.target_arn end as reached_arn,
            case when b.kind = 'event bus' then b.hub_topic_seen else b.topic_seen end as reached_topic_seen,
            case when b.kind = 'event bus' then b.hub_confirmed else b.confirmed end as reached_confirmed
          from root_event_paths as b
          inner join region_depths as d on b.account_id = d.account_id and b.region = d.region
          where d.depth = 9
        ) as e
      ) as r
    ) as d
    group by d.account_id, d.rule_name, d.delivery
  ) as c
  group by c.account_id
),

-- The first required region that does not deliver, per account: us-east-1 first (the only region
-- of order 0), then by name. Picked, not joined to its own minimum: a join of these rows to an
-- aggregate of them is one the planners cannot size. Picked from the narrow rows; the words come
-- from the one picked row's rule (depth 2 and over) or trail (depth 1) below. Picking among the
-- rule rows themselves held every gap's rule, target and hub columns in a window on DuckDB.
first_gap_row as (
  select distinct on (account_id) account_id, region, region_order, depth
  from region_depths
  where depth < 9
  order by account_id, region_order, region
),

-- The name of a trail that logs in the picked region, for a region without a rule (depth 1):
-- looked up for those regions only, not carried on every required region.
first_gap_trail as (
  select f.account_id, min(l.label) as trail_label
  from first_gap_row as f
  inner join trail_logs_in as l on f.account_id = l.account_id and f.region = l.region
  where f.depth = 1 and f.region_order = 1
  group by f.account_id
),

first_gap as (
  select
    g.account_id,
    g.region,
    g.depth,
    case g.depth
      when 0 then
        'no CloudTrail trail logs in us-east-1, where root console sign-ins are recorded, and EventBridge '
        || 'receives CloudTrail events only from a logging trail'
      when 1 then
        'no EventBridge rule for root activity in ' || g.region
        || coalesce(', where ' || g.trail_label || ' logs', ', where root console sign-ins are recorded')
      when 2 then g.rule_text || ' ' || g.pattern_problem
      when 3 then g.rule_text || ' is in state ' || coalesce(g.state, '(none)')
      when 4 then
        'the targets of ' || g.rule_text || ' were not captured (aws events list-targets-by-rule --rule '
        || g.rule_name || ')'
      when 5 then g.rule_text || ' has no targets'
      when 6 then
        g.rule_text || ' targets ' || g.target_arn
        || ', which is not an event bus, SNS topic, SQS queue or Lambda function'
      when 7 then
        g.rule_text || ' targets SNS topic ' || g.target_arn || ', which has no confirmed subscription ('
        || g.pending || ' pending confirmation)'
      when 8 then
        g.rule_text || ' forwards to event bus ' || g.target_bus || ' of account ' || g.target_account_id || ' in '
        || g.target_region || ', where no enabled rule passes root activity to an'
        || ' SNS topic with a confirmed subscription, an SQS queue or a Lambda function'
    end as gap_text
  from (
    select
      f.*,
      'rule ' || b.rule_name || ' in ' || f.region as rule_text,
      b.rule_name,
      b.state,
      b.pattern_problem,
      b.target_arn,
      b.pending,
      b.target_account_id,
      b.target_region,
      b.target_bus,
      l.trail_label
    from first_gap_row as f
    left join root_event_paths as b on f.depth >= 2 and f.account_id = b.account_id and f.region = b.region
    left join first_gap_trail as l on f.account_id = l.account_id
  ) as g
)

select
  a.root_arn as resource,
  case
    when v.status = 'ok' or e.delivers then 'ok'
    when g.depth = 4 then 'skip'
    when v.status in ('info', 'error') then v.status
    else 'alarm'
  end as status,
  case
    when v.status = 'ok' and e.delivers then
      'Root activity reaches a person through EventBridge (' || x.delivery_text || ') and through the CIS chain: '
      || v.reason
    when v.status = 'ok' then 'Root activity reaches a person through the CIS chain: ' || v.reason
    when e.delivers then
      'Root activity reaches a person through EventBridge: ' || x.delivery_text || '. Not through the CIS chain: '
      || v.reason
    when g.depth = 4 then
      'Not assessed: ' || g.gap_text || ', so whether EventBridge carries root activity is not known. '
      || 'Through the CIS chain: ' || v.reason
    else
      'Root activity reaches no one through EventBridge: '
      || coalesce(
        g.gap_text,
        'no CloudTrail trail of account ' || a.account_id
        || ' logs, and EventBridge receives CloudTrail events only from a logging trail'
      )
      || '. Through the CIS chain: ' || v.reason
  end as reason,
  a.account_id,
  case
    when v.status = 'ok' then v.region
    when e.delivers then coalesce(e.first_region, v.region)
    else coalesce(g.region, v.region)
  end as region
from accounts as a
inner join root_usage_verdicts as v on a.account_id = v.account_id
left join event_path as e on a.account_id = e.account_id
left join delivery_texts as x on a.account_id = x.account_id
left join first_gap as g on a.account_id = g.account_id
order by a.account_id
