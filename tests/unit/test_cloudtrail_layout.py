"""CloudTrail partition pruning: the files a window of days, accounts and regions needs, from a local
folder and from S3 (moto's server), listed by prefix without walking the rest of the bucket."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from rootwatch.cloudtrail_layout import day_prefixes, list_log_files, parse_location, window_days
from rootwatch.errors import InputError, UsageError

ORG = "o-a1b2c3d4e5"
TREE = [
    # (organization, account, region, day, name)
    (None, "111111111111", "us-east-1", "2026/10/31", "a.json.gz"),
    (None, "111111111111", "us-east-1", "2026/11/01", "b.json.gz"),
    (None, "111111111111", "us-east-1", "2026/11/01", "c.json"),
    (None, "111111111111", "eu-west-1", "2026/11/15", "d.json.gz"),
    (None, "111111111111", "eu-west-1", "2026/12/01", "e.json.gz"),
    (ORG, "222222222222", "us-east-1", "2026/11/30", "f.json.gz"),
    (ORG, "222222222222", "ap-southeast-2", "2026/11/02", "g.json.gz"),
    (ORG, "333333333333", "us-east-1", "2026/11/20", "h.json.gz"),
    (ORG, "333333333333", "us-east-1", "2026/09/20", "i.json.gz"),
]
NOT_LOGS = [
    "AWSLogs/111111111111/CloudTrail-Digest/us-east-1/2026/11/01/digest.json.gz",
    "AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/01/notes.txt",
    "AWSLogs/111111111111/Config/us-east-1/2026/11/01/config.json.gz",
    f"AWSLogs/{ORG}/333333333333/CloudTrail-Insight/us-east-1/2026/11/20/x.json.gz",
]


def key_of(org: str | None, account: str, region: str, day: str, name: str) -> str:
    return "/".join(["AWSLogs", *([org] if org else []), account, "CloudTrail", region, day, f"{account}_CloudTrail_{region}_{name}"])


def names(found) -> list[str]:
    return [item.key.rsplit("_", 1)[-1] for item in found]


@pytest.fixture(scope="module")
def local_trail(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("trail")
    for key in [key_of(*entry) for entry in TREE] + NOT_LOGS:
        path = root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"{}")
    return root


CASES = [
    # (since, until, accounts, regions, expected names)
    (date(2026, 11, 1), date(2026, 11, 30), None, None, ["b.json.gz", "c.json", "d.json.gz", "f.json.gz", "g.json.gz", "h.json.gz"]),
    (date(2026, 11, 1), date(2026, 11, 1), None, None, ["b.json.gz", "c.json"]),
    (date(2026, 10, 31), date(2026, 12, 1), ["111111111111"], None, ["a.json.gz", "b.json.gz", "c.json", "d.json.gz", "e.json.gz"]),
    (date(2026, 10, 1), date(2026, 12, 31), None, ["us-east-1"], ["a.json.gz", "b.json.gz", "c.json", "f.json.gz", "h.json.gz"]),
    (date(2026, 11, 2), date(2026, 11, 30), ["222222222222", "333333333333"], ["us-east-1", "ap-southeast-2"], ["f.json.gz", "g.json.gz", "h.json.gz"]),
    (date(2026, 1, 1), date(2026, 1, 31), None, None, []),
    (date(2026, 11, 1), date(2026, 11, 30), ["444444444444"], None, []),
]


@pytest.mark.parametrize(("since", "until", "accounts", "regions", "expected"), CASES)
def test_local_pruning_lists_exactly_the_window(local_trail: Path, since, until, accounts, regions, expected) -> None:
    found = list_log_files(str(local_trail), since=since, until=until, accounts=accounts, regions=regions)
    assert sorted(names(found)) == sorted(expected)
    for item in found:
        assert Path(item.url).is_file()
        assert item.url.endswith(item.key)
        assert item.key.startswith("AWSLogs/")
        assert since <= item.day <= until


def test_what_a_key_says(local_trail: Path) -> None:
    (first,) = list_log_files(str(local_trail / "AWSLogs"), since=date(2026, 11, 30), until=date(2026, 11, 30))
    assert (first.account_id, first.region, first.day, first.organization_id) == ("222222222222", "us-east-1", date(2026, 11, 30), ORG)
    assert first.key == key_of(*TREE[5])


def test_day_prefixes_take_whole_months_when_they_can() -> None:
    assert day_prefixes(date(2026, 10, 30), date(2026, 12, 2)) == ["2026/10/30/", "2026/10/31/", "2026/11/", "2026/12/01/", "2026/12/02/"]
    assert day_prefixes(date(2026, 2, 1), date(2026, 2, 28)) == ["2026/02/"]
    assert day_prefixes(date(2026, 2, 1), date(2026, 2, 27))[-1] == "2026/02/27/"
    assert len(window_days(date(2026, 9, 2), date(2026, 11, 30))) == 90


def test_bad_arguments_are_named(local_trail: Path, tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="ends .* before it starts"):
        list_log_files(str(local_trail), since=date(2026, 11, 2), until=date(2026, 11, 1))
    with pytest.raises(UsageError, match="'1111' is not a valid account id"):
        list_log_files(str(local_trail), since=date(2026, 11, 1), until=date(2026, 11, 1), accounts=["1111"])
    with pytest.raises(UsageError, match="'Europe' is not a valid region"):
        list_log_files(str(local_trail), since=date(2026, 11, 1), until=date(2026, 11, 1), regions=["Europe"])
    with pytest.raises(InputError, match="is not a folder"):
        list_log_files(str(tmp_path / "missing"), since=date(2026, 11, 1), until=date(2026, 11, 1))
    with pytest.raises(UsageError, match="gs:// is not supported"):
        parse_location("gs://bucket/AWSLogs/")
    assert parse_location("s3://bucket").prefix == "AWSLogs/"
    assert parse_location("s3a://bucket/trail/AWSLogs/").prefix == "trail/AWSLogs/"


@pytest.fixture(scope="module")
def s3_trail(moto_url: str):
    """The same tree in a bucket under ``trail/``, beside a bulky unrelated prefix; a client that records
    every ListObjectsV2 request it makes."""
    import boto3

    client = boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
    client.create_bucket(Bucket="org-trail")
    for key in [key_of(*entry) for entry in TREE] + NOT_LOGS + [f"elsewhere/{n}.bin" for n in range(20)]:
        client.put_object(Bucket="org-trail", Key=key if key.startswith("elsewhere") else f"trail/{key}", Body=b"{}")
    requests: list[dict] = []
    client.meta.events.register("before-parameter-build.s3.ListObjectsV2", lambda params, **_: requests.append(dict(params)))
    return client, requests


@pytest.mark.parametrize(("since", "until", "accounts", "regions", "expected"), CASES)
def test_s3_pruning_lists_the_same_files(s3_trail, since, until, accounts, regions, expected) -> None:
    client, _ = s3_trail
    found = list_log_files("s3://org-trail/trail/", since=since, until=until, accounts=accounts, regions=regions, s3_client=client)
    assert sorted(names(found)) == sorted(expected)
    for item in found:
        assert item.url == f"s3://org-trail/trail/{item.key}"


def test_s3_lists_by_prefix_never_the_whole_bucket(s3_trail) -> None:
    client, requests = s3_trail
    requests.clear()
    found = list_log_files("s3a://org-trail/trail/AWSLogs/", since=date(2026, 11, 1), until=date(2026, 11, 3),
                           accounts=["111111111111"], regions=["us-east-1"], s3_client=client)
    assert names(found) == ["b.json.gz", "c.json"]
    assert found[0].url.startswith("s3a://org-trail/trail/AWSLogs/111111111111/")
    # Delimiter listings of AWSLogs/ and the organization's folder (where the account lives), then
    # one listing per day: no region listing (the region was given), nothing outside the three days.
    assert [(r["Prefix"], r.get("Delimiter")) for r in requests] == [("trail/AWSLogs/", "/"), (f"trail/AWSLogs/{ORG}/", "/")] + [
        (f"trail/AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/0{d}/", None) for d in (1, 2, 3)
    ]
    requests.clear()
    list_log_files("s3://org-trail/trail/", since=date(2026, 11, 1), until=date(2026, 11, 30), s3_client=client)
    listed = [r["Prefix"] for r in requests if "Delimiter" not in r]
    # A whole month is one listing per account and region.
    assert listed and all(p.endswith("/2026/11/") for p in listed)
    assert all(r["Prefix"].startswith("trail/AWSLogs/") for r in requests)


def test_s3_errors_are_named(s3_trail) -> None:
    client, _ = s3_trail
    with pytest.raises(InputError, match="cannot list s3://no-such-bucket/AWSLogs/: NoSuchBucket"):
        list_log_files("s3://no-such-bucket/", since=date(2026, 11, 1), until=date(2026, 11, 1), s3_client=client)
