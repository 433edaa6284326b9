"""Output files: only a regular file (or a new name) is ever replaced, and without --force a file
that appears at the output path during a build is left as it is."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rootwatch.atomic import publish, require_replaceable, write_atomic
from rootwatch.errors import UsageError
from rootwatch.snapshot.writer import SnapshotWriter


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") or ".tmp" in p.name)


def test_a_file_that_appears_during_a_build_is_not_overwritten(tmp_path: Path) -> None:
    output = tmp_path / "s.duckdb"
    with pytest.raises(UsageError, match="appeared while rootwatch was writing it"):
        with SnapshotWriter(output, source="test", overwrite=False) as writer:
            writer.add_rows("aws_account", [{"account_id": "123456789012", "partition": "aws", "region": "global"}])
            output.write_text("someone else's file")
    assert output.read_text() == "someone else's file"
    assert _leftovers(tmp_path) == []


def test_with_force_a_regular_file_is_replaced(tmp_path: Path) -> None:
    output = tmp_path / "s.duckdb"
    output.write_text("old")
    with SnapshotWriter(output, source="test", overwrite=True):
        pass
    assert output.read_bytes()[:4] != b"old" and _leftovers(tmp_path) == []


@pytest.mark.parametrize("kind", ["fifo", "symlink", "directory"])
def test_only_regular_files_are_replaced(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "out"
    if kind == "fifo":
        os.mkfifo(target)
    elif kind == "symlink":
        (tmp_path / "elsewhere").write_text("kept")
        target.symlink_to(tmp_path / "elsewhere")
    else:
        target.mkdir()
    with pytest.raises(UsageError, match="not a regular file|is a directory"):
        write_atomic(target, "data")
    with pytest.raises(UsageError, match="not a regular file|is a directory"):
        SnapshotWriter(target, source="test", overwrite=True)
    if kind == "symlink":
        assert target.is_symlink() and (tmp_path / "elsewhere").read_text() == "kept"
    assert _leftovers(tmp_path) == []


def test_publish_without_replace_keeps_an_existing_file_and_removes_the_temporary(tmp_path: Path) -> None:
    temp, final = tmp_path / ".x.tmp", tmp_path / "x"
    temp.write_text("new")
    final.write_text("existing")
    with pytest.raises(UsageError, match="appeared"):
        publish(temp, final, replace=False)
    assert final.read_text() == "existing"
    temp.unlink()  # publish leaves a temporary it could not place to its caller's clean-up
    temp.write_text("new")
    publish(temp, tmp_path / "y", replace=False)
    assert (tmp_path / "y").read_text() == "new" and not temp.exists()


def test_absent_and_regular_paths_are_replaceable(tmp_path: Path) -> None:
    require_replaceable(tmp_path / "absent")
    (tmp_path / "file").write_text("x")
    require_replaceable(tmp_path / "file")
