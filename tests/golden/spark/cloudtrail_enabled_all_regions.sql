-- Spark SQL translation of controls/cloudtrail_enabled_all_regions.sql with the shared relations it reads (generated
-- by scripts/regen-golden; default variables, clock pinned to 2026-01-01T00:00:00+00:00). Do not edit by hand.
/* CloudTrail is enabled in all regions (CIS v1.2 2.1, v1.3-v5 3.1, v6-v7 4.1). */
/* One row per account: ok when a trail is multi-region, logging, and records read and write */
/* management events, by classic event selectors (IncludeManagementEvents true, ReadWriteType All, */
/* or ReadOnly and WriteOnly in two selectors, no ExcludeManagementEventSources) or by advanced event */
/* selectors on eventCategory = Management (one without readOnly, or readOnly true and false in two; */
/* an eventSource or any other field selector restricts it). */
/* Excluded event sources fail, as in AWS Config's multi-region-cloudtrail-enabled rule. */
/* An organization trail seen from a member account has no status or selectors there; it is graded */
/* from the owning account's row when the snapshot holds it, and is `info` otherwise. */
/* Shared relations: accounts, trail_coverage (and cloudtrail_trails, trail_management_events, */
/* which it reads; controls/relations/). */
WITH accounts /* shared relation accounts: relations/accounts.sql */ AS (
  /* The accounts every control grades: one row per AWS account, with its root user's ARN, the */
  /* resource each control reports on (arn:<partition>:iam::<account_id>:root). */
  /* An aggregator connection can list an account twice; one row is kept, preferring one that names */
  /* the account's organization. */
  SELECT
    account_id,
    partition,
    organization_id,
    organization_master_account_id,
    root_arn
  FROM (
    /* The accounts every control grades: one row per AWS account, with its root user's ARN, the */
    /* resource each control reports on (arn:<partition>:iam::<account_id>:root). */
    /* An aggregator connection can list an account twice; one row is kept, preferring one that names */
    /* the account's organization. */
    SELECT
      account_id AS account_id,
      partition AS partition,
      organization_id AS organization_id,
      organization_master_account_id AS organization_master_account_id,
      'arn:' || partition || ':iam::' || account_id || ':root' AS root_arn,
      ROW_NUMBER() OVER (
        PARTITION BY account_id
        ORDER BY account_id NULLS LAST, CASE WHEN organization_id IS NULL THEN 1 ELSE 0 END NULLS LAST, partition NULLS LAST
      ) AS _row_number
    FROM aws_account
  ) AS _t
  WHERE
    _row_number = 1
), picked AS (
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
), cloudtrail_trails /* shared relation cloudtrail_trails: relations/cloudtrail_trails.sql */ AS (
  /* The picked copies, found by one key (account, region and ARN hold no space): joined on the three */
  /* columns instead, Postgres took the copies for one row in all and looped over the trails for each */
  /* trail (20,000 x 20,000 in trail_coverage at 10,000 accounts). A region that lists the trail twice */
  /* (an account read through two connections): the copy with a logging status, as above. */
  SELECT
    account_id,
    arn,
    name,
    home_region,
    owner_account_id,
    is_organization_trail,
    is_multi_region_trail,
    is_logging,
    log_group_arn,
    event_selectors,
    advanced_event_selectors
  FROM (
    /* The picked copies, found by one key (account, region and ARN hold no space): joined on the three */
    /* columns instead, Postgres took the copies for one row in all and looped over the trails for each */
    /* trail (20,000 x 20,000 in trail_coverage at 10,000 accounts). A region that lists the trail twice */
    /* (an account read through two connections): the copy with a logging status, as above. */
    SELECT
      t.account_id AS account_id,
      t.arn AS arn,
      COALESCE(t.name, SPLIT_PART(t.arn, '/', 2)) AS name,
      COALESCE(t.home_region, SPLIT_PART(t.arn, ':', 4)) AS home_region,
      SPLIT_PART(t.arn, ':', 5) AS owner_account_id,
      COALESCE(t.is_organization_trail, FALSE) AS is_organization_trail,
      COALESCE(t.is_multi_region_trail, FALSE) AS is_multi_region_trail,
      t.is_logging AS is_logging,
      NULLIF(t.log_group_arn, '') AS log_group_arn,
      CASE
        WHEN CASE REGEXP_EXTRACT(SCHEMA_OF_VARIANT(PARSE_JSON(t.event_selectors)), '^[A-Z]+', 0)
          WHEN 'OBJECT'
          THEN 'object'
          WHEN 'ARRAY'
          THEN 'array'
          WHEN 'STRING'
          THEN 'string'
          WHEN 'BOOLEAN'
          THEN 'boolean'
          WHEN 'VOID'
          THEN 'null'
          WHEN 'BIGINT'
          THEN 'number'
          WHEN 'DECIMAL'
          THEN 'number'
          WHEN 'DOUBLE'
          THEN 'number'
        END = 'array'
        THEN t.event_selectors
        ELSE '[]'
      END AS event_selectors,
      CASE
        WHEN CASE REGEXP_EXTRACT(SCHEMA_OF_VARIANT(PARSE_JSON(t.advanced_event_selectors)), '^[A-Z]+', 0)
          WHEN 'OBJECT'
          THEN 'object'
          WHEN 'ARRAY'
          THEN 'array'
          WHEN 'STRING'
          THEN 'string'
          WHEN 'BOOLEAN'
          THEN 'boolean'
          WHEN 'VOID'
          THEN 'null'
          WHEN 'BIGINT'
          THEN 'number'
          WHEN 'DECIMAL'
          THEN 'number'
          WHEN 'DOUBLE'
          THEN 'number'
        END = 'array'
        THEN t.advanced_event_selectors
        ELSE '[]'
      END AS advanced_event_selectors,
      ROW_NUMBER() OVER (
        PARTITION BY t.account_id, t.arn
        ORDER BY t.account_id NULLS LAST, t.arn NULLS LAST, CASE WHEN t.is_logging IS NULL THEN 1 ELSE 0 END NULLS LAST
      ) AS _row_number
    FROM aws_cloudtrail_trail AS t
    WHERE
      t.account_id || ' ' || t.region || ' ' || t.arn IN (
        SELECT
          p.copy_key
        FROM picked AS p
      )
  ) AS _t
  WHERE
    _row_number = 1
), classic_arrays AS (
  SELECT DISTINCT
    event_selectors
  FROM cloudtrail_trails
), classic_selectors AS (
  SELECT
    c.event_selectors,
    COALESCE(GET_JSON_OBJECT(s.value, '$.IncludeManagementEvents'), '') = 'true' AS includes_management,
    COALESCE(GET_JSON_OBJECT(s.value, '$.ReadWriteType'), '(unset)') AS read_write_type,
    CASE
      WHEN CASE REGEXP_EXTRACT(
          SCHEMA_OF_VARIANT(
            PARSE_JSON(
              TO_JSON(VARIANT_GET(PARSE_JSON(s.value), '$.ExcludeManagementEventSources', 'variant'))
            )
          ),
          '^[A-Z]+',
          0
        )
        WHEN 'OBJECT'
        THEN 'object'
        WHEN 'ARRAY'
        THEN 'array'
        WHEN 'STRING'
        THEN 'string'
        WHEN 'BOOLEAN'
        THEN 'boolean'
        WHEN 'VOID'
        THEN 'null'
        WHEN 'BIGINT'
        THEN 'number'
        WHEN 'DECIMAL'
        THEN 'number'
        WHEN 'DOUBLE'
        THEN 'number'
      END = 'array'
      THEN TO_JSON(VARIANT_GET(PARSE_JSON(s.value), '$.ExcludeManagementEventSources', 'variant'))
      ELSE '[]'
    END AS excluded_sources
  FROM classic_arrays AS c
  LATERAL VIEW
  EXPLODE(
    TRANSFORM(CAST(PARSE_JSON(c.event_selectors) AS ARRAY<VARIANT>), element -> TO_JSON(element))
  ) s AS value
), classic AS (
  SELECT
    event_selectors,
    BOOL_OR(
      includes_management
      AND read_write_type IN ('All', 'ReadOnly')
      AND SIZE(CAST(PARSE_JSON(excluded_sources) AS ARRAY<VARIANT>)) = 0
    )
    AND BOOL_OR(
      includes_management
      AND read_write_type IN ('All', 'WriteOnly')
      AND SIZE(CAST(PARSE_JSON(excluded_sources) AS ARRAY<VARIANT>)) = 0
    ) AS all_management,
    BOOL_OR(
      includes_management
      AND read_write_type = 'All'
      AND SIZE(CAST(PARSE_JSON(excluded_sources) AS ARRAY<VARIANT>)) = 0
    ) AS one_selector,
    BOOL_OR(includes_management AND read_write_type IN ('All', 'ReadOnly'))
    AND BOOL_OR(includes_management AND read_write_type IN ('All', 'WriteOnly')) AS read_write_all,
    BOOL_OR(includes_management) AS any_management
  FROM classic_selectors
  GROUP BY
    event_selectors
), classic_read_write_types AS (
  SELECT
    event_selectors,
    IF(
      SIZE(COLLECT_SET(read_write_type)) = 0,
      NULL,
      ARRAY_JOIN(ARRAY_SORT(COLLECT_SET(read_write_type)), ', ')
    ) AS types
  FROM classic_selectors
  WHERE
    includes_management
  GROUP BY
    event_selectors
), classic_exclusions AS (
  SELECT
    c.event_selectors,
    IF(
      SIZE(COLLECT_SET(x.value)) = 0,
      NULL,
      ARRAY_JOIN(ARRAY_SORT(COLLECT_SET(x.value)), ', ')
    ) AS sources
  FROM classic_selectors AS c
  LATERAL VIEW
  EXPLODE(
    TRANSFORM(
      CAST(PARSE_JSON(c.excluded_sources) AS ARRAY<VARIANT>),
      element -> CASE
        WHEN SCHEMA_OF_VARIANT(element) = 'STRING'
        THEN VARIANT_GET(element, '$', 'string')
        WHEN SCHEMA_OF_VARIANT(element) = 'VOID'
        THEN NULL
        ELSE TO_JSON(element)
      END
    )
  ) x AS value
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
    COALESCE(GET_JSON_OBJECT(f.value, '$.Field'), '(unnamed)') AS field,
    COALESCE(TO_JSON(VARIANT_GET(PARSE_JSON(f.value), '$.Equals', 'variant')), '[]') AS equals
  FROM advanced_arrays AS a
  LATERAL VIEW
  EXPLODE(
    TRANSFORM(
      CAST(PARSE_JSON(a.advanced_event_selectors) AS ARRAY<VARIANT>),
      element -> TO_JSON(element)
    )
  ) s AS value
  LATERAL VIEW
  EXPLODE(
    TRANSFORM(
      CAST(PARSE_JSON(
        CASE
          WHEN CASE REGEXP_EXTRACT(
              SCHEMA_OF_VARIANT(
                PARSE_JSON(TO_JSON(VARIANT_GET(PARSE_JSON(s.value), '$.FieldSelectors', 'variant')))
              ),
              '^[A-Z]+',
              0
            )
            WHEN 'OBJECT'
            THEN 'object'
            WHEN 'ARRAY'
            THEN 'array'
            WHEN 'STRING'
            THEN 'string'
            WHEN 'BOOLEAN'
            THEN 'boolean'
            WHEN 'VOID'
            THEN 'null'
            WHEN 'BIGINT'
            THEN 'number'
            WHEN 'DECIMAL'
            THEN 'number'
            WHEN 'DOUBLE'
            THEN 'number'
          END = 'array'
          THEN TO_JSON(VARIANT_GET(PARSE_JSON(s.value), '$.FieldSelectors', 'variant'))
          ELSE '[]'
        END
      ) AS ARRAY<VARIANT>),
      element -> TO_JSON(element)
    )
  ) f AS value
), advanced_selectors /* A management selector restricted only by readOnly records read events (Equals "true"), write */ /* events (Equals "false") or both (no readOnly field); any other field narrows it further. */ AS (
  SELECT
    advanced_event_selectors,
    selector,
    BOOL_OR(
      field = 'eventCategory'
      AND (
        STARTSWITH(SCHEMA_OF_VARIANT(PARSE_JSON(equals)), 'ARRAY')
        AND EXISTS(
          TRY_VARIANT_GET(PARSE_JSON(equals), '$', 'array<variant>'),
          element_0 -> TO_JSON(element_0) = '"Management"'
        )
      )
    ) AS management,
    BOOL_AND(field IN ('eventCategory', 'readOnly')) AS only_read_only,
    BOOL_AND(
      field <> 'readOnly'
      OR (
        STARTSWITH(SCHEMA_OF_VARIANT(PARSE_JSON(equals)), 'ARRAY')
        AND EXISTS(
          TRY_VARIANT_GET(PARSE_JSON(equals), '$', 'array<variant>'),
          element_0 -> TO_JSON(element_0) = '"true"'
        )
      )
    ) AS reads,
    BOOL_AND(
      field <> 'readOnly'
      OR (
        STARTSWITH(SCHEMA_OF_VARIANT(PARSE_JSON(equals)), 'ARRAY')
        AND EXISTS(
          TRY_VARIANT_GET(PARSE_JSON(equals), '$', 'array<variant>'),
          element_0 -> TO_JSON(element_0) = '"false"'
        )
      )
    ) AS writes
  FROM advanced_fields
  GROUP BY
    advanced_event_selectors,
    selector
), advanced AS (
  SELECT
    advanced_event_selectors,
    BOOL_OR(management AND only_read_only AND reads)
    AND BOOL_OR(management AND only_read_only AND writes) AS all_management,
    BOOL_OR(management) AS any_management
  FROM advanced_selectors
  GROUP BY
    advanced_event_selectors
), advanced_restrictions AS (
  SELECT
    f.advanced_event_selectors,
    IF(
      SIZE(COLLECT_SET(f.field)) = 0,
      NULL,
      ARRAY_JOIN(ARRAY_SORT(COLLECT_SET(f.field)), ', ')
    ) AS fields
  FROM advanced_fields AS f
  JOIN advanced_selectors AS s
    ON s.advanced_event_selectors = f.advanced_event_selectors
    AND s.selector = f.selector
  WHERE
    s.management AND f.field <> 'eventCategory'
  GROUP BY
    f.advanced_event_selectors
), trail_management_events /* shared relation trail_management_events: relations/trail_management_events.sql */ AS (
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
), owners AS (
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
), trail_coverage /* shared relation trail_coverage: relations/trail_coverage.sql */ AS (
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
), best AS (
  /* The trail that comes closest, per account. */
  SELECT
    *
  FROM (
    /* The trail that comes closest, per account. */
    SELECT
      t.*,
      UPPER(SUBSTRING(t.label, 1, 1)) || SUBSTRING(t.label, 2) AS capitalised_label,
      COUNT(*) OVER (PARTITION BY account_id) AS trail_count,
      ROW_NUMBER() OVER (
        PARTITION BY account_id
        ORDER BY account_id NULLS LAST, compliant DESC NULLS FIRST /* a compliant trail settles it (ok); */, resolved NULLS LAST /* else an organization trail graded only in its owner's account (info); */, undecided DESC NULLS FIRST /* else one that lacks only facts nobody captured (error). */, CASE WHEN is_multi_region_trail THEN 0 ELSE 1 END NULLS LAST, CASE WHEN is_logging THEN 0 ELSE 1 END NULLS LAST, CASE WHEN records_all THEN 0 ELSE 1 END NULLS LAST, CASE WHEN owner_account_id = account_id THEN 0 ELSE 1 END NULLS LAST, arn NULLS LAST
      ) AS _row_number
    FROM trail_coverage AS t
  ) AS _t
  WHERE
    _row_number = 1
)
SELECT
  a.root_arn AS resource,
  CASE
    WHEN b.account_id IS NULL
    THEN 'alarm'
    WHEN b.compliant
    THEN 'ok'
    WHEN NOT b.resolved
    THEN 'info'
    WHEN b.undecided
    THEN 'error'
    ELSE 'alarm'
  END AS status,
  CASE
    WHEN b.account_id IS NULL
    THEN 'No CloudTrail trail in account ' || a.account_id || ' (no aws_cloudtrail_trail rows); ' || 'nothing records root activity in any region.'
    WHEN b.compliant
    THEN b.capitalised_label || ' is multi-region, logging and records all read and write management events (' || b.recorded_by || ')' || CASE
      WHEN b.owner_account_id <> b.account_id
      THEN '; graded from account ' || b.owner_account_id || '\'s row'
      ELSE ''
    END || '.'
    WHEN NOT b.resolved
    THEN 'Covered by organization trail ' || b.name || ' (home region ' || b.home_region || ') owned by account ' || b.owner_account_id || ', whose logging status and event selectors are visible only there; ' || 'add account ' || b.owner_account_id || ' (its CloudTrail trails) to the snapshot to grade it.'
    WHEN b.undecided
    THEN b.capitalised_label || ' ' || b.shortfalls || '; cannot tell whether account ' || a.account_id || ' records all management events in all regions.'
    ELSE b.capitalised_label || ' ' || b.shortfalls || '; no trail of account ' || a.account_id || ' is multi-region, logging and recording all read and write management events (' || b.trail_count || CASE WHEN b.trail_count = 1 THEN ' trail' ELSE ' trails' END || ' checked).'
  END AS reason,
  a.account_id,
  b.home_region AS region
FROM accounts AS a
LEFT JOIN best AS b
  ON b.account_id = a.account_id
ORDER BY
  a.account_id NULLS LAST
