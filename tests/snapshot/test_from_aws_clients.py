"""The capture's shared clients sign every call as the account bound to the calling thread."""

from __future__ import annotations

import threading
from typing import Any

import pytest

boto3 = pytest.importorskip("boto3")

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


# ---- regional variants -------------------------------------------------------------------------

VARIANT_CALLS = {
    "cloudtrail": ("describe_trails", {}),
    "logs": ("describe_metric_filters", {}),
    "cloudwatch": ("describe_alarms", {}),
    "sns": ("list_subscriptions", {}),
    "events": ("list_event_buses", {}),
}
"""One call of each service whose other regions' clients are made from a template (the calls a capture makes)."""


class _Sent(Exception):
    """Raised by a before-send handler: the prepared request is kept, nothing goes on the wire."""


def _prepared(made: Any, operation: str, params: dict[str, Any]) -> Any:
    """The request ``made`` would send for ``operation``, signed, without sending it."""
    caught: list[Any] = []

    def keep(request: Any, **_: Any) -> None:
        caught.append(request)
        raise _Sent()

    made.meta.events.register_first("before-send", keep)
    try:
        with pytest.raises(_Sent):
            getattr(made, operation)(**params)
    finally:
        made.meta.events.unregister("before-send", keep)
    return caught[0]


def _handlers(made: Any, event: str) -> list[str]:
    """Qualified names of the handlers ``made`` runs for ``event``, in order."""
    emitter = made.meta.events
    inner = getattr(emitter, "_emitter", emitter)
    name = emitter._alias_event_name(event) if hasattr(emitter, "_alias_event_name") else event
    return [getattr(h, "__qualname__", type(h).__name__) for h in inner._handlers.prefix_search(name)]


def _scope(request: Any) -> tuple[str, str]:
    """The credential scope (date/region/service/aws4_request) and signed headers of a SigV4 request."""
    authorization = request.headers["Authorization"].decode() if isinstance(request.headers["Authorization"], bytes) else request.headers["Authorization"]
    fields = dict(part.strip().split("=", 1) for part in authorization.split(" ", 1)[1].split(","))
    return fields["Credential"].split("/", 1)[1], fields["SignedHeaders"]


@pytest.mark.parametrize("service", sorted(VARIANT_CALLS))
def test_a_regional_variant_is_the_client_botocore_makes(service: str, monkeypatch) -> None:
    """Same region, endpoint, configuration, handlers in the same order, and the same signed request
    (URL, body, headers, credential scope) as a client botocore makes for that region itself."""
    from rootwatch.snapshot.from_aws_account import ReadSettings, client
    from rootwatch.snapshot.from_aws_clients import SharedClients

    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    settings = ReadSettings(endpoint_url="http://127.0.0.1:9")  # never reached: requests stop before sending
    shared = settings.clients
    account_session = boto3.Session(aws_access_key_id="unused", aws_secret_access_key="unused", region_name="us-east-1")

    def make(session: Any, service: str, region: str, template: Any = None) -> Any:
        return client(session, service, region, settings, template)

    template = shared.get(account_session, service, "us-east-1", make, settings.endpoint_url)
    variant = shared.get(account_session, service, "eu-west-3", make, settings.endpoint_url)
    made = client(SharedClients()._session(None), service, "eu-west-3", settings)  # botocore's own, from scratch
    assert variant is not template and variant.meta.events is not template.meta.events
    assert variant._endpoint.http_session is template._endpoint.http_session, "made from the template (one connection pool)"
    assert made._endpoint.http_session is not template._endpoint.http_session
    assert shared.get(account_session, service, "eu-west-3", make, settings.endpoint_url) is variant, "made once"
    for one in (variant, made):
        assert (one.meta.region_name, one.meta.endpoint_url, one.meta.partition) == ("eu-west-3", "http://127.0.0.1:9", "aws")
        assert one._request_signer.region_name == "eu-west-3"
    assert variant.meta.config._user_provided_options == made.meta.config._user_provided_options
    operation, params = VARIANT_CALLS[service]
    model = made.meta.service_model
    event_service = model.service_id.hyphenize()
    op_name = model.operation_model(made.meta.method_to_api_mapping[operation]).name
    for event in ("provide-client-params", "before-parameter-build", "before-call", "request-created", "before-sign", "before-send", "needs-retry", "after-call", "response-received"):
        assert _handlers(variant, f"{event}.{event_service}.{op_name}") == _handlers(made, f"{event}.{event_service}.{op_name}"), event
    assert "RequestSigner.handler" in _handlers(variant, f"request-created.{event_service}.{op_name}")
    credentials = boto3.Session(aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret").get_credentials()
    with shared.bound(credentials):
        ours = _prepared(variant, operation, params)
        theirs_template = _prepared(template, operation, params)
    made._request_signer._credentials = credentials
    theirs = _prepared(made, operation, params)
    assert (ours.url, ours.method, ours.body) == (theirs.url, theirs.method, theirs.body)
    volatile = {"X-Amz-Date", "Authorization", "amz-sdk-invocation-id", "User-Agent"}
    assert {k: v for k, v in ours.headers.items() if k not in volatile} == {k: v for k, v in theirs.headers.items() if k not in volatile}
    assert _scope(ours) == _scope(theirs)
    assert _scope(ours)[0].split("/")[1] == "eu-west-3" and _scope(theirs_template)[0].split("/")[1] == "us-east-1"
    shared.close()


def test_a_regional_variant_reads_its_own_region_and_retries_on_its_own_quota(moto_url: str, monkeypatch) -> None:
    """On moto's server, which keeps a backend per region: the variant finds what exists in its
    region only; and its retry handler (a quota of its own) is not the template's."""
    from rootwatch.snapshot.from_aws_account import ReadSettings, client

    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    credentials = _credentials(moto_url, ACCOUNTS[0])
    owner = boto3.Session(credentials.access_key, credentials.secret_key, credentials.token)
    owner.client("logs", region_name="eu-west-3", endpoint_url=moto_url).create_log_group(logGroupName="only-in-paris")
    settings = ReadSettings(endpoint_url=moto_url)
    shared = settings.clients
    account_session = boto3.Session(aws_access_key_id="unused", aws_secret_access_key="unused", region_name="us-east-1")

    def make(session: Any, service: str, region: str, template: Any = None) -> Any:
        return client(session, service, region, settings, template)

    template = shared.get(account_session, "logs", "us-east-1", make, moto_url)
    variant = shared.get(account_session, "logs", "eu-west-3", make, moto_url)
    with shared.bound(credentials):
        assert [g["logGroupName"] for g in variant.describe_log_groups()["logGroups"]] == ["only-in-paris"]
        assert template.describe_log_groups()["logGroups"] == []

    def retry_handlers(made: Any) -> list[Any]:
        emitter = made.meta.events._emitter
        return [h.__self__ for h in emitter._handlers.prefix_search("needs-retry.cloudwatch-logs.DescribeLogGroups") if hasattr(h, "__self__")]

    assert retry_handlers(variant) and not set(map(id, retry_handlers(variant))) & set(map(id, retry_handlers(template)))
    shared.close()


def test_without_an_endpoint_url_every_region_gets_a_client_botocore_makes(monkeypatch) -> None:
    """On AWS itself each region has endpoints of its own: no template, every client made whole."""
    from rootwatch.snapshot.from_aws_account import ReadSettings, client

    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    settings = ReadSettings()
    account_session = boto3.Session(aws_access_key_id="unused", aws_secret_access_key="unused", region_name="us-east-1")
    templates: list[Any] = []

    def make(session: Any, service: str, region: str, template: Any = None) -> Any:
        templates.append(template)
        return client(session, service, region, settings, template)

    east = settings.clients.get(account_session, "logs", "us-east-1", make, None)
    paris = settings.clients.get(account_session, "logs", "eu-west-3", make, None)
    assert templates == [None, None]
    assert (east.meta.endpoint_url, paris.meta.endpoint_url) == ("https://logs.us-east-1.amazonaws.com", "https://logs.eu-west-3.amazonaws.com")
    settings.clients.close()


def test_a_region_of_another_partition_gets_a_client_botocore_makes(monkeypatch) -> None:
    """cn-north-1 is in aws-cn: a client of its own (partition, signing), never a variant of us-east-1's."""
    from rootwatch.snapshot.from_aws_account import ReadSettings, client

    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    settings = ReadSettings(endpoint_url="http://127.0.0.1:9")
    account_session = boto3.Session(aws_access_key_id="unused", aws_secret_access_key="unused", region_name="us-east-1")

    def make(session: Any, service: str, region: str, template: Any = None) -> Any:
        return client(session, service, region, settings, template)

    east = settings.clients.get(account_session, "logs", "us-east-1", make, settings.endpoint_url)
    beijing = settings.clients.get(account_session, "logs", "cn-north-1", make, settings.endpoint_url)
    assert (east.meta.partition, beijing.meta.partition) == ("aws", "aws-cn")
    assert beijing._endpoint.http_session is not east._endpoint.http_session, "made whole, not from the template"
    settings.clients.close()
