-- Virtual MFA devices assigned to each account's root user, one row per account that has any.
-- A device is the root user's only when its user ARN is exactly the account's root ARN: one on an
-- IAM user named "root-admin" or "rootops" is not. distinct: an aggregator connection can list
-- the same device twice.
select
  a.account_id,
  count(distinct d.serial_number) as devices,
  string_agg(distinct d.serial_number, ', ' order by d.serial_number) as serials
from accounts as a
join aws_iam_virtual_mfa_device as d
  on d.account_id = a.account_id and d."user" ->> 'Arn' = a.root_arn
group by a.account_id
