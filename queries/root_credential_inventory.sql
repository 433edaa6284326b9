-- Root credential inventory across accounts: one row per account with every root credential,
-- its state and its last use, from the account summary (else the credential report), the
-- credential report and the virtual MFA devices. The inventory an analyst starts from; the
-- controls grade the same facts, through the same shared relations.
-- Shared relations: accounts, root_credentials, root_report, root_virtual_mfa (controls/relations/).
select
  c.account_id,
  c.password_present,
  r.password_status,
  to_char(r.password_last_used, 'YYYY-MM-DD') as password_last_used,
  c.mfa_enabled,
  case
    when not c.mfa_enabled then 'none'
    when v.serials is not null then 'virtual'
    when c.mfa_enabled then 'hardware'
  end as mfa_kind,
  v.serials as virtual_mfa_serials,
  c.access_keys,
  r.access_key_1_active as key_1_active,
  to_char(r.access_key_1_last_used_date, 'YYYY-MM-DD') as key_1_last_used,
  r.access_key_2_active as key_2_active,
  to_char(r.access_key_2_last_used_date, 'YYYY-MM-DD') as key_2_last_used,
  c.signing_certificates,
  to_char(greatest(r.password_last_used, r.access_key_1_last_used_date, r.access_key_2_last_used_date), 'YYYY-MM-DD')
    as last_used_any,
  to_char(r.generated_time, 'YYYY-MM-DD HH24:MI') as report_generated
from root_credentials as c
left join root_report as r on r.account_id = c.account_id
left join root_virtual_mfa as v on v.account_id = c.account_id
order by c.account_id
