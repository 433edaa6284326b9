-- Centralized root access is enabled in AWS Organizations (CIS v7.0.0 2.1.1).
-- One row per account. Both features are required: RootCredentialsManagement (remove and block
-- recovery of member root credentials) and RootSessions (sts:AssumeRoot for the root-only tasks that
-- would otherwise need those credentials). Enabling them deletes nothing, so a member account whose
-- root user still has a password, access keys or signing certificates alarms; the management
-- account's own root is outside the feature and its reason says so.
-- rootwatch_organizations_features exists only in snapshots (IAM ListOrganizationsFeatures, read in
-- the management or delegated-administrator account); on a live Steampipe endpoint the runner reads
-- an empty stand-in, and every account of an organization is `skip` with a reason saying how to
-- capture the features.
-- Shared relations: accounts, root_summary (controls/relations/).
-- A captured row without organization_id belongs to the organization of the account it was
-- read in.
with captured as (
  select
    coalesce(f.organization_id, a.organization_id) as organization_id,
    f.account_id,
    coalesce(f.enabled_features, '[]'::jsonb) as enabled_features
  from rootwatch_organizations_features as f
  left join accounts as a on a.account_id = f.account_id
),

features as (
  select
    organization_id,
    string_agg(distinct account_id, ', ' order by account_id) as read_in,
    bool_or(enabled_features @> '["RootCredentialsManagement"]'::jsonb) as root_credentials_management,
    bool_or(enabled_features @> '["RootSessions"]'::jsonb) as root_sessions
  from captured
  where organization_id is not null
  group by organization_id
),

judged as (
  select
    a.account_id,
    a.root_arn,
    a.organization_id,
    a.organization_master_account_id,
    a.account_id = a.organization_master_account_id as is_management,
    f.organization_id is not null as captured,
    f.read_in,
    coalesce(f.root_credentials_management, false) and coalesce(f.root_sessions, false) as enabled,
    case
      when not (f.root_credentials_management or f.root_sessions) then
        'neither RootCredentialsManagement nor RootSessions is enabled'
      when not f.root_credentials_management then 'RootCredentialsManagement is not enabled (RootSessions is)'
      when not f.root_sessions then 'RootSessions is not enabled (RootCredentialsManagement is)'
    end as missing_features,
    s.account_id is not null as has_summary,
    concat_ws(
      ', ',
      case when s.password_present then 'a console password' end,
      case
        when s.access_keys > 0 then s.access_keys || case when s.access_keys = 1 then ' access key' else ' access keys' end
      end,
      case
        when s.signing_certificates > 0 then
          s.signing_certificates
          || case when s.signing_certificates = 1 then ' signing certificate' else ' signing certificates' end
      end
    ) as root_credentials
  from accounts as a
  left join features as f on f.organization_id = a.organization_id
  left join root_summary as s on s.account_id = a.account_id
)

select
  root_arn as resource,
  case
    when organization_id is null then 'skip'
    when not captured then 'skip'
    when not enabled then 'alarm'
    when is_management then 'ok'
    when not has_summary then 'error'
    when root_credentials <> '' then 'alarm'
    else 'ok'
  end as status,
  case
    when organization_id is null then
      'Account ' || account_id || ' is not in an AWS Organization (aws_account.organization_id is empty); '
      || 'centralized root access does not apply.'
    when not captured then
      'Organizations features were not captured for organization ' || organization_id
      || coalesce(' (management account ' || organization_master_account_id || ')', '')
      || '; a live Steampipe endpoint has no table for them; build a snapshot with rootwatch snapshot '
      || 'from-aws / from-files including list-organizations-features.json.'
    when not enabled then
      'Centralized root access is incomplete in organization ' || organization_id || ': '
      || missing_features || ' (aws iam list-organizations-features, read in account '
      || read_in || ').'
    when is_management then
      'Centralized root access (RootCredentialsManagement, RootSessions) is enabled in organization '
      || organization_id || '. This is the management account: the feature does not cover its own root '
      || 'user, whose credentials stay in use and must be protected with MFA.'
    when not has_summary then
      'Centralized root access is enabled in organization ' || organization_id
      || ', but whether member account ' || account_id || ' still has root credentials is unknown: '
      || 'no IAM account summary (capture aws iam get-account-summary).'
    when root_credentials <> '' then
      'Centralized root access is enabled in organization ' || organization_id || ', but member account '
      || account_id || ' still has root credentials (' || root_credentials || '); enabling the feature '
      || 'does not delete them.'
    else
      'Centralized root access (RootCredentialsManagement, RootSessions) is enabled in organization '
      || organization_id || ' and member account ' || account_id || ' has no root credentials.'
  end as reason,
  account_id
from judged
order by account_id
