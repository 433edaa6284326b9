-- DuckDB translation of controls/root_hardware_mfa_enabled.sql with the shared relations it reads (generated
-- by scripts/regen-golden; default variables, clock pinned to 2026-01-01T00:00:00+00:00). Do not edit by hand.
/* Root user has hardware MFA (CIS v1.2 1.14; v1.3 to v4 1.6; v5 1.5; v6 2.5; v7 2.6). */
/* One row per account. Hardware TOTP tokens and FIDO security keys are not listed anywhere a */
/* snapshot can read, so "hardware MFA" is: MFA enabled (account summary, else credential report) */
/* AND no virtual MFA device assigned to the root user. A device is the root user's only when its */
/* assigned user ARN is exactly arn:<partition>:iam::<account_id>:root; a device on an IAM user named */
/* "root-admin" or "rootops" is not (peers that match the substring "root" get this wrong). Root may */
/* hold up to 8 devices; they are aggregated so each account stays one row, and the reason names the */
/* virtual ones. Not applicable (skip): GovCloud (partition aws-us-gov), whose root user has no */
/* console access, and root credentials removed with no MFA left (nothing to protect). When MFA is */
/* on, its device is graded even without a password: a password reset by email is then guarded only */
/* by that device. No MFA at all alarms whatever the virtual devices are, so the devices are needed */
/* only to pass: an alarm stands without them (alarms_stand_without in the YAML). */
/* Shared relations: accounts, root_credentials, root_virtual_mfa (controls/relations/). */
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
), root_credentials /* shared relation root_credentials: relations/root_credentials.sql */ AS (
  /* What credentials each account's root user has, one row per account: the IAM account summary */
  /* decides, and where no summary was captured the credential report's root row does. */
  /* The report's password_enabled is true for the classic not_supported root row, so the report */
  /* alone says "no password" only when it carries a real false. credentials_removed: no password, */
  /* access keys or signing certificates, as Organizations centralized root access leaves a member */
  /* account. access_keys_text and signing_certificates_text say the counts as a reason does ("1 access */
  /* key", "2 signing certificates"); NULL when unknown. */
  WITH combined AS (
    SELECT
      a.account_id,
      a.partition,
      a.root_arn,
      s.account_id IS NOT NULL AS has_summary,
      r.account_id IS NOT NULL AS has_report,
      r.generated_time AS report_generated_time,
      s.mfa_enabled AS summary_mfa_enabled,
      s.access_keys AS summary_access_keys,
      s.signing_certificates AS summary_signing_certificates,
      r.mfa_active AS report_mfa_active,
      COALESCE(s.mfa_enabled, r.mfa_active) AS mfa_enabled,
      COALESCE(s.password_present, r.password_enabled) AS password_present,
      COALESCE(
        s.access_keys,
        CASE
          WHEN r.account_id IS NOT NULL
          THEN (
            CASE WHEN r.has_key_1 THEN 1 ELSE 0 END
          ) + (
            CASE WHEN r.has_key_2 THEN 1 ELSE 0 END
          )
        END
      ) AS access_keys,
      COALESCE(
        s.signing_certificates,
        CASE
          WHEN r.account_id IS NOT NULL
          THEN (
            CASE WHEN r.has_cert_1 THEN 1 ELSE 0 END
          ) + (
            CASE WHEN r.has_cert_2 THEN 1 ELSE 0 END
          )
        END
      ) AS signing_certificates
    FROM accounts AS a
    LEFT JOIN root_summary AS s
      ON s.account_id = a.account_id
    LEFT JOIN root_report AS r
      ON r.account_id = a.account_id
  )
  SELECT
    c.*,
    COALESCE(
      c.password_present = FALSE AND c.access_keys = 0 AND c.signing_certificates = 0,
      FALSE
    ) AS credentials_removed,
    CASE
      WHEN c.has_summary
      THEN ''
      ELSE COALESCE(
        ' (credential report of ' || STRFTIME(c.report_generated_time, '%Y-%m-%d') || '; no IAM account summary captured)',
        ''
      )
    END AS source_note,
    c.access_keys || CASE WHEN c.access_keys = 1 THEN ' access key' ELSE ' access keys' END AS access_keys_text,
    c.signing_certificates || CASE
      WHEN c.signing_certificates = 1
      THEN ' signing certificate'
      ELSE ' signing certificates'
    END AS signing_certificates_text
  FROM combined AS c
), root_virtual_mfa /* shared relation root_virtual_mfa: relations/root_virtual_mfa.sql */ AS (
  /* Virtual MFA devices assigned to each account's root user, one row per account that has any. */
  /* A device is the root user's only when its user ARN is exactly the account's root ARN: one on an */
  /* IAM user named "root-admin" or "rootops" is not. distinct: an aggregator connection can list */
  /* the same device twice. */
  SELECT
    a.account_id,
    COUNT(DISTINCT d.serial_number) AS devices,
    LISTAGG(DISTINCT d.serial_number, ', '
    ORDER BY
      d.serial_number) AS serials
  FROM accounts AS a
  JOIN aws_iam_virtual_mfa_device AS d
    ON d.account_id = a.account_id AND (
      d."user" ->> '$.Arn'
    ) = a.root_arn
  GROUP BY
    a.account_id
)
SELECT
  c.root_arn AS resource,
  CASE
    WHEN c.partition = 'aws-us-gov'
    THEN 'skip'
    WHEN c.mfa_enabled IS NULL
    THEN 'error'
    WHEN NOT c.mfa_enabled AND c.credentials_removed
    THEN 'skip'
    WHEN NOT c.mfa_enabled
    THEN 'alarm'
    WHEN v.devices > 0
    THEN 'alarm'
    ELSE 'ok'
  END AS status,
  CASE
    WHEN c.partition = 'aws-us-gov'
    THEN 'Not applicable: the root user of an AWS GovCloud (US) account (partition aws-us-gov) has no' || ' console access, so root MFA does not apply.'
    WHEN c.mfa_enabled IS NULL
    THEN 'No IAM account summary or credential report for account ' || c.account_id || '; cannot tell whether root MFA is enabled (capture aws iam get-account-summary).'
    WHEN NOT c.mfa_enabled AND c.credentials_removed
    THEN 'Not applicable: the root user has no password, access keys or signing certificates (root' || ' credentials removed, as Organizations centralized root access does) and no MFA, so no' || ' MFA device is needed.'
    WHEN NOT c.mfa_enabled
    THEN 'Root user has no MFA at all; assign a hardware MFA device (a TOTP token or a FIDO security' || ' key) to the root user.'
    WHEN v.devices = 1
    THEN 'Root MFA uses a virtual MFA device: ' || v.serials || '. Hardware MFA means no virtual' || ' device on the root user: assign a hardware TOTP token or FIDO security key, then' || ' deactivate and delete this virtual device.'
    WHEN v.devices > 1
    THEN 'Root MFA uses ' || v.devices || ' virtual MFA devices: ' || v.serials || '. Hardware MFA means no virtual device on the root user: assign a hardware TOTP token or' || ' FIDO security key, then deactivate and delete these virtual devices.'
    ELSE 'Root MFA is enabled and no virtual MFA device is assigned to the root user, so its MFA is' || ' a hardware TOTP token or FIDO security key.'
  END AS reason,
  c.account_id
FROM root_credentials AS c
LEFT JOIN root_virtual_mfa AS v
  ON v.account_id = c.account_id
ORDER BY
  c.account_id
