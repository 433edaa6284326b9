"""Account identity and AWS Organizations → ``aws_account``, ``aws_organizations_account`` and
``rootwatch_organizations_features`` rows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rootwatch.snapshot.transforms.common import Origin, Row, TransformError, items, mapping, plain, timestamp


def account_row(
    *,
    origin: Origin,
    aliases: Mapping[str, Any] | None = None,
    organization: Mapping[str, Any] | None = None,
) -> Row:
    """The ``aws_account`` row of one account.

    ``aliases`` is a ListAccountAliases response (``{"AccountAliases": [...]}``); ``organization``
    a DescribeOrganization response (``{"Organization": {...}}``). Without ``organization`` the
    ``organization_*`` columns are NULL, as for an account outside any organization. ``title`` is
    the first alias, else the account id.
    """
    alias_list: list[str] = []
    if aliases is not None:
        listed = mapping(aliases, "list-account-aliases").get("AccountAliases", [])
        if not isinstance(listed, list) or not all(isinstance(a, str) for a in listed):
            raise TransformError("list-account-aliases: AccountAliases must be a list of names")
        alias_list = list(listed)
    org: Mapping[str, Any] = {}
    if organization is not None:
        org = mapping(mapping(organization, "describe-organization").get("Organization"), "describe-organization: Organization")
        if not org.get("Id"):
            raise TransformError("describe-organization: Organization has no Id")
    arn = f"arn:{origin.partition}:::{origin.account_id}"
    return {
        "account_aliases": alias_list,
        "arn": arn,
        "organization_id": org.get("Id"),
        "organization_arn": org.get("Arn"),
        "organization_feature_set": org.get("FeatureSet"),
        "organization_master_account_arn": org.get("MasterAccountArn"),
        "organization_master_account_email": org.get("MasterAccountEmail"),
        "organization_master_account_id": org.get("MasterAccountId"),
        "organization_available_policy_types": plain(org.get("AvailablePolicyTypes")) if org else None,
        "title": alias_list[0] if alias_list else origin.account_id,
        "akas": [arn],
        **origin.account_columns(),
    }


def organizations_features_row(response: Mapping[str, Any], *, origin: Origin) -> Row:
    """The ``rootwatch_organizations_features`` row of an IAM ListOrganizationsFeatures response.

    ``enabled_features`` is the list as AWS returns it (``RootCredentialsManagement``,
    ``RootSessions``), possibly empty.
    """
    body = mapping(response, "list-organizations-features")
    features = body.get("EnabledFeatures", [])
    if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
        raise TransformError("list-organizations-features: EnabledFeatures must be a list of names")
    return {"organization_id": body.get("OrganizationId"), "enabled_features": list(features), **origin.account_columns()}


def organizations_account_rows(response: Mapping[str, Any], *, origin: Origin) -> list[Row]:
    """Rows of ``aws_organizations_account`` from an Organizations ListAccounts response (read in ``origin``)."""
    rows: list[Row] = []
    for index, account in enumerate(items(response, "Accounts", "list-accounts")):
        if not account.get("Id"):
            raise TransformError(f"Accounts[{index}] has no Id")
        rows.append(
            {
                "name": account.get("Name"),
                "id": account["Id"],
                "parent_id": None,
                "arn": account.get("Arn"),
                "state": account.get("State"),
                "status": account.get("Status"),
                "email": account.get("Email"),
                "joined_method": account.get("JoinedMethod"),
                "joined_timestamp": timestamp(account.get("JoinedTimestamp"), f"Accounts[{index}].JoinedTimestamp"),
                "title": account.get("Name"),
                "akas": [account["Arn"]] if account.get("Arn") else None,
                "tags": None,
                **origin.account_columns(),
            }
        )
    return rows
