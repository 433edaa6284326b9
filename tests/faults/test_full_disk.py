"""A full disk at every stage of a snapshot build: exit 3 naming the output, nothing left behind.

The disk fills through RLIMIT_FSIZE (a write past the limit fails with EFBIG, as on a full file
system), which needs no privilege; where this runs as root, the same build also runs into a small
tmpfs (ENOSPC), the real thing."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from helpers.corpus import BASE_CAPTURE, Case, run_case

FILL_LEVELS = (0, 4096, 16384, 65536, 200_000, 300_000)
"""Bytes a file may reach before the disk is full: before the template, inside it, mid-build, at
the checkpoint (a finished base snapshot is about 320 KB)."""


@pytest.mark.parametrize("limit", FILL_LEVELS)
def test_a_full_disk_at_any_level_is_a_clear_error_and_leaves_nothing(limit: int, tmp_path: Path) -> None:
    case = Case(entry="faults", name=f"full-disk-{limit}", base="capture", fsize_limit=limit,
                args=("snapshot", "from-files", "{dir}", "-o", "{out}/s.duckdb"), exit=3,
                phrase=("cannot write", "{out}/s.duckdb"))
    outcome = run_case(case, tmp_path)
    assert not outcome.broken, outcome.report()


def _mount_tmpfs(folder: Path, size: str) -> bool:
    if os.geteuid() != 0 or shutil.which("mount") is None:
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)],
                          capture_output=True, check=False).returncode == 0


@pytest.mark.parametrize("size", ["64k", "256k"])
def test_a_really_full_file_system(size: str, tmp_path: Path, run_cli) -> None:
    disk = tmp_path / "disk"
    disk.mkdir()
    if not _mount_tmpfs(disk, size):
        pytest.skip("mounting a tmpfs needs root (the RLIMIT_FSIZE test above covers the same paths)")
    try:
        code, _out, err = run_cli("snapshot", "from-files", str(BASE_CAPTURE), "-o", str(disk / "s.duckdb"))
        assert code == 3, err
        assert f"cannot write {disk / 's.duckdb'}: no space left on the device" in err
        assert sorted(os.listdir(disk)) == []
    finally:
        subprocess.run(["umount", str(disk)], check=False)
