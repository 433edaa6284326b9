-- DuckDB translation of controls/root_activity_alerted.sql with the shared relations it reads (generated
-- by scripts/regen-golden; default variables, clock pinned to 2026-01-01T00:00:00+00:00). Do not edit by hand.
/* Root activity is alerted on, one row per account: it reaches a person through the CIS chain */
/* (the verdict of root_usage_monitored, relation root_usage_verdicts) or through EventBridge. */
/* EventBridge carries it when, in us-east-1 (where root console sign-ins are recorded; aws */
/* partition) and in every region where a trail of the account logs (or may: logging status not */
/* captured), an enabled rule on the account's default bus (where CloudTrail delivers) asks for */
/* root activity and lets all of it through to a target that delivers (relation root_event_paths: */
/* the rule and target that get furthest in each region with such a rule): an SNS topic with a */
/* confirmed subscription, an SQS queue, a Lambda function, or an event bus (the hub of a */
/* hub-and-spoke monitor) with such a rule of its own. A hub whose account is not in the data, or */
/* whose rules in that region are not, is not checked, and the reason says so; so is a rule in */
/* state ENABLED, which receives no read-only calls. */
/* Otherwise the reason names the first missing piece, us-east-1 first, then the trail regions. */
/* The status: ok when either path delivers; skip when the first missing piece is a rule's targets */
/* that were not captured; else the CIS verdict's own info or error, else alarm. A region whose */
/* rules the snapshot did not capture is indistinguishable here from one without rules: the runner */
/* grades such a verdict skip, by the region dimension (passes_stand_without in the YAML). */
/* Where a trail of the account logs: a multi-region trail in every region the data lists it in, */
/* another in its home region; an organization trail whose owner is not in the data where it is seen. */
/* Kept whole by both planners (it has two readers): inlined in each instead (NOT MATERIALIZED), */
/* DuckDB needed 20 MB less at 10,000 accounts, but Postgres then joined the few first gaps to the */
/* trails before the trails to their coverage, and looped over the coverage for each (117 x 20,000). */
WITH accounts /* shared relation accounts: relations/accounts.sql */ AS (
  /* The accounts every control grades: one row per AWS account, with its root user's ARN, the */
  /* resource each control reports on (arn:<partition>:iam::<account_id>:root). */
  /* An aggregator connection can list an account twice; one row is kept, preferring one that names */
  /* the account's organization. */
  SELECT
    *
    EXCLUDE (_first_row)
  FROM (
    SELECT
      account_id,
      partition,
      organization_id,
      organization_master_account_id,
      'arn:' || partition || ':iam::' || account_id || ':root' AS root_arn,
      ROW_NUMBER() OVER (
        PARTITION BY account_id
        ORDER BY CASE WHEN organization_id IS NULL THEN 1 ELSE 0 END, partition
      ) AS _first_row
    FROM aws_account
  ) AS _first_rows
  WHERE
    _first_row = 1
), cloudtrail_trails /* shared relation cloudtrail_trails: relations/cloudtrail_trails.sql */ AS (
  /* The picked copies, found by one key (account, region and ARN hold no space): joined on the three */
  /* columns instead, Postgres took the copies for one row in all and looped over the trails for each */
  /* trail (20,000 x 20,000 in trail_coverage at 10,000 accounts). A region that lists the trail twice */
  /* (an account read through two connections): the copy with a logging status, as above. */
  SELECT
    *
    EXCLUDE (_first_row)
  FROM (
    /* CloudTrail trails, one row per account and trail ARN. A multi-region trail is listed once per */
    /* region (shadow copies): the copy read in the home region is kept, then one with a logging status. */
    /* The trail ARN carries the home region, owner and name when a capture lacks them. */
    /* The copy is picked from the narrow columns (picked), then read whole: picked among the whole */
    /* rows, every copy's selectors were held in a ranking (180,000 rows for 20,000 trails at 10,000 */
    /* accounts, 68 MB on DuckDB). The pick is a grouping, which holds one row per trail, not a ranking */
    /* of every copy: the order of preference is written into one text, whose least value names the */
    /* copy (home region first '0', then a logging status '0', then the region's name). */
    WITH picked AS (
      SELECT
        account_id || ' ' || SUBSTRING(
          MIN(
            CASE
              WHEN region = COALESCE(home_region, SPLIT_PART(arn, ':', 4))
              THEN '0'
              ELSE '1'
            END || CASE WHEN is_logging IS NULL THEN '1' ELSE '0' END || region
          ),
          3
        ) || ' ' || arn AS copy_key
      FROM aws_cloudtrail_trail
      WHERE
        arn IS NOT NULL
      GROUP BY
        account_id,
        arn
    )
    SELECT
      t.account_id,
      t.arn,
      COALESCE(t.name, SPLIT_PART(t.arn, '/', 2)) AS name,
      COALESCE(t.home_region, SPLIT_PART(t.arn, ':', 4)) AS home_region,
      SPLIT_PART(t.arn, ':', 5) AS owner_account_id,
      COALESCE(t.is_organization_trail, FALSE) AS is_organization_trail,
      COALESCE(t.is_multi_region_trail, FALSE) AS is_multi_region_trail,
      t.is_logging,
      NULLIF(t.log_group_arn, '') AS log_group_arn,
      CASE
        WHEN CASE JSON_TYPE(t.event_selectors)
          WHEN 'OBJECT'
          THEN 'object'
          WHEN 'ARRAY'
          THEN 'array'
          WHEN 'VARCHAR'
          THEN 'string'
          WHEN 'BIGINT'
          THEN 'number'
          WHEN 'UBIGINT'
          THEN 'number'
          WHEN 'DOUBLE'
          THEN 'number'
          WHEN 'BOOLEAN'
          THEN 'boolean'
          WHEN 'NULL'
          THEN 'null'
        END = 'array'
        THEN t.event_selectors
        ELSE CAST('[]' AS JSON)
      END AS event_selectors,
      CASE
        WHEN CASE JSON_TYPE(t.advanced_event_selectors)
          WHEN 'OBJECT'
          THEN 'object'
          WHEN 'ARRAY'
          THEN 'array'
          WHEN 'VARCHAR'
          THEN 'string'
          WHEN 'BIGINT'
          THEN 'number'
          WHEN 'UBIGINT'
          THEN 'number'
          WHEN 'DOUBLE'
          THEN 'number'
          WHEN 'BOOLEAN'
          THEN 'boolean'
          WHEN 'NULL'
          THEN 'null'
        END = 'array'
        THEN t.advanced_event_selectors
        ELSE CAST('[]' AS JSON)
      END AS advanced_event_selectors,
      ROW_NUMBER() OVER (
        PARTITION BY t.account_id, t.arn
        ORDER BY CASE WHEN t.is_logging IS NULL THEN 1 ELSE 0 END
      ) AS _first_row
    FROM aws_cloudtrail_trail AS t
    WHERE
      t.account_id || ' ' || t.region || ' ' || t.arn IN (
        SELECT
          p.copy_key
        FROM picked AS p
      )
  ) AS _first_rows
  WHERE
    _first_row = 1
), trail_management_events /* shared relation trail_management_events: relations/trail_management_events.sql */ AS (
  /* Whether each trail records all read and write management events, one row per account and trail */
  /* ARN of cloudtrail_trails, judged from that row's event selectors: */
  /*   * classic event selectors: IncludeManagementEvents true with ReadWriteType All, or ReadOnly and */
  /*     WriteOnly in two selectors (CloudTrail records an event when any selector matches), and no */
  /*     ExcludeManagementEventSources (excluded sources fail, as in AWS Config's */
  /*     multi-region-cloudtrail-enabled rule); */
  /*   * advanced event selectors on eventCategory = Management: one without readOnly, or readOnly */
  /*     true and false in two; an eventSource or any other field selector restricts it. */
  /* records_all: all management events are recorded; recorded_by: by which selectors; */
  /* selectors_unknown: no selectors were captured; management_problem: what falls short, in words. */
  /* is_multi_region_trail, is_logging, log_group_arn: the trail's own facts, carried with the verdict */
  /* so that trail_coverage reads the owner's row once (joining cloudtrail_trails to this relation */
  /* again paired two relations made from the same row). */
  /* Each distinct selectors array is judged once and joined back to the trails on it: trails repeat */
  /* a handful of arrays (one among 20,000 trails at 10,000 accounts), and unnesting every trail's */
  /* selectors, grouped on its two-column key, held about 27 MB on DuckDB (10 MB judged once per array). */
  WITH classic_arrays AS (
    SELECT DISTINCT
      event_selectors
    FROM cloudtrail_trails
  ), classic_selectors AS (
    SELECT
      c.event_selectors,
      COALESCE(s.value ->> '$.IncludeManagementEvents', '') = 'true' AS includes_management,
      COALESCE(s.value ->> '$.ReadWriteType', '(unset)') AS read_write_type,
      CASE
        WHEN CASE JSON_TYPE(s.value -> '$.ExcludeManagementEventSources')
          WHEN 'OBJECT'
          THEN 'object'
          WHEN 'ARRAY'
          THEN 'array'
          WHEN 'VARCHAR'
          THEN 'string'
          WHEN 'BIGINT'
          THEN 'number'
          WHEN 'UBIGINT'
          THEN 'number'
          WHEN 'DOUBLE'
          THEN 'number'
          WHEN 'BOOLEAN'
          THEN 'boolean'
          WHEN 'NULL'
          THEN 'null'
        END = 'array'
        THEN s.value -> '$.ExcludeManagementEventSources'
        ELSE CAST('[]' AS JSON)
      END AS excluded_sources
    FROM classic_arrays AS c, LATERAL (
      SELECT
        UNNEST(JSON_EXTRACT(c.event_selectors, '$[*]')) AS value
    ) AS s(value)
  ), classic AS (
    SELECT
      event_selectors,
      BOOL_OR(
        CAST(includes_management
        AND read_write_type IN ('All', 'ReadOnly')
        AND JSON_ARRAY_LENGTH(excluded_sources) = 0 AS BOOLEAN)
      )
      AND BOOL_OR(
        CAST(includes_management
        AND read_write_type IN ('All', 'WriteOnly')
        AND JSON_ARRAY_LENGTH(excluded_sources) = 0 AS BOOLEAN)
      ) AS all_management,
      BOOL_OR(
        CAST(includes_management
        AND read_write_type = 'All'
        AND JSON_ARRAY_LENGTH(excluded_sources) = 0 AS BOOLEAN)
      ) AS one_selector,
      BOOL_OR(CAST(includes_management AND read_write_type IN ('All', 'ReadOnly') AS BOOLEAN))
      AND BOOL_OR(CAST(includes_management AND read_write_type IN ('All', 'WriteOnly') AS BOOLEAN)) AS read_write_all,
      BOOL_OR(CAST(includes_management AS BOOLEAN)) AS any_management
    FROM classic_selectors
    GROUP BY
      event_selectors
  ), classic_read_write_types AS (
    SELECT
      event_selectors,
      LISTAGG(DISTINCT read_write_type, ', '
      ORDER BY
        read_write_type) AS types
    FROM classic_selectors
    WHERE
      includes_management
    GROUP BY
      event_selectors
  ), classic_exclusions AS (
    SELECT
      c.event_selectors,
      LISTAGG(DISTINCT x.value, ', '
      ORDER BY
        x.value) AS sources
    FROM classic_selectors AS c, LATERAL (
      SELECT
        UNNEST(JSON_EXTRACT_STRING(c.excluded_sources, '$[*]')) AS value
    ) AS x(value)
    WHERE
      c.includes_management
    GROUP BY
      c.event_selectors
  ), advanced_arrays AS (
    SELECT DISTINCT
      advanced_event_selectors
    FROM cloudtrail_trails
  ), advanced_fields AS (
    SELECT
      a.advanced_event_selectors,
      s.value AS selector,
      COALESCE(f.value ->> '$.Field', '(unnamed)') AS field,
      COALESCE(f.value -> '$.Equals', CAST('[]' AS JSON)) AS equals
    FROM advanced_arrays AS a, LATERAL (
      SELECT
        UNNEST(JSON_EXTRACT(a.advanced_event_selectors, '$[*]')) AS value
    ) AS s(value), LATERAL (
      SELECT
        UNNEST(
          JSON_EXTRACT(
            CASE
              WHEN CASE JSON_TYPE(s.value -> '$.FieldSelectors')
                WHEN 'OBJECT'
                THEN 'object'
                WHEN 'ARRAY'
                THEN 'array'
                WHEN 'VARCHAR'
                THEN 'string'
                WHEN 'BIGINT'
                THEN 'number'
                WHEN 'UBIGINT'
                THEN 'number'
                WHEN 'DOUBLE'
                THEN 'number'
                WHEN 'BOOLEAN'
                THEN 'boolean'
                WHEN 'NULL'
                THEN 'null'
              END = 'array'
              THEN s.value -> '$.FieldSelectors'
              ELSE CAST('[]' AS JSON)
            END,
            '$[*]'
          )
        ) AS value
    ) AS f(value)
  ), advanced_selectors /* A management selector restricted only by readOnly records read events (Equals "true"), write */ /* events (Equals "false") or both (no readOnly field); any other field narrows it further. */ AS (
    SELECT
      advanced_event_selectors,
      selector,
      BOOL_OR(
        CAST(field = 'eventCategory' AND JSON_CONTAINS(equals, CAST('["Management"]' AS JSON)) AS BOOLEAN)
      ) AS management,
      BOOL_AND(CAST(field IN ('eventCategory', 'readOnly') AS BOOLEAN)) AS only_read_only,
      BOOL_AND(
        CAST(field <> 'readOnly' OR JSON_CONTAINS(equals, CAST('["true"]' AS JSON)) AS BOOLEAN)
      ) AS reads,
      BOOL_AND(
        CAST(field <> 'readOnly' OR JSON_CONTAINS(equals, CAST('["false"]' AS JSON)) AS BOOLEAN)
      ) AS writes
    FROM advanced_fields
    GROUP BY
      advanced_event_selectors,
      selector
  ), advanced AS (
    SELECT
      advanced_event_selectors,
      BOOL_OR(CAST(management AND only_read_only AND reads AS BOOLEAN))
      AND BOOL_OR(CAST(management AND only_read_only AND writes AS BOOLEAN)) AS all_management,
      BOOL_OR(CAST(management AS BOOLEAN)) AS any_management
    FROM advanced_selectors
    GROUP BY
      advanced_event_selectors
  ), advanced_restrictions AS (
    SELECT
      f.advanced_event_selectors,
      LISTAGG(DISTINCT f.field, ', '
      ORDER BY
        f.field) AS fields
    FROM advanced_fields AS f
    JOIN advanced_selectors AS s
      ON s.advanced_event_selectors = f.advanced_event_selectors
      AND s.selector = f.selector
    WHERE
      s.management AND f.field <> 'eventCategory'
    GROUP BY
      f.advanced_event_selectors
  )
  SELECT
    t.account_id,
    t.arn,
    t.is_multi_region_trail,
    t.is_logging,
    t.log_group_arn,
    COALESCE(c.all_management, FALSE) OR COALESCE(a.all_management, FALSE) AS records_all,
    CASE
      WHEN c.one_selector
      THEN 'event selector with ReadWriteType All'
      WHEN c.all_management
      THEN 'event selectors with ReadWriteType ReadOnly and WriteOnly'
      ELSE 'advanced event selectors'
    END AS recorded_by,
    c.event_selectors IS NULL AND a.advanced_event_selectors IS NULL AS selectors_unknown,
    CASE
      WHEN COALESCE(c.all_management, FALSE) OR COALESCE(a.all_management, FALSE)
      THEN NULL
      WHEN c.read_write_all
      THEN 'excludes management events from ' || ex.sources
      WHEN c.any_management
      THEN 'records only ' || rw.types || ' management events (read and write events are both required)'
      WHEN c.event_selectors IS NOT NULL
      THEN 'has event selectors that include no management events'
      WHEN a.any_management
      THEN 'has advanced event selectors that restrict management events by ' || ar.fields
      WHEN a.advanced_event_selectors IS NOT NULL
      THEN 'has advanced event selectors that capture no management events'
    END AS management_problem
  FROM cloudtrail_trails AS t
  LEFT JOIN classic AS c
    ON c.event_selectors = t.event_selectors
  LEFT JOIN classic_read_write_types AS rw
    ON rw.event_selectors = t.event_selectors
  LEFT JOIN classic_exclusions AS ex
    ON ex.event_selectors = t.event_selectors
  LEFT JOIN advanced AS a
    ON a.advanced_event_selectors = t.advanced_event_selectors
  LEFT JOIN advanced_restrictions AS ar
    ON ar.advanced_event_selectors = t.advanced_event_selectors
), trail_coverage /* shared relation trail_coverage: relations/trail_coverage.sql */ AS (
  /* Every CloudTrail trail each account sees, judged with the facts of the row of the account that */
  /* owns it (the account's own row for its own trails). An organization trail seen from a member */
  /* account has no logging status, selectors or log group there; resolved is false when the owner's */
  /* row is not in the data. */
  /*   compliant:  multi-region, logging, and recording all read and write management events */
  /*   undecided:  nothing is known to be wrong, but a fact needed for the verdict was not captured */
  /*   shortfalls: what keeps the trail from being compliant, in words ('' when nothing) */
  /*   label:      how a reason names the trail ("trail x (home region y)", "organization trail ...") */
  /* The owner's row is read from trail_management_events, which carries the trail's own facts with */
  /* its verdict: joined to cloudtrail_trails and then to trail_management_events, the owner's row was */
  /* hashed twice (20,000 trails at 10,000 accounts: 17 MB on DuckDB, 9 with one join). Only rows of */
  /* an account that owns its trail can match (the owner is in the trail's ARN), so only those are */
  /* hashed (about 4 MB less). */
  WITH owners AS (
    SELECT
      *
    FROM trail_management_events
    WHERE
      account_id = SPLIT_PART(arn, ':', 5)
  ), seen AS (
    SELECT
      t.account_id,
      t.arn,
      t.name,
      t.home_region,
      t.owner_account_id,
      t.is_organization_trail,
      o.arn IS NOT NULL AS resolved,
      o.is_multi_region_trail,
      o.is_logging,
      o.log_group_arn,
      o.records_all,
      o.recorded_by,
      o.selectors_unknown,
      o.management_problem
    FROM cloudtrail_trails AS t
    LEFT JOIN owners AS o
      ON o.account_id = t.owner_account_id AND o.arn = t.arn
  )
  SELECT
    s.*,
    s.resolved
    AND s.is_multi_region_trail
    AND COALESCE(s.is_logging, FALSE)
    AND s.records_all AS compliant,
    s.resolved
    AND s.is_multi_region_trail
    AND NOT s.is_logging IS FALSE
    AND s.management_problem IS NULL
    AND (
      s.is_logging IS NULL OR s.selectors_unknown
    ) AS undecided,
    CONCAT_WS(
      '; ',
      CASE WHEN NOT s.is_multi_region_trail THEN 'is single-region' END,
      CASE
        WHEN s.is_logging = FALSE
        THEN 'is not logging'
        WHEN s.is_logging IS NULL
        THEN 'has no captured logging status (aws cloudtrail get-trail-status --name ' || s.name || ')'
      END,
      s.management_problem,
      CASE
        WHEN s.selectors_unknown
        THEN 'has no captured event selectors (aws cloudtrail get-event-selectors --trail-name ' || s.name || ')'
      END
    ) AS shortfalls,
    CASE
      WHEN s.owner_account_id <> s.account_id
      THEN 'organization trail ' || s.name || ' of account ' || s.owner_account_id || ' (home region ' || s.home_region || ')'
      WHEN s.is_organization_trail
      THEN 'organization trail ' || s.name || ' (home region ' || s.home_region || ')'
      ELSE 'trail ' || s.name || ' (home region ' || s.home_region || ')'
    END AS label
  FROM seen AS s
), root_usage_patterns /* shared relation root_usage_patterns: relations/root_usage_patterns.sql */ AS (
  /* Metric-filter patterns judged against the CIS root-usage pattern, one row per distinct pattern of */
  /* aws_cloudwatch_log_metric_filter (pattern: the filter's pattern, '' when it has none). A pattern */
  /* is valid when it is exactly the three CIS clauses, in any order: */
  /*   $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" */
  /* The pattern is split on && after removing braces and parentheses (they only group clauses here), */
  /* and each clause is compared without quotes and without spaces around = and != (a space inside */
  /* a value changes the value). || (OR) fails; an extra clause narrows what is counted and fails, */
  /* unless it only excludes Organizations centralized-root sessions and the variable */
  /* :root_usage_filter_extra_clauses lists it (recognised forms: */
  /* $.userIdentity.sessionContext.assumedRoot NOT EXISTS, and != "true"). */
  /* problem: what keeps a pattern from being valid, in words ('' when nothing). */
  /* Judged once per pattern, not once per filter: filters repeat a handful of patterns, and the */
  /* clauses of every filter, grouped and joined back on the filter's four-column key, held about */
  /* 75 MB for 30,000 filters (DuckDB, 10,000 accounts). */
  WITH patterns AS (
    SELECT DISTINCT
      COALESCE(filter_pattern, '') AS pattern,
      REGEXP_REPLACE(COALESCE(filter_pattern, ''), '[(){}]', '', 'g') AS ungrouped
    FROM aws_cloudwatch_log_metric_filter
  ), raw_clauses /* Every && clause of every pattern, and every clause the variable accepts (no pattern), made */ /* comparable the same way: runs of whitespace become one space, spaces around = and != and quotes */ /* around values go; whitespace inside a value stays, so "Ro ot" is not Root. */ AS (
    SELECT
      p.pattern,
      r.raw_clause
    FROM patterns AS p
    JOIN UNNEST(STRING_TO_ARRAY(p.ungrouped, '&&')) AS r(raw_clause)
      ON TRUE
    UNION ALL
    SELECT
      NULL AS pattern,
      v.raw_clause
    FROM UNNEST(CAST([] AS TEXT[])) AS v(raw_clause)
  ), clauses AS (
    SELECT
      pattern,
      REGEXP_REPLACE(
        REGEXP_REPLACE(TRIM(REGEXP_REPLACE(raw_clause, '\s+', ' ', 'g')), ' ?(!=|=) ?', '\1', 'g'),
        '["'']',
        '',
        'g'
      ) AS clause
    FROM raw_clauses
  ), listed_clauses /* The clauses the variable lists, and whether each only excludes centralized-root sessions. */ AS (
    SELECT DISTINCT
      clause,
      clause IN (
        '$.userIdentity.sessionContext.assumedRoot NOT EXISTS',
        '$.userIdentity.sessionContext.assumedRoot!=true'
      ) AS accepted
    FROM clauses
    WHERE
      pattern IS NULL
  ), classified_clauses AS (
    SELECT
      c.*,
      CASE
        WHEN c.clause IN (
          '$.userIdentity.type=Root',
          '$.userIdentity.invokedBy NOT EXISTS',
          '$.eventType!=AwsServiceEvent',
          ''
        )
        THEN NULL
        WHEN l.accepted
        THEN NULL
        ELSE c.clause
      END AS extra_clause,
      CASE WHEN l.accepted THEN c.clause END AS accepted_clause,
      COALESCE(NOT l.accepted, FALSE) AS refused_listing
    FROM clauses AS c
    LEFT JOIN listed_clauses AS l
      ON l.clause = c.clause
    WHERE
      c.pattern IS NOT NULL
  ), clause_checks AS (
    SELECT
      c.pattern,
      BOOL_OR(CAST(c.clause = '$.userIdentity.type=Root' AS BOOLEAN)) AS has_root_type,
      BOOL_OR(CAST(c.clause = '$.userIdentity.invokedBy NOT EXISTS' AS BOOLEAN)) AS has_invoked_by,
      BOOL_OR(CAST(c.clause = '$.eventType!=AwsServiceEvent' AS BOOLEAN)) AS has_event_type,
      COUNT(c.extra_clause) AS extra_count,
      BOOL_OR(CAST(c.refused_listing AS BOOLEAN)) AS refused_listing
    FROM classified_clauses AS c
    GROUP BY
      c.pattern
  ), extra_lists /* The extra and the accepted clauses of each pattern, each listed once in order. */ AS (
    SELECT
      pattern,
      LISTAGG(extra_clause, ', '
      ORDER BY
        extra_clause) AS extras
    FROM (
      SELECT DISTINCT
        pattern,
        extra_clause
      FROM classified_clauses
    ) AS c
    WHERE
      extra_clause IS NOT NULL
    GROUP BY
      pattern
  ), accepted_lists AS (
    SELECT
      pattern,
      LISTAGG(accepted_clause, ', '
      ORDER BY
        accepted_clause) AS accepted_extras
    FROM (
      SELECT DISTINCT
        pattern,
        accepted_clause
      FROM classified_clauses
    ) AS c
    WHERE
      accepted_clause IS NOT NULL
    GROUP BY
      pattern
  ), pattern_checks AS (
    SELECT
      p.pattern,
      STRPOS(p.ungrouped, '||') > 0 AS has_or,
      COALESCE(c.has_root_type, FALSE) AS has_root_type,
      COALESCE(c.has_invoked_by, FALSE) AS has_invoked_by,
      COALESCE(c.has_event_type, FALSE) AS has_event_type,
      COALESCE(c.extra_count, 0) AS extra_count,
      x.extras,
      l.accepted_extras,
      COALESCE(c.refused_listing, FALSE) AS refused_listing
    FROM patterns AS p
    LEFT JOIN clause_checks AS c
      ON c.pattern = p.pattern
    LEFT JOIN extra_lists AS x
      ON x.pattern = p.pattern
    LEFT JOIN accepted_lists AS l
      ON l.pattern = p.pattern
  )
  SELECT
    c.pattern,
    c.has_or,
    c.extra_count,
    c.accepted_extras,
    (
      CASE WHEN c.has_root_type THEN 1 ELSE 0 END
    ) + (
      CASE WHEN c.has_invoked_by THEN 1 ELSE 0 END
    ) + (
      CASE WHEN c.has_event_type THEN 1 ELSE 0 END
    ) AS required_present,
    c.has_root_type
    AND c.has_invoked_by
    AND c.has_event_type
    AND NOT c.has_or
    AND c.extra_count = 0 AS valid,
    CONCAT_WS(
      '; ',
      CASE
        WHEN NOT (
          c.has_root_type AND c.has_invoked_by AND c.has_event_type
        )
        THEN 'missing clause ' || CONCAT_WS(
          ', ',
          CASE WHEN NOT c.has_root_type THEN '$.userIdentity.type = Root' END,
          CASE WHEN NOT c.has_invoked_by THEN '$.userIdentity.invokedBy NOT EXISTS' END,
          CASE WHEN NOT c.has_event_type THEN '$.eventType != AwsServiceEvent' END
        )
      END,
      CASE WHEN c.has_or THEN 'joins clauses with || (OR)' END,
      CASE
        WHEN NOT c.has_or AND c.extra_count > 0
        THEN 'extra clause ' || c.extras || ' narrows it'
      END,
      CASE
        WHEN c.refused_listing
        THEN 'root_usage_filter_extra_clauses accepts only a clause that excludes centralized-root sessions' || ' ($.userIdentity.sessionContext.assumedRoot NOT EXISTS, or != "true")'
      END
    ) AS problem
  FROM pattern_checks AS c
), metric_alarms /* shared relation metric_alarms: relations/metric_alarms.sql */ AS (
  /* CloudWatch metric alarms, one row per account, region and alarm name, with what identifies the */
  /* metric each one watches: its name, namespace and dimension names (dimension_names: sorted, */
  /* comma-separated; '' when it names none). An alarm on a metric math expression has no metric name. */
  WITH alarms AS (
    SELECT
      *
      EXCLUDE (_first_row)
    FROM (
      SELECT
        account_id,
        region,
        name,
        metric_name,
        namespace,
        COALESCE(actions_enabled, FALSE) AS actions_enabled,
        CASE
          WHEN CASE JSON_TYPE(alarm_actions)
            WHEN 'OBJECT'
            THEN 'object'
            WHEN 'ARRAY'
            THEN 'array'
            WHEN 'VARCHAR'
            THEN 'string'
            WHEN 'BIGINT'
            THEN 'number'
            WHEN 'UBIGINT'
            THEN 'number'
            WHEN 'DOUBLE'
            THEN 'number'
            WHEN 'BOOLEAN'
            THEN 'boolean'
            WHEN 'NULL'
            THEN 'null'
          END = 'array'
          THEN alarm_actions
          ELSE CAST('[]' AS JSON)
        END AS alarm_actions,
        CASE
          WHEN CASE JSON_TYPE(dimensions)
            WHEN 'OBJECT'
            THEN 'object'
            WHEN 'ARRAY'
            THEN 'array'
            WHEN 'VARCHAR'
            THEN 'string'
            WHEN 'BIGINT'
            THEN 'number'
            WHEN 'UBIGINT'
            THEN 'number'
            WHEN 'DOUBLE'
            THEN 'number'
            WHEN 'BOOLEAN'
            THEN 'boolean'
            WHEN 'NULL'
            THEN 'null'
          END = 'array'
          THEN dimensions
          ELSE CAST('[]' AS JSON)
        END AS dimensions,
        ROW_NUMBER() OVER (PARTITION BY account_id, region, name) AS _first_row
      FROM aws_cloudwatch_alarm
    ) AS _first_rows
    WHERE
      _first_row = 1
  ), dimension_lists /* The names in each distinct dimensions array, listed once per array rather than once per alarm: */ /* alarms repeat a handful of arrays ('[]' above all), and grouping every alarm's dimensions on its */ /* three-column key held 40,000 groups with their ordered lists (DuckDB, 10,000 accounts). */ AS (
    SELECT
      d.dimensions,
      LISTAGG(e.value ->> '$.Name', ', '
      ORDER BY
        e.value ->> '$.Name') AS names
    FROM (
      SELECT DISTINCT
        dimensions
      FROM aws_cloudwatch_alarm
      WHERE
        CASE JSON_TYPE(dimensions)
          WHEN 'OBJECT'
          THEN 'object'
          WHEN 'ARRAY'
          THEN 'array'
          WHEN 'VARCHAR'
          THEN 'string'
          WHEN 'BIGINT'
          THEN 'number'
          WHEN 'UBIGINT'
          THEN 'number'
          WHEN 'DOUBLE'
          THEN 'number'
          WHEN 'BOOLEAN'
          THEN 'boolean'
          WHEN 'NULL'
          THEN 'null'
        END = 'array'
    ) AS d, LATERAL (
      SELECT
        UNNEST(JSON_EXTRACT(d.dimensions, '$[*]')) AS value
    ) AS e(value)
    GROUP BY
      d.dimensions
  )
  SELECT
    a.account_id,
    a.region,
    a.name,
    a.metric_name,
    a.namespace,
    a.actions_enabled,
    a.alarm_actions,
    COALESCE(d.names, '') AS dimension_names
  FROM alarms AS a
  LEFT JOIN dimension_lists AS d
    ON d.dimensions = a.dimensions
), sns_topics /* shared relation sns_topics: relations/sns_topics.sql */ AS (
  /* SNS topics that have subscriptions, one row per topic ARN. confirmed counts the subscriptions */
  /* that deliver (a confirmed one has a real ARN; an unconfirmed one reads 'PendingConfirmation' and */
  /* delivers nothing), pending the others, by protocol and endpoint. */
  SELECT
    topic_arn,
    COUNT(
      DISTINCT CASE
        WHEN subscription_arn LIKE 'arn:%' AND NOT COALESCE(pending_confirmation, FALSE)
        THEN subscription_arn
      END
    ) AS confirmed,
    COUNT(
      DISTINCT CASE
        WHEN NOT (
          subscription_arn LIKE 'arn:%' AND NOT COALESCE(pending_confirmation, FALSE)
        )
        THEN COALESCE(protocol, '') || ':' || COALESCE(endpoint, '')
      END
    ) AS pending
  FROM aws_sns_topic_subscription
  GROUP BY
    topic_arn
), root_usage_filters /* shared relation root_usage_filters: relations/root_usage_filters.sql */ AS (
  /* CloudWatch Logs metric filters judged against the CIS root-usage pattern, one row per account, */
  /* region, log group and filter name: each with the verdict on its pattern (relation */
  /* root_usage_patterns: valid, problem, ...). */
  /* dimension_names: the dimensions the filter's metric is published with (sorted, comma-separated; */
  /* '' when none); NULL when they were not captured (Steampipe has no column for them). */
  WITH filters AS (
    SELECT
      *
      EXCLUDE (_first_row)
    FROM (
      SELECT
        account_id,
        region,
        log_group_name,
        name,
        filter_pattern,
        metric_transformation_name AS metric_name,
        metric_transformation_namespace AS metric_namespace,
        CASE
          WHEN CASE JSON_TYPE(metric_transformation_dimensions)
            WHEN 'OBJECT'
            THEN 'object'
            WHEN 'ARRAY'
            THEN 'array'
            WHEN 'VARCHAR'
            THEN 'string'
            WHEN 'BIGINT'
            THEN 'number'
            WHEN 'UBIGINT'
            THEN 'number'
            WHEN 'DOUBLE'
            THEN 'number'
            WHEN 'BOOLEAN'
            THEN 'boolean'
            WHEN 'NULL'
            THEN 'null'
          END = 'array'
          THEN metric_transformation_dimensions
        END AS dimensions,
        ROW_NUMBER() OVER (PARTITION BY account_id, region, log_group_name, name) AS _first_row
      FROM aws_cloudwatch_log_metric_filter
    ) AS _first_rows
    WHERE
      _first_row = 1
  ), dimension_lists /* Each distinct dimensions array is listed once, not once per filter. */ AS (
    SELECT
      d.dimensions,
      LISTAGG(e.value, ', '
      ORDER BY
        e.value) AS names
    FROM (
      SELECT DISTINCT
        metric_transformation_dimensions AS dimensions
      FROM aws_cloudwatch_log_metric_filter
      WHERE
        CASE JSON_TYPE(metric_transformation_dimensions)
          WHEN 'OBJECT'
          THEN 'object'
          WHEN 'ARRAY'
          THEN 'array'
          WHEN 'VARCHAR'
          THEN 'string'
          WHEN 'BIGINT'
          THEN 'number'
          WHEN 'UBIGINT'
          THEN 'number'
          WHEN 'DOUBLE'
          THEN 'number'
          WHEN 'BOOLEAN'
          THEN 'boolean'
          WHEN 'NULL'
          THEN 'null'
        END = 'array'
    ) AS d, LATERAL (
      SELECT
        UNNEST(JSON_EXTRACT_STRING(d.dimensions, '$[*]')) AS value
    ) AS e(value)
    GROUP BY
      d.dimensions
  )
  SELECT
    f.account_id,
    f.region,
    f.log_group_name,
    f.name,
    f.filter_pattern,
    f.metric_name,
    f.metric_namespace,
    CASE WHEN f.dimensions IS NOT NULL THEN COALESCE(d.names, '') END AS dimension_names,
    v.has_or,
    v.extra_count,
    v.accepted_extras,
    v.required_present,
    v.valid,
    v.problem
  FROM filters AS f
  INNER JOIN root_usage_patterns AS v
    ON v.pattern = COALESCE(f.filter_pattern, '')
  LEFT JOIN dimension_lists AS d
    ON d.dimensions = f.dimensions
), root_alarm_chain /* shared relation root_alarm_chain: relations/root_alarm_chain.sql */ AS (
  /* The CIS root-usage alarm chain of every trail each account sees, followed link by link as far as */
  /* it goes: trail -> CloudWatch Logs group -> root-usage metric filter on that group -> alarm on the */
  /* filter's metric (same account and region; same metric name, namespace and dimensions) with */
  /* actions enabled -> an alarm action that is an SNS topic -> a confirmed subscription on it. */
  /* One row per combination tried (a log group with two filters gives two rows). first_gap names the */
  /* first missing link by its Security Hub CloudWatch.1 code, NULL when the chain is complete; */
  /* trails_seen counts the trails the account sees. */
  /* An organization trail's log group lives in the account that owns the trail: the chain is */
  /* followed where the log group ARN points. */
  /* A filter whose dimensions were not captured (Steampipe has no column for them) is matched to an */
  /* alarm on its name and namespace; dimensions_undecided marks a complete chain whose alarm names */
  /* dimensions the filter may not publish. */
  /* filter_hint, alarm_hint: the words a reason adds for a chain without a filter on its log group */
  /* (a valid root filter elsewhere in the log group's account), and for one without an alarm on its */
  /* filter's metric (an alarm on that metric name in another namespace or region, or with other */
  /* dimensions); NULL on the other chains, and where there is nothing to hint at. */
  WITH trails AS (
    SELECT
      t.*,
      SPLIT_PART(t.log_group_arn, ':', 5) AS group_account_id,
      SPLIT_PART(t.log_group_arn, ':', 4) AS group_region,
      SPLIT_PART(t.log_group_arn, ':', 7) AS group_name,
      t.resolved /* A trail carries the chain unless something is known to be wrong with it: one whose logging */ /* status or selectors were not captured is followed too, so that the verdict hinges on those */ /* facts only when the rest of its chain is complete. */
      AND t.is_multi_region_trail
      AND NOT t.is_logging IS FALSE
      AND t.management_problem IS NULL
      AND t.log_group_arn IS NOT NULL AS carries_chain,
      t.compliant AND t.log_group_arn IS NOT NULL AS trail_compliant,
      COUNT(*) OVER (PARTITION BY t.account_id) AS trails_seen,
      CONCAT_WS(
        '; ',
        NULLIF(t.shortfalls, ''),
        CASE WHEN t.log_group_arn IS NULL THEN 'delivers to no CloudWatch Logs group' END
      ) AS trail_shortfalls
    FROM trail_coverage AS t
  ), valid_filters /* The valid root filters, read from the table and judged by their pattern (root_usage_patterns): */ /* root_usage_filters is read once, below, as DuckDB holds a CTE read twice whole (16 MB here). */ AS (
    SELECT
      f.account_id,
      f.region,
      f.log_group_name,
      f.name,
      f.metric_transformation_name AS metric_name
    FROM aws_cloudwatch_log_metric_filter AS f
    INNER JOIN root_usage_patterns AS p
      ON p.pattern = COALESCE(f.filter_pattern, '')
    WHERE
      p.valid
  ), root_alarms /* The alarms that can be a link, or a hint, of a chain: those on the metric of a valid root filter */ /* of their account (at 10,000 accounts, 10,000 of 40,000 alarms; each join holds the ones it reads). */ AS (
    SELECT
      a.*
    FROM metric_alarms AS a
    WHERE
      EXISTS(
        SELECT
          1
        FROM valid_filters AS v
        WHERE
          v.account_id = a.account_id AND v.metric_name = a.metric_name
      )
  ), alarm_actions AS (
    SELECT
      a.account_id,
      a.region,
      a.name AS alarm_name,
      x.value AS action
    FROM root_alarms AS a, LATERAL (
      SELECT
        UNNEST(JSON_EXTRACT_STRING(a.alarm_actions, '$[*]')) AS value
    ) AS x(value)
    WHERE
      a.actions_enabled
  ), action_topics /* Each action with its topic's subscriptions, joined here, on the narrow action rows: joined to the */ /* wide chain rows instead, Postgres hashed those on the action, NULL for every chain without one, */ /* and that one key kept splitting the hash into more batches (4,096 at 10,000 accounts, ~5 s). */ AS (
    SELECT
      ac.*,
      COALESCE(tp.confirmed, 0) AS confirmed,
      COALESCE(tp.pending, 0) AS pending
    FROM alarm_actions AS ac
    LEFT JOIN sns_topics AS tp
      ON tp.topic_arn = ac.action
  ), alarm_links /* Each alarm with each of its actions (actions enabled), and each filter with each alarm on its */ /* metric, before the trails are joined: joined link by link to the trails, every join held all the */ /* chain rows built so far (DuckDB hashed the growing chain side each time, about 60 MB at 10,000 */ /* accounts), where these narrow links are hashed once and the trails pass through. */ AS (
    SELECT
      al.account_id,
      al.region,
      al.name AS alarm_name,
      al.metric_name,
      al.namespace,
      al.actions_enabled,
      al.dimension_names AS alarm_dimension_names,
      ac.action,
      ac.confirmed,
      ac.pending
    FROM root_alarms AS al
    LEFT JOIN action_topics AS ac
      ON al.actions_enabled
      AND ac.account_id = al.account_id
      AND ac.region = al.region
      AND ac.alarm_name = al.name
  ), filter_links AS (
    SELECT
      f.account_id,
      f.region,
      f.log_group_name,
      f.name AS filter_name,
      f.filter_pattern,
      f.problem AS filter_problem,
      f.valid AS filter_valid,
      f.required_present,
      f.has_or,
      f.extra_count,
      f.accepted_extras,
      f.metric_name,
      f.metric_namespace,
      f.dimension_names AS filter_dimension_names,
      al.alarm_name,
      al.actions_enabled,
      al.alarm_dimension_names,
      al.action,
      al.confirmed,
      al.pending
    FROM root_usage_filters AS f
    LEFT JOIN alarm_links AS al
      ON f.valid
      AND al.account_id = f.account_id
      AND al.region = f.region
      AND al.metric_name = f.metric_name
      AND al.namespace = f.metric_namespace
      AND (
        al.alarm_dimension_names = f.dimension_names OR f.dimension_names IS NULL
      )
  ), linked AS (
    SELECT
      t.*,
      l.filter_name,
      l.filter_pattern,
      l.filter_problem,
      l.filter_valid,
      l.required_present,
      l.has_or,
      l.extra_count,
      l.accepted_extras,
      l.metric_name,
      l.metric_namespace,
      l.filter_dimension_names,
      l.alarm_name,
      l.actions_enabled,
      l.alarm_dimension_names,
      l.action,
      COALESCE(l.confirmed, 0) AS confirmed,
      COALESCE(l.pending, 0) AS pending
    FROM trails AS t
    LEFT JOIN filter_links AS l
      ON t.carries_chain
      AND l.account_id = t.group_account_id
      AND l.region = t.group_region
      AND l.log_group_name = t.group_name
  ), links AS (
    SELECT
      l.*,
      l.filter_name IS NOT NULL AS has_filter,
      COALESCE(l.filter_valid, FALSE) AS has_valid_filter,
      l.alarm_name IS NOT NULL AS has_alarm,
      l.action IS NOT NULL AS has_action,
      SPLIT_PART(COALESCE(l.action, ''), ':', 3) = 'sns' AS action_is_topic,
      l.confirmed > 0 AS has_subscription
    FROM linked AS l
  ), gaps AS (
    SELECT
      k.*,
      CASE
        WHEN NOT k.carries_chain
        THEN 'CLOUDTRAIL_MULTI_REGION_NOT_PRESENT'
        WHEN NOT k.has_filter
        THEN 'CLOUDTRAIL_METRIC_FILTERS_NOT_PRESENT'
        WHEN NOT k.has_valid_filter
        THEN 'CLOUDTRAIL_METRIC_FILTER_NOT_VALID'
        WHEN NOT k.has_alarm
        THEN 'CLOUDWATCH_ALARMS_NOT_PRESENT'
        WHEN NOT k.has_action
        THEN 'CLOUDWATCH_ALARM_ACTIONS_NOT_VALID'
        WHEN NOT k.action_is_topic
        THEN 'SNS_TOPIC_INVALID'
        WHEN NOT k.has_subscription
        THEN 'SNS_SUBSCRIPTION_NOT_PRESENT'
      END AS first_gap,
      k.has_subscription
      AND k.filter_dimension_names IS NULL
      AND k.alarm_dimension_names <> '' AS dimensions_undecided
    FROM links AS k
  ), filter_elsewhere /* Hints for a reason: a valid root filter on a log group the trail does not feed, and an alarm on */ /* the filter's metric name in another namespace or region, or with other dimensions, each worded */ /* for the chains whose reason shows it (NULL on the others). Both are joined to every chain, before */ /* root_usage_verdicts picks the best one: a join after the pick would pair two relations the */ /* planner believes small, and Postgres then loops over one for each row of the other. */ AS (
    SELECT
      *
      EXCLUDE (_first_row)
    FROM (
      SELECT
        account_id,
        name,
        log_group_name,
        region,
        ROW_NUMBER() OVER (PARTITION BY account_id ORDER BY region, log_group_name, name) AS _first_row
      FROM valid_filters
    ) AS _first_rows
    WHERE
      _first_row = 1
  ), alarm_elsewhere AS (
    SELECT
      *
      EXCLUDE (_first_row)
    FROM (
      SELECT
        account_id,
        metric_name,
        name,
        namespace,
        region,
        dimension_names,
        ROW_NUMBER() OVER (PARTITION BY account_id, metric_name ORDER BY region, namespace, name) AS _first_row
      FROM root_alarms
    ) AS _first_rows
    WHERE
      _first_row = 1
  )
  SELECT
    g.*,
    CASE
      WHEN g.first_gap = 'CLOUDTRAIL_METRIC_FILTERS_NOT_PRESENT'
      THEN ' (filter ' || fe.name || ' has the root pattern but is on log group ' || fe.log_group_name || ' in ' || fe.region || ', which the trail does not feed)'
    END AS filter_hint,
    CASE
      WHEN g.first_gap = 'CLOUDWATCH_ALARMS_NOT_PRESENT'
      THEN ' (alarm ' || ae.name || ' watches ' || g.metric_name || ' in namespace ' || ae.namespace || ' in ' || ae.region || CASE
        WHEN ae.dimension_names <> g.filter_dimension_names
        THEN ' with ' || CASE
          WHEN ae.dimension_names = ''
          THEN 'no dimensions'
          ELSE 'dimensions ' || ae.dimension_names
        END || ', where the filter publishes ' || CASE
          WHEN g.filter_dimension_names = ''
          THEN 'none'
          ELSE g.filter_dimension_names
        END
        ELSE ''
      END || ')'
    END AS alarm_hint
  FROM gaps AS g
  LEFT JOIN filter_elsewhere AS fe
    ON fe.account_id = g.group_account_id
  LEFT JOIN alarm_elsewhere AS ae
    ON ae.account_id = g.group_account_id AND ae.metric_name = g.metric_name
), root_usage_verdicts /* shared relation root_usage_verdicts: relations/root_usage_verdicts.sql */ AS (
  /* The CIS verdict on root-usage monitoring, one row per account (the rows of the control */
  /* root_usage_monitored, which reads this relation; root_activity_alerted reads it too): */
  /* resource, status, reason, account_id, region. */
  /* One row per account, ok when one whole chain exists (see the relation root_alarm_chain): */
  /*   trail: multi-region, logging, all read and write management events (as in */
  /*          cloudtrail_enabled_all_regions), delivering to a CloudWatch Logs group */
  /*   -> metric filter on that log group with exactly the three CIS clauses (root_usage_filters; */
  /*      the variable root_usage_filter_extra_clauses may allow a clause that excludes centralized */
  /*      root sessions) */
  /*   -> alarm in that account and region on the filter's metric (name, namespace and dimensions), */
  /*      actions enabled -> an alarm action that is an SNS topic -> a confirmed subscription. */
  /* Otherwise the chain that got furthest is reported with the Security Hub CloudWatch.1 code of its */
  /* first missing link. An organization trail seen from a member account is resolved in the owning */
  /* account (where its log group, filters and alarms live) when the data holds it, else `info`. */
  /* Where the filter's dimensions were not captured (a live Steampipe endpoint has no column for */
  /* them), an alarm that names no dimensions is taken to match, as CIS sets it up, and the reason */
  /* says so; an alarm that names dimensions cannot be judged (`error`). */
  /* Shared relations: accounts, root_alarm_chain (and trail_coverage, root_usage_filters, */
  /* root_usage_patterns, metric_alarms, sns_topics and those they read; controls/relations/). */
  /* Each chain with the columns its words are made of (its hints are worded by root_alarm_chain), not */
  /* with every column of its links: all of them are held by the ranking (a window holds every column */
  /* of its input). */
  WITH chains AS (
    SELECT
      c.account_id,
      c.arn,
      c.name,
      c.home_region,
      c.owner_account_id,
      c.resolved,
      c.is_multi_region_trail,
      c.is_logging,
      c.records_all,
      c.log_group_arn IS NOT NULL AS has_log_group,
      c.label,
      c.group_account_id,
      c.group_region,
      c.group_name,
      c.carries_chain,
      c.trail_compliant,
      c.trails_seen,
      c.trail_shortfalls,
      c.filter_name,
      c.filter_pattern,
      c.filter_problem,
      c.required_present,
      c.has_or,
      c.extra_count,
      c.accepted_extras,
      c.metric_name,
      c.metric_namespace,
      c.filter_dimension_names,
      c.alarm_name,
      c.actions_enabled,
      c.alarm_dimension_names,
      c.action,
      c.confirmed,
      c.pending,
      c.has_filter,
      c.has_valid_filter,
      c.has_alarm,
      c.has_action,
      c.action_is_topic,
      c.has_subscription,
      c.first_gap,
      c.first_gap IS NULL AS complete,
      c.first_gap IS NULL AND c.trail_compliant AND NOT c.dimensions_undecided AS monitored,
      c.filter_hint,
      c.alarm_hint
    FROM root_alarm_chain AS c
  ), ranked AS (
    /* Chains in order of preference, per account; the first is the one reported. */
    SELECT
      c.*,
      ROW_NUMBER() OVER (
        PARTITION BY c.account_id
        ORDER BY monitored DESC NULLS FIRST /* a complete chain on a compliant trail settles it (ok); */, resolved /* else an organization trail whose chain is visible only in its owner's account (info); */, complete DESC NULLS FIRST /* else a complete chain that hinges on facts nobody captured (error); */, has_subscription /* else the chain that got furthest (alarm); each link needs the one before it. */ DESC NULLS FIRST, action_is_topic DESC NULLS FIRST, has_action DESC NULLS FIRST, has_alarm DESC NULLS FIRST, has_valid_filter DESC NULLS FIRST, has_filter DESC NULLS FIRST, carries_chain DESC NULLS FIRST, CASE WHEN is_multi_region_trail THEN 0 ELSE 1 END, CASE WHEN is_logging THEN 0 ELSE 1 END, CASE WHEN records_all THEN 0 ELSE 1 END, CASE WHEN has_log_group THEN 0 ELSE 1 END, COALESCE(required_present, 0) DESC NULLS FIRST, CASE WHEN has_or THEN 1 ELSE 0 END, COALESCE(extra_count, 0), CASE WHEN owner_account_id = account_id THEN 0 ELSE 1 END, arn, COALESCE(filter_name, ''), COALESCE(alarm_name, ''), COALESCE(action, '')
      ) AS preference
    FROM chains AS c
  ), best AS (
    SELECT
      *
    FROM ranked
    WHERE
      preference = 1
  ), described AS (
    SELECT
      b.*,
      b.group_name || ' in ' || b.group_region || CASE
        WHEN b.group_account_id <> b.account_id
        THEN ' of account ' || b.group_account_id
        ELSE ''
      END AS group_text,
      COALESCE(b.metric_namespace, '(none)') || '/' || COALESCE(b.metric_name, '(none)') || CASE
        WHEN b.filter_dimension_names <> ''
        THEN ' (dimensions ' || b.filter_dimension_names || ')'
        ELSE ''
      END AS metric_text,
      b.confirmed || CASE
        WHEN b.confirmed = 1
        THEN ' confirmed subscription'
        ELSE ' confirmed subscriptions'
      END AS subscriptions_text
    FROM best AS b
  )
  SELECT
    a.root_arn AS resource,
    CASE
      WHEN d.account_id IS NULL
      THEN 'alarm'
      WHEN d.monitored
      THEN 'ok'
      WHEN NOT d.resolved
      THEN 'info'
      WHEN d.complete
      THEN 'error'
      ELSE 'alarm'
    END AS status,
    CASE
      WHEN d.account_id IS NULL
      THEN 'CLOUDTRAIL_MULTI_REGION_NOT_PRESENT: no CloudTrail trail in account ' || a.account_id || ' (no aws_cloudtrail_trail rows), so root activity reaches no CloudWatch Logs group.'
      WHEN d.monitored
      THEN 'Root usage is monitored: ' || d.label || ' delivers to log group ' || d.group_text || '; filter ' || d.filter_name || ' counts root usage into metric ' || d.metric_text || '; alarm ' || d.alarm_name || ' notifies topic ' || d.action || ' with ' || d.subscriptions_text || '.' || COALESCE(
        ' The filter also excludes centralized root sessions (' || d.accepted_extras || '), as the variable root_usage_filter_extra_clauses allows.',
        ''
      ) || CASE
        WHEN d.filter_dimension_names IS NULL
        THEN ' The dimensions of filter ' || d.filter_name || ' were not captured (Steampipe has no column for' || ' them); alarm ' || d.alarm_name || ' names none, as CIS sets it up, so the filter is taken to' || ' publish none.'
        ELSE ''
      END
      WHEN NOT d.resolved
      THEN 'Covered by organization trail ' || d.name || ' (home region ' || d.home_region || ') owned by account ' || d.owner_account_id || ', whose logging status, log group, metric filters and alarms are visible ' || 'only there; add account ' || d.owner_account_id || ' to the snapshot to resolve the chain.'
      WHEN d.complete AND NOT d.trail_compliant
      THEN 'Cannot tell whether root usage is monitored: ' || d.label || ' ' || d.trail_shortfalls || ', although the rest of its chain is complete (log group ' || d.group_text || ', filter ' || d.filter_name || ', alarm ' || d.alarm_name || ', topic ' || d.action || ' with ' || d.subscriptions_text || ').'
      WHEN d.complete
      THEN 'Cannot tell whether root usage is monitored: alarm ' || d.alarm_name || ' watches metric ' || d.metric_text || ' with dimensions ' || d.alarm_dimension_names || ', and the dimensions filter ' || d.filter_name || ' publishes were not captured (Steampipe has no column for them), although the' || ' rest of its chain is complete (' || d.label || ', log group ' || d.group_text || ', topic ' || d.action || ' with ' || d.subscriptions_text || '); build a snapshot with' || ' rootwatch snapshot from-aws or from-files to compare them.'
      WHEN d.first_gap = 'CLOUDTRAIL_MULTI_REGION_NOT_PRESENT'
      THEN d.first_gap || ': ' || d.label || ' ' || d.trail_shortfalls || '; no trail of account ' || a.account_id || ' is multi-region, logging, recording all read and write management events ' || 'and delivering to CloudWatch Logs (' || d.trails_seen || CASE WHEN d.trails_seen = 1 THEN ' trail' ELSE ' trails' END || ' checked).'
      WHEN d.first_gap = 'CLOUDTRAIL_METRIC_FILTERS_NOT_PRESENT'
      THEN d.first_gap || ': no metric filter on log group ' || d.group_text || ', where ' || d.label || ' delivers' || COALESCE(d.filter_hint, '') || '.'
      WHEN d.first_gap = 'CLOUDTRAIL_METRIC_FILTER_NOT_VALID'
      THEN d.first_gap || ': filter ' || d.filter_name || ' on log group ' || d.group_text || ' has pattern ' || COALESCE(NULLIF(d.filter_pattern, ''), '(empty)') || ' ' || d.filter_problem || '.'
      WHEN d.first_gap = 'CLOUDWATCH_ALARMS_NOT_PRESENT'
      THEN d.first_gap || ': no alarm in ' || d.group_region || ' on metric ' || d.metric_text || ' of filter ' || d.filter_name || ' (log group ' || d.group_text || ')' || COALESCE(d.alarm_hint, '') || '.'
      WHEN d.first_gap = 'CLOUDWATCH_ALARM_ACTIONS_NOT_VALID'
      THEN d.first_gap || ': alarm ' || d.alarm_name || ' on metric ' || d.metric_text || ' (filter ' || d.filter_name || ', log group ' || d.group_text || ') ' || CASE
        WHEN NOT d.actions_enabled
        THEN 'has actions disabled'
        ELSE 'has no alarm actions'
      END || '.'
      WHEN d.first_gap = 'SNS_TOPIC_INVALID'
      THEN d.first_gap || ': alarm ' || d.alarm_name || ' on metric ' || d.metric_text || ' (filter ' || d.filter_name || ', log group ' || d.group_text || ') notifies no SNS topic (action ' || d.action || ').'
      ELSE d.first_gap || ': topic ' || d.action || ' of alarm ' || d.alarm_name || ' on metric ' || d.metric_text || ' has no confirmed subscription (' || d.pending || ' pending confirmation).'
    END AS reason,
    a.account_id,
    CASE WHEN d.carries_chain THEN d.group_region ELSE d.home_region END AS region
  FROM accounts AS a
  LEFT JOIN described AS d
    ON d.account_id = a.account_id
), root_event_patterns /* shared relation root_event_patterns: relations/root_event_patterns.sql */ AS (
  /* EventBridge event patterns judged as monitors of root activity, one row per distinct pattern of */
  /* aws_eventbridge_rule (rules without a pattern have none; root_event_rules words those itself). */
  /* CloudTrail puts a root console sign-in on the default bus as detail type "AWS Console Sign In via */
  /* CloudTrail" and a root call as "AWS API Call via CloudTrail" (source aws.<service>), with the */
  /* CloudTrail record as detail (detail.userIdentity.type "Root"). */
  /*   selects_root:    the pattern asks for userIdentity type Root (what makes a rule a root monitor) */
  /*   pattern_problem: what in the pattern keeps some root activity out, in words; NULL when nothing */
  /*                    does. A field the pattern does not name lets everything through. Accepted: */
  /*                    detail types naming both kinds, source {"prefix": "aws."}, and the CIS */
  /*                    exclusions of what AWS services do for root (invokedBy [{"exists": false}], */
  /*                    eventType anything-but AwsServiceEvent). A filter on a field that narrows root */
  /*                    activity further (eventName, errorCode, readOnly, ...) is a problem, as an */
  /*                    extra clause is in the CIS metric filter. */
  /* Judged once per pattern, not once per rule: an organisation deploys one rule to every account and */
  /* region, so rules repeat a handful of patterns (2 among 87,501 rules at 10,000 accounts), and taking */
  /* every rule's pattern apart was a third of root_activity_alerted's time and 38 MB of its memory on */
  /* DuckDB. The pattern's parts are taken apart once, here, so that no function call holds a -> */
  /* (DuckDB would read it as a lambda). */
  WITH patterns AS (
    SELECT DISTINCT
      event_pattern AS pattern
    FROM aws_eventbridge_rule
    WHERE
      event_pattern IS NOT NULL
  ), fields AS (
    SELECT
      pattern,
      (
        pattern -> '$."detail-type"'
      ) AS detail_types,
      (
        pattern -> '$.source'
      ) AS sources,
      (
        pattern -> '$.detail'
      ) AS detail,
      (
        pattern -> '$.detail' -> '$.userIdentity'
      ) AS identity,
      (
        pattern -> '$.detail' -> '$.userIdentity' -> '$.type'
      ) AS identity_types,
      (
        pattern -> '$.detail' -> '$.userIdentity' -> '$.invokedBy'
      ) AS invoked_by,
      (
        pattern -> '$.detail' -> '$.eventType'
      ) AS event_types,
      (
        pattern -> '$.detail' -> '$.eventType' -> '$[0]' -> '$."anything-but"'
      ) AS event_types_but
    FROM patterns
  ), parts AS (
    SELECT
      f.*,
      COALESCE(JSON_CONTAINS(f.identity_types, CAST('["Root"]' AS JSON)), FALSE) AS selects_root,
      CASE JSON_TYPE(f.event_types)
        WHEN 'OBJECT'
        THEN 'object'
        WHEN 'ARRAY'
        THEN 'array'
        WHEN 'VARCHAR'
        THEN 'string'
        WHEN 'BIGINT'
        THEN 'number'
        WHEN 'UBIGINT'
        THEN 'number'
        WHEN 'DOUBLE'
        THEN 'number'
        WHEN 'BOOLEAN'
        THEN 'boolean'
        WHEN 'NULL'
        THEN 'null'
      END AS event_types_kind,
      CASE JSON_TYPE(f.event_types_but)
        WHEN 'OBJECT'
        THEN 'object'
        WHEN 'ARRAY'
        THEN 'array'
        WHEN 'VARCHAR'
        THEN 'string'
        WHEN 'BIGINT'
        THEN 'number'
        WHEN 'UBIGINT'
        THEN 'number'
        WHEN 'DOUBLE'
        THEN 'number'
        WHEN 'BOOLEAN'
        THEN 'boolean'
        WHEN 'NULL'
        THEN 'null'
      END AS event_types_but_kind,
      CASE JSON_TYPE(f.invoked_by)
        WHEN 'OBJECT'
        THEN 'object'
        WHEN 'ARRAY'
        THEN 'array'
        WHEN 'VARCHAR'
        THEN 'string'
        WHEN 'BIGINT'
        THEN 'number'
        WHEN 'UBIGINT'
        THEN 'number'
        WHEN 'DOUBLE'
        THEN 'number'
        WHEN 'BOOLEAN'
        THEN 'boolean'
        WHEN 'NULL'
        THEN 'null'
      END AS invoked_by_kind,
      CASE
        WHEN (
          f.detail -> '$.eventName'
        ) IS NOT NULL
        THEN 'detail.eventName'
        WHEN (
          f.detail -> '$.eventSource'
        ) IS NOT NULL
        THEN 'detail.eventSource'
        WHEN (
          f.detail -> '$.errorCode'
        ) IS NOT NULL
        THEN 'detail.errorCode'
        WHEN (
          f.detail -> '$.errorMessage'
        ) IS NOT NULL
        THEN 'detail.errorMessage'
        WHEN (
          f.detail -> '$.readOnly'
        ) IS NOT NULL
        THEN 'detail.readOnly'
        WHEN (
          f.detail -> '$.managementEvent'
        ) IS NOT NULL
        THEN 'detail.managementEvent'
        WHEN (
          f.detail -> '$.eventCategory'
        ) IS NOT NULL
        THEN 'detail.eventCategory'
        WHEN (
          f.detail -> '$.awsRegion'
        ) IS NOT NULL
        THEN 'detail.awsRegion'
        WHEN (
          f.detail -> '$.sourceIPAddress'
        ) IS NOT NULL
        THEN 'detail.sourceIPAddress'
        WHEN (
          f.detail -> '$.userAgent'
        ) IS NOT NULL
        THEN 'detail.userAgent'
        WHEN (
          f.detail -> '$.recipientAccountId'
        ) IS NOT NULL
        THEN 'detail.recipientAccountId'
        WHEN (
          f.detail -> '$.requestParameters'
        ) IS NOT NULL
        THEN 'detail.requestParameters'
        WHEN (
          f.detail -> '$.responseElements'
        ) IS NOT NULL
        THEN 'detail.responseElements'
        WHEN (
          f.detail -> '$.additionalEventData'
        ) IS NOT NULL
        THEN 'detail.additionalEventData'
        WHEN (
          f.identity -> '$.arn'
        ) IS NOT NULL
        THEN 'detail.userIdentity.arn'
        WHEN (
          f.identity -> '$.accountId'
        ) IS NOT NULL
        THEN 'detail.userIdentity.accountId'
        WHEN (
          f.identity -> '$.principalId'
        ) IS NOT NULL
        THEN 'detail.userIdentity.principalId'
        WHEN (
          f.identity -> '$.accessKeyId'
        ) IS NOT NULL
        THEN 'detail.userIdentity.accessKeyId'
        WHEN (
          f.identity -> '$.sessionContext'
        ) IS NOT NULL
        THEN 'detail.userIdentity.sessionContext'
      END AS narrowing_field
    FROM fields AS f
  )
  SELECT
    p.pattern,
    p.selects_root,
    CASE
      WHEN p.identity_types IS NOT NULL AND NOT p.selects_root
      THEN 'matches userIdentity types other than Root'
      WHEN p.detail_types IS NOT NULL
      AND NOT COALESCE(
        JSON_CONTAINS(p.detail_types, CAST('["AWS Console Sign In via CloudTrail"]' AS JSON)),
        FALSE
      )
      THEN 'leaves out detail type AWS Console Sign In via CloudTrail, so root console sign-ins never match'
      WHEN p.detail_types IS NOT NULL
      AND NOT COALESCE(
        JSON_CONTAINS(p.detail_types, CAST('["AWS API Call via CloudTrail"]' AS JSON)),
        FALSE
      )
      THEN 'leaves out detail type AWS API Call via CloudTrail, so root API calls never match'
      WHEN p.sources IS NOT NULL
      AND NOT COALESCE(JSON_CONTAINS(p.sources, CAST('[{"prefix": "aws."}]' AS JSON)), FALSE)
      THEN 'filters on source without {"prefix": "aws."}, so root activity in other services never matches'
      WHEN p.invoked_by IS NOT NULL
      AND NOT (
        p.invoked_by_kind = 'array'
        AND JSON_ARRAY_LENGTH(p.invoked_by) = 1
        AND COALESCE(JSON_CONTAINS(p.invoked_by, CAST('[{"exists": false}]' AS JSON)), FALSE)
      )
      THEN 'filters on detail.userIdentity.invokedBy other than [{"exists": false}]'
      WHEN p.event_types IS NOT NULL
      AND NOT (
        COALESCE(
          JSON_CONTAINS(p.event_types, CAST('["AwsApiCall", "AwsConsoleSignIn"]' AS JSON)),
          FALSE
        )
        OR p.event_types_kind = 'array'
        AND JSON_ARRAY_LENGTH(p.event_types) = 1
        AND (
          p.event_types_but_kind = 'string'
          AND p.event_types_but = CAST('"AwsServiceEvent"' AS JSON)
          OR p.event_types_but_kind = 'array'
          AND JSON_ARRAY_LENGTH(p.event_types_but) = 1
          AND COALESCE(JSON_CONTAINS(p.event_types_but, CAST('["AwsServiceEvent"]' AS JSON)), FALSE)
        )
      )
      THEN 'filters on detail.eventType other than anything-but AwsServiceEvent'
      WHEN p.narrowing_field IS NOT NULL
      THEN 'also filters on ' || p.narrowing_field
    END AS pattern_problem
  FROM parts AS p
), root_event_rules /* shared relation root_event_rules: relations/root_event_rules.sql */ AS (
  /* EventBridge rules judged as monitors of root activity, one row per rule of aws_eventbridge_rule, */
  /* with its pattern's verdict (root_event_patterns: selects_root, pattern_problem). */
  /*   enabled:         state ENABLED or ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS */
  /*   sees_read_only:  the latter; a rule in state ENABLED receives no read-only management events */
  /*   targets_captured: ListTargetsByRule was read (targets NULL is not captured; [] is none) */
  SELECT
    r.account_id,
    r.region,
    r.arn,
    r.name,
    COALESCE(r.event_bus_name, 'default') AS event_bus_name,
    r.state,
    r.targets,
    COALESCE(p.selects_root, FALSE) AS selects_root,
    COALESCE(r.state, '') IN ('ENABLED', 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS') AS enabled,
    COALESCE(r.state, '') = 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS' AS sees_read_only,
    r.targets IS NOT NULL AS targets_captured,
    CASE
      WHEN r.event_pattern IS NULL
      THEN 'has no event pattern'
      ELSE p.pattern_problem
    END AS pattern_problem
  FROM aws_eventbridge_rule AS r
  LEFT JOIN root_event_patterns AS p
    ON r.event_pattern = p.pattern
), root_event_routes /* shared relation root_event_routes: relations/root_event_routes.sql */ AS (
  /* Where EventBridge rules send what they match: one row per rule of root_event_rules and distinct */
  /* target ARN; a rule with no target (targets not captured, or none) has one row, its target columns */
  /* NULL. The rule's columns are root_event_rules' (rule_arn and rule_name are its arn and name). */
  /*   kind:       'event bus', 'SNS topic', 'SQS queue', 'Lambda function', NULL for anything else */
  /*   target_account_id, target_region: from the target's ARN; target_bus: an event bus's name */
  /*   confirmed, pending: an SNS topic's subscriptions (sns_topics), 0 when it has none */
  /*   topic_seen: the topic's account is in the data, so "no confirmed subscription" is a fact about */
  /*               it and not a gap in the snapshot */
  /*   delivers:   the target reaches a person by itself: a queue, a function, or a topic with a */
  /*               confirmed subscription (or one whose account is not in the data); an event bus */
  /*               delivers through the rules of the bus it forwards to */
  /* A rule and its targets come from one row of aws_eventbridge_rule, so they are not joined on the */
  /* rule: each distinct list of targets (rules deployed together share one) is taken apart and */
  /* described once, and joined to its rules by the list itself. At 10,000 accounts (87,501 rules, */
  /* 5,002 lists, DuckDB) the rules and targets as two relations joined on the rule ARN held about */
  /* 100 MB of hash tables and kept rows; this holds a table of the distinct lists. */
  /* A list naming one ARN twice (two targets with their own inputs) gives one row for it. */
  WITH listed AS (
    SELECT DISTINCT
      l.targets,
      x.value ->> '$.Arn' AS target_arn
    FROM (
      SELECT DISTINCT
        targets
      FROM aws_eventbridge_rule
      WHERE
        targets IS NOT NULL
    ) AS l, LATERAL (
      SELECT
        UNNEST(JSON_EXTRACT(l.targets, '$[*]')) AS value
    ) AS x(value)
  ), kinds AS (
    SELECT
      l.*,
      SPLIT_PART(l.target_arn, ':', 4) AS target_region,
      SPLIT_PART(l.target_arn, ':', 5) AS target_account_id,
      CASE
        WHEN SPLIT_PART(l.target_arn, ':', 3) = 'events'
        AND SPLIT_PART(l.target_arn, ':', 6) LIKE 'event-bus/%'
        THEN 'event bus'
        WHEN SPLIT_PART(l.target_arn, ':', 3) = 'sns'
        THEN 'SNS topic'
        WHEN SPLIT_PART(l.target_arn, ':', 3) = 'sqs'
        THEN 'SQS queue'
        WHEN SPLIT_PART(l.target_arn, ':', 3) = 'lambda'
        THEN 'Lambda function'
      END AS kind
    FROM listed AS l
  ), described AS (
    SELECT
      k.*,
      CASE
        WHEN k.kind = 'event bus'
        THEN SUBSTRING(SPLIT_PART(k.target_arn, ':', 6), 11)
      END AS target_bus,
      COALESCE(s.confirmed, 0) AS confirmed,
      COALESCE(s.pending, 0) AS pending,
      a.account_id IS NOT NULL AS topic_seen,
      k.kind IN ('SQS queue', 'Lambda function')
      OR k.kind = 'SNS topic'
      AND (
        COALESCE(s.confirmed, 0) > 0 OR a.account_id IS NULL
      ) AS delivers
    FROM kinds AS k
    LEFT JOIN sns_topics AS s
      ON k.kind = 'SNS topic' AND s.topic_arn = k.target_arn
    LEFT JOIN accounts AS a
      ON k.kind = 'SNS topic' AND a.account_id = k.target_account_id
  )
  SELECT
    r.account_id,
    r.region,
    r.arn AS rule_arn,
    r.name AS rule_name,
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
  FROM root_event_rules AS r
  LEFT JOIN described AS t
    ON r.targets = t.targets
), root_event_paths /* shared relation root_event_paths: relations/root_event_paths.sql */ AS (
  /* How far EventBridge takes root activity in each region of an account where a rule on its default */
  /* bus asks for it (root_event_rules' selects_root): one row per account and such region, the */
  /* combination of rule and target (root_event_routes) that got furthest toward a person, with: */
  /*   depth: 2 the rule's pattern keeps root activity out (pattern_problem), 3 the rule is not */
  /*          enabled, 4 its targets were not captured, 5 it has none, 6 its target is no event bus, */
  /*          SNS topic, SQS queue or Lambda function, 7 an SNS topic without a confirmed subscription, */
  /*          8 an event bus (the hub of a hub-and-spoke monitor) where no rule passes root activity */
  /*          on to a target that delivers, 9 it delivers */
  /*   the rule's and target's columns (root_event_routes'), and the hub's: hub_rule and its target */
  /*   (hub_target_kind, hub_target_arn, hub_topic_seen, hub_confirmed); hub_in_data (the hub's */
  /*   account is in the data) and hub_rules_seen (the data holds rules of that account in that */
  /*   region): without either, the hub was not checked, and a reason says so */
  /* Ties go to a rule that receives read-only calls, then to a target that was checked, then by rule */
  /* name and target ARN. */
  /* Read by root_activity_alerted alone, and none of the CIS chain: a run that keeps rows computes it */
  /* beside the chain (rootwatch.computed_once), not after it inside the control. At 10,000 accounts */
  /* (87,500 regions with a rule, DuckDB) it was a third of the control's time. */
  WITH hub_buses AS (
    /* The event buses rules forward to (the hubs of hub-and-spoke monitors): a few, however many */
    /* buses and rules the data holds. */
    SELECT DISTINCT
      target_account_id AS account_id,
      target_region AS region,
      target_bus AS event_bus_name
    FROM root_event_routes
    WHERE
      kind = 'event bus'
  ), hub_candidates /* Per hub, the first rule that passes root activity to a target that delivers by itself. */ AS (
    SELECT
      r.account_id,
      r.region,
      r.event_bus_name,
      r.rule_name,
      r.kind,
      r.target_arn,
      r.topic_seen,
      r.confirmed,
      CASE WHEN r.kind = 'SNS topic' AND NOT r.topic_seen THEN 1 ELSE 0 END AS unverified
    FROM hub_buses AS b
    INNER JOIN root_event_routes AS r
      ON b.account_id = r.account_id
      AND b.region = r.region
      AND b.event_bus_name = r.event_bus_name
    WHERE
      r.enabled AND r.pattern_problem IS NULL AND r.delivers
  ), hub_rules AS (
    SELECT
      *
      EXCLUDE (_first_row)
    FROM (
      SELECT
        c.*,
        ROW_NUMBER() OVER (
          PARTITION BY c.account_id, c.region, c.event_bus_name
          ORDER BY c.unverified, c.rule_name, c.target_arn
        ) AS _first_row
      FROM hub_candidates AS c
    ) AS _first_rows
    WHERE
      _first_row = 1
  ), hubs /* Each hub with what the data says of it: its account is in the data (else it was not checked), */ /* the data holds rules of that account in that region (else neither), and its first rule. One row */ /* per hub, joined once to the combinations below: joined there one by one, the account and region */ /* lists were hash tables of every account and every region with rules (87,500 at 10,000 accounts), */ /* and a misjudged size made DuckDB hold the wide combinations instead. */ AS (
    SELECT
      b.account_id,
      b.region,
      b.event_bus_name,
      a.account_id IS NOT NULL AS in_data,
      EXISTS(
        SELECT
          1
        FROM aws_eventbridge_rule AS r
        WHERE
          r.account_id = b.account_id AND r.region = b.region
      ) AS rules_seen,
      h.rule_name,
      h.kind,
      h.target_arn,
      h.topic_seen,
      h.confirmed
    FROM hub_buses AS b
    LEFT JOIN accounts AS a
      ON b.account_id = a.account_id
    LEFT JOIN hub_rules AS h
      ON b.account_id = h.account_id
      AND b.region = h.region
      AND b.event_bus_name = h.event_bus_name
  ), combos /* Every combination of a rule for root activity on an account's default bus and its target, in */ /* each region with such a rule, and how far it gets there (depth). Not joined to the regions where */ /* a trail logs: the pick below is the same in any region, and root_activity_alerted keeps the */ /* regions it requires. (Joined to them, DuckDB held a hash table of either side, 170,000 required */ /* regions or 87,500 rules at 10,000 accounts: 35 MB.) It carries the columns a reason's words are */ /* made of, not the words: the control words them after the pick, for the regions a reason names. */ /* (Worded before it instead, the ranking held one text per combination in place of those columns, */ /* in as much memory on DuckDB.) */ AS (
    SELECT
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
      h.rule_name AS hub_rule,
      h.kind AS hub_target_kind,
      h.target_arn AS hub_target_arn,
      h.topic_seen AS hub_topic_seen,
      h.confirmed AS hub_confirmed,
      COALESCE(h.in_data, FALSE) AS hub_in_data,
      COALESCE(h.rules_seen, FALSE) AS hub_rules_seen,
      CASE
        WHEN r.pattern_problem IS NOT NULL
        THEN 2
        WHEN NOT r.enabled
        THEN 3
        WHEN NOT r.targets_captured
        THEN 4
        WHEN r.target_arn IS NULL
        THEN 5
        WHEN r.kind IS NULL
        THEN 6
        WHEN r.kind = 'SNS topic' AND NOT r.delivers
        THEN 7
        WHEN r.kind = 'event bus' AND h.in_data AND h.rules_seen AND h.rule_name IS NULL
        THEN 8
        ELSE 9
      END AS depth
    FROM root_event_routes AS r
    LEFT JOIN hubs AS h
      ON r.kind = 'event bus'
      AND r.target_account_id = h.account_id
      AND r.target_region = h.region
      AND r.target_bus = h.event_bus_name
    WHERE
      r.event_bus_name = 'default' AND r.selects_root
  ), rule_best /* The combination that got furthest in each region with a rule. A CTE, not the statement itself: */ /* its rows need no order (a run that keeps them sorted them for nothing on DuckDB). */ AS (
    SELECT
      *
      EXCLUDE (_first_row)
    FROM (
      SELECT
        c.*,
        ROW_NUMBER() OVER (
          PARTITION BY c.account_id, c.region
          ORDER BY c.depth DESC NULLS FIRST, CASE WHEN c.sees_read_only THEN 0 ELSE 1 END, CASE
            WHEN c.kind = 'event bus' AND NOT (
              c.hub_in_data AND c.hub_rules_seen
            )
            THEN 1
            WHEN c.kind = 'SNS topic' AND NOT c.topic_seen
            THEN 1
            ELSE 0
          END, COALESCE(c.rule_name, ''), COALESCE(c.target_arn, '')
        ) AS _first_row
      FROM combos AS c
    ) AS _first_rows
    WHERE
      _first_row = 1
  )
  SELECT
    *
  FROM rule_best
), trail_logs_in AS (
  SELECT
    t.account_id,
    t.region,
    c.label
  FROM aws_cloudtrail_trail AS t
  INNER JOIN trail_coverage AS c
    ON t.account_id = c.account_id AND t.arn = c.arn
  WHERE
    NOT c.is_logging IS FALSE
    AND (
      NOT c.resolved OR c.is_multi_region_trail OR t.region = c.home_region
    )
), trail_regions /* The regions alone: the trail's name is looked up for the one region a reason names (first_gap). */ /* Carried on each of the 170,000 required regions at 10,000 accounts, it cost 30 MB on DuckDB. */ AS (
  SELECT DISTINCT
    account_id,
    region
  FROM trail_logs_in
), required_regions /* us-east-1 is required of every account of the aws partition, whether a trail logs there or not: */ /* the account's row and its trail's us-east-1 row, if any, are grouped, not joined. Postgres sizes */ /* trail_regions at a handful of rows, and a join of it to the accounts ran as a nested loop over */ /* both (1.7 billion row pairs at 10,000 accounts). */ AS (
  SELECT
    account_id,
    'us-east-1' AS region,
    0 AS region_order,
    BOOL_OR(CAST(from_trail AS BOOLEAN)) AS trail_logs
  FROM (
    SELECT
      account_id,
      FALSE AS from_trail
    FROM accounts
    WHERE
      COALESCE(partition, 'aws') = 'aws'
    UNION ALL
    SELECT
      account_id,
      TRUE AS from_trail
    FROM trail_regions
    WHERE
      region = 'us-east-1'
  ) AS east
  GROUP BY
    account_id
  HAVING
    NOT BOOL_AND(CAST(from_trail AS BOOLEAN)) /* the account's own row is among them: a trail alone is no required region */
  UNION ALL
  SELECT
    tr.account_id,
    tr.region,
    1 AS region_order,
    TRUE AS trail_logs
  FROM trail_regions AS tr
  INNER JOIN accounts AS a
    ON tr.account_id = a.account_id
  WHERE
    tr.region <> 'us-east-1' OR COALESCE(a.partition, 'aws') <> 'aws'
), region_depths /* How far each required region got (9: it delivers), narrow: all of them are aggregated per account. */ /* 0 where no trail logs (us-east-1 only); else a region without a rule got to 1, one with rules as */ /* far as its best combination (root_event_paths' depth, from 2), which is further. A region with */ /* rules that is not required is left out. Grouped, not tested for rules one region at a time: on */ /* DuckDB that test was a hash table of every required region or of every rule, whichever it */ /* guessed smaller. */ AS (
  SELECT
    account_id,
    region,
    MIN(region_order) AS region_order,
    CASE
      WHEN BOOL_OR(CAST(required AND NOT trail_logs AS BOOLEAN))
      THEN 0
      ELSE MAX(depth)
    END AS depth
  FROM (
    SELECT
      account_id,
      region,
      region_order,
      1 AS depth,
      TRUE AS required,
      trail_logs
    FROM required_regions
    UNION ALL
    SELECT
      account_id,
      region,
      NULL AS region_order,
      depth,
      FALSE AS required,
      NULL AS trail_logs
    FROM root_event_paths
  ) AS d
  GROUP BY
    account_id,
    region
  HAVING
    BOOL_OR(CAST(required AS BOOLEAN))
), event_path AS (
  SELECT
    account_id,
    BOOL_AND(CAST(depth = 9 AS BOOLEAN)) AS delivers,
    MIN(CASE WHEN region_order = 0 THEN region END) AS first_region
  FROM region_depths
  GROUP BY
    account_id
), delivery_texts /* The words of the regions that deliver, per account: read only when the account delivers, when */ /* every one of its regions is a region with a rule that delivers. Aggregated without a join to */ /* event_path, which the planners cannot size. A region delivers through its rule's own target, or */ /* through the target of the hub's rule when it forwards to an event bus: that target is named here, */ /* from its parts, and not carried as text through the ranking of every combination (at 10,000 */ /* accounts on DuckDB, the two target texts held 130 MB there). Regions whose rule of one name */ /* delivers the same way are named together ("rule r in us-east-1, eu-west-1 forwards to ..."): a */ /* hub-and-spoke monitor is one clause, not one per region (at 10,000 accounts the reasons were */ /* 1.9 KB long on average, up to 6.4 KB, and their aggregation held 90 MB on DuckDB). */ AS (
  SELECT
    c.account_id,
    LISTAGG(
      'rule ' || c.rule_name || ' in ' || c.regions || c.delivery, '; '
      ORDER BY
        c.first_region
    ) AS delivery_text
  FROM (
    SELECT
      d.account_id,
      d.rule_name,
      d.delivery,
      MIN(CASE WHEN d.region_order = 0 THEN '' ELSE d.region END) AS first_region, /* us-east-1 first */
      LISTAGG(d.region, ', '
      ORDER BY
        d.region_order,
        d.region) AS regions
    FROM (
      SELECT
        r.account_id,
        r.region,
        r.region_order,
        r.rule_name,
        CASE
          WHEN r.sees_read_only
          THEN ''
          ELSE ' (state ' || COALESCE(r.state, '(none)') || ', which receives no read-only root calls; ' || 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS does)'
        END || CASE
          WHEN r.kind = 'event bus'
          THEN ' forwards to event bus ' || r.target_bus || ' of account ' || r.target_account_id || ' in ' || r.target_region || CASE
            WHEN NOT r.hub_in_data
            THEN ' (account ' || r.target_account_id || ' is not in the snapshot, so the hub was not checked)'
            WHEN NOT r.hub_rules_seen
            THEN ' (the snapshot holds no EventBridge rule of account ' || r.target_account_id || ' in ' || r.target_region || ', so the hub was not checked)'
            ELSE ', whose rule ' || r.hub_rule || ' delivers to ' || r.reached_text
          END
          ELSE ' delivers to ' || r.reached_text
        END AS delivery
      FROM (
        /* How a reason names a target: "SNS topic <arn> (1 confirmed subscription)". */
        SELECT
          e.*,
          COALESCE(e.reached_kind, 'target') || ' ' || e.reached_arn || CASE
            WHEN COALESCE(e.reached_kind, '') <> 'SNS topic'
            THEN ''
            WHEN NOT e.reached_topic_seen
            THEN ' (its account is not in the snapshot, so its subscriptions were not checked)'
            WHEN e.reached_confirmed = 1
            THEN ' (1 confirmed subscription)'
            ELSE ' (' || e.reached_confirmed || ' confirmed subscriptions)'
          END AS reached_text
        FROM (
          SELECT
            b.*,
            d.region_order,
            CASE WHEN b.kind = 'event bus' THEN b.hub_target_kind ELSE b.kind END AS reached_kind,
            CASE WHEN b.kind = 'event bus' THEN b.hub_target_arn ELSE b.target_arn END AS reached_arn,
            CASE WHEN b.kind = 'event bus' THEN b.hub_topic_seen ELSE b.topic_seen END AS reached_topic_seen,
            CASE WHEN b.kind = 'event bus' THEN b.hub_confirmed ELSE b.confirmed END AS reached_confirmed
          FROM root_event_paths AS b
          INNER JOIN region_depths AS d
            ON b.account_id = d.account_id AND b.region = d.region
          WHERE
            d.depth = 9
        ) AS e
      ) AS r
    ) AS d
    GROUP BY
      d.account_id,
      d.rule_name,
      d.delivery
  ) AS c
  GROUP BY
    c.account_id
), first_gap_row /* The first required region that does not deliver, per account: us-east-1 first (the only region */ /* of order 0), then by name. Picked, not joined to its own minimum: a join of these rows to an */ /* aggregate of them is one the planners cannot size. Picked from the narrow rows; the words come */ /* from the one picked row's rule (depth 2 and over) or trail (depth 1) below. Picking among the */ /* rule rows themselves held every gap's rule, target and hub columns in a window on DuckDB. */ AS (
  SELECT
    *
    EXCLUDE (_first_row)
  FROM (
    SELECT
      account_id,
      region,
      region_order,
      depth,
      ROW_NUMBER() OVER (PARTITION BY account_id ORDER BY region_order, region) AS _first_row
    FROM region_depths
    WHERE
      depth < 9
  ) AS _first_rows
  WHERE
    _first_row = 1
), first_gap_trail /* The name of a trail that logs in the picked region, for a region without a rule (depth 1): */ /* looked up for those regions only, not carried on every required region. */ AS (
  SELECT
    f.account_id,
    MIN(l.label) AS trail_label
  FROM first_gap_row AS f
  INNER JOIN trail_logs_in AS l
    ON f.account_id = l.account_id AND f.region = l.region
  WHERE
    f.depth = 1 AND f.region_order = 1
  GROUP BY
    f.account_id
), first_gap AS (
  SELECT
    g.account_id,
    g.region,
    g.depth,
    CASE g.depth
      WHEN 0
      THEN 'no CloudTrail trail logs in us-east-1, where root console sign-ins are recorded, and EventBridge ' || 'receives CloudTrail events only from a logging trail'
      WHEN 1
      THEN 'no EventBridge rule for root activity in ' || g.region || COALESCE(
        ', where ' || g.trail_label || ' logs',
        ', where root console sign-ins are recorded'
      )
      WHEN 2
      THEN g.rule_text || ' ' || g.pattern_problem
      WHEN 3
      THEN g.rule_text || ' is in state ' || COALESCE(g.state, '(none)')
      WHEN 4
      THEN 'the targets of ' || g.rule_text || ' were not captured (aws events list-targets-by-rule --rule ' || g.rule_name || ')'
      WHEN 5
      THEN g.rule_text || ' has no targets'
      WHEN 6
      THEN g.rule_text || ' targets ' || g.target_arn || ', which is not an event bus, SNS topic, SQS queue or Lambda function'
      WHEN 7
      THEN g.rule_text || ' targets SNS topic ' || g.target_arn || ', which has no confirmed subscription (' || g.pending || ' pending confirmation)'
      WHEN 8
      THEN g.rule_text || ' forwards to event bus ' || g.target_bus || ' of account ' || g.target_account_id || ' in ' || g.target_region || ', where no enabled rule passes root activity to an' || ' SNS topic with a confirmed subscription, an SQS queue or a Lambda function'
    END AS gap_text
  FROM (
    SELECT
      f.*,
      'rule ' || b.rule_name || ' in ' || f.region AS rule_text,
      b.rule_name,
      b.state,
      b.pattern_problem,
      b.target_arn,
      b.pending,
      b.target_account_id,
      b.target_region,
      b.target_bus,
      l.trail_label
    FROM first_gap_row AS f
    LEFT JOIN root_event_paths AS b
      ON f.depth >= 2 AND f.account_id = b.account_id AND f.region = b.region
    LEFT JOIN first_gap_trail AS l
      ON f.account_id = l.account_id
  ) AS g
)
SELECT
  a.root_arn AS resource,
  CASE
    WHEN v.status = 'ok' OR e.delivers
    THEN 'ok'
    WHEN g.depth = 4
    THEN 'skip'
    WHEN v.status IN ('info', 'error')
    THEN v.status
    ELSE 'alarm'
  END AS status,
  CASE
    WHEN v.status = 'ok' AND e.delivers
    THEN 'Root activity reaches a person through EventBridge (' || x.delivery_text || ') and through the CIS chain: ' || v.reason
    WHEN v.status = 'ok'
    THEN 'Root activity reaches a person through the CIS chain: ' || v.reason
    WHEN e.delivers
    THEN 'Root activity reaches a person through EventBridge: ' || x.delivery_text || '. Not through the CIS chain: ' || v.reason
    WHEN g.depth = 4
    THEN 'Not assessed: ' || g.gap_text || ', so whether EventBridge carries root activity is not known. ' || 'Through the CIS chain: ' || v.reason
    ELSE 'Root activity reaches no one through EventBridge: ' || COALESCE(
      g.gap_text,
      'no CloudTrail trail of account ' || a.account_id || ' logs, and EventBridge receives CloudTrail events only from a logging trail'
    ) || '. Through the CIS chain: ' || v.reason
  END AS reason,
  a.account_id,
  CASE
    WHEN v.status = 'ok'
    THEN v.region
    WHEN e.delivers
    THEN COALESCE(e.first_region, v.region)
    ELSE COALESCE(g.region, v.region)
  END AS region
FROM accounts AS a
INNER JOIN root_usage_verdicts AS v
  ON a.account_id = v.account_id
LEFT JOIN event_path AS e
  ON a.account_id = e.account_id
LEFT JOIN delivery_texts AS x
  ON a.account_id = x.account_id
LEFT JOIN first_gap AS g
  ON a.account_id = g.account_id
ORDER BY
  a.account_id
