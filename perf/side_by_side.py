"""Running two checkouts of rootwatch side by side: the baseline in a temporary ``git worktree``.

Used by ``perf/compile_once.py``, ``perf/grading_memory.py`` and ``perf/aws_collect.py``; not a
test. Both sides run with this interpreter and its packages, each with its own ``runner/`` on
PYTHONPATH, its own mod (the checkout is the working directory) and its own cache directory.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

REPO = Path(__file__).resolve().parents[1]


def default_base() -> str:
    """Where this branch left ``main`` (``git merge-base HEAD main``)."""
    merge_base = ["git", "-C", str(REPO), "merge-base", "HEAD", "main"]
    return subprocess.run(merge_base, capture_output=True, text=True, check=True).stdout.strip()[:12]


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def base_worktree(ref: str, directory: Path) -> Iterator[Path]:
    """``ref`` checked out (detached) at ``directory``, removed afterwards, also on a kill."""
    signal.signal(signal.SIGTERM, _interrupt)
    subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", "--quiet", str(directory), ref], check=True)
    try:
        yield directory
    finally:
        subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(directory)], check=False)


class Measured(NamedTuple):
    wall: float
    """Seconds from start to exit."""
    cpu: float
    """User and system seconds of the process and its threads: what the command itself costs,
    whatever else the machine is doing at the time."""
    rss_mb: int
    """Peak resident memory."""


def run_rootwatch(command: list[str], checkout: Path, cache: Path, *, ok: tuple[int, ...] = (0, 1)) -> Measured:
    """Wall seconds, CPU seconds and peak RSS of ``python -m rootwatch COMMAND`` from ``checkout``.

    Exit codes outside ``ok`` stop the script (1 is alarms: the example organisation has some).
    """
    env = {**os.environ, "PYTHONPATH": str(checkout / "runner"), "ROOTWATCH_CACHE_DIR": str(cache)}
    env.pop("ROOTWATCH_NO_SQL_CACHE", None)
    # As installed: bytecode compiled once and kept (a session that sets PYTHONDONTWRITEBYTECODE
    # would otherwise compile every module from source in every run, on both sides).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    began = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "rootwatch", *command], cwd=checkout, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - began
    code = os.waitstatus_to_exitcode(status)
    process.returncode = code
    if code not in ok:
        raise SystemExit(f"{' '.join(command)} in {checkout} exited {code}: {process.stderr.read().strip()}")
    return Measured(seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss // 1024)
