-- EventBridge rules judged as monitors of root activity, one row per rule of aws_eventbridge_rule,
-- with its pattern's verdict (root_event_patterns: selects_root, pattern_problem).
--   enabled:         state ENABLED or ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS
--   sees_read_only:  the latter; a rule in state ENABLED receives no read-only management events
--   targets_captured: ListTargetsByRule was read (targets NULL is not captured; [] is none)
select
  r.account_id,
  r.region,
  r.arn,
  r.name,
  coalesce(r.event_bus_name, 'default') as event_bus_name,
  r.state,
  r.targets,
  coalesce(p.selects_root, false) as selects_root,
  coalesce(r.state, '') in ('ENABLED', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS') as enabled,
  coalesce(r.state, '') = 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS' as sees_read_only,
  r.targets is not null as targets_captured,
  case when r.event_pattern is null then 'has no event pattern' else p.pattern_problem end as pattern_problem
from aws_eventbridge_rule as r
left join root_event_patterns as p on r.event_pattern = p.pattern
