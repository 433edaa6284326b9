"""The sample root events of tests/fixtures/events and what each must come to (the events tests)."""

from __future__ import annotations

import json

from helpers.receivers import REPO

FIXTURES = REPO / "tests" / "fixtures" / "events"
SINGLE = sorted(FIXTURES.glob("*.json"))
BURST = FIXTURES / "root-api-burst.jsonl"

ALERTS = {
    "b8e4c2a0-3f1d-4e6b-8c9a-7d5e3f1b9a2c": "root-console-signin-mfa.json",
    "4f7a1c92-3e6b-4d8a-b0f5-9c8e7d6a5b34": "root-console-signin-no-mfa.json",
    "0d8e2f41-7a9c-4b3e-8d6f-5c4b3a2e1f09": "root-console-signin-failed.json",
    "c3e5a7b9-1d3f-4a5c-9e7b-0c2e4a6b8d1f": "root-access-key-call.json",
    "8c6a4e2c-0a8e-4c6a-8e2c-0a8e6c4a2e0c": "assume-root-session.json",
    "0f2b4d6f-8a0c-4e2b-8d4f-6a8c0e2b4d00": "root-api-burst.jsonl (the first five, as one)",
    "0f2b4d6f-8a0c-4e2b-8d4f-6a8c0e2b4d05": "root-api-burst.jsonl (the sixth, 20 minutes later)",
}
"""Event id of each alert every fixture together must give (default variables, 15-minute window)."""
ASSUME_ROOT = "8c6a4e2c-0a8e-4c6a-8e2c-0a8e6c4a2e0c"
SILENT = ("root-service-invoked.json", "aws-service-event.json", "non-root-call.json")


def fixture_documents() -> list[str]:
    """Every sample event as one JSON text each (the burst's six lines, then the single files)."""
    burst = [line for line in BURST.read_text().splitlines() if line.strip()]
    return burst + [json.dumps(json.loads(p.read_text())) for p in SINGLE]


def event_id(document: str) -> str:
    return json.loads(document)["detail"]["eventID"]


def document(name: str) -> str:
    """One sample event file as a single line of JSON."""
    return json.dumps(json.loads((FIXTURES / name).read_text()))
