-- The accounts every control grades: one row per AWS account, with its root user's ARN, the
-- resource each control reports on (arn:<partition>:iam::<account_id>:root).
-- An aggregator connection can list an account twice; one row is kept, preferring one that names
-- the account's organization.
select distinct on (account_id)
  account_id,
  partition,
  organization_id,
  organization_master_account_id,
  'arn:' || partition || ':iam::' || account_id || ':root' as root_arn
from aws_account
order by account_id, case when organization_id is null then 1 else 0 end, partition
