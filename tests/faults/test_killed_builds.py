"""kill -9 during a build: the next run removes what the killed one left in the temporary directory
(its empty-snapshot template folder) once it is old enough and its process is gone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from helpers.corpus import BASE_CAPTURE, REPO
from rootwatch.snapshot.writer import STALE_AFTER_SECONDS, TEMP_PREFIX, sweep_stale_template_folders


def _age(folder: Path, seconds: float) -> None:
    past = time.time() - seconds
    os.utime(folder, (past, past))


def test_a_killed_build_leaves_a_folder_that_the_next_run_removes(tmp_path: Path) -> None:
    temp = tmp_path / "tmp"
    temp.mkdir()
    env = {**os.environ, "TMPDIR": str(temp), "PYTHONPATH": str(REPO / "runner")}
    # A build that stops before publishing (SIGSTOP keeps it where it is), then kill -9.
    child = subprocess.Popen(
        [sys.executable, "-c", "import os, signal; from pathlib import Path; "
         "from rootwatch.snapshot.writer import SnapshotWriter; "
         f"w = SnapshotWriter(Path({str(tmp_path / 's.duckdb')!r}), source='test').__enter__(); "
         "os.kill(os.getpid(), signal.SIGSTOP)"],
        env=env,
    )
    deadline = time.time() + 60
    while not list(temp.glob(f"{TEMP_PREFIX}*")) or child.poll() is not None:
        assert time.time() < deadline and child.poll() is None, "the build did not start"
        time.sleep(0.1)
    time.sleep(0.5)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    left = list(temp.glob(f"{TEMP_PREFIX}*"))
    assert len(left) == 1 and left[0].name.startswith(f"{TEMP_PREFIX}{child.pid}-")
    _age(left[0], STALE_AFTER_SECONDS + 60)
    subprocess.run([sys.executable, "-m", "rootwatch", "snapshot", "from-files", str(BASE_CAPTURE), "-o",
                    str(tmp_path / "next.duckdb")], env=env, cwd=REPO, check=True, capture_output=True)
    assert not left[0].exists()
    assert list(temp.iterdir()) == []  # and the next run's own folder went at its exit


def test_young_folders_and_live_owners_are_kept(tmp_path: Path) -> None:
    mine = tmp_path / f"{TEMP_PREFIX}{os.getpid()}-abc"
    young_dead = tmp_path / f"{TEMP_PREFIX}999999999-abc"
    old_dead = tmp_path / f"{TEMP_PREFIX}999999998-abc"
    unowned_recent = tmp_path / f"{TEMP_PREFIX}k2j3h4g5"
    unowned_old = tmp_path / f"{TEMP_PREFIX}a1b2c3d4"
    for folder in (mine, young_dead, old_dead, unowned_recent, unowned_old):
        folder.mkdir()
        (folder / "empty.duckdb").write_bytes(b"x")
    for folder in (mine, old_dead, unowned_recent):
        _age(folder, STALE_AFTER_SECONDS + 60)
    _age(unowned_old, 2 * 24 * 3600)
    removed = sweep_stale_template_folders(tmp_path)
    assert sorted(removed) == sorted([old_dead, unowned_old])
    assert mine.exists() and young_dead.exists() and unowned_recent.exists()
