-- DuckDB translation of controls/root_not_used_recently.sql with the shared relations it reads (generated
-- by scripts/regen-golden; default variables, clock pinned to 2026-01-01T00:00:00+00:00). Do not edit by hand.
/* Root user not used recently (CIS "eliminate use of the root user": v1.2 1.1, v1.3-v4 1.7, v5 1.6, */
/* v6 2.6, v7 2.7). */
/* One row per account, from the root row of the credential report. The verdict rests on the MOST */
/* RECENT of the password's and both access keys' last use (Steampipe makes the report's N/A and */
/* no_information sentinels NULL, which count as no use). That date alarms when it lies within */
/* :root_recent_days days of the as-of instant, inclusive (a use exactly that many days ago is */
/* inside), or after it. Three defects of peer tools are avoided on purpose: every credential is */
/* compared the same way (Steampipe inverts the access-key test), the latest date wins rather than the */
/* first one set, and the row is graded whatever password_enabled says (Prowler skips root when it is */
/* not_supported). Without a report the account is skipped; credential_report_fresh reports it. */
/* Shared relations: accounts, root_report, root_access_keys (controls/relations/). */
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
), root_report /* shared relation root_report: relations/root_report.sql */ AS (
  /* The root user's row of each account's IAM credential report (user <root_account>), one row per */
  /* account that has one; the newest when an aggregator lists a report twice. */
  /* A slot (access key 1 and 2, signing certificate 1 and 2) holds a credential when it is active or */
  /* has a rotation date: the report says N/A, NULL here, for an empty slot. */
  SELECT
    *
    EXCLUDE (_first_row)
  FROM (
    SELECT
      account_id,
      generated_time,
      password_enabled,
      password_status,
      password_last_used,
      mfa_active,
      access_key_1_active,
      access_key_1_last_rotated,
      access_key_1_last_used_date,
      access_key_1_last_used_region,
      access_key_1_last_used_service,
      access_key_2_active,
      access_key_2_last_rotated,
      access_key_2_last_used_date,
      access_key_2_last_used_region,
      access_key_2_last_used_service,
      cert_1_active,
      cert_1_last_rotated,
      cert_2_active,
      cert_2_last_rotated,
      COALESCE(access_key_1_active OR access_key_1_last_rotated IS NOT NULL, FALSE) AS has_key_1,
      COALESCE(access_key_2_active OR access_key_2_last_rotated IS NOT NULL, FALSE) AS has_key_2,
      COALESCE(cert_1_active OR cert_1_last_rotated IS NOT NULL, FALSE) AS has_cert_1,
      COALESCE(cert_2_active OR cert_2_last_rotated IS NOT NULL, FALSE) AS has_cert_2,
      ROW_NUMBER() OVER (PARTITION BY account_id ORDER BY generated_time DESC NULLS FIRST) AS _first_row
    FROM aws_iam_credential_report
    WHERE
      user_name = '<root_account>'
  ) AS _first_rows
  WHERE
    _first_row = 1
), root_access_keys /* shared relation root_access_keys: relations/root_access_keys.sql */ AS (
  /* The root user's two access-key slots, one row per account and slot (key_number 1 and 2), so */
  /* that a key is described once, whichever slot it is in. present: the slot holds a key. */
  SELECT
    account_id,
    1 AS key_number,
    has_key_1 AS present,
    access_key_1_active AS active,
    access_key_1_last_rotated AS last_rotated,
    access_key_1_last_used_date AS last_used,
    access_key_1_last_used_region AS last_used_region,
    access_key_1_last_used_service AS last_used_service
  FROM root_report
  UNION ALL
  SELECT
    account_id,
    2 AS key_number,
    has_key_2 AS present,
    access_key_2_active AS active,
    access_key_2_last_rotated AS last_rotated,
    access_key_2_last_used_date AS last_used,
    access_key_2_last_used_region AS last_used_region,
    access_key_2_last_used_service AS last_used_service
  FROM root_report
), uses AS (
  /* Each root credential's last recorded use. use_order breaks ties: the password first, as a */
  /* console session is the use a person must explain. */
  SELECT
    account_id,
    0 AS use_order,
    'password' AS credential,
    password_last_used AS last_used,
    '' AS where_text
  FROM root_report
  UNION ALL
  SELECT
    account_id,
    key_number AS use_order,
    'access key ' || key_number AS credential,
    last_used,
    COALESCE(' by ' || last_used_service, '') /* Where the key was last used, as the report records it (service and region). */ || COALESCE(' in ' || last_used_region, '') AS where_text
  FROM root_access_keys
), latest_use AS (
  SELECT
    *
    EXCLUDE (_first_row)
  FROM (
    SELECT
      account_id,
      credential,
      last_used,
      where_text,
      ROW_NUMBER() OVER (PARTITION BY account_id ORDER BY last_used DESC NULLS FIRST, use_order) AS _first_row
    FROM uses
    WHERE
      last_used IS NOT NULL
  ) AS _first_rows
  WHERE
    _first_row = 1
), keys AS (
  SELECT
    account_id,
    BOOL_OR(CAST(present AS BOOLEAN)) AS any_key,
    LISTAGG(
      CASE WHEN present THEN 'access key ' || key_number || ' never used' END, '; '
      ORDER BY
        key_number
    ) AS unused_keys
  FROM root_access_keys
  GROUP BY
    account_id
), measured AS (
  SELECT
    r.account_id,
    r.generated_time,
    r.password_status,
    r.password_last_used,
    COALESCE(r.password_enabled IS FALSE OR r.password_status = 'not_set', FALSE) AS no_password, /* password_status not_set is the report's N/A: there is no password (whatever password_enabled */ /* says; Steampipe maps the root row's not_supported to true). */
    k.any_key,
    k.unused_keys,
    l.credential,
    l.last_used,
    l.where_text,
    EXTRACT(EPOCH FROM (
      CAST('2026-01-01T00:00:00+00:00' AS TIMESTAMPTZ) - l.last_used
    )) AS seconds_since,
    CAST(30 AS BIGINT) /* bigint: a window of more than 24,855 days would overflow a 32-bit product on Postgres. */ * 86400 AS window_seconds
  FROM root_report AS r
  JOIN keys AS k
    ON k.account_id = r.account_id
  LEFT JOIN latest_use AS l
    ON l.account_id = r.account_id
), also_inside /* The other credentials also used inside the window: each needs the same follow-up. */ AS (
  SELECT
    m.account_id,
    LISTAGG(
      u.credential || ' (' || STRFTIME(u.last_used, '%Y-%m-%d') || ')', ', '
      ORDER BY
        u.use_order
    ) AS credentials
  FROM measured AS m
  JOIN uses AS u
    ON u.account_id = m.account_id
  WHERE
    u.credential <> m.credential
    AND EXTRACT(EPOCH FROM (
      CAST('2026-01-01T00:00:00+00:00' AS TIMESTAMPTZ) - u.last_used
    )) <= m.window_seconds
  GROUP BY
    m.account_id
), described AS (
  SELECT
    m.*,
    COALESCE(ai.credentials, '') AS also_inside,
    CASE
      WHEN m.seconds_since < 0
      THEN 'after the as-of instant ' || STRFTIME(CAST('2026-01-01T00:00:00+00:00' AS TIMESTAMPTZ), '%Y-%m-%d %H:%M') || ' UTC'
      WHEN FLOOR(m.seconds_since / 86400) = 1
      THEN '1 day ago'
      ELSE CAST(FLOOR(m.seconds_since / 86400) AS BIGINT) || ' days ago'
    END AS when_text,
    CONCAT_WS(
      '; ',
      CASE
        WHEN m.no_password
        THEN 'no password'
        WHEN m.password_status = 'never_used'
        THEN 'password never used (or last used before October 2014, when AWS began recording it)'
        WHEN m.password_last_used IS NULL
        THEN 'no recorded password use'
      END,
      m.unused_keys,
      CASE WHEN NOT m.any_key THEN 'no access keys' END
    ) AS unused_text, /* What the report says about each credential when none has a recorded use. */
    ' (credential report of ' || STRFTIME(m.generated_time, '%Y-%m-%d') || ')' AS report_note
  FROM measured AS m
  LEFT JOIN also_inside AS ai
    ON ai.account_id = m.account_id
), reported_accounts /* Accounts with a report at all: a report without a root row is told apart from no report. */ AS (
  SELECT DISTINCT
    account_id
  FROM aws_iam_credential_report
)
SELECT
  a.root_arn AS resource,
  CASE
    WHEN d.account_id IS NULL
    THEN 'skip'
    WHEN d.last_used IS NULL
    THEN 'ok'
    WHEN d.seconds_since <= d.window_seconds
    THEN 'alarm'
    ELSE 'ok'
  END AS status,
  CASE
    WHEN d.account_id IS NULL AND ra.account_id IS NOT NULL
    THEN 'The credential report of account ' || a.account_id || ' has no <root_account> row, so root' || ' use cannot be judged; regenerate it (aws iam generate-credential-report) and capture it whole.'
    WHEN d.account_id IS NULL
    THEN 'No credential report for account ' || a.account_id || ', so root use cannot be judged; see control credential_report_fresh.'
    WHEN d.last_used IS NULL AND d.no_password AND NOT d.any_key
    THEN 'Root user has no password and no access keys: nothing to use' || COALESCE(d.report_note, '') || '.'
    WHEN d.last_used IS NULL
    THEN 'No recorded use of root credentials: ' || d.unused_text || COALESCE(d.report_note, '') || '.'
    WHEN d.seconds_since <= d.window_seconds
    THEN 'Root ' || d.credential || ' last used ' || STRFTIME(d.last_used, '%Y-%m-%d') || ', ' || d.when_text || d.where_text || ' (window: ' || CAST(30 AS TEXT) || CASE WHEN 30 = 1 THEN ' day).' ELSE ' days).' END || CASE
      WHEN d.also_inside <> ''
      THEN ' Also used inside the window: ' || d.also_inside || '.'
      ELSE ''
    END
    ELSE 'Root credentials not used in the last ' || CASE WHEN 30 = 1 THEN 'day' ELSE CAST(30 AS TEXT) || ' days' END || ': most recent use is the ' || d.credential || ' on ' || STRFTIME(d.last_used, '%Y-%m-%d') || ', ' || d.when_text || COALESCE(d.report_note, '') || '.'
  END AS reason,
  a.account_id
FROM accounts AS a
LEFT JOIN described AS d
  ON d.account_id = a.account_id
LEFT JOIN reported_accounts AS ra
  ON ra.account_id = a.account_id
ORDER BY
  a.account_id
