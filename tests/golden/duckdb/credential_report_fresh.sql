-- DuckDB translation of controls/credential_report_fresh.sql with the shared relations it reads (generated
-- by scripts/regen-golden; default variables, clock pinned to 2026-01-01T00:00:00+00:00). Do not edit by hand.
/* The IAM credential report exists and is fresh (rootwatch evidence prerequisite, not a CIS item). */
/* One row per account. This is the one control that reports a missing credential report as an */
/* error: the other controls that need the report skip that account and point here, so an auditor */
/* sees one error per account instead of one per control. Freshness is the age of the report's */
/* generated_time at the as-of instant, against :credential_report_max_age_hours (inclusive: a report */
/* exactly that old is still fresh). */
/* Shared relation: accounts (controls/relations/). */
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
), report AS (
  /* Every row of one report carries the same generated_time; an aggregator connection can list the */
  /* same report twice, and the newest capture wins. */
  SELECT
    account_id,
    MAX(CASE WHEN user_name = '<root_account>' THEN 1 ELSE 0 END) AS has_root_row,
    MAX(CASE WHEN user_name = '<root_account>' THEN generated_time END) AS generated_time,
    MAX(generated_time) AS any_generated_time
  FROM aws_iam_credential_report
  GROUP BY
    account_id
), aged AS (
  SELECT
    r.account_id,
    r.has_root_row,
    r.generated_time,
    r.any_generated_time,
    EXTRACT(EPOCH FROM (
      CAST('2026-01-01T00:00:00+00:00' AS TIMESTAMPTZ) - r.generated_time
    )) AS age_seconds
  FROM report AS r
), described AS (
  SELECT
    g.*,
    STRFTIME(g.generated_time, '%Y-%m-%d %H:%M') || ' UTC' AS generated_text,
    CASE
      WHEN g.age_seconds < 3600
      THEN CAST(FLOOR(g.age_seconds / 60) AS BIGINT) || ' min'
      WHEN g.age_seconds < 172800
      THEN CAST(FLOOR(g.age_seconds / 3600) AS BIGINT) || ' h' || CASE
        WHEN FLOOR(g.age_seconds / 60) > 60 * FLOOR(g.age_seconds / 3600)
        THEN ' ' || CAST(FLOOR(g.age_seconds / 60) - 60 * FLOOR(g.age_seconds / 3600) AS BIGINT) || ' min'
        ELSE ''
      END
      ELSE CAST(FLOOR(g.age_seconds / 86400) AS BIGINT) || ' days' || CASE
        WHEN g.age_seconds < 604800
        AND FLOOR(g.age_seconds / 3600) > 24 * FLOOR(g.age_seconds / 86400)
        THEN ' ' || CAST(FLOOR(g.age_seconds / 3600) - 24 * FLOOR(g.age_seconds / 86400) AS BIGINT) || ' h'
        ELSE ''
      END
    END AS age_text /* As a person says it: minutes under an hour, hours and minutes under two days, then days */ /* (with hours under a week). */
  FROM aged AS g
)
SELECT
  a.root_arn AS resource,
  CASE
    WHEN d.account_id IS NULL
    THEN 'error'
    WHEN d.has_root_row = 0
    THEN 'error'
    WHEN d.generated_time IS NULL
    THEN 'error'
    WHEN d.age_seconds > CAST(24 AS BIGINT) * 3600
    THEN 'alarm'
    ELSE 'ok'
  END AS status,
  CASE
    WHEN d.account_id IS NULL
    THEN 'No credential report for account ' || a.account_id || '; run aws iam generate-credential-report and capture it.'
    WHEN d.has_root_row = 0
    THEN 'The credential report of account ' || a.account_id || COALESCE(' (generated ' || STRFTIME(d.any_generated_time, '%Y-%m-%d %H:%M') || ' UTC)', '') || ' has no root user row (<root_account>); capture the whole report again' || ' (aws iam get-credential-report).'
    WHEN d.generated_time IS NULL
    THEN 'The credential report of account ' || a.account_id || ' has no generated_time, so its age is unknown; capture it again with aws iam get-credential-report.'
    WHEN d.age_seconds > CAST(24 AS BIGINT) * 3600
    THEN 'Credential report generated ' || d.generated_text || ' is ' || d.age_text || ' old at the as-of instant (limit: ' || CAST(24 AS TEXT) || ' hours); run aws iam generate-credential-report and capture it again.'
    WHEN d.age_seconds < 0
    THEN 'Credential report generated ' || d.generated_text || ', after the as-of instant ' || STRFTIME(CAST('2026-01-01T00:00:00+00:00' AS TIMESTAMPTZ), '%Y-%m-%d %H:%M') || ' UTC (limit: ' || CAST(24 AS TEXT) || ' hours).'
    ELSE 'Credential report generated ' || d.generated_text || ' is ' || d.age_text || ' old at the as-of instant (limit: ' || CAST(24 AS TEXT) || ' hours).'
  END AS reason,
  a.account_id
FROM accounts AS a
LEFT JOIN described AS d
  ON d.account_id = a.account_id
ORDER BY
  a.account_id
