"""``rootwatch events`` from stdin, files and an AWSLogs folder: what alerts is what root_activity
lists, bursts are one alert, bad input is set aside and named, notifications reach real receivers."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pytest
from helpers.events import ALERTS, ASSUME_ROOT, BURST, FIXTURES, SINGLE, fixture_documents
from helpers.receivers import write_config

pytestmark = pytest.mark.usefixtures("no_user_config")


@pytest.fixture()
def run_events(run_cli, monkeypatch):
    """``rootwatch events ARGS`` in-process with ``stdin`` as standard input."""

    def run(*args: str, stdin: str = "") -> tuple[int, str, str]:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
        return run_cli("events", *args)

    return run


def _alerts(out: str) -> dict[str, dict]:
    return {record["event_id"]: record for record in map(json.loads, out.splitlines())}


def test_every_fixture_from_stdin(run_events) -> None:
    # Pretty-printed documents and JSON lines, mixed, as `cat` makes them.
    stdin = BURST.read_text() + "".join(p.read_text() for p in SINGLE)
    code, out, err = run_events("--output", "json", stdin=stdin)
    assert code == 1, err
    assert set(_alerts(out)) == set(ALERTS)
    assert "14 events, 7 alerted, 4 repeated, 3 not alerting" in err
    # The same as files (one batch, whatever the timing of a pipe): the burst is one alert of five.
    code, out, err = run_events("--output", "json", str(BURST), *map(str, SINGLE))
    alerts = _alerts(out)
    assert code == 1 and set(alerts) == set(ALERTS)
    burst = alerts["0f2b4d6f-8a0c-4e2b-8d4f-6a8c0e2b4d00"]
    assert (burst["count"], burst["last_event_time"]) == (5, "2026-11-18T22:45:41+00:00")
    assert alerts["0f2b4d6f-8a0c-4e2b-8d4f-6a8c0e2b4d05"]["count"] == 1
    sign_in = alerts["4f7a1c92-3e6b-4d8a-b0f5-9c8e7d6a5b34"]
    assert (sign_in["severity"], sign_in["mfa_used"], sign_in["credential"], sign_in["outcome"]) == ("critical", "No", "password", "succeeded")
    assert sign_in["user_agent"].startswith("Mozilla/5.0") and sign_in["source_ip_address"] == "203.0.113.24"
    assert alerts["0d8e2f41-7a9c-4b3e-8d6f-5c4b3a2e1f09"]["outcome"] == "failed"  # a failed sign-in is its own alert
    assert alerts["0f2b4d6f-8a0c-4e2b-8d4f-6a8c0e2b4d00"]["severity"] == "medium"
    assert alerts[ASSUME_ROOT]["credential"] == "centralized root session"


def test_the_exclusion_variables(run_events) -> None:
    stdin = "\n".join(fixture_documents()) + "\n"
    code, out, _err = run_events("--output", "json", "--var", "root_activity_exclude_assumed_root=true", stdin=stdin)
    assert code == 1 and set(_alerts(out)) == set(ALERTS) - {ASSUME_ROOT}
    _code, out, _err = run_events("--output", "json", "--var", "root_activity_exclude_failed=true",
                                  "--var", "root_activity_exclude_read_only=true", "--var", "root_activity_ignored_events=CreateAccessKey", stdin=stdin)  # fmt: skip
    assert set(_alerts(out)) == {"b8e4c2a0-3f1d-4e6b-8c9a-7d5e3f1b9a2c", "4f7a1c92-3e6b-4d8a-b0f5-9c8e7d6a5b34", ASSUME_ROOT}


@pytest.mark.parametrize("name", ["root-service-invoked.json", "aws-service-event.json", "non-root-call.json"])
def test_what_must_not_alert(run_events, name: str) -> None:
    code, out, err = run_events(str(FIXTURES / name))
    assert (code, out) == (0, ""), err
    assert "1 events, 0 alerted, 0 repeated, 1 not alerting" in err


def test_files_gzip_and_the_awslogs_layout(run_events, tmp_path: Path) -> None:
    documents = fixture_documents()
    (tmp_path / "events.jsonl.gz").write_bytes(gzip.compress("\n".join(documents).encode()))
    code, out, err = run_events("--output", "json", str(tmp_path / "events.jsonl.gz"))
    assert code == 1 and set(_alerts(out)) == set(ALERTS), err
    # The same records as CloudTrail delivers them to S3: bare records in {"Records": [...]} files.
    folder = tmp_path / "AWSLogs" / "333333333333" / "CloudTrail" / "eu-west-1" / "2026" / "11" / "18"
    folder.mkdir(parents=True)
    records = [json.loads(d)["detail"] for d in documents if json.loads(d)["account"] == "333333333333"]
    (folder / "333333333333_CloudTrail_eu-west-1_20261118T2245Z_x.json.gz").write_bytes(gzip.compress(json.dumps({"Records": records}).encode()))
    code, out, err = run_events("--output", "json", str(tmp_path))
    assert code == 1, err
    assert set(_alerts(out)) == {"c3e5a7b9-1d3f-4a5c-9e7b-0c2e4a6b8d1f", "0f2b4d6f-8a0c-4e2b-8d4f-6a8c0e2b4d00", "0f2b4d6f-8a0c-4e2b-8d4f-6a8c0e2b4d05"}


def test_unreadable_input_is_set_aside_and_named(run_events, tmp_path: Path) -> None:
    dead = tmp_path / "dead"
    dead.mkdir()
    good = (FIXTURES / "root-access-key-call.json").read_text()
    stdin = '{"not": "an event"}\n{"broken json\n' + good + '{"detail-type": "x", "detail": {"eventTime": "2026-11-18T22:41:07Z"}, "account": "333333333333", "region": "us-east-1"}\n'
    code, out, err = run_events("--output", "json", "--dead-letter-dir", str(dead), stdin=stdin)
    assert code == 3, err
    assert set(_alerts(out)) == {"c3e5a7b9-1d3f-4a5c-9e7b-0c2e4a6b8d1f"}  # the good event still alerted
    assert "cannot read stdin line 1: not root activity rootwatch reads" in err
    assert "cannot read stdin line 2: not JSON" in err
    assert "without eventID" in err and "Traceback" not in err
    kept = sorted(dead.iterdir())
    assert len(kept) == 3
    first = json.loads(kept[0].read_text())
    assert first == {"received_from": "stdin line 1", "reason": first["reason"], "text": '{"not": "an event"}\n'}


def test_state_keeps_a_burst_one_alert_across_runs(run_events, tmp_path: Path) -> None:
    lines = BURST.read_text().splitlines(keepends=True)
    state = tmp_path / "events.json"
    code, out, _ = run_events("--output", "json", "--state", str(state), stdin="".join(lines[:2]))
    assert code == 1 and list(_alerts(out)) == ["0f2b4d6f-8a0c-4e2b-8d4f-6a8c0e2b4d00"]
    code, out, err = run_events("--output", "json", "--state", str(state), stdin="".join(lines[:5]))  # 2 again, 3 new of the burst
    assert (code, out) == (0, ""), err
    assert "5 events, 0 alerted, 5 repeated" in err
    code, out, _ = run_events("--output", "json", "--state", str(state), stdin="".join(lines))
    assert code == 1 and list(_alerts(out)) == ["0f2b4d6f-8a0c-4e2b-8d4f-6a8c0e2b4d05"]
    assert json.loads(state.read_text())["rootwatch_events_state"] == 1
    (tmp_path / "other.json").write_text('{"rootwatch_state": 1}')
    code, _, err = run_events("--state", str(tmp_path / "other.json"), stdin="")
    assert code == 3 and "not a rootwatch events state file" in err


def test_dedup_window_zero_alerts_every_event(run_events) -> None:
    code, out, _ = run_events("--output", "json", "--dedup-window", "0", str(BURST))
    assert code == 1 and len(_alerts(out)) == 6


def test_webhook_end_to_end_with_severity_from_the_config(run_events, http_sink, tmp_path: Path, example: Path) -> None:
    config = write_config(tmp_path / "rootwatch.yaml", f"""
        notifiers:
          pager: {{type: webhook, url: "{http_sink.url}/pager", where: "severity = 'critical'", retry: {{attempts: 1}}}}
          audit: {{type: webhook, url: "{http_sink.url}/audit", level: verbose, retry: {{attempts: 1}}}}
        events:
          severity:
            rules:
              - {{severity: critical, label: bucket listing by root, event_source: s3.amazonaws.com, event_name: List*}}
          account_names:
            "555555555555": hub-security
    """)
    inputs = [*map(str, SINGLE), str(BURST)]  # files: one batch, one message per notifier
    code, _out, err = run_events("--output", "none", "--notify-config", str(config), "--snapshot", str(example), *inputs)
    assert code == 1, err
    paths = {r.path: r.json() for r in http_sink.received}
    assert sorted(r.path for r in http_sink.received) == ["/audit", "/pager"]
    pager = paths["/pager"]
    assert pager["schema"] == "rootwatch.notification/1" and pager["kind"] == "root_activity"
    from jsonschema import Draft202012Validator

    schema = json.loads((FIXTURES.parents[2] / "docs" / "notification.schema.json").read_text())
    for payload in paths.values():
        assert [e.message for e in Draft202012Validator(schema).iter_errors(payload)] == []
    assert {i["event_id"] for i in pager["items"]} == set(ALERTS)  # every one critical now
    names = {i["account_id"]: i["account"] for i in pager["items"]}
    assert names["555555555555"] == "555555555555 (hub-security)"  # the configured name
    assert names["222222222222"] == "222222222222 (example-workloads)"  # from the snapshot
    burst = next(i for i in pager["items"] if i["count"] == 5)
    assert (burst["severity"], burst["severity_reason"]) == ("critical", "bucket listing by root")
    assert pager["subject"].startswith("rootwatch: 7 root events in 4 accounts: CRITICAL")


def test_email_end_to_end(run_events, smtp_plain) -> None:
    target = f"smtp://127.0.0.1:{smtp_plain.port}?to=oncall@example.com&from=rootwatch@example.com&tls=none"
    code, _out, err = run_events("--output", "none", "--notify", target, str(FIXTURES / "root-console-signin-no-mfa.json"))
    assert code == 1, err
    ((_sender, recipients, message),) = smtp_plain.messages
    assert recipients == ["oncall@example.com"]
    assert message["Subject"] == "rootwatch: root ConsoleLogin in 444444444444: CRITICAL without MFA"
    text = message.get_body(("plain",)).get_content()
    assert "CRITICAL  root ConsoleLogin in 444444444444 at 2026-11-17 14:03:09 UTC: console sign-in" in text
    assert "us-east-1, from 203.0.113.24, MFA: NO, credential: password, succeeded" in text
    assert "user agent: Mozilla/5.0" in text


def test_a_failed_notifier_is_exit_5_and_nothing_is_remembered(run_events, http_sink, tmp_path: Path) -> None:
    http_sink.refuse["/down"] = 500
    config = write_config(tmp_path / "rootwatch.yaml", f"""
        notifiers:
          down: {{type: webhook, url: "{http_sink.url}/down", retry: {{attempts: 1}}}}
          up: {{type: webhook, url: "{http_sink.url}/up", retry: {{attempts: 1}}}}
    """)
    state = tmp_path / "state.json"
    args = ("--output", "none", "--state", str(state), "--notify-config", str(config), str(FIXTURES / "root-access-key-call.json"))
    code, _out, err = run_events(*args, "--notify", "down")
    assert code == 5 and "notifier down" in err and "failed" in err
    code, _out, _err = run_events(*args, "--notify", "up")
    assert code == 1 and len(http_sink.received) == 1  # told now, not swallowed as a repeat


def test_dry_run_sends_nothing_and_records_nothing(run_events, http_sink, tmp_path: Path) -> None:
    state = tmp_path / "state.json"
    code, _out, err = run_events("--notify", f"webhook:{http_sink.url}/x", "--notify-dry-run", "--state", str(state), str(BURST))
    assert code == 1 and http_sink.received == [] and not state.exists()
    assert "would send" in err and "ListBuckets" in err


def test_query_run_and_events_agree_on_the_same_events(run_cli, run_events, tmp_path: Path) -> None:
    """The events, as CloudTrail log files, make a snapshot; `query run root_activity` lists exactly
    the events `rootwatch events` alerts on (without de-duplication), for each variable setting."""
    root = tmp_path / "org"
    for document in map(json.loads, fixture_documents()):
        account, region = document["account"], document["region"]
        folder = root / "AWSLogs" / account / "CloudTrail" / region / "2026" / "11" / "01"
        folder.mkdir(parents=True, exist_ok=True)
        name = f"{account}_CloudTrail_{region}_20261101T0000Z_{document['detail']['eventID'][:8]}.json.gz"
        (folder / name).write_bytes(gzip.compress(json.dumps({"Records": [document["detail"]]}).encode()))
    snapshot = tmp_path / "events.duckdb"
    code, _out, err = run_cli("snapshot", "from-files", str(root), "-o", str(snapshot))
    assert code in (0, 2), err
    for variables in ([], ["--var", "root_activity_exclude_assumed_root=true"], ["--var", "root_activity_exclude_read_only=true"],
                      ["--var", "root_activity_exclude_failed=true", "--var", "root_activity_ignored_events=ListBuckets,CreateAccessKey"]):  # fmt: skip
        code, out, err = run_cli("query", "run", "root_activity", "--snapshot", str(snapshot), "--output", "json", *variables)
        assert code == 0, err
        listed = {row["event_id"] for row in json.loads(out)}
        _code, out, _err = run_events("--output", "json", "--dedup-window", "0", str(root), *variables)
        assert set(_alerts(out)) == listed, variables
    assert len(listed) == 3  # the last setting leaves the two sign-ins with success and the AssumeRoot session


def test_notifier_filters_see_severity_and_tags(run_events, http_sink, tmp_path: Path) -> None:
    config = write_config(tmp_path / "rootwatch.yaml", f"""
        notifiers:
          pager: {{type: webhook, url: "{http_sink.url}/pager", where: "severity >= 'high'"}}
          iam: {{type: webhook, url: "{http_sink.url}/iam", tag: event_source=iam.amazonaws.com}}
    """)
    code, _out, err = run_events("--output", "none", "--notify-config", str(config), str(BURST), *map(str, SINGLE))
    assert code == 1, err
    told = {r.path: {i["event_id"] for i in r.json()["items"]} for r in http_sink.received}
    assert told["/pager"] == set(ALERTS) - {"0f2b4d6f-8a0c-4e2b-8d4f-6a8c0e2b4d00", "0f2b4d6f-8a0c-4e2b-8d4f-6a8c0e2b4d05"}
    assert told["/iam"] == {"c3e5a7b9-1d3f-4a5c-9e7b-0c2e4a6b8d1f", ASSUME_ROOT}


def test_help_and_usage_errors(run_events, tmp_path: Path) -> None:
    code, out, _ = run_events("--help")
    assert code == 0 and out.startswith("usage: rootwatch events") and "exit codes:" in out
    for args, message in (
        (["--once"], "--once applies to --sqs only"),
        (["no-such-file.json"], "input no-such-file.json: no such file or folder"),
        (["--sqs", "https://sqs.us-east-1.amazonaws.com/1/q", "x.json"], "--sqs and INPUT files are exclusive"),
        (["--sqs", "https://sqs.us-east-1.amazonaws.com/1/q", "--wait-time", "30"], "--wait-time must be 0 to 20"),
        (["--dedup-window", "soon", str(BURST)], "--dedup-window: 'soon' is not a duration"),
        (["--var", "root_activity_exclude_failed=perhaps", str(BURST)], "root_activity_exclude_failed expects true or false"),
    ):
        code, _out, err = run_events(*args)
        assert code == 3 and message in err and "Traceback" not in err, (args, err)
