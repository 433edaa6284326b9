"""Credential report polling against a real local HTTP server speaking IAM's query protocol: the
generate/poll sequence, exponential backoff between polls, throttling, and the cap."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from rootwatch.snapshot.from_aws_report import Backoff, ReportUnavailable, fetch_credential_report

boto3 = pytest.importorskip("boto3")

NS = "https://iam.amazonaws.com/doc/2010-05-08/"
REPORT = "user,arn\n<root_account>,arn:aws:iam::123456789012:root\n"


class FakeIam:
    """Scripted answers, one per request of each action (the last one repeats), and a request log."""

    def __init__(self, generate: list[str], get: list[str]) -> None:
        self.generate = generate
        self.get = get
        self.log: list[tuple[float, str]] = []
        self.lock = threading.Lock()

    def answer(self, action: str) -> tuple[int, str]:
        with self.lock:
            self.log.append((time.monotonic(), action))
            script = self.generate if action == "GenerateCredentialReport" else self.get
            step = script.pop(0) if len(script) > 1 else script[0]
        if step in ("STARTED", "INPROGRESS", "COMPLETE"):
            return 200, (
                f'<GenerateCredentialReportResponse xmlns="{NS}"><GenerateCredentialReportResult>'
                f"<State>{step}</State></GenerateCredentialReportResult>"
                "<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GenerateCredentialReportResponse>"
            )
        if step == "REPORT":
            content = base64.b64encode(REPORT.encode()).decode()
            return 200, (
                f'<GetCredentialReportResponse xmlns="{NS}"><GetCredentialReportResult>'
                f"<Content>{content}</Content><ReportFormat>text/csv</ReportFormat>"
                "<GeneratedTime>2026-11-25T10:00:00Z</GeneratedTime></GetCredentialReportResult>"
                "<ResponseMetadata><RequestId>r</RequestId></ResponseMetadata></GetCredentialReportResponse>"
            )
        status = {"ReportInProgress": 404, "ReportNotPresent": 410, "LimitExceeded": 409, "AccessDenied": 403}[step]
        return status, (
            f'<ErrorResponse xmlns="{NS}"><Error><Type>Sender</Type><Code>{step}</Code>'
            f"<Message>{step} says the server</Message></Error><RequestId>r</RequestId></ErrorResponse>"
        )


@pytest.fixture()
def fake_iam() -> Iterator[tuple[str, list[FakeIam]]]:
    """A loopback HTTP server answering with the FakeIam put in the returned list."""
    current: list[FakeIam] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()
            action = parse_qs(body).get("Action", [""])[0]
            status, text = current[0].answer(action)
            payload = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/xml")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", current
    finally:
        server.shutdown()
        server.server_close()


def _iam(url: str):  # noqa: ANN202 - a boto3 IAM client
    from botocore.config import Config

    return boto3.client(
        "iam",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"mode": "standard", "max_attempts": 1}),
    )


def _gaps(log: list[tuple[float, str]]) -> list[float]:
    return [b[0] - a[0] for a, b in zip(log, log[1:])]


def test_generate_poll_and_fetch_with_growing_waits(fake_iam) -> None:
    url, current = fake_iam
    fake = FakeIam(
        generate=["LimitExceeded", "STARTED", "INPROGRESS", "INPROGRESS", "COMPLETE"],
        get=["ReportInProgress", "REPORT"],
    )
    current.append(fake)

    def recorded_sleep(seconds: float) -> None:
        # The waits rootwatch asks for, in the request log: exact, whatever the machine's load.
        with fake.lock:
            fake.log.append((seconds, "wait"))
        time.sleep(seconds)

    response = fetch_credential_report(_iam(url), Backoff(initial_delay=0.04, max_delay=1.0, timeout=20), sleep=recorded_sleep)
    assert response["Content"].decode() == REPORT
    steps = [action for _, action in fake.log]
    # COMPLETE is fetched at once; every other answer is followed by a wait drawn from [d/2, d] of a
    # delay that doubles from 0.04: 0.04, 0.08, 0.16, 0.32, then 0.64 before the last poll.
    assert steps == ["GenerateCredentialReport", "wait"] * 4 + ["GenerateCredentialReport"] + ["GetCredentialReport", "wait", "GetCredentialReport"]
    waits = [seconds for seconds, action in fake.log if action == "wait"]
    nominal = [0.04, 0.08, 0.16, 0.32, 0.64]
    for wait, delay in zip(waits, nominal, strict=True):
        assert delay / 2 <= wait <= delay, (waits, nominal)


def test_regenerates_when_the_report_is_gone(fake_iam) -> None:
    url, current = fake_iam
    fake = FakeIam(generate=["COMPLETE"], get=["ReportNotPresent", "REPORT"])
    current.append(fake)
    fetch_credential_report(_iam(url), Backoff(initial_delay=0.02, max_delay=0.1, timeout=10))
    assert [action for _, action in fake.log] == [
        "GenerateCredentialReport",
        "GetCredentialReport",
        "GenerateCredentialReport",
        "GetCredentialReport",
    ]


def test_gives_up_at_the_cap_without_a_tight_loop(fake_iam) -> None:
    url, current = fake_iam
    fake = FakeIam(generate=["COMPLETE"], get=["ReportInProgress"])
    current.append(fake)
    started = time.monotonic()
    with pytest.raises(ReportUnavailable) as failure:
        fetch_credential_report(_iam(url), Backoff(initial_delay=0.05, max_delay=0.2, timeout=1.0))
    elapsed = time.monotonic() - started
    assert failure.value.code == "Timeout" and "ReportInProgress" in failure.value.message
    assert 0.9 <= elapsed < 5.0
    # 0.05 doubling to a 0.2 cap within 1 s: a handful of requests, never hundreds.
    assert 4 <= len(fake.log) <= 12, len(fake.log)
    # The first poll follows COMPLETE at once; the last wait is cut short by the deadline.
    assert min(_gaps(fake.log)[1:-1]) >= 0.025, "every other poll waits at least half of 0.05 s"


def test_refusal_is_reported_with_the_aws_code(fake_iam) -> None:
    url, current = fake_iam
    current.append(FakeIam(generate=["AccessDenied"], get=["REPORT"]))
    with pytest.raises(ReportUnavailable) as failure:
        fetch_credential_report(_iam(url), Backoff(initial_delay=0.02, max_delay=0.1, timeout=5))
    assert (failure.value.code, failure.value.message) == ("AccessDenied", "AccessDenied says the server")


def test_backoff_rejects_a_zero_delay() -> None:
    with pytest.raises(ValueError):
        Backoff(initial_delay=0, max_delay=1, timeout=1)
