"""Headless Chromium from Debian's packages, for every test that looks at HTML in a real browser."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def chromium_path() -> str:
    """The browser's path; skips the test where it is not installed, fails under CI=true."""
    path = os.environ.get("ROOTWATCH_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        reason = "headless Chromium is not installed (apt-get install -y chromium; './dev test' installs it)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"the browser tests must run under CI=true: {reason}")
        pytest.skip(reason)
    return path


def browse(chromium: str, tmp_path: Path, url: str, *extra: str) -> str:
    """Chromium's stdout after loading ``url`` with ``extra`` flags (a fresh profile each time)."""
    profile = tmp_path / f"profile-{uuid.uuid4().hex[:8]}"
    done = subprocess.run(
        [chromium, *FLAGS, f"--user-data-dir={profile}", *extra, url],
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, f"chromium exited {done.returncode}:\n{done.stderr[-3000:]}"
    return done.stdout
