"""Levels: which results each level sends, for every mix of statuses a run can have."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone

import pytest
from rootwatch.mod.model import ControlNode
from rootwatch.notify.dispatch import Route, deliver
from rootwatch.notify.message import Level, Message
from rootwatch.notify.run_message import run_digest
from rootwatch.results import (
    ROOT_GROUP_ID,
    ControlRun,
    GroupRun,
    ResultRow,
    RunContext,
    RunResult,
)
from rootwatch.status import Status

AS_OF = datetime(2026, 11, 25, 9, tzinfo=timezone.utc)


@dataclass
class Recorder:
    """A target that keeps what it is sent (the transports have their own tests)."""

    sent: list[Message] = field(default_factory=list)
    carries_files = True
    description = "recorder"

    def send(self, message: Message, timeout: float) -> None:
        self.sent.append(message)


def _result(statuses: str, *, control_error: bool = False) -> RunResult:
    node = ControlNode("c", "Control c", "", {}, None)
    rows = tuple(
        ResultRow(f"arn:aws:iam::{n:012d}:root", Status(s), f"{s} reason", (("account_id", f"{n:012d}"),))
        for n, s in enumerate(statuses.split(), start=1)
    )
    run = ControlRun(node, rows, "control c failed: boom" if control_error else None)
    context = RunContext(AS_OF, "duckdb", "snapshot x", AS_OF, AS_OF)
    return RunResult(GroupRun(ROOT_GROUP_ID, "rootwatch", "", {}, (run,)), context)


# (statuses present, control error) -> {level: statuses sent}; "" = nothing sent
TABLE = [
    ("ok", False, {"error": "", "info": "", "verbose": "ok"}),
    ("ok skip info", False, {"error": "", "info": "", "verbose": "info ok skip"}),
    ("ok alarm", False, {"error": "", "info": "alarm", "verbose": "alarm ok"}),
    ("ok error", False, {"error": "error", "info": "error", "verbose": "error ok"}),
    ("alarm error skip", False, {"error": "error", "info": "alarm error", "verbose": "alarm error skip"}),
    ("alarm", True, {"error": "error", "info": "alarm error", "verbose": "alarm error"}),
    ("", True, {"error": "error", "info": "error", "verbose": "error"}),
    ("ok alarm info skip error", False, {"error": "error", "info": "alarm error", "verbose": "alarm error info ok skip"}),
]


@pytest.mark.parametrize(("statuses", "control_error", "expected"), TABLE, ids=[f"{s or 'none'}{'+run-error' if e else ''}" for s, e, _ in TABLE])
def test_levels_table(statuses: str, control_error: bool, expected: dict[str, str]) -> None:
    digest = run_digest(_result(statuses, control_error=control_error))
    recorders = {level: Recorder() for level in expected}
    routes = [Route(level, recorders[level], Level.parse(level, "test")) for level in expected]
    deliveries = deliver(routes, digest)
    for delivery in deliveries:
        level = delivery.route.name
        sent = recorders[level].sent
        if not expected[level]:
            assert sent == [] and delivery.items == 0
            continue
        (message,) = sent
        assert " ".join(sorted(item.kind for item in message.items)) == expected[level]
        assert [row["status"] for row in message.payload["items"]] == [item.kind for item in message.items]


def test_subject_counts_only_what_the_level_hears() -> None:
    digest = run_digest(_result("alarm alarm error ok"))
    errors = Recorder()
    info = Recorder()
    deliver([Route("e", errors, Level.ERROR), Route("i", info, Level.INFO)], digest)
    assert errors.sent[0].subject == "rootwatch: 1 error in 1 account: control c"
    assert info.sent[0].subject == "rootwatch: 2 alarms, 1 error in 3 accounts: control c"


def test_all_clear_at_verbose() -> None:
    recorder = Recorder()
    deliver([Route("v", recorder, Level.VERBOSE)], run_digest(_result("ok ok skip")))
    assert recorder.sent[0].subject == "rootwatch: no alarms or errors (2 ok, 1 skip) in 3 accounts"


def test_help_and_listings_import_no_notifier_code() -> None:
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from rootwatch.cli.main import main\n"
        "for argv in (['--help'], ['benchmark', 'run', '--help'], ['watch', '--help'], ['control', 'list']):\n"
        "    try:\n"
        "        main(argv)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "print(sorted(m for m in sys.modules if m.startswith(('rootwatch.notify', 'apprise', 'smtplib', 'boto3'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"
