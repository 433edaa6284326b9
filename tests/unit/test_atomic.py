"""Exports appear whole or not at all, with the usual file permissions."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from rootwatch.atomic import write_all_atomic, write_atomic
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


def test_several_files_change_together_or_not_at_all(tmp_path: Path) -> None:
    first, second = tmp_path / "a.csv", tmp_path / "b.json"
    first.write_text("old a")
    (tmp_path / "blocker").mkdir()
    with pytest.raises(UsageError, match=r"cannot write .*blocker/missing/c.txt: directory .* does not exist"):
        write_all_atomic([(first, "new a"), (second, "new b"), (tmp_path / "blocker" / "missing" / "c.txt", "c")])
    assert first.read_text() == "old a"
    assert not second.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv", "blocker"]  # no temporary file left
    write_all_atomic([(first, "new a"), (second, "new b")])
    assert (first.read_text(), second.read_text()) == ("new a", "new b")
