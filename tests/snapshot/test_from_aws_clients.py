"""The capture's shared clients sign every call as the account bound to the calling thread."""

from __future__ import annotations

import threading
from typing import Any

import pytest

boto3 = pytest.importorskip("boto3")
import botocore.hooks  # noqa: E402  (installed with boto3)

pytestmark = pytest.mark.moto

ACCOUNTS = ("210987654321", "310987654321", "410987654321", "510987654321")


def _credentials(url: str, account: str) -> Any:
    """Credentials of a role assumed in ``account`` (moto maps them to that account)."""
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1")
    found = session.client("sts", endpoint_url=url).assume_role(RoleArn=f"arn:aws:iam::{account}:role/audit", RoleSessionName="test")["Credentials"]
    return boto3.Session(found["AccessKeyId"], found["SecretAccessKey"], found["SessionToken"]).get_credentials()


def _sts(url: str, shared: Any) -> Any:
    from rootwatch.snapshot.from_aws_account import ReadSettings, client

    settings = ReadSettings(endpoint_url=url)
    account_session = boto3.Session(aws_access_key_id="unused", aws_secret_access_key="unused", region_name="us-east-1")
    return shared.get(account_session, "sts", "us-east-1", lambda session, service, region: client(session, service, region, settings))


def test_one_client_signs_as_the_account_bound_to_each_thread(moto_url: str, monkeypatch) -> None:
    from rootwatch.snapshot.from_aws_clients import SharedClients

    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    shared = SharedClients()
    sts = _sts(moto_url, shared)
    assert _sts(moto_url, shared) is sts, "made once"
    credentials = {account: _credentials(moto_url, account) for account in ACCOUNTS}
    seen: dict[str, list[str]] = {account: [] for account in ACCOUNTS}
    start = threading.Barrier(len(ACCOUNTS))

    def work(account: str) -> None:
        start.wait()  # every thread calls through the one client at once
        with shared.bound(credentials[account]):
            for _ in range(5):
                seen[account].append(sts.get_caller_identity()["Account"])

    threads = [threading.Thread(target=work, args=(account,)) for account in ACCOUNTS]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == {account: [account] * 5 for account in ACCOUNTS}
    shared.close()


def test_a_thread_with_no_account_bound_cannot_sign(moto_url: str, monkeypatch) -> None:
    from rootwatch.snapshot.from_aws_clients import NoAccountBound, SharedClients

    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    shared = SharedClients()
    sts = _sts(moto_url, shared)
    with shared.bound(_credentials(moto_url, ACCOUNTS[0])):
        assert sts.get_caller_identity()["Account"] == ACCOUNTS[0]
    with pytest.raises(NoAccountBound):
        sts.get_caller_identity()  # the binding ended with its block: no fallback to the last one


def test_shared_clients_share_translated_event_names_and_other_clients_do_not(monkeypatch) -> None:
    from rootwatch.snapshot.from_aws_account import ReadSettings, client
    from rootwatch.snapshot.from_aws_clients import SharedClients

    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    botocore_copy = botocore.hooks.EventAliaser.__dict__["__copy__"]
    settings = ReadSettings(endpoint_url="http://127.0.0.1:9")
    shared = SharedClients()
    session = boto3.Session(aws_access_key_id="unused", aws_secret_access_key="unused", region_name="us-east-1")
    made = [shared.get(session, "logs", region, lambda s, service, r: client(s, service, r, settings)) for region in ("us-east-1", "eu-west-1")]
    caches = [m.meta.events._alias_name_cache for m in made]
    assert caches[0] is caches[1] and caches[0], "one cache, filled by the first client"
    assert botocore.hooks.EventAliaser.__dict__["__copy__"] is botocore_copy, "botocore's class is left as it is"
    plain = [boto3.Session(aws_access_key_id="a", aws_secret_access_key="b").client("logs", region_name="us-east-1") for _ in range(2)]
    assert plain[0].meta.events._alias_name_cache is not plain[1].meta.events._alias_name_cache
    assert plain[0].meta.events._alias_name_cache is not caches[0]
    shared.close()


def test_other_services_are_every_known_one_but_ours_under_any_of_their_event_names() -> None:
    from rootwatch.snapshot.from_aws_clients import botocore_session
    from rootwatch.snapshot.from_aws_handlers import other_service_names

    others = other_service_names(("logs", "events", "cloudwatch", "sts"), botocore_session().get_component("data_loader"))
    assert {"s3", "rds", "cognito-identity", "iam"} <= others
    assert not others & {"logs", "cloudwatch-logs", "events", "eventbridge", "cloudwatch-events", "cloudwatch", "monitoring", "sts"}
