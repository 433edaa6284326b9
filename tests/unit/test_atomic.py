"""Exports appear whole or not at all, with the usual file permissions."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from rootwatch.atomic import write_atomic
from rootwatch.errors import UsageError


def test_write_replaces_whole_and_respects_umask(tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")
    previous = os.umask(0o022)
    try:
        write_atomic(target, "new")
    finally:
        os.umask(previous)
    assert target.read_text() == "new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temporary file left


def test_failed_write_keeps_the_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "report.json"
    target.write_text("old")

    def disk_full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("rootwatch.atomic.os.fsync", disk_full)
    with pytest.raises(UsageError, match=r"cannot write .*report.json: No space left on device"):
        write_atomic(target, "new")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_missing_directory_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        write_atomic(tmp_path / "nope" / "report.json", "x")
