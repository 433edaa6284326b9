-- The IAM account summary of each account that has one (GetAccountSummary: AccountMFAEnabled,
-- AccountPasswordPresent, AccountAccessKeysPresent, AccountSigningCertificatesPresent).
-- An aggregator connection can list a summary twice; where copies disagree, the cautious value
-- wins: MFA off, a password present, the most keys and certificates.
select
  account_id,
  bool_and(account_mfa_enabled) as mfa_enabled,
  bool_or(account_password_present) as password_present,
  max(account_access_keys_present) as access_keys,
  max(account_signing_certificates_present) as signing_certificates
from aws_iam_account_summary
group by account_id
