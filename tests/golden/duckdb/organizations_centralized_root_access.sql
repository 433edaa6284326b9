-- DuckDB translation of controls/organizations_centralized_root_access.sql with the shared relations it reads (generated
-- by scripts/regen-golden; default variables, clock pinned to 2026-01-01T00:00:00+00:00). Do not edit by hand.
/* Centralized root access is enabled in AWS Organizations (CIS v7.0.0 2.1.1). */
/* One row per account. Both features are required: RootCredentialsManagement (remove and block */
/* recovery of member root credentials) and RootSessions (sts:AssumeRoot for the root-only tasks that */
/* would otherwise need those credentials). Enabling them deletes nothing, so a member account whose */
/* root user still has a password, access keys or signing certificates alarms; the management */
/* account's own root is outside the feature and its reason says so. */
/* rootwatch_organizations_features exists only in snapshots (IAM ListOrganizationsFeatures, read in */
/* the management or delegated-administrator account); on a live Steampipe endpoint the runner reads */
/* an empty stand-in, and every account of an organization is `skip` with a reason saying how to */
/* capture the features. */
/* Shared relations: accounts, root_summary (controls/relations/). */
/* A captured row without organization_id belongs to the organization of the account it was */
/* read in. */
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
), root_summary /* shared relation root_summary: relations/root_summary.sql */ AS (
  /* The IAM account summary of each account that has one (GetAccountSummary: AccountMFAEnabled, */
  /* AccountPasswordPresent, AccountAccessKeysPresent, AccountSigningCertificatesPresent). */
  /* An aggregator connection can list a summary twice; where copies disagree, the cautious value */
  /* wins: MFA off, a password present, the most keys and certificates. */
  SELECT
    account_id,
    BOOL_AND(CAST(account_mfa_enabled AS BOOLEAN)) AS mfa_enabled,
    BOOL_OR(CAST(account_password_present AS BOOLEAN)) AS password_present,
    MAX(account_access_keys_present) AS access_keys,
    MAX(account_signing_certificates_present) AS signing_certificates
  FROM aws_iam_account_summary
  GROUP BY
    account_id
), captured AS (
  SELECT
    COALESCE(f.organization_id, a.organization_id) AS organization_id,
    f.account_id,
    COALESCE(f.enabled_features, CAST('[]' AS JSON)) AS enabled_features
  FROM rootwatch_organizations_features AS f
  LEFT JOIN accounts AS a
    ON a.account_id = f.account_id
), features AS (
  SELECT
    organization_id,
    LISTAGG(DISTINCT account_id, ', '
    ORDER BY
      account_id) AS read_in,
    BOOL_OR(
      CAST(JSON_CONTAINS(enabled_features, CAST('["RootCredentialsManagement"]' AS JSON)) AS BOOLEAN)
    ) AS root_credentials_management,
    BOOL_OR(
      CAST(JSON_CONTAINS(enabled_features, CAST('["RootSessions"]' AS JSON)) AS BOOLEAN)
    ) AS root_sessions
  FROM captured
  WHERE
    organization_id IS NOT NULL
  GROUP BY
    organization_id
), judged AS (
  SELECT
    a.account_id,
    a.root_arn,
    a.organization_id,
    a.organization_master_account_id,
    a.account_id = a.organization_master_account_id AS is_management,
    f.organization_id IS NOT NULL AS captured,
    f.read_in,
    COALESCE(f.root_credentials_management, FALSE)
    AND COALESCE(f.root_sessions, FALSE) AS enabled,
    CASE
      WHEN NOT (
        f.root_credentials_management OR f.root_sessions
      )
      THEN 'neither RootCredentialsManagement nor RootSessions is enabled'
      WHEN NOT f.root_credentials_management
      THEN 'RootCredentialsManagement is not enabled (RootSessions is)'
      WHEN NOT f.root_sessions
      THEN 'RootSessions is not enabled (RootCredentialsManagement is)'
    END AS missing_features,
    s.account_id IS NOT NULL AS has_summary,
    CONCAT_WS(
      ', ',
      CASE WHEN s.password_present THEN 'a console password' END,
      CASE
        WHEN s.access_keys > 0
        THEN s.access_keys || CASE WHEN s.access_keys = 1 THEN ' access key' ELSE ' access keys' END
      END,
      CASE
        WHEN s.signing_certificates > 0
        THEN s.signing_certificates || CASE
          WHEN s.signing_certificates = 1
          THEN ' signing certificate'
          ELSE ' signing certificates'
        END
      END
    ) AS root_credentials
  FROM accounts AS a
  LEFT JOIN features AS f
    ON f.organization_id = a.organization_id
  LEFT JOIN root_summary AS s
    ON s.account_id = a.account_id
)
SELECT
  root_arn AS resource,
  CASE
    WHEN organization_id IS NULL
    THEN 'skip'
    WHEN NOT captured
    THEN 'skip'
    WHEN NOT enabled
    THEN 'alarm'
    WHEN is_management
    THEN 'ok'
    WHEN NOT has_summary
    THEN 'error'
    WHEN root_credentials <> ''
    THEN 'alarm'
    ELSE 'ok'
  END AS status,
  CASE
    WHEN organization_id IS NULL
    THEN 'Account ' || account_id || ' is not in an AWS Organization (aws_account.organization_id is empty); ' || 'centralized root access does not apply.'
    WHEN NOT captured
    THEN 'Organizations features were not captured for organization ' || organization_id || COALESCE(' (management account ' || organization_master_account_id || ')', '') || '; a live Steampipe endpoint has no table for them; build a snapshot with rootwatch snapshot ' || 'from-aws / from-files including list-organizations-features.json.'
    WHEN NOT enabled
    THEN 'Centralized root access is incomplete in organization ' || organization_id || ': ' || missing_features || ' (aws iam list-organizations-features, read in account ' || read_in || ').'
    WHEN is_management
    THEN 'Centralized root access (RootCredentialsManagement, RootSessions) is enabled in organization ' || organization_id || '. This is the management account: the feature does not cover its own root ' || 'user, whose credentials stay in use and must be protected with MFA.'
    WHEN NOT has_summary
    THEN 'Centralized root access is enabled in organization ' || organization_id || ', but whether member account ' || account_id || ' still has root credentials is unknown: ' || 'no IAM account summary (capture aws iam get-account-summary).'
    WHEN root_credentials <> ''
    THEN 'Centralized root access is enabled in organization ' || organization_id || ', but member account ' || account_id || ' still has root credentials (' || root_credentials || '); enabling the feature ' || 'does not delete them.'
    ELSE 'Centralized root access (RootCredentialsManagement, RootSessions) is enabled in organization ' || organization_id || ' and member account ' || account_id || ' has no root credentials.'
  END AS reason,
  account_id
FROM judged
ORDER BY
  account_id
