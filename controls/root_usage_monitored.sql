-- Usage of the root user is monitored (CIS v1.2 3.3, v1.3-v5 4.3, v6-v7 5.3).
-- One row per account: the verdict of the relation root_usage_verdicts, which follows each trail's
-- CIS chain (root_alarm_chain) and reports the best one; its header says how.
select resource, status, reason, account_id, region
from root_usage_verdicts
order by account_id
