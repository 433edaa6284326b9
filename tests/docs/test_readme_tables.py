"""README.md's tables of controls, benchmarks, variables, formats and exit codes are generated from
the code (scripts/readme_tables.py through cog); this fails while they are stale."""

from __future__ import annotations

import subprocess
import sys

from helpers.mods import REPO

REGENERATE = ".venv/bin/cog -r -I scripts README.md"


def test_readme_tables_are_up_to_date() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "cogapp", "--check", "--check-fail-msg", f"regenerate them: {REGENERATE}", "-I", "scripts", "README.md"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_regenerate_command_is_documented() -> None:
    assert REGENERATE in (REPO / "README.md").read_text("utf-8")
