"""The shapes root activity arrives in, the severity rules, and rootwatch.yaml's events section
(checked by its JSON Schema, mistakes at file:line)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers.events import FIXTURES, document

from rootwatch.errors import ConfigError
from rootwatch.events.config import EventsConfig
from rootwatch.events.reading import documents, parse_text
from rootwatch.events.severity import SeverityRules, rules_from_config


def test_envelope_bare_record_log_file_and_sns_wrapper() -> None:
    envelope = json.loads(document("root-access-key-call.json"))
    record = envelope["detail"]
    shapes = {
        "envelope": json.dumps(envelope),
        "bare": json.dumps(record),
        "log file": json.dumps({"Records": [record, record]}),
        "sns": json.dumps({"Type": "Notification", "MessageId": "m", "Message": json.dumps(envelope)}),
    }
    for shape, text in shapes.items():
        parsed = parse_text(text, shape)
        assert parsed.unreadable == [], shape
        assert {(e.account_id, e.row["region"], e.event_id) for e in parsed.events} == {("333333333333", "us-east-1", record["eventID"])}
    assert [e.where for e in parse_text(shapes["log file"], "f").events] == ["f Records[0]", "f Records[1]"]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[1, 2]", "expected a JSON object, got list"),
        ('{"a": 1}', "not root activity rootwatch reads"),
        ('{"eventTime": "2026-11-18T22:41:07Z", "userIdentity": {"type": "Root"}, "eventID": "x", "awsRegion": "us-east-1"}', "no account id"),
        ('{"eventTime": "yesterday", "userIdentity": {}, "eventID": "x", "awsRegion": "us-east-1", "recipientAccountId": "333333333333"}', "eventTime"),
        ('{"detail-type": "x", "detail": {}, "account": "12", "region": "us-east-1"}', "eventID"),
        ('{"Type": "Notification", "Message": "nope"}', "SNS notification whose Message is not JSON"),
    ],
)
def test_what_cannot_be_read_says_why(text: str, reason: str) -> None:
    (entry,) = parse_text(text, "here").unreadable
    assert reason in entry.reason and entry.text == text and entry.where == "here"


def test_streams_of_pretty_documents_and_lines() -> None:
    pretty = (FIXTURES / "root-console-signin-mfa.json").read_text()
    lines = (pretty + document("root-access-key-call.json") + "\n\n" + '{"x": [1,\n' + "2]}\n" + '{"cut": ').splitlines(keepends=True)
    parsed = list(documents(lines, "stdin"))
    assert [len(p.events) for p in parsed] == [1, 1, 0, 0]
    assert parsed[2].unreadable[0].where == f"stdin line {pretty.count(chr(10)) + 3}"
    assert parsed[3].unreadable[0].reason == "the input ended inside a JSON document"


def test_built_in_severities() -> None:
    rules = SeverityRules()

    def level(source: str, name: str, read_only: bool | None = None) -> str:
        record = {"eventSource": source, "eventName": name, **({"readOnly": read_only} if read_only is not None else {})}
        return rules.classify(record).level

    assert level("signin.amazonaws.com", "ConsoleLogin") == "critical"
    assert level("iam.amazonaws.com", "CreateAccessKey", False) == "critical"
    assert level("iam.amazonaws.com", "GetAccountSummary", True) == "medium"
    assert level("iam.amazonaws.com", "ListUsers") == "medium"  # no readOnly: the name says it
    assert level("cloudtrail.amazonaws.com", "StopLogging", False) == "critical"
    assert level("config.amazonaws.com", "DeleteConfigurationRecorder", False) == "critical"
    assert level("ec2.amazonaws.com", "AuthorizeSecurityGroupIngress", False) == "high"
    assert level("s3.amazonaws.com", "PutBucketPolicy", False) == "high"
    assert level("s3.amazonaws.com", "ListBuckets", True) == "medium"
    own = rules_from_config({"default": "low", "built_in": False, "rules": [{"severity": "high", "event_name": ["List*"], "read_only": True}]})
    assert own.classify({"eventSource": "s3.amazonaws.com", "eventName": "ListBuckets", "readOnly": True}).level == "high"
    assert own.classify({"eventSource": "signin.amazonaws.com", "eventName": "ConsoleLogin"}).level == "low"


def test_the_events_section(tmp_path: Path) -> None:
    path = tmp_path / "rootwatch.yaml"
    path.write_text("notifiers:\n  chat: {type: slack, url_env: X}\nevents:\n  dedup_window: 2m\n"
                    "  account_names: {'111111111111': prod}\n  severity: {default: high}\n")  # fmt: skip
    config = EventsConfig.load(path)
    assert (config.dedup_window, dict(config.account_names), config.severity.default) == (120.0, {"111111111111": "prod"}, "high")
    assert EventsConfig.load(None).dedup_window == 900.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("events:\n  dedup_window: soon\n", ":2: 'events': dedup_window must be a duration"),
        ("events:\n  severity:\n    rules:\n      - {severity: urgent}\n", ":4: severity rule #1: severity must be one of low, medium, high, critical"),
        ("events:\n  account_names:\n    111111111111: prod\n", "must be a 12-digit account id (quote it in YAML)"),
        ("events:\n  colour: red\n", ":2: unknown key 'colour' in 'events'"),
    ],
)
def test_mistakes_name_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "rootwatch.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        EventsConfig.load(path)
    assert message in str(caught.value), str(caught.value)
