"""The mail's HTML body in headless Chromium: the table a mail client shows, and a hostile reason
that stays text."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from helpers.browser import browse, chromium_path
from rootwatch.mod.model import ControlNode
from rootwatch.notify.message import ComposeOptions
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

pytestmark = pytest.mark.browser
HOSTILE = "<img src=x onerror=\"document.body.setAttribute('data-xss','1')\"> & <b>bold</b>"


@pytest.fixture(scope="session")
def chromium() -> str:
    return chromium_path()


def test_mail_html_in_chromium(chromium: str, tmp_path: Path) -> None:
    at = datetime(2026, 11, 25, 9, tzinfo=timezone.utc)
    node = ControlNode("root_no_access_keys", "Root user has no access keys", "", {}, None)
    rows = tuple(
        ResultRow(f"arn:aws:iam::{n:012d}:root", Status.ALARM, HOSTILE if n == 1 else f"reason {n}", (("account_id", f"{n:012d}"),))
        for n in range(1, 6)
    )
    result = RunResult(GroupRun(ROOT_GROUP_ID, "rootwatch", "", {}, (ControlRun(node, rows),)), RunContext(at, "duckdb", "snapshot x", at, at, account_names={"000000000001": "prod"}))
    digest = run_digest(result)
    message = digest.message(digest.items, ComposeOptions(max_rows=3))
    page = tmp_path / "mail.html"
    page.write_text(message.html)
    dom = browse(chromium, tmp_path, page.as_uri(), "--dump-dom")
    assert "data-xss" not in dom.split("<body", 1)[1].split(">", 1)[0]
    assert "&lt;img src=x" in dom and "<img" not in dom
    assert dom.count("<tr>") == 1 + 3 + 1  # header, three rows, "... and 2 more"
    assert "000000000001 (prod)" in dom
    assert "... and 2 more (every item is in the attached CSV)" in dom
