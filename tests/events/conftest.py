"""Fixtures of the events tests: moto's credentials, no user configuration, and the real receivers
of helpers.receivers (the sample events and expectations are in helpers.events)."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers.receivers import example, http_sink, smtp_plain  # noqa: F401


@pytest.fixture()
def aws_env(monkeypatch) -> None:
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")


@pytest.fixture()
def no_user_config(monkeypatch, tmp_path: Path) -> None:
    """No rootwatch.yaml from the user's home leaks into a test."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-config"))
