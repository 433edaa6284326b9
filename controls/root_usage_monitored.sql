-- Usage of the root user is monitored (CIS v1.2 3.3, v1.3-v5 4.3, v6-v7 5.3).
-- One row per account, ok when one full chain exists:
--   trail: multi-region, logging, all read and write management events (as in
--          cloudtrail_enabled_all_regions), delivering to a CloudWatch Logs group
--   -> metric filter on that log group (same account and region) whose pattern is exactly the
--      three CIS clauses in any order, split on && after removing braces and parentheses, each
--      compared without quotes and without spaces around operators (no ||; an extra clause
--      narrows what is counted and fails; a space inside a value changes the value)
--   -> alarm in that account and region on the filter's metric name and namespace, actions enabled
--   -> an alarm action that is an SNS topic -> a confirmed subscription on that topic.
-- Otherwise the chain that got furthest is reported with the Security Hub CloudWatch.1 code of its
-- first missing link. An organization trail seen from a member account is resolved in the owning
-- account (where its log group, filters and alarms live) when the snapshot holds it, else `info`.
with accounts as (
  select distinct on (account_id) account_id, partition
  from aws_account
  order by account_id, partition
),
-- Shadow copies of a multi-region trail count once (prefer the home-region copy).
trails as (
  select distinct on (account_id, arn)
    account_id,
    arn,
    -- The trail ARN carries the home region and the name when a capture lacks them.
    coalesce(name, split_part(arn, '/', 2)) as name,
    coalesce(home_region, split_part(arn, ':', 4)) as home_region,
    split_part(arn, ':', 5) as owner_account_id,
    coalesce(is_organization_trail, false) as is_organization_trail,
    coalesce(is_multi_region_trail, false) as is_multi_region_trail,
    is_logging,
    nullif(log_group_arn, '') as log_group_arn,
    case when jsonb_typeof(event_selectors) = 'array' then event_selectors else '[]'::jsonb end
      as event_selectors,
    case when jsonb_typeof(advanced_event_selectors) = 'array' then advanced_event_selectors else '[]'::jsonb end
      as advanced_event_selectors
  from aws_cloudtrail_trail
  where arn is not null
  order by
    account_id,
    arn,
    case when region = coalesce(home_region, split_part(arn, ':', 4)) then 0 else 1 end,
    case when is_logging is null then 1 else 0 end,
    region
),
classic_selectors as (
  select
    t.account_id,
    t.arn,
    coalesce(s.value ->> 'IncludeManagementEvents', '') = 'true' as includes_management,
    coalesce(s.value ->> 'ReadWriteType', '(unset)') as read_write_type,
    case
      when jsonb_typeof(s.value -> 'ExcludeManagementEventSources') = 'array'
        then s.value -> 'ExcludeManagementEventSources'
      else '[]'::jsonb
    end as excluded_sources
  from trails as t, jsonb_array_elements(t.event_selectors) as s
),
-- CloudTrail records an event when any selector matches, so read and write events may come from
-- one selector (ReadWriteType All) or from two (ReadOnly and WriteOnly).
classic as (
  select
    account_id,
    arn,
    bool_or(includes_management and read_write_type in ('All', 'ReadOnly') and jsonb_array_length(excluded_sources) = 0)
      and bool_or(includes_management and read_write_type in ('All', 'WriteOnly') and jsonb_array_length(excluded_sources) = 0)
      as all_management,
    bool_or(includes_management and read_write_type = 'All' and jsonb_array_length(excluded_sources) = 0)
      as one_selector,
    bool_or(includes_management and read_write_type in ('All', 'ReadOnly'))
      and bool_or(includes_management and read_write_type in ('All', 'WriteOnly')) as read_write_all,
    bool_or(includes_management) as any_management
  from classic_selectors
  group by account_id, arn
),
classic_read_write_types as (
  select account_id, arn, string_agg(distinct read_write_type, ', ' order by read_write_type) as types
  from classic_selectors
  where includes_management
  group by account_id, arn
),
classic_exclusions as (
  select c.account_id, c.arn, string_agg(distinct x.value, ', ' order by x.value) as sources
  from classic_selectors as c, jsonb_array_elements_text(c.excluded_sources) as x
  where c.includes_management
  group by c.account_id, c.arn
),
advanced_fields as (
  select
    t.account_id,
    t.arn,
    s.value as selector,
    coalesce(f.value ->> 'Field', '(unnamed)') as field,
    coalesce(f.value -> 'Equals', '[]'::jsonb) as equals
  from
    trails as t,
    jsonb_array_elements(t.advanced_event_selectors) as s,
    jsonb_array_elements(
      case when jsonb_typeof(s.value -> 'FieldSelectors') = 'array' then s.value -> 'FieldSelectors' else '[]'::jsonb end
    ) as f
),
-- A management selector restricted only by readOnly records read events (Equals "true"), write
-- events (Equals "false") or both (no readOnly field); any other field narrows it further.
advanced_selectors as (
  select
    account_id,
    arn,
    selector,
    bool_or(field = 'eventCategory' and equals @> '["Management"]'::jsonb) as management,
    bool_and(field in ('eventCategory', 'readOnly')) as only_read_only,
    bool_and(field <> 'readOnly' or equals @> '["true"]'::jsonb) as reads,
    bool_and(field <> 'readOnly' or equals @> '["false"]'::jsonb) as writes
  from advanced_fields
  group by account_id, arn, selector
),
advanced as (
  select
    account_id,
    arn,
    bool_or(management and only_read_only and reads) and bool_or(management and only_read_only and writes)
      as all_management,
    bool_or(management) as any_management
  from advanced_selectors
  group by account_id, arn
),
advanced_restrictions as (
  select f.account_id, f.arn, string_agg(distinct f.field, ', ' order by f.field) as fields
  from advanced_fields as f
  join advanced_selectors as s
    on s.account_id = f.account_id and s.arn = f.arn and s.selector = f.selector
  where s.management and f.field <> 'eventCategory'
  group by f.account_id, f.arn
),
evaluated as (
  select
    t.account_id,
    t.arn,
    coalesce(c.all_management, false) or coalesce(a.all_management, false) as records_all,
    c.arn is null and a.arn is null as selectors_unknown,
    case
      when coalesce(c.all_management, false) or coalesce(a.all_management, false) then null
      when c.read_write_all then 'excludes management events from ' || ex.sources
      when c.any_management then
        'records only ' || rw.types || ' management events (read and write events are both required)'
      when c.arn is not null then 'has event selectors that include no management events'
      when a.any_management then 'has advanced event selectors that restrict management events by ' || ar.fields
      when a.arn is not null then 'has advanced event selectors that capture no management events'
    end as management_problem
  from trails as t
  left join classic as c on c.account_id = t.account_id and c.arn = t.arn
  left join classic_read_write_types as rw on rw.account_id = t.account_id and rw.arn = t.arn
  left join classic_exclusions as ex on ex.account_id = t.account_id and ex.arn = t.arn
  left join advanced as a on a.account_id = t.account_id and a.arn = t.arn
  left join advanced_restrictions as ar on ar.account_id = t.account_id and ar.arn = t.arn
),
-- Every trail an account sees, with the facts of the owner's row; an organization trail's log
-- group lives in the owning account, so the chain is looked up where the log group ARN points.
seen as (
  select
    t.account_id,
    t.arn,
    t.name,
    t.home_region,
    t.owner_account_id,
    o.arn is not null as resolved,
    o.is_multi_region_trail,
    o.is_logging,
    o.log_group_arn,
    split_part(o.log_group_arn, ':', 5) as group_account_id,
    split_part(o.log_group_arn, ':', 4) as group_region,
    split_part(o.log_group_arn, ':', 7) as group_name,
    e.records_all,
    e.selectors_unknown,
    e.management_problem,
    case
      when t.owner_account_id <> t.account_id then
        'organization trail ' || t.name || ' of account ' || t.owner_account_id
        || ' (home region ' || t.home_region || ')'
      when t.is_organization_trail then 'organization trail ' || t.name || ' (home region ' || t.home_region || ')'
      else 'trail ' || t.name || ' (home region ' || t.home_region || ')'
    end as label
  from trails as t
  left join trails as o on o.account_id = t.owner_account_id and o.arn = t.arn
  left join evaluated as e on e.account_id = o.account_id and e.arn = o.arn
),
graded_trails as (
  select
    s.*,
    -- A trail can carry the chain unless something is known to be wrong with it; one whose
    -- logging status or selectors were not captured is followed too, so that the verdict is
    -- `error` only when the rest of its chain is complete and the answer hinges on those facts.
    s.resolved and s.is_multi_region_trail and s.is_logging is not false and s.management_problem is null
      and s.log_group_arn is not null as carries_chain,
    s.resolved and s.is_multi_region_trail and coalesce(s.is_logging, false) and s.records_all
      and s.log_group_arn is not null as trail_compliant,
    concat_ws(
      '; ',
      case when not s.is_multi_region_trail then 'is single-region' end,
      case
        when s.is_logging = false then 'is not logging'
        when s.is_logging is null then
          'has no captured logging status (aws cloudtrail get-trail-status --name ' || s.name || ')'
      end,
      s.management_problem,
      case
        when s.selectors_unknown then
          'has no captured event selectors (aws cloudtrail get-event-selectors --trail-name ' || s.name || ')'
      end,
      case when s.log_group_arn is null then 'delivers to no CloudWatch Logs group' end
    ) as shortfalls
  from seen as s
),
trail_counts as (
  select account_id, count(*) as trails from graded_trails group by account_id
),
-- Metric filters, with braces and parentheses removed: they only group clauses here.
filters as (
  select distinct on (account_id, region, log_group_name, name)
    account_id,
    region,
    log_group_name,
    name,
    filter_pattern,
    metric_transformation_name as metric_name,
    metric_transformation_namespace as metric_namespace,
    regexp_replace(coalesce(filter_pattern, ''), '[(){}]', '', 'g') as ungrouped
  from aws_cloudwatch_log_metric_filter
  order by account_id, region, log_group_name, name
),
-- Each && clause made comparable: runs of whitespace become one space, spaces around = and != and
-- quotes around values go; whitespace inside a value stays, so "Ro ot" is not Root.
filter_clauses as (
  select
    f.account_id,
    f.region,
    f.log_group_name,
    f.name,
    regexp_replace(
      regexp_replace(trim(regexp_replace(r.raw_clause, '\s+', ' ', 'g')), ' ?(!=|=) ?', '\1', 'g'),
      '["'']', '', 'g'
    ) as clause
  from filters as f, unnest(string_to_array(f.ungrouped, '&&')) as r(raw_clause)
),
classified_clauses as (
  select
    c.*,
    case
      when c.clause in ('$.userIdentity.type=Root', '$.userIdentity.invokedBy NOT EXISTS', '$.eventType!=AwsServiceEvent', '')
        then null
      else c.clause
    end as extra_clause
  from filter_clauses as c
),
filter_checks as (
  select
    f.account_id,
    f.region,
    f.log_group_name,
    f.name,
    f.filter_pattern,
    f.metric_name,
    f.metric_namespace,
    strpos(f.ungrouped, '||') > 0 as has_or,
    coalesce(bool_or(c.clause = '$.userIdentity.type=Root'), false) as has_root_type,
    coalesce(bool_or(c.clause = '$.userIdentity.invokedBy NOT EXISTS'), false) as has_invoked_by,
    coalesce(bool_or(c.clause = '$.eventType!=AwsServiceEvent'), false) as has_event_type,
    count(c.extra_clause) as extra_count,
    string_agg(distinct c.extra_clause, ', ' order by c.extra_clause) as extras
  from filters as f
  left join classified_clauses as c
    on c.account_id = f.account_id and c.region = f.region and c.log_group_name = f.log_group_name and c.name = f.name
  group by f.account_id, f.region, f.log_group_name, f.name, f.filter_pattern, f.metric_name, f.metric_namespace, f.ungrouped
),
judged_filters as (
  select
    f.*,
    (case when f.has_root_type then 1 else 0 end) + (case when f.has_invoked_by then 1 else 0 end)
      + (case when f.has_event_type then 1 else 0 end) as required_present,
    f.has_root_type and f.has_invoked_by and f.has_event_type and not f.has_or and f.extra_count = 0 as valid,
    concat_ws(
      '; ',
      case
        when not (f.has_root_type and f.has_invoked_by and f.has_event_type) then
          'missing clause ' || concat_ws(
            ', ',
            case when not f.has_root_type then '$.userIdentity.type = Root' end,
            case when not f.has_invoked_by then '$.userIdentity.invokedBy NOT EXISTS' end,
            case when not f.has_event_type then '$.eventType != AwsServiceEvent' end
          )
      end,
      case when f.has_or then 'joins clauses with || (OR)' end,
      case when not f.has_or and f.extra_count > 0 then 'extra clause ' || f.extras || ' narrows it' end
    ) as problem
  from filter_checks as f
),
alarms as (
  select distinct on (account_id, region, name)
    account_id,
    region,
    name,
    metric_name,
    namespace,
    coalesce(actions_enabled, false) as actions_enabled,
    case when jsonb_typeof(alarm_actions) = 'array' then alarm_actions else '[]'::jsonb end as alarm_actions
  from aws_cloudwatch_alarm
  order by account_id, region, name
),
alarm_actions as (
  select a.account_id, a.region, a.name as alarm_name, x.value as action
  from alarms as a, jsonb_array_elements_text(a.alarm_actions) as x
),
-- Confirmed subscriptions have a real ARN; an unconfirmed one reads 'PendingConfirmation'.
topics as (
  select
    topic_arn,
    count(distinct case when subscription_arn like 'arn:%' and not coalesce(pending_confirmation, false)
      then subscription_arn end) as confirmed,
    count(distinct case when not (subscription_arn like 'arn:%' and not coalesce(pending_confirmation, false))
      then coalesce(protocol, '') || ':' || coalesce(endpoint, '') end) as pending
  from aws_sns_topic_subscription
  group by topic_arn
),
-- Every trail of every account, extended link by link as far as its chain goes.
chains as (
  select
    g.*,
    f.name as filter_name,
    f.filter_pattern,
    f.problem as filter_problem,
    f.valid as filter_valid,
    f.required_present,
    f.has_or,
    f.extra_count,
    f.metric_name,
    f.metric_namespace,
    al.name as alarm_name,
    al.actions_enabled,
    ac.action,
    split_part(coalesce(ac.action, ''), ':', 3) = 'sns' as action_is_topic,
    coalesce(tp.confirmed, 0) as confirmed,
    coalesce(tp.pending, 0) as pending,
    case
      when not g.carries_chain then 0
      when f.name is null then 1
      when not f.valid then 2
      when al.name is null then 3
      when not al.actions_enabled or ac.action is null then 4
      when split_part(ac.action, ':', 3) <> 'sns' then 5
      when coalesce(tp.confirmed, 0) = 0 then 6
      else 7
    end as stage
  from graded_trails as g
  left join judged_filters as f
    on g.carries_chain and f.account_id = g.group_account_id and f.region = g.group_region
    and f.log_group_name = g.group_name
  left join alarms as al
    on f.valid and al.account_id = g.group_account_id and al.region = g.group_region
    and al.metric_name = f.metric_name and al.namespace = f.metric_namespace
  left join alarm_actions as ac
    on al.actions_enabled and ac.account_id = al.account_id and ac.region = al.region and ac.alarm_name = al.name
  left join topics as tp on tp.topic_arn = ac.action
),
best as (
  select distinct on (account_id)
    c.*,
    case
      when c.stage = 7 and c.trail_compliant then 1
      when not c.resolved then 2
      when c.stage = 7 then 3
      else 4
    end as verdict
  from chains as c
  order by
    account_id,
    case when c.stage = 7 and c.trail_compliant then 1 when not c.resolved then 2 when c.stage = 7 then 3 else 4 end,
    c.stage desc,
    case when c.is_multi_region_trail then 0 else 1 end,
    case when c.is_logging then 0 else 1 end,
    case when c.records_all then 0 else 1 end,
    case when c.log_group_arn is not null then 0 else 1 end,
    coalesce(c.required_present, 0) desc,
    case when c.has_or then 1 else 0 end,
    coalesce(c.extra_count, 0),
    case when c.action_is_topic then 0 else 1 end,
    case when c.owner_account_id = c.account_id then 0 else 1 end,
    c.arn,
    coalesce(c.filter_name, ''),
    coalesce(c.alarm_name, ''),
    coalesce(c.action, '')
),
-- Hints for the reason: a valid root filter that the trail's log group does not have, and an alarm
-- on the right metric name in the wrong namespace or region.
valid_filter_elsewhere as (
  select distinct on (account_id) account_id, name, log_group_name, region
  from judged_filters
  where valid
  order by account_id, region, log_group_name, name
),
alarm_elsewhere as (
  select distinct on (account_id, metric_name) account_id, metric_name, name, namespace, region
  from alarms
  order by account_id, metric_name, region, namespace, name
),
described as (
  select
    b.*,
    b.group_name || ' in ' || b.group_region
      || case when b.group_account_id <> b.account_id then ' of account ' || b.group_account_id else '' end
      as group_text,
    coalesce(b.metric_namespace, '(none)') || '/' || coalesce(b.metric_name, '(none)') as metric_text,
    v.name as other_filter,
    v.log_group_name as other_filter_group,
    v.region as other_filter_region,
    ae.name as other_alarm,
    ae.namespace as other_alarm_namespace,
    ae.region as other_alarm_region
  from best as b
  left join valid_filter_elsewhere as v on b.stage = 1 and v.account_id = b.group_account_id
  left join alarm_elsewhere as ae on b.stage = 3 and ae.account_id = b.group_account_id and ae.metric_name = b.metric_name
)
select
  'arn:' || a.partition || ':iam::' || a.account_id || ':root' as resource,
  case
    when d.account_id is null then 'alarm'
    when d.verdict = 1 then 'ok'
    when d.verdict = 2 then 'info'
    when d.verdict = 3 then 'error'
    else 'alarm'
  end as status,
  case
    when d.account_id is null then
      'CLOUDTRAIL_MULTI_REGION_NOT_PRESENT: no CloudTrail trail in account ' || a.account_id
      || ' (no aws_cloudtrail_trail rows), so root activity reaches no CloudWatch Logs group.'
    when d.verdict = 1 then
      'Root usage is monitored: ' || d.label || ' delivers to log group ' || d.group_text
      || '; filter ' || d.filter_name || ' counts root usage into metric ' || d.metric_text
      || '; alarm ' || d.alarm_name || ' notifies topic ' || d.action || ' with ' || d.confirmed
      || case when d.confirmed = 1 then ' confirmed subscription.' else ' confirmed subscriptions.' end
    when d.verdict = 2 then
      'Covered by organization trail ' || d.name || ' (home region ' || d.home_region || ') owned by account '
      || d.owner_account_id || ', whose logging status, log group, metric filters and alarms are visible '
      || 'only there; add account ' || d.owner_account_id || ' to the snapshot to resolve the chain.'
    when d.verdict = 3 then
      'Cannot tell whether root usage is monitored: ' || d.label || ' ' || d.shortfalls
      || ', although the rest of its chain is complete (log group ' || d.group_text || ', filter '
      || d.filter_name || ', alarm ' || d.alarm_name || ', topic ' || d.action || ' with ' || d.confirmed
      || case when d.confirmed = 1 then ' confirmed subscription).' else ' confirmed subscriptions).' end
    when d.stage = 0 then
      'CLOUDTRAIL_MULTI_REGION_NOT_PRESENT: ' || d.label || ' ' || d.shortfalls || '; no trail of account '
      || a.account_id || ' is multi-region, logging, recording all read and write management events '
      || 'and delivering to CloudWatch Logs (' || tc.trails || case when tc.trails = 1 then ' trail' else ' trails' end || ' checked).'
    when d.stage = 1 then
      'CLOUDTRAIL_METRIC_FILTERS_NOT_PRESENT: no metric filter on log group ' || d.group_text
      || ', where ' || d.label || ' delivers'
      || coalesce(
        ' (filter ' || d.other_filter || ' has the root pattern but is on log group '
        || d.other_filter_group || ' in ' || d.other_filter_region || ', which the trail does not feed)',
        '')
      || '.'
    when d.stage = 2 then
      'CLOUDTRAIL_METRIC_FILTER_NOT_VALID: filter ' || d.filter_name || ' on log group ' || d.group_text
      || ' has pattern ' || coalesce(nullif(d.filter_pattern, ''), '(empty)') || ' ' || d.filter_problem || '.'
    when d.stage = 3 then
      'CLOUDWATCH_ALARMS_NOT_PRESENT: no alarm in ' || d.group_region || ' on metric ' || d.metric_text
      || ' of filter ' || d.filter_name || ' (log group ' || d.group_text || ')'
      || coalesce(
        ' (alarm ' || d.other_alarm || ' watches ' || d.metric_name || ' in namespace '
        || d.other_alarm_namespace || ' in ' || d.other_alarm_region || ')',
        '')
      || '.'
    when d.stage = 4 then
      'CLOUDWATCH_ALARM_ACTIONS_NOT_VALID: alarm ' || d.alarm_name || ' on metric ' || d.metric_text
      || ' (filter ' || d.filter_name || ', log group ' || d.group_text || ') '
      || case when not d.actions_enabled then 'has actions disabled' else 'has no alarm actions' end || '.'
    when d.stage = 5 then
      'SNS_TOPIC_INVALID: alarm ' || d.alarm_name || ' on metric ' || d.metric_text
      || ' (filter ' || d.filter_name || ', log group ' || d.group_text || ') notifies no SNS topic (action '
      || d.action || ').'
    else
      'SNS_SUBSCRIPTION_NOT_PRESENT: topic ' || d.action || ' of alarm ' || d.alarm_name || ' on metric '
      || d.metric_text || ' has no confirmed subscription (' || d.pending || ' pending confirmation).'
  end as reason,
  a.account_id,
  case when coalesce(d.stage, 0) = 0 then d.home_region else d.group_region end as region
from accounts as a
left join described as d on d.account_id = a.account_id
left join trail_counts as tc on tc.account_id = a.account_id
order by a.account_id
