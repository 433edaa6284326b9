-- The root user's two X.509 signing-certificate slots, one row per account and slot
-- (cert_number 1 and 2). present: the slot holds a certificate.
select
  account_id,
  1 as cert_number,
  has_cert_1 as present,
  cert_1_active as active,
  cert_1_last_rotated as last_rotated
from root_report
union all
select
  account_id,
  2 as cert_number,
  has_cert_2 as present,
  cert_2_active as active,
  cert_2_last_rotated as last_rotated
from root_report
