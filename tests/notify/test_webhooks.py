"""Slack, Teams and the generic JSON webhook, received by a real HTTP server on loopback; retries
against a server that refuses, and secrets kept out of every message."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from helpers.receivers import write_config

SECRET_PATH = "/services/T0001/B0002/very-secret-token"


def _run_example(run_cli, example: Path, *extra: str) -> tuple[int, str, str]:
    return run_cli("benchmark", "run", "root", "--snapshot", str(example), "--output", "none", *extra)


def test_slack_payload(run_cli, example: Path, http_sink, monkeypatch) -> None:
    monkeypatch.setenv("SLACK_URL", http_sink.url + SECRET_PATH)
    code, out, err = _run_example(run_cli, example, "--notify", "slack:env:SLACK_URL")
    assert code == 1, err  # alarms, delivered
    assert "rootwatch: notified slack:env:SLACK_URL: 12 items" in err
    (request,) = http_sink.received
    assert request.path == SECRET_PATH
    assert request.headers["Content-Type"].startswith("application/json")
    body = request.json()
    subject = body["blocks"][0]["text"]["text"]
    assert subject.startswith("rootwatch: 12 alarms in 4 accounts: root access key")
    assert len(subject) <= 100
    assert body["text"].startswith(f"*{subject}*\n")
    sections = "\n".join(block["text"]["text"] for block in body["blocks"][1:])
    assert "333333333333 (example-legacy)  Root user has no access keys: Root user has 1 access key" in sections
    assert "(last used 2 days ago; password 2026-11-17, access key 1 never, access key 2 never)" in sections
    assert "[as of 2026-11-20 09:00 UTC]" in sections
    assert all(len(block["text"]["text"]) <= 3000 for block in body["blocks"][1:])


def test_teams_adaptive_card(run_cli, example: Path, http_sink, monkeypatch) -> None:
    monkeypatch.setenv("TEAMS_URL", http_sink.url + "/workflows/abc/triggers/manual/paths/invoke?sig=SECRETSIG")
    code, _out, err = _run_example(run_cli, example, "--notify", "teams:env:TEAMS_URL", "--notify-level", "error")
    # Level error and no control error: nothing to send, and nothing sent.
    assert code == 1 and "nothing to notify teams:env:TEAMS_URL at level error" in err, err
    assert http_sink.received == []
    code, _out, err = _run_example(run_cli, example, "--notify", "teams:env:TEAMS_URL")
    (request,) = http_sink.received
    body = request.json()
    assert body["type"] == "message"
    (attachment,) = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard" and card["version"] == "1.4"
    texts = [block["text"] for block in card["body"]]
    assert texts[0].startswith("rootwatch: 12 alarms in 4 accounts")
    alarms = [block for block in card["body"] if block.get("color") == "Attention"]
    assert len(alarms) == 12


def test_json_webhook_schema_and_signature(run_cli, example: Path, http_sink, tmp_path: Path, monkeypatch) -> None:
    import hashlib
    import hmac

    import jsonschema

    monkeypatch.setenv("HOOK_URL", http_sink.url + "/hook")
    monkeypatch.setenv("HOOK_AUTH", "Bearer abc123")
    monkeypatch.setenv("HOOK_SIGNING", "signing-key")
    config = write_config(tmp_path / "rootwatch.yaml", """
        notifiers:
          siem:
            type: webhook
            url_env: HOOK_URL
            header_env: {Authorization: HOOK_AUTH}
            signing_secret_env: HOOK_SIGNING
            level: verbose
            where: "severity = 'critical'"
    """)
    code, _out, err = _run_example(run_cli, example, "--notify-config", str(config))
    assert code == 1, err
    (request,) = http_sink.received
    assert request.headers["Authorization"] == "Bearer abc123"
    expected = hmac.new(b"signing-key", request.body, hashlib.sha256).hexdigest()
    assert request.headers["X-Rootwatch-Signature"] == f"sha256={expected}"
    payload = request.json()
    schema = json.loads((Path(__file__).resolve().parents[2] / "docs" / "notification.schema.json").read_text())
    jsonschema.validate(payload, schema)
    assert payload["schema"] == "rootwatch.notification/1" and payload["kind"] == "run"
    # verbose: every result of the critical controls only (the where filter), passes included
    assert {item["severity"] for item in payload["items"]} == {"critical"}
    assert {item["status"] for item in payload["items"]} >= {"alarm", "ok"}
    # the findings as in the JSON export: Powerpipe's groups and controls, rootwatch's run record
    findings = payload["findings"]
    assert findings["group_id"] == "root_result_group"
    exported = _results(findings)
    assert len(exported) == len(payload["items"])
    assert payload["run"]["exit_code"] == 1 and payload["run"]["as_of"] == "2026-11-20T09:00:00+00:00"


def _results(group: dict) -> list[dict]:
    found = [r for control in group["controls"] for r in control["results"]]
    return found + [r for child in group["groups"] for r in _results(child)]


def test_retries_until_accepted(run_cli, example: Path, http_sink, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HOOK_URL", http_sink.url + "/hook")
    http_sink.script = [503, 500]  # fails twice, then accepts
    config = write_config(tmp_path / "n.yaml", """
        notifiers:
          hook: {type: webhook, url_env: HOOK_URL, retry: {attempts: 4, backoff: 0.05, timeout: 20}}
    """)
    code, _out, err = _run_example(run_cli, example, "--notify-config", str(config))
    assert code == 1, err  # alarms found, and delivered on the third attempt: not a notifier failure
    assert http_sink.answered == [503, 500, 200]
    assert len(http_sink.received) == 1


def test_never_accepts_exit_5_results_intact(run_cli, example: Path, http_sink, tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HOOK_URL", http_sink.url + SECRET_PATH)
    http_sink.refuse[SECRET_PATH] = 503
    config = write_config(tmp_path / "n.yaml", """
        notifiers:
          hook: {type: webhook, url_env: HOOK_URL, retry: {attempts: 20, backoff: 0.2, timeout: 3}}
          chat: {type: slack, url: %s/chat, level: error}
    """ % http_sink.url)
    export = tmp_path / "results.json"
    began = time.monotonic()
    code, _out, err = _run_example(run_cli, example, "--notify-config", str(config), "--export", str(export))
    took = time.monotonic() - began
    assert code == 5, err
    assert took < 15  # bounded by the notifier's timeout, not by its 20 attempts
    assert json.loads(export.read_text())["rootwatch"]["exit_code"] == 1  # the results were written first
    line = next(line for line in err.splitlines() if "failed after" in line)
    assert line.startswith(f"rootwatch: notifier hook (json webhook {http_sink.url}/***) failed after ")
    assert "answered HTTP 503" in line
    assert "very-secret-token" not in err and "T0001" not in err
    # The chat notifier (level error) hears about the failing one, with the URL masked.
    (told,) = [r for r in http_sink.received if r.path == "/chat"]
    text = told.json()["text"]
    assert "notifier hook" in text and "failed" in text and "very-secret-token" not in text


def test_a_refused_request_is_not_retried(run_cli, example: Path, http_sink, tmp_path: Path) -> None:
    http_sink.script = [404]
    config = write_config(tmp_path / "n.yaml", f"""
        notifiers:
          hook: {{type: slack, url: "{http_sink.url}{SECRET_PATH}", retry: {{attempts: 5, backoff: 0.05}}}}
    """)
    code, _out, err = _run_example(run_cli, example, "--notify-config", str(config))
    assert code == 5
    assert http_sink.answered == [404]
    assert "failed after 1 attempt in" in err and "HTTP 404" in err and "very-secret-token" not in err


def test_dry_run_sends_nothing_and_shows_no_secret(run_cli, example: Path, http_sink, monkeypatch) -> None:
    monkeypatch.setenv("HOOK", http_sink.url + SECRET_PATH)
    code, out, err = _run_example(run_cli, example, "--notify", "webhook:env:HOOK", "--notify-dry-run", "--notify-level", "verbose")
    assert code == 1 and out == ""
    assert http_sink.received == []
    assert "rootwatch: dry run: would send to webhook:env:HOOK (json webhook " in err
    assert "subject: rootwatch: 12 alarms in 4 accounts" in err
    assert "attachment" not in err  # a webhook carries no files
    assert "very-secret-token" not in err


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("slack:env:NOT_SET_ANYWHERE", "environment variable NOT_SET_ANYWHERE is not set"),
        ("pager:env:X", "unknown kind 'pager'"),
        ("oncall", "no notifier of that name"),
        ("smtps://u:pw@mail.example.com?to=a@example.com&from=b@example.com", "must not be written in the URL"),
        ("webhook:ftp://example.com/x", "must be an http:// or https:// URL"),
        ("sns:arn:aws:sns:us-east-1:12:bad", "is not an SNS topic ARN"),
    ],
)
def test_bad_targets_are_usage_errors_before_running(run_cli, example: Path, target: str, message: str) -> None:
    code, out, err = _run_example(run_cli, example, "--notify", target)
    assert code == 3 and out == ""
    assert message in err
    assert "Traceback" not in err and "pw@" not in err


def test_config_errors_name_file_and_line(run_cli, example: Path, tmp_path: Path) -> None:
    config = write_config(tmp_path / "rootwatch.yaml", """
        notifiers:
          mail:
            type: email
            host: smtp.example.com
            password: hunter2
            to: a@example.com
            from: b@example.com
    """)
    code, _out, err = _run_example(run_cli, example, "--notify-config", str(config))
    assert code == 3
    assert f"{config}:5: notifier 'mail': password must not be written in the configuration" in err
    assert "hunter2" not in err
    write_config(config, """
        notifiers:
          hook: {type: webhook, url: "http://127.0.0.1:9/x", levle: info}
    """)
    code, _out, err = _run_example(run_cli, example, "--notify-config", str(config))
    assert code == 3 and f"{config}:2: notifier 'hook': unknown setting 'levle'" in err


def test_query_rows_are_notified(run_cli, example: Path, http_sink) -> None:
    code, out, err = run_cli("query", "run", "root_activity", "--snapshot", str(example), "--output", "csv",
                             "--notify", f"webhook:{http_sink.url}/q")  # fmt: skip
    assert code == 0, err
    rows = out.strip().splitlines()[1:]
    (request,) = http_sink.received
    payload = request.json()
    assert payload["kind"] == "query" and payload["query"]["name"] == "root_activity"
    assert len(payload["items"]) == len(rows) > 0
    assert payload["subject"].startswith(f"rootwatch: root_activity returned {len(rows)} rows in ")
    assert all(item["account"].endswith(")") for item in payload["items"])  # id (name)
